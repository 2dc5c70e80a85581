"""Signature rules: request, view, sign, decline, cancel, resend; the status of a request.

Reminders, resends and settings are the engine's (reminders/service.py): this module only says
who must act now (the signers who have not signed; in order, only the one whose turn it is).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload, selectinload

from dashboard.accounts.models import Contact, Folder
from dashboard.audit.service import record_item_event
from dashboard.auth.models import User
from dashboard.clock import now
from dashboard.documents import storage
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
    start_turn,
    stop_for_recipient,
)
from dashboard.signatures import evidence, sealing
from dashboard.signatures.models import SignatureRequest, Signer

#: Glossary words for a request's status (issue 8 §5).
STATUS_LABELS = {
    "awaiting": _l("Awaiting signature"),
    "partial": _l("Partially signed"),
    "signed": _l("Signed"),
    "declined": _l("Declined"),
    "cancelled": _l("Cancelled"),
}
STATUS_BADGES = {
    "awaiting": "text-bg-warning",
    "partial": "text-bg-info",
    "signed": "text-bg-success",
    "declined": "text-bg-danger",
    "cancelled": "text-bg-secondary",
}
SIGNER_LABELS = {
    "waiting": _l("Not signed yet"),
    "turn": _l("Their turn"),
    "later": _l("Waits for the previous signer"),
    "signed": _l("Signed"),
    "declined": _l("Declined"),
    "stopped": _l("Did not sign"),
}
MAX_SIGNERS = 10
PDF_TYPES = ("application/pdf",)


class SignatureError(ValueError):
    """A request or a signature that cannot be made; the message is shown to the user."""


@dataclass(frozen=True)
class SignerSpec:
    """A signer chosen by staff and where their signature goes (page None: after the end)."""

    user_id: int
    page: int | None = None
    x: float | None = None
    y: float | None = None


def status_of(request: SignatureRequest) -> str:
    if request.status == "cancelled":
        return "cancelled"
    if request.outcome == "declined":
        return "declined"
    if request.status == "completed":
        return "signed"
    return "partial" if any(s.state == "signed" for s in request.signers) else "awaiting"


def status_expression():
    """status_of() in SQL, for filters and lists (correlated to SignatureRequest)."""
    any_signed = (
        select(Signer.id)
        .where(Signer.request_id == SignatureRequest.id, Signer.state == "signed")
        .exists()
    )
    return case(
        (SignatureRequest.status == "cancelled", "cancelled"),
        (SignatureRequest.outcome == "declined", "declined"),
        (SignatureRequest.status == "completed", "signed"),
        (any_signed, "partial"),
        else_="awaiting",
    )


def waiting_signers(request: SignatureRequest) -> list[Signer]:
    """Who must act now: every unsigned signer, or in order only the first of them."""
    if not request.is_pending:
        return []
    waiting = [s for s in request.signers if s.state == "waiting"]
    return waiting[:1] if request.in_order and waiting else waiting


def signer_state(request: SignatureRequest, signer: Signer) -> str:
    if signer.state != "waiting":
        return signer.state
    if not request.is_pending:
        return "stopped"
    if request.in_order and request.is_pending:
        return "turn" if waiting_signers(request)[:1] == [signer] else "later"
    return "waiting"


def pending_request(document: Document) -> SignatureRequest | None:
    return db.session.scalar(
        select(SignatureRequest).where(
            SignatureRequest.document_id == document.id, SignatureRequest.status == "pending"
        )
    )


def signable_contacts(account_id: int) -> list[tuple[Contact, str]]:
    """The account's contacts, each with why they cannot sign ("" when they can)."""
    contacts = db.session.scalars(
        select(Contact).where(Contact.account_id == account_id).order_by(Contact.id)
    ).all()
    result = []
    for contact in contacts:
        reason = ""
        if not contact.portal_access:
            reason = str(_l("No portal access: signers sign in the portal."))
        elif contact.user.email_bounced_at is not None:
            reason = str(_l("Emails to this address bounce."))
        result.append((contact, reason))
    return result


def is_signable(document: Document) -> bool:
    return document.content_type in PDF_TYPES or document.extension == "pdf"


def request_signatures(
    actor: User,
    document: Document,
    specs: list[SignerSpec],
    *,
    in_order: bool,
    message: str,
    settings: ReminderSettings,
) -> SignatureRequest:
    """Ask contacts of the account to sign a PDF kept in a folder they can view (S1)."""
    folder = db.session.get(Folder, document.folder_id)
    assert folder is not None
    if not folder.client_can_view:
        raise SignatureError(str(_l("Move the document to a folder the client can view first.")))
    if not is_signable(document):
        raise SignatureError(str(_l("Only PDF documents can be signed.")))
    if pending_request(document) is not None:
        raise SignatureError(str(_l("A signature request for this document is already pending.")))
    pages = _pages_of(document)
    signers = _checked_signers(document.account_id, specs, pages)
    request = SignatureRequest(
        firm_id=document.firm_id,
        account_id=document.account_id,
        document_id=document.id,
        message=message.strip()[:5000],
        in_order=in_order,
        document_sha256=document.content_hash,
        signers=signers,
    )
    request.document = document
    send_item(actor, request, settings)
    record_item_event(
        request,
        actor=actor,
        action="signature.requested",
        title=document.name,
        signers=", ".join(s.user.name for s in signers),
        in_order=in_order,
    )
    document.last_activity_at = now()
    return request


def _pages_of(document: Document) -> int:
    try:
        return sealing.page_count(storage.path_for(document.storage_key).read_bytes())
    except (sealing.SealError, OSError) as error:
        raise SignatureError(str(_l("This PDF cannot be read, so it cannot be signed."))) from error


def _checked_signers(account_id: int, specs: list[SignerSpec], pages: int) -> list[Signer]:
    if not specs:
        raise SignatureError(str(_l("Choose at least one signer.")))
    if len(specs) > MAX_SIGNERS:
        raise SignatureError(str(_l("A request can have at most 10 signers.")))
    allowed = {c.user_id: (c, reason) for c, reason in signable_contacts(account_id)}
    seen: set[int] = set()
    signers = []
    for position, spec in enumerate(specs, start=1):
        contact, reason = allowed.get(spec.user_id, (None, ""))
        if contact is None or spec.user_id in seen:
            raise SignatureError(str(_l("Choose signers among the account's contacts.")))
        if reason:
            raise SignatureError(f"{contact.user.name}: {reason}")
        seen.add(spec.user_id)
        placed = spec.page is not None and spec.x is not None and spec.y is not None
        if placed and not (1 <= spec.page <= pages and 0 <= spec.x <= 1 and 0 <= spec.y <= 1):
            raise SignatureError(str(_l("A signature place is outside the document.")))
        signer = Signer(
            user_id=spec.user_id,
            position=position,
            page=spec.page if placed else None,
            x=spec.x if placed else None,
            y=spec.y if placed else None,
        )
        signer.user = contact.user
        signers.append(signer)
    return signers


def record_view(client: User, signer: Signer) -> None:
    """The signer opened the request (first time only; the read-only view never calls it)."""
    if signer.viewed_at is not None:
        return
    signer.viewed_at = now()
    record_item_event(
        signer.request, actor=client, action="signature.viewed", title=signer.request.title
    )


def _check_can_act(request: SignatureRequest, signer: Signer) -> None:
    if not lock_pending(request):
        raise SignatureError(str(_l("This request was already completed or withdrawn.")))
    db.session.refresh(signer)
    if signer.state != "waiting":
        raise SignatureError(str(_l("You have already answered this request.")))
    if request.in_order and waiting_signers(request)[:1] != [signer]:
        raise SignatureError(str(_l("It is not your turn to sign yet.")))


def _current_hash(request: SignatureRequest) -> str:
    try:
        data = storage.path_for(request.document.storage_key).read_bytes()
    except OSError:
        return ""
    return sealing.sha256(data)


def sign(
    client: User,
    request: SignatureRequest,
    signer: Signer,
    *,
    method: str,
    typed_name: str,
    drawing: bytes | None,
    consent: bool,
    shown_sha256: str,
    consent_locale: str,
    facts: evidence.RequestFacts,
) -> None:
    """The signer signs what they were shown; the last signature completes the request."""
    _check_can_act(request, signer)
    try:
        mark = evidence.checked_mark(method, typed_name, drawing, consent)
    except evidence.EvidenceError as refused:
        raise SignatureError(str(refused)) from refused
    if shown_sha256 != request.document_sha256 or _current_hash(request) != shown_sha256:
        raise SignatureError(
            str(_l("The document changed since it was shown to you. Open it again to sign."))
        )
    moment = now()
    signer.state = "signed"
    evidence.record(signer, mark, facts, shown_sha256, consent_locale, moment, client.name)
    stop_for_recipient(request, signer.user_id, "signer signed")
    record_item_event(
        request,
        actor=client,
        action="signature.signed",
        title=request.title,
        method=method,
        ip=facts.ip,
        sha256=shown_sha256,
    )
    request.document.last_activity_at = moment
    _tell_staff(request, "signature_signed", client=client.name)
    remaining = waiting_signers(request)
    if not remaining:
        complete_item(request, "signed", client)
        request.seal_state = "queued"
        _tell_staff(request, "signature_completed", email=True)
    elif request.in_order:
        start_turn(request, [remaining[0].user], turn=remaining[0].position)
    db.session.flush()


def decline(
    client: User,
    request: SignatureRequest,
    signer: Signer,
    reason: str,
    facts: evidence.RequestFacts,
) -> None:
    """The signer refuses, with a reason: the request stops and the firm is told."""
    _check_can_act(request, signer)
    reason = reason.strip()[:2000]
    if not reason:
        raise SignatureError(str(_l("Say why you decline, so your accountant can help.")))
    signer.state, signer.decided_at = "declined", now()
    signer.ip, signer.user_agent = facts.ip, facts.user_agent
    signer.decline_reason = reason
    complete_item(request, "declined", client)
    record_item_event(
        request, actor=client, action="signature.declined", title=request.title, reason=reason
    )
    request.document.last_activity_at = now()
    _tell_staff(request, "signature_declined", email=True, client=client.name, reason=reason)
    db.session.flush()


def cancel_request(actor: User, request: SignatureRequest) -> bool:
    """Cancel signature request: reminders stop, nobody can sign any more."""
    if not complete_item(request, "cancelled", actor, status="cancelled"):
        return False
    record_item_event(request, actor=actor, action="signature.cancelled", title=request.title)
    return True


def resend_request(actor: User, request: SignatureRequest, message: str = "") -> bool:
    """Resend signature request (R2, B7): only to the signers who must act now."""
    return resend_item(actor, request, message.strip()[:5000])


def _tell_staff(request: SignatureRequest, topic: str, email: bool = False, **details) -> None:
    details = {"document": request.title, **details}
    path = f"/clients/{request.account_id}/docs/signatures"
    for staff in staff_wanting(request.firm_id, "signatures"):
        add_entry(
            staff.id,
            request.firm_id,
            topic,
            account_id=request.account_id,
            item_id=request.id,
            **details,
        )
        if email:
            queue_email(
                firm_id=request.firm_id,
                key=f"{topic}:{request.id}:{staff.id}",
                purpose=topic,
                to=staff,
                item=request,
                context={**details, "path": path},
            )


def signatures_select(firm_id: int, account_id: int | None = None):
    """Requests newest first, pending ones on top, with document, signers and account."""
    stmt = (
        select(SignatureRequest)
        .options(
            joinedload(SignatureRequest.document),
            joinedload(SignatureRequest.signed_document),
            joinedload(SignatureRequest.account),
            selectinload(SignatureRequest.signers),
        )
        .where(SignatureRequest.firm_id == firm_id)
        .order_by(
            case((SignatureRequest.status == "pending", 0), else_=1),
            SignatureRequest.sent_at.desc(),
            SignatureRequest.id.desc(),
        )
    )
    if account_id is not None:
        stmt = stmt.where(SignatureRequest.account_id == account_id)
    return stmt
