"""Proposal rules: drafts from templates, sending (the letter frozen), view, sign, decline,
cancel, expiry, and the invoice issued from the fee lines on signing.

Reminders are the engine's: a sent proposal is a pending action item until it is signed,
declined, cancelled or expired.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload

from dashboard.accounts.models import Account
from dashboard.audit.service import record_item_event
from dashboard.auth.models import Firm, User
from dashboard.clock import now
from dashboard.extensions import db
from dashboard.invoices import service as invoices
from dashboard.invoices.files import account_locale
from dashboard.items.kinds import notify_recipients
from dashboard.notify.inbox import add_entry, staff_wanting
from dashboard.notify.outbox import queue_email
from dashboard.proposals import letter
from dashboard.proposals.models import Proposal, ProposalTemplate
from dashboard.reminders.cascade import resolve
from dashboard.reminders.service import ReminderSettings, complete_item, lock_pending, send_item
from dashboard.signatures import evidence

log = logging.getLogger(__name__)

STATE_LABELS = {
    "draft": _l("Draft"),
    "sent": _l("Sent"),
    "viewed": _l("Viewed"),
    "signed": _l("Signed"),
    "declined": _l("Declined"),
    "expired": _l("Expired"),
    "cancelled": _l("Cancelled"),
}
STATE_BADGES = {
    "draft": "text-bg-light border",
    "sent": "text-bg-warning",
    "viewed": "text-bg-info",
    "signed": "text-bg-success",
    "declined": "text-bg-danger",
    "expired": "text-bg-secondary",
    "cancelled": "text-bg-secondary",
}
OPEN_STATES = ("sent", "viewed")
MAX_LINES = 50


class ProposalError(ValueError):
    """A proposal change that cannot be made; the message is shown to the user."""


@dataclass(frozen=True)
class ProposalInput:
    """What staff write: on a template or on a draft."""

    title: str
    body_html: str
    lines: list[letter.FeeLine]
    create_invoice: bool
    settings: ReminderSettings
    message: str = ""
    expires_on: date | None = None
    valid_days: int | None = None


def _title(value: str) -> str:
    title = " ".join(value.split())[:200]
    if not title:
        raise ProposalError(str(_l("Give it a title.")))
    return title


def _checked_lines(lines: list[letter.FeeLine]) -> list[dict]:
    if len(lines) > MAX_LINES:
        raise ProposalError(str(_l("A proposal can have at most 50 fee lines.")))
    for line in lines:
        if not line.description.strip():
            raise ProposalError(str(_l("Every fee line needs a description.")))
        if not Decimal(0) <= line.vat_rate <= Decimal(100):
            raise ProposalError(str(_l("A VAT rate is between 0 and 100 %.")))
    return letter.stored_lines(lines)


def _body(html: str) -> str:
    try:
        return letter.clean_body(html)
    except ValueError as error:
        raise ProposalError(str(_l("The letter is too long."))) from error


def firm_today(firm_id: int) -> date:
    return invoices.local_today(firm_id)


# --- Templates --------------------------------------------------------------------------


def save_template(
    firm: Firm, template: ProposalTemplate | None, data: ProposalInput, inherit: bool = False
):
    """Create or update a template (R7: its reminder settings come with every proposal;
    `inherit`: the firm default's instead, as it is when a proposal is made, B8)."""
    if data.valid_days is not None and not 1 <= data.valid_days <= 365:
        raise ProposalError(str(_l("Valid for: enter a number of days from 1 to 365.")))
    if template is None:
        template = ProposalTemplate(firm_id=firm.id, name="")
        db.session.add(template)
    template.name, template.body_html = _title(data.title), _body(data.body_html)
    template.fee_lines = _checked_lines(data.lines)
    template.create_invoice, template.valid_days = data.create_invoice, data.valid_days
    template.set_reminders(inherit, data.settings)
    db.session.flush()
    return template


def template_input(template: ProposalTemplate) -> ProposalInput:
    expires = (
        firm_today(template.firm_id) + timedelta(days=template.valid_days)
        if template.valid_days
        else None
    )
    return ProposalInput(
        title=template.name,
        body_html=template.body_html,
        lines=letter.fee_lines(template.fee_lines),
        create_invoice=template.create_invoice,
        settings=resolve(db.session.get(Firm, template.firm_id), template, "template"),
        expires_on=expires,
    )


# --- Drafts -----------------------------------------------------------------------------


def _apply(proposal: Proposal, data: ProposalInput) -> None:
    proposal.title, proposal.body_html = _title(data.title), _body(data.body_html)
    proposal.fee_lines = _checked_lines(data.lines)
    proposal.create_invoice = data.create_invoice
    proposal.message, proposal.expires_on = data.message.strip()[:5000], data.expires_on
    proposal.reminders_enabled = data.settings.enabled
    proposal.reminder_interval_days = data.settings.interval_days
    proposal.reminder_max_count = data.settings.max_count
    proposal.reminders_origin = data.settings.origin


def create_draft(
    actor: User, account: Account, data: ProposalInput, template: ProposalTemplate | None = None
) -> Proposal:
    proposal = Proposal(
        firm_id=account.firm_id,
        account_id=account.id,
        status="draft",
        state="draft",
        sent_by_id=actor.id,
        template_id=template.id if template else None,
        currency=invoices.billing_of(account.firm_id).currency,
    )
    _apply(proposal, data)
    db.session.add(proposal)
    db.session.flush()
    record_item_event(proposal, actor=actor, action="proposal.drafted", title=proposal.title)
    return proposal


def update_draft(actor: User, proposal: Proposal, data: ProposalInput) -> None:
    if proposal.state != "draft":
        raise ProposalError(
            str(_l("A sent proposal cannot be changed; cancel it and send a new one."))
        )
    _apply(proposal, data)
    db.session.flush()


def delete_draft(proposal: Proposal) -> None:
    if proposal.state != "draft":
        raise ProposalError(str(_l("Only a draft can be deleted; cancel a sent proposal.")))
    db.session.delete(proposal)
    db.session.flush()


# --- Sending ----------------------------------------------------------------------------


def send_proposal(actor: User, proposal: Proposal) -> list[User]:
    """Freeze the letter as the client will sign it, notify the account, start reminders."""
    if proposal.state != "draft":
        raise ProposalError(str(_l("This proposal was already sent.")))
    today = firm_today(proposal.firm_id)
    if proposal.expires_on is not None and proposal.expires_on < today:
        raise ProposalError(str(_l("The expiry date is in the past.")))
    if not notify_recipients(proposal.account_id):
        raise ProposalError(
            str(_l("No contact of this account can receive it: give one portal access."))
        )
    firm = db.session.get(Firm, proposal.firm_id)
    account = db.session.get(Account, proposal.account_id)
    assert firm is not None and account is not None
    content = letter.render_content(
        proposal.body_html,
        letter.fee_lines(proposal.fee_lines),
        client_name=account.name,
        firm_name=firm.name,
        sent_on=today,
        currency=proposal.currency,
        locale=account_locale(account.id, firm),
    )
    proposal.content_html, proposal.content_sha256 = content, letter.fingerprint(content)
    proposal.state = "sent"
    settings = ReminderSettings(
        proposal.reminders_enabled,
        proposal.reminder_interval_days,
        proposal.reminder_max_count,
        proposal.reminders_origin,
    )
    return send_item(actor, proposal, settings, {"message": proposal.message})


def is_expired(proposal: Proposal, today: date | None = None) -> bool:
    if proposal.state == "expired":
        return True
    if proposal.expires_on is None or proposal.state not in OPEN_STATES:
        return False
    return proposal.expires_on < (today or firm_today(proposal.firm_id))


def record_view(client: User, proposal: Proposal) -> None:
    """The client opened it for the first time: Sent becomes Viewed."""
    if proposal.state != "sent":
        return
    proposal.state, proposal.viewed_at = "viewed", now()
    record_item_event(proposal, actor=client, action="proposal.viewed", title=proposal.title)


# --- The client's decision ----------------------------------------------------------------


def _check_open(proposal: Proposal) -> None:
    if not lock_pending(proposal):
        raise ProposalError(str(_l("This proposal was already answered or withdrawn.")))
    db.session.refresh(proposal)
    if is_expired(proposal):
        raise ProposalError(str(_l("This proposal expired; ask your accountant for a new one.")))


def sign(
    client: User,
    proposal: Proposal,
    *,
    method: str,
    typed_name: str,
    drawing: bytes | None,
    consent: bool,
    shown_sha256: str,
    consent_locale: str,
    facts: evidence.RequestFacts,
) -> None:
    """The client signs the letter they were shown: the proposal is complete, its sealed PDF
    is queued and, when the template says so, the first invoice is issued."""
    _check_open(proposal)
    try:
        mark = evidence.checked_mark(method, typed_name, drawing, consent)
    except evidence.EvidenceError as refused:
        raise ProposalError(str(refused)) from refused
    stored = proposal.content_sha256
    if shown_sha256 != stored or letter.fingerprint(proposal.content_html or "") != stored:
        raise ProposalError(
            str(_l("The letter changed since it was shown to you. Open it again to sign."))
        )
    moment = now()
    evidence.record(proposal, mark, facts, shown_sha256, consent_locale, moment, client.name)
    proposal.state, proposal.decided_by_id = "signed", client.id
    complete_item(proposal, "signed", client)
    proposal.seal_state = "queued"
    record_item_event(
        proposal,
        actor=client,
        action="proposal.signed",
        title=proposal.title,
        method=mark.method,
        ip=facts.ip,
        sha256=shown_sha256,
    )
    _tell_staff(proposal, "proposal_signed", client=client.name)
    if proposal.create_invoice and proposal.fee_lines:
        _issue_first_invoice(proposal)
    db.session.flush()


def invoice_lines(proposal: Proposal) -> list[invoices.LineInput]:
    """The fee lines as the first invoice's lines: one-off fees, and the first period of each
    recurring fee (named so)."""
    lines = []
    for line in letter.fee_lines(proposal.fee_lines):
        description = line.description
        if line.recurrence != "once":
            description = f"{description} ({letter.RECURRENCE_LABELS[line.recurrence]})"
        lines.append(invoices.LineInput(description, line.quantity, line.unit_price, line.vat_rate))
    return lines


def _issue_first_invoice(proposal: Proposal) -> None:
    """Through the invoices service: a draft with the fee lines, then issued (numbered, sent)."""
    actor = proposal.sent_by
    account = db.session.get(Account, proposal.account_id)
    firm = db.session.get(Firm, proposal.firm_id)
    assert account is not None and firm is not None and actor is not None
    try:
        with db.session.begin_nested():
            invoice = invoices.create_invoice(
                actor,
                account,
                invoice_lines(proposal),
                notes=str(_l("Signed proposal: %(title)s", title=proposal.title)),
                settings=ReminderSettings.defaults_for(firm),
            )
            invoices.issue_invoice(actor, invoice)
    except invoices.InvoiceError as refused:
        log.warning("proposal %s: no invoice: %s", proposal.id, refused)
        record_item_event(
            proposal, action="proposal.invoice_failed", title=proposal.title, error=str(refused)
        )
        return
    proposal.invoice_id = invoice.id
    record_item_event(
        proposal, action="proposal.invoiced", title=proposal.title, invoice=invoice.number
    )


def decline(client: User, proposal: Proposal, reason: str, facts: evidence.RequestFacts) -> None:
    """The client refuses, with a reason: reminders stop and the firm is told."""
    _check_open(proposal)
    reason = reason.strip()[:2000]
    if not reason:
        raise ProposalError(str(_l("Say why you decline, so your accountant can help.")))
    proposal.state, proposal.decided_by_id, proposal.decided_at = "declined", client.id, now()
    proposal.ip, proposal.user_agent = facts.ip, facts.user_agent
    proposal.decline_reason = reason
    complete_item(proposal, "declined", client)
    record_item_event(
        proposal, actor=client, action="proposal.declined", title=proposal.title, reason=reason
    )
    _tell_staff(proposal, "proposal_declined", client=client.name, reason=reason)
    db.session.flush()


def _tell_staff(proposal: Proposal, topic: str, **details) -> None:
    details = {"title": proposal.title, **details}
    path = f"/clients/{proposal.account_id}/proposals/{proposal.id}"
    for staff in staff_wanting(proposal.firm_id, "proposals"):
        add_entry(
            staff.id,
            proposal.firm_id,
            topic,
            account_id=proposal.account_id,
            item_id=proposal.id,
            **details,
        )
        queue_email(
            firm_id=proposal.firm_id,
            key=f"{topic}:{proposal.id}:{staff.id}",
            purpose=topic,
            to=staff,
            item=proposal,
            context={**details, "path": path},
        )


# --- The firm withdraws, or time runs out ---------------------------------------------------


def cancel(actor: User, proposal: Proposal) -> None:
    if proposal.state not in OPEN_STATES or not complete_item(
        proposal, "cancelled", actor, status="cancelled"
    ):
        raise ProposalError(str(_l("Only a proposal waiting for the client can be cancelled.")))
    proposal.state = "cancelled"
    record_item_event(proposal, actor=actor, action="proposal.cancelled", title=proposal.title)


def expire_due() -> int:
    """Every open proposal past its last day (in its firm's time zone) becomes Expired; its
    reminders stop. Run by the cron; signing checks the date itself, so a late run lets
    nothing through."""
    candidates = db.session.scalars(
        select(Proposal).where(
            Proposal.state.in_(OPEN_STATES),
            Proposal.expires_on.is_not(None),
            Proposal.expires_on < now().date() + timedelta(days=1),
        )
    ).all()
    today_of: dict[int, date] = {}
    expired = 0
    for proposal in candidates:
        today = today_of.setdefault(proposal.firm_id, firm_today(proposal.firm_id))
        if proposal.expires_on >= today or not lock_pending(proposal):
            continue
        complete_item(proposal, "expired", None, status="cancelled")
        proposal.state = "expired"
        record_item_event(proposal, action="proposal.expired", title=proposal.title)
        expired += 1
    db.session.commit()
    return expired


def proposals_select(firm_id: int, account_id: int | None = None, only: str = ""):
    """Newest first, open ones on top."""
    stmt = (
        select(Proposal)
        .options(joinedload(Proposal.account))
        .where(Proposal.firm_id == firm_id)
        .order_by(
            case((Proposal.state == "draft", 0), (Proposal.state.in_(OPEN_STATES), 1), else_=2),
            Proposal.sent_at.desc(),
            Proposal.id.desc(),
        )
    )
    if account_id is not None:
        stmt = stmt.where(Proposal.account_id == account_id)
    if only == "open":
        stmt = stmt.where(Proposal.state.in_(OPEN_STATES))
    elif only in STATE_LABELS:
        stmt = stmt.where(Proposal.state == only)
    return stmt
