"""Authentication rules: who may log in, and ending sessions."""

from __future__ import annotations

from sqlalchemy import select

from dashboard.accounts.models import Contact
from dashboard.auth.models import LANGUAGES, User
from dashboard.auth.passwords import hash_password, needs_rehash, verify_password
from dashboard.extensions import db


def authenticate(email: str, password: str) -> User | None:
    """The user with these credentials who may log in now, or None."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if not verify_password(user.password_hash if user else None, password):
        return None
    assert user is not None and user.password_hash is not None
    if not user.is_staff and not has_portal_access(user):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def has_portal_access(user: User) -> bool:
    return (
        db.session.scalar(
            select(Contact.id).where(Contact.user_id == user.id, Contact.portal_access.is_(True))
        )
        is not None
    )


def end_session(user: User) -> None:
    """Invalidate every cookie issued for this user's current session token."""
    user.rotate_session_token()


def set_language(user: User, language: str | None) -> None:
    """Store the user's language; None goes back to the browser's or the firm's."""
    if language is not None and language not in LANGUAGES:
        raise ValueError(language)
    user.language = language
