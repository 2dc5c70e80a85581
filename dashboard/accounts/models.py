"""Client accounts of a firm, their contacts and their top-level folders."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.auth.models import User
from dashboard.clock import now
from dashboard.dbtypes import UTCDateTime
from dashboard.extensions import db

FOLDER_ACCESS = ("private", "view", "edit")


class Account(db.Model):
    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The owning firm; every query for accounts filters on it.
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    #: Company or person name shown in the Clients list.
    name: Mapped[str] = mapped_column(String(200))
    #: B9: staff paused this client's automatic reminders (a holiday): none goes before this
    #: day (the recipient's local date); NULL or a past day: not paused.
    reminders_paused_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    contacts: Mapped[list[Contact]] = relationship(
        back_populates="account", order_by="Contact.id", cascade="all, delete-orphan"
    )
    folders: Mapped[list[Folder]] = relationship(
        back_populates="account", order_by="Folder.name", cascade="all, delete-orphan"
    )


class Contact(db.Model):
    """A person linked to an account; their name, email and language live on the User."""

    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("account_id", "user_id", name="uq_contact_account_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Denormalised from the account so tenancy filters need no join.
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    #: May this contact log into the client portal for this account?
    portal_access: Mapped[bool] = mapped_column(default=True)
    #: NOTIFY: does this contact receive the emails about the account's action items?
    notify: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    account: Mapped[Account] = relationship(back_populates="contacts")
    user: Mapped[User] = relationship(lazy="joined")


class Folder(db.Model):
    __tablename__ = "folder"
    __table_args__ = (
        # Names are unique among siblings: top-level folders per account (partial index,
        # since NULL parents never collide in a UNIQUE constraint), sub-folders per parent.
        Index(
            "uq_folder_top_level_name",
            "account_id",
            "name",
            unique=True,
            sqlite_where=text("parent_id IS NULL"),
            postgresql_where=text("parent_id IS NULL"),
        ),
        UniqueConstraint("parent_id", "name", name="uq_folder_parent_name"),
        CheckConstraint("access IN ('private', 'view', 'edit')", name="access"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    #: The folder this one sits in (a zip's or an uploaded folder's inner folders); NULL for
    #: a top-level folder. A sub-folder carries its top-level folder's access (kept in step).
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("folder.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    #: private: firm only · view: client can view · edit: client can view and edit (upload).
    access: Mapped[str] = mapped_column(String(8), default="private")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    account: Mapped[Account] = relationship(back_populates="folders")

    @property
    def client_can_view(self) -> bool:
        return self.access in ("view", "edit")

    @property
    def client_can_edit(self) -> bool:
        return self.access == "edit"
