"""Chat threads (an action item: the client should reply) and their messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.auth.models import User
from dashboard.clock import now
from dashboard.dbtypes import UTCDateTime
from dashboard.extensions import db
from dashboard.items.models import ActionItem
from dashboard.reminders.cascade import TemplateReminders


class ChatThread(ActionItem):
    """Pending while the latest message is the firm's and the thread is open."""

    __tablename__ = "chat_thread"

    id: Mapped[int] = mapped_column(ForeignKey("action_item.id"), primary_key=True)
    #: Shown in the chat lists.
    subject: Mapped[str] = mapped_column(String(200))
    #: Set while the thread is archived; reopening clears it.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Last message, any side: orders the chat lists.
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    __mapper_args__ = {"polymorphic_identity": "chat"}


class ChatMessage(db.Model):
    __tablename__ = "chat_message"
    __table_args__ = (
        Index("ix_chat_message_thread_time", "thread_id", "created_at"),
        # A thread's newest page, *Load earlier* and "after id N" polls: ranges on id.
        Index("ix_chat_message_thread_id", "thread_id", "id"),
        # Unread counts: only one side's messages after the last read one are visited.
        Index("ix_chat_message_thread_side", "thread_id", "from_client", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("chat_thread.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    #: True when a client wrote it.
    from_client: Mapped[bool] = mapped_column(default=False)
    #: Sanitised HTML (dashboard.chats.richtext.sanitize); never stored unsanitised.
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    author: Mapped[User] = relationship()


class ChatRead(db.Model):
    """How far a person has read a thread, for unread counts."""

    __tablename__ = "chat_read"
    __table_args__ = (UniqueConstraint("thread_id", "user_id", name="uq_chat_read_thread_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("chat_thread.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    #: The newest message this person has seen.
    last_read_message_id: Mapped[int] = mapped_column(default=0)


class ChatTask(db.Model):
    """C9: a checklist item attached to a firm message, ticked by the client."""

    __tablename__ = "chat_task"
    __table_args__ = (Index("ix_chat_task_message", "message_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("chat_thread.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("chat_message.id"))
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(String(300))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class MessageTemplate(TemplateReminders, db.Model):
    """R7: a firm's chat template; a chat created from it starts with its settings."""

    __tablename__ = "message_template"
    __table_args__ = (
        UniqueConstraint("firm_id", "name", name="uq_message_template_firm_name"),
        CheckConstraint("interval_days BETWEEN 1 AND 365", name="interval_days"),
        CheckConstraint("max_count BETWEEN 0 AND 10", name="max_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: *Send reminders to clients*, days and number.
    reminders_enabled: Mapped[bool] = mapped_column(default=True)
    interval_days: Mapped[int] = mapped_column(default=3)
    max_count: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class ChatAttachment(db.Model):
    """C7: a document shared in a message; it stays a document of the account's folders."""

    __tablename__ = "chat_attachment"
    __table_args__ = (
        UniqueConstraint("message_id", "document_id", name="uq_chat_attachment_message_document"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("chat_message.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
