"""A worker process dies mid-batch: is any email sent twice, or lost?

The worker is a real `rq worker --burst` process configured from the environment (as in
production); it is killed with SIGKILL (no clean-up of any kind) while the SMTP server holds
one of its emails, before answering.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from dashboard.extensions import db
from dashboard.notify.models import OutboxEmail
from dashboard.reminders.sweep import sweep
from tests.factories import make_approval, make_contact


def test_worker_killed_mid_batch_then_restarted_sends_each_email_once(
    ctx, world, sink, workers, redis_queue, frozen_clock
):
    """A worker is killed while the SMTP server holds the 4th of 8 emails of its batch: the
    3 accepted stay sent, the 4th was never acknowledged and is still queued; once the sweep
    has re-enqueued what was left, a new worker process sends each remaining email, and every
    recipient ends up with exactly one message, carrying its outbox row's Message-ID."""
    start = datetime.now(UTC)  # the worker processes run on the real clock
    frozen_clock(start)
    for n in range(7):
        make_contact(world.a.account, name=f"Contact {n}")
    db.session.commit()
    request = make_approval(world.a.staff, world.a.documents["view"], enabled=False)
    rows = list(
        db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.item_id == request.id).order_by(OutboxEmail.id)
        )
    )
    assert len(rows) == 8 and len(redis_queue.job_ids) == 1  # one job for the whole batch
    expected = {row.to_email: row.message_id for row in rows}

    sink.delay = 0.2
    first = workers.start(sink.port)
    sink.wait_for(lambda: sink.data_started >= 4, timeout=30)
    workers.kill(first)
    sink.wait_for(lambda: sink.abandoned == 1)  # the 4th email never got its 250
    assert [a.to for a in sink.snapshot()] == [row.to_email for row in rows[:3]]

    db.session.expire_all()
    states = [db.session.get(OutboxEmail, row.id).state for row in rows]
    assert states == ["sent"] * 3 + ["queued"] * 5  # the send in progress was rolled back

    # The killed job is gone with its worker; the sweep finds the rows still queued
    # (once OUTBOX_REQUEUE_AFTER_SECONDS have passed) and enqueues them again.
    frozen_clock(start + timedelta(seconds=30))
    assert sweep().requeued == 0  # too early: the job could still be running
    frozen_clock(start + timedelta(minutes=3))
    assert sweep().requeued == 5
    sink.delay = 0.0
    second = workers.start(sink.port)
    workers.finish(second)

    accepted = sink.snapshot()
    assert sorted(a.to for a in accepted) == sorted(expected)  # each exactly once
    assert {a.to: a.message_id for a in accepted} == expected
    db.session.expire_all()
    final = [db.session.get(OutboxEmail, row.id) for row in rows]
    assert [(row.state, row.attempts) for row in final] == [("sent", 1)] * 8
