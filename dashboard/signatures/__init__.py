"""Signature requests: documents the account's contacts sign in the portal, sealed when done."""
