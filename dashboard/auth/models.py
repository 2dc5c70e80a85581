"""Firms and the people who log in: staff (owner, admin, employee) and clients."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Date, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.clock import now
from dashboard.dbtypes import UTCDateTime
from dashboard.extensions import db

LANGUAGES = ("en", "fr", "pt_PT", "nl")
STAFF_ROLES = ("owner", "admin", "employee")
ROLES = (*STAFF_ROLES, "client")


class Firm(db.Model):
    __tablename__ = "firm"
    __table_args__ = (
        CheckConstraint("default_language IN ('en', 'fr', 'pt_PT', 'nl')", name="language"),
        CheckConstraint("reminder_interval_days BETWEEN 1 AND 365", name="reminder_interval"),
        CheckConstraint("reminder_max_count BETWEEN 0 AND 10", name="reminder_count"),
        CheckConstraint(
            "window_start_hour >= 0 AND window_end_hour <= 24 "
            "AND window_start_hour < window_end_hour",
            name="window",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The firm's name as its clients know it.
    name: Mapped[str] = mapped_column(String(200))
    #: Language used when neither the user nor the browser says otherwise.
    default_language: Mapped[str] = mapped_column(String(8), default="en")
    #: IANA time zone, used to show times and (later) for send windows.
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    #: Firm defaults for automatic reminders (B8: firm default → template/automation → item).
    reminders_enabled: Mapped[bool] = mapped_column(default=True)
    reminder_interval_days: Mapped[int] = mapped_column(default=3)
    reminder_max_count: Mapped[int] = mapped_column(default=1)
    #: Send window for reminders (B1), in the recipient's local time: [start, end) hours.
    window_start_hour: Mapped[int] = mapped_column(default=9)
    window_end_hour: Mapped[int] = mapped_column(default=17)
    #: ISO weekdays on which reminders go out, e.g. "12345" for Monday to Friday.
    window_weekdays: Mapped[str] = mapped_column(String(7), default="12345")
    #: May clients start conversations themselves (C3)?
    clients_can_start_chats: Mapped[bool] = mapped_column(default=True)
    #: B3: several reminders due for one contact on the same local day go as one email.
    digest_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    #: B9: firm-wide pause (office closure): no automatic reminder goes before this day
    #: (the recipient's local date); NULL or a past day: not paused.
    reminders_paused_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class User(UserMixin, db.Model):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint("role IN ('owner', 'admin', 'employee', 'client')", name="role"),
        CheckConstraint(
            "language IS NULL OR language IN ('en', 'fr', 'pt_PT', 'nl')", name="language"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Staff and clients both belong to exactly one firm.
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    #: Login name; stored lower-case, unique across the installation.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Argon2id hash; NULL for a client who was never given portal access.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    #: The user's own choice; NULL means "follow the browser, then the firm".
    language: Mapped[str | None] = mapped_column(String(8))
    #: IANA time zone for a client; NULL means the firm's.
    time_zone: Mapped[str | None] = mapped_column(String(64))
    #: Set when the address answered a permanent SMTP failure: no more reminders go to it.
    email_bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Part of the session identity: rotating it (at logout) invalidates every old cookie.
    session_token: Mapped[str] = mapped_column(
        String(64), default=lambda: secrets.token_urlsafe(24)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    firm: Mapped[Firm] = relationship(lazy="joined")

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def get_id(self) -> str:
        """Flask-Login stores this in the session; it changes when the session is revoked."""
        return f"{self.id}:{self.session_token}"

    def rotate_session_token(self) -> None:
        self.session_token = secrets.token_urlsafe(24)
