"""Imports every model so metadata (and Alembic) sees the whole schema."""

from dashboard.accounts.models import Account, Contact, Folder
from dashboard.audit.models import AuditEvent
from dashboard.auth.models import Firm, User
from dashboard.documents.models import Document

__all__ = ["Account", "AuditEvent", "Contact", "Document", "Firm", "Folder", "User"]
