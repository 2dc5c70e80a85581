"""Proposal templates and proposals (an action item the client signs or declines)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.auth.models import User
from dashboard.clock import now
from dashboard.dbtypes import UTCDateTime
from dashboard.extensions import db
from dashboard.items.models import ActionItem
from dashboard.reminders.cascade import TemplateReminders
from dashboard.signatures.models import SignatureEvidence

PROPOSAL_STATES = ("draft", "sent", "viewed", "signed", "declined", "expired", "cancelled")
RECURRENCES = ("once", "month", "year")


class ProposalTemplate(TemplateReminders, db.Model):
    """What a proposal starts from: title, letter, fee lines, reminders, invoice on signing."""

    __tablename__ = "proposal_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: The letter as sanitized HTML, merge fields ({{ client_name }}…) left as typed.
    body_html: Mapped[str] = mapped_column(Text, default="")
    #: [{"description", "quantity", "unit_price", "vat_rate", "recurrence"}] as strings.
    fee_lines: Mapped[list[dict]] = mapped_column(JSON, default=list)
    #: Issue the first invoice from the fee lines when the client signs.
    create_invoice: Mapped[bool] = mapped_column(default=False)
    #: Proposals from it can be signed for this many days (None: no expiry).
    valid_days: Mapped[int | None] = mapped_column(Integer)
    reminders_enabled: Mapped[bool] = mapped_column(default=True)
    interval_days: Mapped[int] = mapped_column(Integer, default=7)
    max_count: Mapped[int] = mapped_column(Integer, default=2)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)


class Proposal(SignatureEvidence, ActionItem):
    """A proposal or engagement letter sent to an account.

    `content_html` is frozen when it is sent (merge fields filled, fee table drawn): it is what
    the client reads and signs, and `content_sha256` its fingerprint; editing the template
    later changes nothing already sent. The evidence columns (SignatureEvidence) hold the
    signature, written by signatures.evidence like a signer's.
    """

    __tablename__ = "proposal"
    __table_args__ = (
        CheckConstraint(
            "state IN ('draft', 'sent', 'viewed', 'signed', 'declined', 'expired', 'cancelled')",
            name="state",
        ),
        CheckConstraint("seal_state IN ('none', 'queued', 'sealed', 'failed')", name="seal_state"),
    )

    id: Mapped[int] = mapped_column(ForeignKey("action_item.id"), primary_key=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("proposal_template.id"))
    state: Mapped[str] = mapped_column(String(10), default="draft")
    #: The firm's note with the email and on the portal page (plain text).
    message: Mapped[str] = mapped_column(Text, default="")
    #: The letter being written (drafts): sanitized HTML with merge fields.
    body_html: Mapped[str] = mapped_column(Text, default="")
    fee_lines: Mapped[list[dict]] = mapped_column(JSON, default=list)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    create_invoice: Mapped[bool] = mapped_column(default=False)
    #: The last day it can be signed, in the firm's time zone.
    expires_on: Mapped[date | None] = mapped_column(Date)
    #: What the client reads and signs, frozen at sending.
    content_html: Mapped[str | None] = mapped_column(Text)
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    viewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The client who signed or declined.
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    #: none → queued (signed) → sealed (PDF stored) or failed.
    seal_state: Mapped[str] = mapped_column(String(8), default="none")
    signed_pdf_key: Mapped[str | None] = mapped_column(String(255))
    sealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    seal_error: Mapped[str | None] = mapped_column(Text)
    #: The invoice issued from the fee lines when it was signed (template's choice).
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    #: The Reminders settings chosen for a draft, applied when it is sent.
    reminders_enabled: Mapped[bool] = mapped_column(default=True)
    reminder_interval_days: Mapped[int] = mapped_column(Integer, default=7)
    reminder_max_count: Mapped[int] = mapped_column(Integer, default=2)
    #: Where they came from (B8: "firm", "template", "automation", "item"), for the reminder.
    reminders_origin: Mapped[str] = mapped_column(String(16), default="item")

    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    template: Mapped[ProposalTemplate | None] = relationship()

    __mapper_args__ = {"polymorphic_identity": "proposal"}
