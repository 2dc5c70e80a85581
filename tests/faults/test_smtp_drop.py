"""The SMTP server drops the connection in the middle of a batch: is the email retried, and
delivered once?"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from dashboard.extensions import db
from dashboard.notify.models import OutboxEmail
from dashboard.reminders.sweep import sweep
from tests.factories import make_approval, make_contact

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("step", ["data", "rcpt"])
def test_connection_dropped_mid_batch_is_retried_and_delivered_once(
    step, ctx, world, sink, run_worker, frozen_clock
):
    """The server hangs up on the 3rd of 6 emails of one job (after receiving its content
    without answering, or at RCPT TO): the others go (the 4th to 6th on a new connection), the
    3rd waits for its backoff (not sent at the next sweep), then goes once."""
    frozen_clock(MONDAY_10)
    for n in range(5):
        make_contact(world.a.account, name=f"Contact {n}")
    db.session.commit()
    request = make_approval(world.a.staff, world.a.documents["view"], enabled=False)
    rows = list(
        db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.item_id == request.id).order_by(OutboxEmail.id)
        )
    )
    assert len(rows) == 6
    victim = rows[2]
    sink.drop[victim.to_email] = step

    run_worker()
    assert sink.dropped == [(victim.to_email, step)]
    assert [a.to for a in sink.snapshot()] == [r.to_email for r in rows if r is not victim]
    db.session.refresh(victim)
    assert (victim.state, victim.attempts) == ("queued", 1)
    assert victim.next_attempt_at == MONDAY_10 + timedelta(minutes=1)
    assert victim.last_error

    frozen_clock(MONDAY_10 + timedelta(seconds=30))
    assert sweep().requeued == 0  # backing off
    frozen_clock(MONDAY_10 + timedelta(minutes=2))
    assert sweep().requeued == 1
    run_worker()
    frozen_clock(MONDAY_10 + timedelta(minutes=10))
    assert sweep().requeued == 0

    expected = {row.to_email: row.message_id for row in rows}
    accepted = sink.snapshot()
    assert sorted(a.to for a in accepted) == sorted(expected)  # each exactly once
    assert {a.to: a.message_id for a in accepted} == expected
    db.session.expire_all()
    states = [(r.state, r.attempts) for r in rows]  # reloaded after expire_all()
    assert states == [("sent", 1)] * 2 + [("sent", 2)] + [("sent", 1)] * 3
