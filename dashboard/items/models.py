"""ActionItem: one table every kind extends (joined-table inheritance on `kind`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.accounts.models import Account
from dashboard.auth.models import User
from dashboard.clock import now
from dashboard.dbtypes import UTCDateTime
from dashboard.extensions import db

#: A draft (an invoice not issued yet) is nobody's to-do and has no reminders.
ITEM_STATUSES = ("draft", "pending", "completed", "cancelled")


class ActionItem(db.Model):
    __tablename__ = "action_item"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'pending', 'completed', 'cancelled')", name="status"),
        # The client's Pending action list: pending items of an account, latest bump first.
        Index(
            "ix_action_item_pending_bumped",
            "account_id",
            "bumped_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    #: Discriminator: "approval", later "signature", "chat", "organizer", "proposal", "invoice".
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    #: A short name for lists, emails and the audit trail (the document's name, a subject…),
    #: kept here so the sweep and the lists need no join into the kind's own table.
    title: Mapped[str] = mapped_column(String(255), default="")
    #: Why it stopped being pending, e.g. "approved", "rejected", "cancelled".
    outcome: Mapped[str | None] = mapped_column(String(32))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Sent or last resent: orders the client's to-do list (most recent on top).
    bumped_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    account: Mapped[Account] = relationship()
    sent_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "item"}

    @property
    def is_pending(self) -> bool:
        return self.status == "pending"
