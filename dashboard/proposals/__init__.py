"""Proposals and engagement letters: letters the client reads and signs in the portal."""
