"""The audit trail: one append-only row per thing that happened."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.auth.models import User
from dashboard.clock import now
from dashboard.dbtypes import UTCDateTime
from dashboard.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_account_time", "account_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    #: The client account it concerns, when there is one.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    #: Who did it; NULL for the system (workers, automations).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: What it happened to, e.g. ("document", 12).
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int | None]
    #: A stable verb, e.g. "document.uploaded"; the UI translates it.
    action: Mapped[str] = mapped_column(String(64))
    #: Facts kept as they were at the time (names, old and new values).
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    actor: Mapped[User | None] = relationship()


class AuditTrailIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(mapper, connection, target) -> None:
    raise AuditTrailIsAppendOnly("audit events are never changed or deleted")
