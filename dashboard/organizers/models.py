"""Organizer templates, organizers (an action item the client fills and submits), answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.clock import now
from dashboard.dbtypes import UTCDateTime
from dashboard.extensions import db
from dashboard.items.models import ActionItem
from dashboard.reminders.cascade import TemplateReminders

ORGANIZER_STATES = ("open", "submitted", "sealed", "cancelled")


class OrganizerTemplate(TemplateReminders, db.Model):
    """Questions in sections, where uploaded files go, and the reminders it is sent with."""

    __tablename__ = "organizer_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")
    #: The account's folder (client-visible) that file questions upload into.
    folder_name: Mapped[str] = mapped_column(String(200), default="Organizer uploads")
    #: [{"key", "section", "type", "label", "help", "required", "options", "show_if"}]
    questions: Mapped[list[dict]] = mapped_column(JSON, default=list)
    reminders_enabled: Mapped[bool] = mapped_column(default=True)
    interval_days: Mapped[int] = mapped_column(Integer, default=7)
    max_count: Mapped[int] = mapped_column(Integer, default=2)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Organizer(ActionItem):
    """An organizer sent to an account: its questions frozen from the template at sending."""

    __tablename__ = "organizer"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'submitted', 'sealed', 'cancelled')", name="state"),
    )

    id: Mapped[int] = mapped_column(ForeignKey("action_item.id"), primary_key=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("organizer_template.id"))
    state: Mapped[str] = mapped_column(String(10), default="open")
    message: Mapped[str] = mapped_column(Text, default="")
    intro: Mapped[str] = mapped_column(Text, default="")
    folder_name: Mapped[str] = mapped_column(String(200), default="Organizer uploads")
    questions: Mapped[list[dict]] = mapped_column(JSON, default=list)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sealed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: The answers as a PDF sealed (PAdES) when the organizer was sealed: the evidence kept.
    sealed_pdf_key: Mapped[str | None] = mapped_column(String(255))

    answers: Mapped[list[OrganizerAnswer]] = relationship(
        back_populates="organizer", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"polymorphic_identity": "organizer"}


class OrganizerAnswer(db.Model):
    """The client's answer to one question, saved as they go."""

    __tablename__ = "organizer_answer"
    __table_args__ = (UniqueConstraint("organizer_id", "key", name="uq_organizer_answer_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(ForeignKey("organizer.id"), index=True)
    key: Mapped[str] = mapped_column(String(16))
    #: A string, a list of strings (multiple choice) or, for a file, the file's name.
    value: Mapped[object] = mapped_column(JSON)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)

    organizer: Mapped[Organizer] = relationship(back_populates="answers")
