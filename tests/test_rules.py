"""Unit tests for small rules: the clock, file names, the audit trail, session identity."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from dashboard import clock
from dashboard.audit.models import AuditEvent, AuditTrailIsAppendOnly
from dashboard.audit.service import record_event
from dashboard.documents.uploads import clean_name
from dashboard.extensions import db


def test_clock_can_be_frozen_and_released():
    """Can tests move time, and only with aware datetimes?"""
    moment = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    clock.set_now(moment)
    try:
        assert clock.now() == moment
    finally:
        clock.set_now(None)
    assert clock.now().tzinfo is not None
    with pytest.raises(ValueError):
        clock.set_now(datetime(2026, 1, 1))


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("../../etc/passwd", "etc/passwd"),
        ("C:\\Users\\me\\tax.pdf", "C_/Users/me/tax.pdf"),
        ("a/./b/../c.pdf", "a/b/c.pdf"),
        ("bad\x00name.pdf", "bad_name.pdf"),
        ("", "file"),
        ("  spaced .pdf", "spaced .pdf"),
    ],
)
def test_clean_name(raw, expected):
    """Are display names stripped of climbing paths and control characters?"""
    assert clean_name(raw) == expected


def test_audit_events_cannot_be_changed_or_deleted(ctx, world):
    """Is the audit trail append-only through the ORM?"""
    event = record_event(
        firm_id=world.a.firm.id,
        account_id=world.a.account.id,
        actor=world.a.staff,
        subject_type="account",
        subject_id=world.a.account.id,
        action="folder.created",
        folder="X",
    )
    db.session.commit()
    event.action = "something.else"
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.scalar(select(AuditEvent).where(AuditEvent.id == event.id)))
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.commit()
    db.session.rollback()


def test_times_are_stored_and_read_as_utc(ctx, world):
    """Does a stored time come back timezone-aware and equal?"""
    moment = datetime(2026, 10, 25, 0, 59, 59, tzinfo=UTC)
    world.a.account.created_at = moment
    db.session.commit()
    db.session.expire_all()
    assert world.a.account.created_at == moment
    assert world.a.account.created_at.tzinfo is not None


def test_session_identity_changes_at_logout(ctx, world):
    """Does rotating the session token change what the cookie must carry?"""
    user = world.a.staff
    before = user.get_id()
    user.rotate_session_token()
    assert user.get_id() != before and user.get_id().startswith(f"{user.id}:")
