"""The email outbox (exactly-once delivery), Inbox+ entries and staff preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.auth.models import User
from dashboard.clock import now
from dashboard.dbtypes import UTCDateTime
from dashboard.extensions import db

OUTBOX_STATES = ("queued", "sent", "failed", "cancelled")


class OutboxEmail(db.Model):
    """One email to one recipient, written in the transaction that caused it."""

    __tablename__ = "outbox_email"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'sent', 'failed', 'cancelled')", name="state"),
        Index(
            "ix_outbox_email_queued",
            "next_attempt_at",
            postgresql_where=sql_text("state = 'queued'"),
            sqlite_where=sql_text("state = 'queued'"),
        ),
        Index("ix_outbox_email_item", "item_id", "created_at"),
        # A digest's listed reminders, read when it is delivered.
        Index(
            "ix_outbox_email_digest",
            "digest_id",
            postgresql_where=sql_text("digest_id IS NOT NULL"),
            sqlite_where=sql_text("digest_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"))
    #: e.g. "reminder:12:2" or "resend:345:7": a second write of the same email fails.
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    #: Stable across retries, so a receiving server or client can drop a duplicate.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    #: notification, reminder, resend, digest, approval_decided, reminders_exhausted,
    #: delivery_failed
    purpose: Mapped[str] = mapped_column(String(32))
    #: For reminders: 1 for the first, 2 for the second…
    reminder_number: Mapped[int | None]
    item_id: Mapped[int | None] = mapped_column(ForeignKey("action_item.id"))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: B3: this reminder goes inside that digest (an outbox row of purpose "digest", one per
    #: recipient and local day), never on its own; the digest's delivery claims it.
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_email.id"))
    to_email: Mapped[str] = mapped_column(String(254))
    #: The recipient's language at the time of writing; the email is rendered in it.
    locale: Mapped[str] = mapped_column(String(8))
    #: Extra facts the email needs (a resend's message, the acting staff member…).
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    #: Not before this time (retries back off); NULL means now.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Last time the row's id was put on the queue; the sweep re-enqueues lost ones.
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    #: The subject actually sent, stored at delivery.
    subject: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    recipient: Mapped[User | None] = relationship()


class InboxEntry(db.Model):
    """Inbox+: a staff member's notification feed."""

    __tablename__ = "inbox_entry"
    __table_args__ = (Index("ix_inbox_entry_user_bumped", "user_id", "bumped_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    #: approval_decided, reminders_exhausted, delivery_failed, …
    topic: Mapped[str] = mapped_column(String(40))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("action_item.id"))
    #: Facts for the sentence shown (names, outcome), kept as they were.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    bumped_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NotificationPreference(db.Model):
    """A staff member's choice for one topic (F4); no row means the default: on."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "topic", name="uq_preference_user_topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    #: approvals (later: chats, signatures, …)
    topic: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(default=True)


class SweepStatus(db.Model):
    """One row: when the last sweep ran and what it did (for `flask reminders status`)."""

    __tablename__ = "sweep_status"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminders: Mapped[int] = mapped_column(default=0)
    emails: Mapped[int] = mapped_column(default=0)
    requeued: Mapped[int] = mapped_column(default=0)
