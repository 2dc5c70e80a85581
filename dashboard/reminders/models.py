"""Reminder: the automatic-reminder state of one action item."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.dbtypes import UTCDateTime
from dashboard.extensions import db
from dashboard.items.models import ActionItem

INTERVAL_RANGE = (1, 365)
COUNT_RANGE = (0, 10)


class Reminder(db.Model):
    __tablename__ = "reminder"
    __table_args__ = (
        CheckConstraint("interval_days BETWEEN 1 AND 365", name="interval_days"),
        CheckConstraint("max_count BETWEEN 0 AND 10", name="max_count"),
        CheckConstraint("sent_count >= 0", name="sent_count"),
        # The sweep reads only what is due: its cost follows the due count, not the table size.
        Index(
            "ix_reminder_due",
            "next_at",
            postgresql_where=text("next_at IS NOT NULL"),
            sqlite_where=text("next_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("action_item.id"), unique=True)
    #: The *Reminders* toggle.
    enabled: Mapped[bool] = mapped_column(default=False)
    #: Days until next reminder (local calendar days in the recipient's time zone).
    interval_days: Mapped[int] = mapped_column(default=3)
    #: Number of reminders.
    max_count: Mapped[int] = mapped_column(default=1)
    #: Incremented each time the item is sent again (a chat's new message): keeps the email
    #: idempotency keys of one round apart from the next.
    round: Mapped[int] = mapped_column(default=1)
    #: Automatic reminders already sent.
    sent_count: Mapped[int] = mapped_column(default=0)
    #: When the timer last (re)started: the notification, the last reminder or a resend.
    timer_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The next automatic reminder (UTC); NULL when none is due.
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Why no further reminder will go: completed, disabled, count_reached, no_recipients;
    #: or "paused" (B9): the due reminder was put off to the end of a pause (`next_at`).
    stopped_reason: Mapped[str | None] = mapped_column(String(32))
    #: Where the toggle, days and number came from (B8): "firm" default, "template",
    #: "automation", or "item" (staff set them for this item).
    origin: Mapped[str] = mapped_column(String(16), default="item")

    item: Mapped[ActionItem] = relationship(backref=db.backref("reminder", uselist=False))
