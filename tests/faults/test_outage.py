"""After an outage (no sweep for days): does each overdue reminder go once, with no burst of
catch-up copies and none dropped?"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from dashboard.extensions import db
from dashboard.notify.models import InboxEntry, OutboxEmail
from dashboard.reminders.models import Reminder
from dashboard.reminders.sweep import sweep
from tests.factories import make_approval, make_contact, make_folder
from tests.faults.conftest import request_many

#: Monday 23 November 2026, 10:00 in Paris (the firm's time zone).
MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ITEMS = 35


def test_after_nine_days_without_a_sweep_each_overdue_reminder_goes_once(
    ctx, world, sink, run_worker, frozen_clock
):
    """Three reminders every 2 days, and no sweep for 9 days (all three were due by then):
    when the sweep comes back (every 30 s, in batches) each item gets one reminder, not
    three; the next ones follow the interval from that send; in the end every item got its
    3 reminders exactly once, per recipient, and its sender was told once (B5)."""
    frozen_clock(MONDAY_10)
    world.a.firm.digest_enabled = False  # one email per reminder (digests: test_digest_faults)
    second = make_contact(world.a.account, name="Second Contact")
    folder = make_folder(world.a.account, "Bulk", "view")
    ids = request_many(world.a.staff, folder, ITEMS, interval_days=2, max_count=3)
    run_worker()  # the notifications
    sink.reset()
    addresses = {world.a.contact.user.email, second.user.email}

    back = MONDAY_10 + timedelta(days=9)  # Wednesday 2 December, 10:00 Paris
    for tick in range(20):  # ten minutes of sweeps every 30 seconds
        frozen_clock(back + timedelta(seconds=30 * tick))
        result = sweep(batch_size=10)
        assert result.reminders == (ITEMS if tick == 0 else 0)
    run_worker()
    for address in addresses:
        subjects = [a.message["Subject"] for a in sink.to(address)]
        assert len(subjects) == ITEMS
        assert {s.split(":")[0] for s in subjects} == {"Reminder"}  # the 1st, once each

    moment = back
    while moment < back + timedelta(days=12):  # then a sweep every 6 hours
        moment += timedelta(hours=6)
        frozen_clock(moment)
        sweep(batch_size=10)
    run_worker()

    db.session.expire_all()
    sent: dict[tuple[int, str], list[tuple[int, datetime]]] = defaultdict(list)
    for row in db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.purpose == "reminder").order_by(OutboxEmail.id)
    ):
        assert row.state == "sent"
        sent[(row.item_id, row.to_email)].append((row.reminder_number, row.created_at))
    assert set(sent) == {(item, address) for item in ids for address in addresses}
    for series in sent.values():
        assert [number for number, _ in series] == [1, 2, 3]
        first, second_at, third = (when for _, when in series)
        assert first == back  # the overdue one, once, when the sweep came back
        assert second_at - first >= timedelta(days=2)  # from the actual send, not the plan
        assert third - second_at >= timedelta(days=2)
    for address in addresses:
        assert len(sink.to(address)) == 3 * ITEMS
    assert (
        db.session.scalar(
            select(func.count(Reminder.id)).where(
                Reminder.sent_count == 3, Reminder.stopped_reason == "count_reached"
            )
        )
        == ITEMS
    )
    assert (
        db.session.scalar(
            select(func.count(InboxEntry.id)).where(InboxEntry.topic == "reminders_exhausted")
        )
        == ITEMS
    )


def test_an_outage_ending_at_night_sends_the_overdue_reminder_when_the_window_opens(
    ctx, world, sink, run_worker, frozen_clock
):
    """The sweep comes back on Sunday at 03:00 (Paris), four days after a reminder fell due:
    the overdue reminder waits for the send window (B1) and goes once, on Monday at 09:00."""
    frozen_clock(MONDAY_10)
    request = make_approval(world.a.staff, world.a.documents["view"])
    run_worker()
    sink.reset()

    back = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)  # Sunday 29 November, 03:00 Paris
    monday_9 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday 09:00 Paris
    moment = back
    while moment <= monday_9 + timedelta(hours=2):  # a sweep every 30 minutes
        frozen_clock(moment)
        result = sweep()
        assert result.reminders == (1 if moment == monday_9 else 0), moment
        moment += timedelta(minutes=30)
    run_worker()

    [accepted] = sink.to(world.a.contact.user.email)
    assert accepted.message["Subject"] == "Reminder: view.pdf"
    db.session.expire_all()
    [row] = db.session.scalars(
        select(OutboxEmail).where(
            OutboxEmail.item_id == request.id, OutboxEmail.purpose == "reminder"
        )
    )
    assert (row.state, row.created_at) == ("sent", monday_9)
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == request.id))
    assert (reminder.sent_count, reminder.stopped_reason) == (1, "count_reached")
