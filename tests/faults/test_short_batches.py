"""A short batch is not an empty due set: does the sweep go on while reminders are due?

On PostgreSQL a claim skips rows another transaction holds (FOR UPDATE SKIP LOCKED), and the
LIMIT is applied before the lock: a batch can claim fewer rows than the batch size while more
are due. Another connection holds the earliest due rows locked, as a second sweep would.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text, update

from dashboard.extensions import db
from dashboard.notify.models import OutboxEmail
from dashboard.reminders.models import Reminder
from dashboard.reminders.sweep import sweep
from tests.factories import make_folder
from tests.faults.conftest import request_many

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.mark.postgres
def test_rows_locked_by_another_connection_do_not_end_the_sweep(ctx, world, frozen_clock):
    """Ten due, the two earliest locked elsewhere, batches of five: are the other eight sent
    in this sweep, and the two locked ones by the next sweep once they are released?"""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED row locks exist on PostgreSQL only")
    frozen_clock(MONDAY_10)
    folder = make_folder(world.a.account, "Locked", "view")
    request_many(world.a.staff, folder, 10)
    ordered = list(db.session.scalars(select(Reminder.id).order_by(Reminder.id)))
    for minutes, reminder_id in enumerate(ordered):
        db.session.execute(
            update(Reminder)
            .where(Reminder.id == reminder_id)
            .values(next_at=MONDAY_10 + timedelta(minutes=minutes))
        )
    db.session.commit()
    moment = MONDAY_10 + timedelta(hours=2)
    frozen_clock(moment)
    held = ordered[:2]

    with db.engine.connect() as other:
        other.execute(
            text("SELECT id FROM reminder WHERE id = ANY(:ids) FOR UPDATE"), {"ids": held}
        ).all()
        result = sweep(moment, batch_size=5)
        assert result.reminders == 8
        other.rollback()

    db.session.expire_all()
    still_due = set(db.session.scalars(select(Reminder.id).where(Reminder.sent_count == 0)))
    assert still_due == set(held)
    assert sweep(moment, batch_size=5).reminders == 2
    emails = db.session.scalar(
        select(func.count(OutboxEmail.id)).where(OutboxEmail.purpose == "reminder")
    )
    assert emails == 10 * len({world.a.contact.user_id})


def test_a_short_claim_does_not_end_the_sweep(ctx, world, frozen_clock, monkeypatch):
    """The first claim comes back short (as when another sweep's rows drop out of it): does
    the sweep still send every due reminder before it stops?"""
    from dashboard.reminders import sweep as sweep_module

    frozen_clock(MONDAY_10)
    folder = make_folder(world.a.account, "Short", "view")
    request_many(world.a.staff, folder, 12)
    db.session.execute(update(Reminder).values(next_at=MONDAY_10 + timedelta(minutes=1)))
    db.session.commit()
    moment = MONDAY_10 + timedelta(hours=2)
    frozen_clock(moment)
    real_claim, claims = sweep_module.claim_due, []

    def claim_short_once(at, batch_size):
        claimed = real_claim(at, 2 if not claims else batch_size)
        claims.append(len(claimed))
        return claimed

    monkeypatch.setattr(sweep_module, "claim_due", claim_short_once)
    assert sweep(moment, batch_size=5).reminders == 12
    assert claims == [2, 5, 5, 0]


def test_a_claim_never_takes_more_than_the_batch(ctx, world, frozen_clock):
    """Forty due, batches of three: does every claim take at most three (PostgreSQL may rescan
    an `IN (SELECT … LIMIT)` subquery while updating, and each rescan adds rows)?"""
    from dashboard.reminders.sweep import claim_due

    frozen_clock(MONDAY_10)
    folder = make_folder(world.a.account, "Many", "view")
    request_many(world.a.staff, folder, 40)
    db.session.execute(update(Reminder).values(next_at=MONDAY_10 + timedelta(minutes=1)))
    db.session.commit()
    moment = MONDAY_10 + timedelta(hours=2)
    sizes = []
    while True:
        claimed = claim_due(moment, 3)
        if not claimed:
            break
        sizes.append(len(claimed))
        db.session.execute(update(Reminder).where(Reminder.id.in_(claimed)).values(next_at=None))
        db.session.commit()
    db.session.rollback()
    assert max(sizes) == 3 and sum(sizes) == 40
