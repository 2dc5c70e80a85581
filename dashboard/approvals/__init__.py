"""Document approvals: the first kind of action item on the reminder engine."""
