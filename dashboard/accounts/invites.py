"""Portal invitations: a single-use, expiring link that lets a contact set a password."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.auth.models import User
from dashboard.clock import now
from dashboard.dbtypes import UTCDateTime
from dashboard.extensions import db


def hash_token(token: str) -> str:
    """The SHA-256 of an invitation token: what the database keeps instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


class PortalInvite(db.Model):
    __tablename__ = "portal_invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    #: The client who may set a password with this link.
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    #: The account from whose Info tab the invitation was sent.
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    #: SHA-256 of the token in the link; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Set when the link was used to set a password (single use).
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Set when a newer invitation replaced this one.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id])
