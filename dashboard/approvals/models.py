"""ApprovalRequest: a document the client is asked to approve or disapprove."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.auth.models import User
from dashboard.dbtypes import UTCDateTime
from dashboard.documents.models import Document
from dashboard.items.models import ActionItem


class ApprovalRequest(ActionItem):
    __tablename__ = "approval_request"
    __table_args__ = (
        CheckConstraint(
            "decision IS NULL OR decision IN ('approved', 'rejected')", name="decision"
        ),
    )

    id: Mapped[int] = mapped_column(ForeignKey("action_item.id"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    #: The firm's message shown with the request (plain text).
    message: Mapped[str] = mapped_column(Text, default="")
    #: approved or rejected, once the client decided.
    decision: Mapped[str | None] = mapped_column(String(16))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: Reasons the client ticked when disapproving (stable keys, translated on display).
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(Text, default="")

    document: Mapped[Document] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __mapper_args__ = {"polymorphic_identity": "approval"}
