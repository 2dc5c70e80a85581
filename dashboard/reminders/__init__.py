"""The reminder engine: one for every kind of action item."""
