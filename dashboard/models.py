"""Imports every model so metadata (and Alembic) sees the whole schema."""

from dashboard.accounts.invites import PortalInvite
from dashboard.accounts.models import Account, Contact, Folder
from dashboard.approvals.models import ApprovalRequest
from dashboard.audit.models import AuditEvent
from dashboard.auth.models import Firm, User
from dashboard.chats.bulk import BulkSend  # noqa: F401  (bulk messaging, C2)
from dashboard.documents.models import Document
from dashboard.invoices.models import (  # noqa: F401  (invoices, I1)
    DocumentLock,
    FirmBilling,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceTemplate,
    Payment,
)
from dashboard.items.models import ActionItem
from dashboard.notify.models import InboxEntry, NotificationPreference, OutboxEmail, SweepStatus
from dashboard.pipelines.models import (  # noqa: F401  (pipelines, R8)
    AutomationRun,
    Job,
    Pipeline,
    PipelineStage,
    StageAutomation,
)
from dashboard.reminders.models import Reminder
from dashboard.signatures.models import FirmSealKey, SignatureRequest, Signer  # noqa: F401

__all__ = [
    "ActionItem",
    "Account",
    "ApprovalRequest",
    "AuditEvent",
    "Contact",
    "Document",
    "Firm",
    "Folder",
    "InboxEntry",
    "NotificationPreference",
    "OutboxEmail",
    "PortalInvite",
    "Reminder",
    "SweepStatus",
    "User",
]
