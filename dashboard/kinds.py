"""Imports every kind of action item, so each registers itself with the engine."""

from dashboard.approvals import document_actions as approval_documents  # noqa: F401
from dashboard.approvals import kind as approvals  # noqa: F401
from dashboard.chats import kind as chats  # noqa: F401
from dashboard.invoices import document_actions as invoice_documents  # noqa: F401
from dashboard.invoices import kind as invoices  # noqa: F401
from dashboard.organizers import kind as organizers  # noqa: F401
from dashboard.pipelines import hooks as pipelines  # noqa: F401  (job archived stops reminders)
from dashboard.proposals import kind as proposals  # noqa: F401
from dashboard.signatures import document_actions as signature_documents  # noqa: F401
from dashboard.signatures import kind as signatures  # noqa: F401
