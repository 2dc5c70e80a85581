"""Portal invitations: a single-use, expiring link that lets a contact set a password."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.accounts.models import Account, Contact
from dashboard.audit.service import record_event
from dashboard.auth.models import Firm, User
from dashboard.auth.passwords import hash_password
from dashboard.clock import now
from dashboard.dbtypes import UTCDateTime
from dashboard.extensions import db
from dashboard.notify.emails import RenderedEmail, absolute_url, register_email
from dashboard.notify.models import OutboxEmail
from dashboard.notify.outbox import queue_email

#: How long an invitation link works.
INVITE_VALID_DAYS = 7
#: Shortest portal password accepted.
MIN_PASSWORD_LENGTH = 10


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


class InviteError(ValueError):
    """The contact cannot be invited (no portal access), or a link cannot be used."""


def _token_for(invite: PortalInvite) -> str:
    """The link's token: an HMAC under the app's secret of the invitation's identity.

    So the outbox row needs no token (the worker derives it when it renders the email) and
    the database holds only its hash: reading the database is not enough to use a link.
    """
    assert invite.created_at is not None
    message = f"portal-invite:{invite.id}:{invite.user_id}:{int(invite.created_at.timestamp())}"
    digest = hmac.new(
        current_app.config["SECRET_KEY"].encode(), message.encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def invite_path(invite: PortalInvite) -> str:
    return f"/invite/{_token_for(invite)}"


def invite_contact(actor: User, contact: Contact) -> PortalInvite:
    """Email the contact a link to set a portal password; earlier links stop working."""
    if not contact.portal_access:
        raise InviteError("no_portal_access")
    moment = now()
    revoke_open_invites(contact.user_id, moment)
    invite = PortalInvite(
        firm_id=contact.firm_id,
        user_id=contact.user_id,
        account_id=contact.account_id,
        created_by_id=actor.id,
        # Replaced below, once the id (part of the token) is known.
        token_hash=secrets.token_hex(32),
        created_at=moment,
        expires_at=moment + timedelta(days=INVITE_VALID_DAYS),
    )
    db.session.add(invite)
    db.session.flush()
    invite.token_hash = hash_token(_token_for(invite))
    queue_email(
        firm_id=contact.firm_id,
        key=f"invite:{invite.id}",
        purpose="portal_invite",
        to=contact.user,
        context={"invite_id": invite.id, "inviter": actor.name},
    )
    record_event(
        firm_id=contact.firm_id,
        account_id=contact.account_id,
        actor=actor,
        subject_type="contact",
        subject_id=contact.id,
        action="contact.invited",
        contact=contact.user.name,
    )
    db.session.flush()
    return invite


def revoke_open_invites(user_id: int, moment: datetime) -> None:
    db.session.execute(
        update(PortalInvite)
        .where(
            PortalInvite.user_id == user_id,
            PortalInvite.used_at.is_(None),
            PortalInvite.revoked_at.is_(None),
        )
        .values(revoked_at=moment)
        .execution_options(synchronize_session=False)
    )


def open_invites(user_ids: list[int]) -> dict[int, PortalInvite]:
    """The usable invitation of each of these people (if any), in one query."""
    if not user_ids:
        return {}
    rows = db.session.scalars(
        select(PortalInvite).where(
            PortalInvite.user_id.in_(user_ids),
            PortalInvite.used_at.is_(None),
            PortalInvite.revoked_at.is_(None),
            PortalInvite.expires_at > now(),
        )
    )
    return {invite.user_id: invite for invite in rows}


def usable_invite(token: str) -> PortalInvite | None:
    """The invitation behind this link, if it is the latest, unused, unexpired one and its
    person still has portal access."""
    if not token or len(token) > 100:
        return None
    invite = db.session.scalar(
        select(PortalInvite).where(PortalInvite.token_hash == hash_token(token))
    )
    if (
        invite is None
        or invite.used_at is not None
        or invite.revoked_at is not None
        or invite.expires_at <= now()
    ):
        return None
    has_access = db.session.scalar(
        select(Contact.id).where(
            Contact.user_id == invite.user_id, Contact.portal_access.is_(True)
        )
    )
    return invite if has_access else None


def accept_invite(token: str, password: str) -> User:
    """Set the password from an invitation link, once; answers the user to log in."""
    invite = usable_invite(token)
    if invite is None:
        raise InviteError("invalid")
    if len(password) < MIN_PASSWORD_LENGTH or len(password) > 1000:
        raise InviteError("password")
    moment = now()
    # Conditional UPDATE: of two submissions of the same link, only one wins.
    won = db.session.execute(
        update(PortalInvite)
        .where(
            PortalInvite.id == invite.id,
            PortalInvite.used_at.is_(None),
            PortalInvite.revoked_at.is_(None),
        )
        .values(used_at=moment)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        raise InviteError("invalid")
    revoke_open_invites(invite.user_id, moment)
    user = invite.user
    user.password_hash = hash_password(password)
    user.rotate_session_token()
    contact_id = db.session.scalar(
        select(Contact.id).where(
            Contact.user_id == user.id, Contact.account_id == invite.account_id
        )
    )
    record_event(
        firm_id=invite.firm_id,
        account_id=invite.account_id,
        actor=user,
        subject_type="contact",
        subject_id=contact_id,
        action="contact.password_set",
        contact=user.name,
    )
    db.session.flush()
    return user


@register_email("portal_invite")
def render_invite_email(row: OutboxEmail, firm: Firm) -> RenderedEmail:
    """The invitation, in the recipient's language (the caller forced the locale)."""
    invite = db.session.get(PortalInvite, row.context.get("invite_id"))
    assert invite is not None
    account = db.session.get(Account, invite.account_id)
    context = {
        "name": row.recipient.name if row.recipient else "",
        "firm": firm.name,
        "account": account.name if account else "",
        "inviter": row.context.get("inviter", ""),
        "url": absolute_url(invite_path(invite)),
        "days": INVITE_VALID_DAYS,
        "email": row.to_email,
    }
    return RenderedEmail(
        subject=_("%(firm)s invites you to your client portal", firm=firm.name),
        text=render_template("emails/invite.txt", **context),
        html=render_template("emails/invite.html", **context),
    )
