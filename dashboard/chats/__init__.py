"""Chats: secure client threads on the reminder engine."""
