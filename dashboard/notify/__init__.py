"""Telling people: the email outbox, Inbox+ and notification preferences."""
