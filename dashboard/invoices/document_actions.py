"""What invoices add to documents: a document locked to an unpaid invoice (D5, *Pending
payment*): the client sees it listed but cannot open it until the invoice is paid in full."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from dashboard.accounts.models import Folder
from dashboard.documents.models import Document
from dashboard.extensions import db
from dashboard.invoices.models import DocumentLock, Invoice
from dashboard.items.document_actions import (
    Badge,
    BaseDocumentAction,
    DocumentFilter,
    MenuEntry,
    ViewerSection,
    register_document_action,
)

UNPAID = ("issued", "partial")


def _locked_ids(document_ids: list[int]) -> dict[int, int]:
    """Document id → invoice id, for documents locked to an invoice not yet paid."""
    rows = db.session.execute(
        select(DocumentLock.document_id, DocumentLock.invoice_id)
        .join(Invoice, Invoice.id == DocumentLock.invoice_id)
        .where(DocumentLock.document_id.in_(document_ids), Invoice.state.in_(UNPAID))
    ).all()
    return dict(rows)


def _pending_payment():
    return (
        select(DocumentLock.id)
        .join(Invoice, Invoice.id == DocumentLock.invoice_id)
        .where(DocumentLock.document_id == Document.id, Invoice.state.in_(UNPAID))
        .correlate(Document)
        .exists()
    )


class InvoiceLockAction(BaseDocumentAction):
    name = "invoice_locks"

    def badges(self, document_ids: list[int]) -> dict[int, Badge]:
        return {
            document_id: Badge(
                str(_("Pending payment")), "text-bg-warning", "pending-payment", invoice_id
            )
            for document_id, invoice_id in _locked_ids(document_ids).items()
        }

    def staff_menu(self, document: Document, folder: Folder, badge: Badge | None):
        if not folder.client_can_view:
            return []
        viewer = url_for(
            "documents.viewer", account_id=document.account_id, document_id=document.id
        )
        label = _("Unlock") if badge is not None else _("Lock to an invoice")
        return [MenuEntry(label, f"{viewer}?lock=1#invoice-lock", testid=f"lock-{document.id}")]

    def portal_locked(self, document_ids: list[int]) -> set[int]:
        return set(_locked_ids(document_ids))

    def viewer(self, document: Document, folder: Folder, extra: dict) -> ViewerSection | None:
        if not folder.client_can_view:
            return None
        lock = db.session.scalar(
            select(DocumentLock).where(DocumentLock.document_id == document.id)
        )
        locked_to = db.session.get(Invoice, lock.invoice_id) if lock else None
        unpaid = db.session.scalars(
            select(Invoice)
            .where(Invoice.account_id == document.account_id, Invoice.state.in_(UNPAID))
            .order_by(Invoice.number_year.desc(), Invoice.number_seq.desc())
        ).all()
        return ViewerSection(
            body_template="invoices/_viewer_lock.html",
            context={"lock_invoice": locked_to, "lock_choices": unpaid},
        )

    def filters(self) -> list[DocumentFilter]:
        return [DocumentFilter("pending_payment", _l("Pending payment"), _pending_payment)]


register_document_action(InvoiceLockAction())
