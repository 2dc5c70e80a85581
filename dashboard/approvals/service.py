"""Approval rules: request, resend, cancel, approve, disapprove."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload

from dashboard.accounts.models import Folder
from dashboard.approvals.models import ApprovalRequest
from dashboard.audit.service import record_item_event
from dashboard.auth.models import User
from dashboard.clock import now
from dashboard.documents.models import Document
from dashboard.extensions import db
from dashboard.notify.inbox import add_entry, staff_wanting
from dashboard.notify.outbox import queue_email
from dashboard.reminders.service import (
    ReminderSettings,
    complete_item,
    lock_pending,
    resend_item,
    send_item,
)

#: Reasons a client can tick when disapproving (D2); keys are stored, labels translated.
REJECTION_REASONS = {
    "incorrect": _l("The information is incorrect"),
    "incomplete": _l("Something is missing"),
    "wrong_document": _l("This is not the right document"),
    "questions": _l("I have questions"),
    "other": _l("Another reason"),
}


#: Glossary words for a document's approval status (D5, D6).
STATUS_LABELS = {
    "pending": _l("Awaiting approval"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
}
STATUS_BADGES = {
    "pending": "text-bg-warning",
    "approved": "text-bg-success",
    "rejected": "text-bg-danger",
    "cancelled": "text-bg-light",
}


class ApprovalError(ValueError):
    """A request that cannot be made; the message is shown to the user."""


def pending_request(document: Document) -> ApprovalRequest | None:
    return db.session.scalar(
        select(ApprovalRequest).where(
            ApprovalRequest.document_id == document.id, ApprovalRequest.status == "pending"
        )
    )


def request_approval(
    actor: User, document: Document, message: str, settings: ReminderSettings
) -> ApprovalRequest:
    """Ask the account's contacts to approve a document kept in a folder they can view (D1)."""
    folder = db.session.get(Folder, document.folder_id)
    assert folder is not None
    if not folder.client_can_view:
        raise ApprovalError(str(_l("Move the document to a folder the client can view first.")))
    if pending_request(document) is not None:
        raise ApprovalError(str(_l("An approval request for this document is already pending.")))
    request = ApprovalRequest(
        firm_id=document.firm_id,
        account_id=document.account_id,
        document_id=document.id,
        message=message.strip()[:5000],
    )
    request.document = document
    send_item(actor, request, settings)
    document.last_activity_at = now()
    return request


def resend_request(actor: User, request: ApprovalRequest, message: str = "") -> bool:
    """Resend approval request (D3): one more email, to-do on top, timer restarted."""
    return resend_item(actor, request, message.strip()[:5000])


@dataclass(frozen=True)
class ResendOutcome:
    """What *Request approval for pending* did: how many went, how many the guard held."""

    sent: int
    too_soon: int


def resend_all_pending(actor: User, account_id: int, firm_id: int, message: str) -> ResendOutcome:
    """Request approval for pending (D6): resend every pending request of the account."""
    requests = db.session.scalars(
        select(ApprovalRequest)
        .where(
            ApprovalRequest.firm_id == firm_id,
            ApprovalRequest.account_id == account_id,
            ApprovalRequest.status == "pending",
        )
        .order_by(ApprovalRequest.sent_at)
    ).all()
    sent = sum(1 for request in requests if resend_request(actor, request, message))
    return ResendOutcome(sent=sent, too_soon=len(requests) - sent)


def cancel_request(actor: User, request: ApprovalRequest) -> bool:
    """Cancel approval request (D7)."""
    if not complete_item(request, "cancelled", actor, status="cancelled"):
        return False
    record_item_event(
        request,
        actor=actor,
        action="approval.cancelled",
        title=request.document.name,
    )
    return True


def decide(
    client: User, request: ApprovalRequest, approve: bool, reasons: list[str], comment: str
) -> None:
    """The client approves or disapproves (D2); staff are told (D4).

    Exactly one decision wins: the item's row is taken first (a conditional UPDATE on a still
    pending item), so a second approve or disapprove sent at the same moment waits, then finds
    the request decided and is refused."""
    if not request.is_pending or not lock_pending(request):
        raise ApprovalError(str(_l("This request was already answered or withdrawn.")))
    db.session.refresh(request)
    if request.decision is not None:
        raise ApprovalError(str(_l("This request was already answered or withdrawn.")))
    if not approve:
        reasons = [r for r in reasons if r in REJECTION_REASONS]
        if not reasons:
            raise ApprovalError(str(_l("Choose at least one reason.")))
    moment = now()
    request.decision = "approved" if approve else "rejected"
    request.decided_at, request.decided_by_id = moment, client.id
    request.reasons = [] if approve else reasons
    request.comment = "" if approve else comment.strip()[:5000]
    complete_item(request, request.decision, client)
    document = request.document
    document.last_activity_at = moment  # D4: it moves to the top of Recent
    record_item_event(
        request,
        actor=client,
        action=f"approval.{request.decision}",
        title=document.name,
        reasons=request.reasons,
        comment=request.comment,
    )
    topic = f"approval_{request.decision}"
    details = {"client": client.name, "document": document.name}
    for staff in staff_wanting(request.firm_id, "approvals"):
        add_entry(
            staff.id,
            request.firm_id,
            topic,
            account_id=request.account_id,
            item_id=request.id,
            **details,
        )
        queue_email(
            firm_id=request.firm_id,
            key=f"{topic}:{request.id}:{staff.id}",
            purpose=topic,
            to=staff,
            item=request,
            context={**details, "path": f"/clients/{request.account_id}/docs/approvals"},
        )
    db.session.flush()


def approvals_select(firm_id: int, account_id: int | None = None):
    """Requests newest first, pending ones on top, with document and uploader loaded."""
    stmt = (
        select(ApprovalRequest)
        .options(
            joinedload(ApprovalRequest.document).joinedload(Document.uploaded_by),
            joinedload(ApprovalRequest.account),
        )
        .where(ApprovalRequest.firm_id == firm_id)
        .order_by(
            case((ApprovalRequest.status == "pending", 0), else_=1),
            ApprovalRequest.sent_at.desc(),
            ApprovalRequest.id.desc(),
        )
    )
    if account_id is not None:
        stmt = stmt.where(ApprovalRequest.account_id == account_id)
    return stmt
