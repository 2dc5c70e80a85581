"""Two schedulers at once: does every due reminder go exactly once?

Two sweeps run in two threads, each with its own app context (its own session and database
connection), over the same 1,000 due reminders, on the test database (SQLite, or PostgreSQL
when DATABASE_URL says so).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from dashboard.audit.models import AuditEvent
from dashboard.extensions import db
from dashboard.notify.models import InboxEntry, OutboxEmail
from dashboard.reminders.models import Reminder
from dashboard.reminders.sweep import SweepResult, sweep
from tests.factories import make_contact, make_folder
from tests.faults.conftest import request_many

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ITEMS = 1000


def run_concurrently(app, *calls):
    """Run each call in its own thread and app context, released together; re-raise errors."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call) -> None:
        try:
            with app.app_context():
                barrier.wait(10)
                results[index] = call()
        except BaseException as error:  # re-raised in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "a sweep never finished"
    if errors:
        raise errors[0]
    return results


def test_two_sweeps_over_1000_due_reminders_send_each_once(
    app, ctx, world, redis_queue, frozen_clock
):
    """Two sweeps at the same moment over 1,000 due reminders: one email per reminder number
    per recipient, every sent_count is 1, and between them the sweeps did all the work."""
    frozen_clock(MONDAY_10)
    second = make_contact(world.a.account, name="Second Contact")
    folder = make_folder(world.a.account, "Bulk", "view")
    ids = request_many(world.a.staff, folder, ITEMS, max_count=2)
    recipients = {world.a.contact.user_id, second.user_id}
    # Everything due now: one UPDATE instead of waiting three days.
    db.session.execute(update(Reminder).values(next_at=MONDAY_10 + timedelta(hours=1)))
    db.session.commit()
    moment = MONDAY_10 + timedelta(hours=2)
    frozen_clock(moment)

    first_result, second_result = run_concurrently(
        app,
        lambda: sweep(moment, batch_size=100),
        lambda: sweep(moment, batch_size=100),
    )

    assert isinstance(first_result, SweepResult) and isinstance(second_result, SweepResult)
    assert first_result.reminders + second_result.reminders == ITEMS
    assert first_result.emails + second_result.emails == ITEMS * len(recipients)
    if db.engine.dialect.name == "postgresql":
        # Row locks, not a database lock: the two sweeps really shared the work. (SQLite has
        # one writer at a time, so there one sweep may well take every batch.)
        assert first_result.reminders and second_result.reminders
    db.session.expire_all()
    copies = db.session.execute(
        select(
            OutboxEmail.item_id,
            OutboxEmail.recipient_id,
            OutboxEmail.reminder_number,
            func.count(OutboxEmail.id),
        )
        .where(OutboxEmail.purpose == "reminder")
        .group_by(OutboxEmail.item_id, OutboxEmail.recipient_id, OutboxEmail.reminder_number)
    ).all()
    assert len(copies) == ITEMS * len(recipients)
    assert {count for *_, count in copies} == {1}, "a reminder was written twice"
    assert {(item, number) for item, _, number, _ in copies} == {(i, 1) for i in ids}
    assert {recipient for _, recipient, _, _ in copies} == recipients
    sent_counts = db.session.execute(
        select(Reminder.sent_count, func.count(Reminder.id)).group_by(Reminder.sent_count)
    ).all()
    assert sent_counts == [(1, ITEMS)]
    # Rescheduled once, for the second reminder three days later (not due again now).
    assert (
        db.session.scalar(select(func.count(Reminder.id)).where(Reminder.next_at > moment)) == ITEMS
    )
    audits = db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "reminder.sent")
    )
    assert audits == ITEMS

    # A third sweep afterwards finds nothing left to send.
    assert sweep(moment).reminders == 0
    assert db.session.scalar(select(func.count(InboxEntry.id))) == 0  # max_count not reached
