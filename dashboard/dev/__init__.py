"""Development helpers: the SMTP sink and a page to read what it caught."""
