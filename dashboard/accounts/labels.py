"""Translated labels for account-related values."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

FOLDER_ACCESS_LABELS = {
    "private": _l("Private"),
    "view": _l("Client can view"),
    "edit": _l("Client can view and edit"),
}


def folder_access_label(access: str) -> str:
    return str(FOLDER_ACCESS_LABELS.get(access, access))
