"""Documents: files kept on disk under the instance folder, described in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.accounts.models import Folder
from dashboard.auth.models import User
from dashboard.clock import now
from dashboard.dbtypes import UTCDateTime
from dashboard.extensions import db


class Document(db.Model):
    __tablename__ = "document"
    __table_args__ = (
        Index("ix_document_folder_activity", "folder_id", "last_activity_at"),
        # The firm's Documents page: its recent documents, latest activity first.
        Index("ix_document_firm_activity", "firm_id", "last_activity_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    folder_id: Mapped[int] = mapped_column(ForeignKey("folder.id"))
    #: File name shown to users (a zip's inner path keeps its sub-folders, e.g. "2025/bank.pdf").
    name: Mapped[str] = mapped_column(String(255))
    #: Path of the bytes relative to UPLOAD_DIR; never derived from user input.
    storage_key: Mapped[str] = mapped_column(String(255), unique=True)
    #: SHA-256 of the content, hex.
    content_hash: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(127))
    description: Mapped[str] = mapped_column(Text, default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    #: Last upload, view or status change; orders the Recent list.
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    folder: Mapped[Folder] = relationship()
    uploaded_by: Mapped[User | None] = relationship()

    @property
    def extension(self) -> str:
        _, dot, ext = self.name.rpartition(".")
        return ext.lower() if dot else ""
