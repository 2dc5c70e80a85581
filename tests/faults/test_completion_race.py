"""Completion racing the engine: can a reminder go out after the client completed the item?

"Delivered" means the SMTP server answered 250 (the sink keeps only those, with the time of
the answer); "after the completion" means after the client's commit returned. Both times are
taken with time.monotonic() in this process, so they are comparable.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from dashboard.approvals.models import ApprovalRequest
from dashboard.approvals.service import decide
from dashboard.auth.models import User
from dashboard.extensions import db
from dashboard.notify.models import OutboxEmail
from dashboard.reminders.models import Reminder
from dashboard.reminders.sweep import sweep
from tests.factories import make_folder
from tests.faults.conftest import request_many

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def approve_in_thread(app, client_id: int, order, wait=None):
    """Start a thread that approves the items in `order` (after `wait()`), one commit each.

    Returns the thread, the commit times by item id and the errors list.
    """
    committed: dict[int, float] = {}
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                if wait is not None:
                    wait()
                for item_id in order():
                    request = db.session.get(ApprovalRequest, item_id)
                    client = db.session.get(User, client_id)
                    decide(client, request, True, [], "")
                    db.session.commit()
                    committed[item_id] = time.monotonic()
        except BaseException as error:  # re-raised in the test's thread
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, committed, errors


def reminder_rows(ids) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.purpose == "reminder", OutboxEmail.item_id.in_(ids))
            .order_by(OutboxEmail.id)
        )
    )


def test_approving_while_the_worker_delivers_reminders(
    app, ctx, world, sink, run_worker, frozen_clock
):
    """Clients approve while the worker delivers their reminders, the first one while its
    reminder is in the SMTP server's hands: no reminder is accepted after an approval
    committed, the in-flight one completes first, the undelivered ones are cancelled."""
    frozen_clock(MONDAY_10)
    world.a.firm.digest_enabled = False  # one email per reminder (digests: test_digest_faults)
    ids = request_many(world.a.staff, make_folder(world.a.account, "Bulk", "view"), 30)
    run_worker()  # the notifications
    sink.reset()
    frozen_clock(MONDAY_10 + timedelta(days=3, hours=1))
    assert sweep().emails == len(ids)
    rows = reminder_rows(ids)
    item_of = {row.message_id: row.item_id for row in rows}
    in_flight = rows[0].item_id  # the worker takes the rows in id order
    sink.delay = 0.05

    def order():
        return [in_flight] + [i for i in reversed(ids) if i != in_flight]

    thread, committed, errors = approve_in_thread(
        app,
        world.a.contact.user_id,
        order,
        wait=lambda: sink.wait_for(lambda: sink.data_started >= 1),
    )
    run_worker()
    thread.join(30)
    assert not thread.is_alive() and not errors, errors
    assert set(committed) == set(ids)

    accepted = [a for a in sink.snapshot() if a.message_id in item_of]
    late = [
        (item_of[a.message_id], round(a.at - committed[item_of[a.message_id]], 3))
        for a in accepted
        if a.at >= committed[item_of[a.message_id]]
    ]
    assert late == [], "reminders accepted after the approval committed"
    delivered = {item_of[a.message_id] for a in accepted}
    assert len(delivered) == len(accepted), "a reminder was delivered twice"
    assert in_flight in delivered  # the approval waited for the send in progress
    states = {row.item_id: row.state for row in reminder_rows(ids)}
    assert {i for i, state in states.items() if state == "sent"} == delivered
    cancelled = {i for i, state in states.items() if state == "cancelled"}
    assert cancelled == set(ids) - delivered
    if db.engine.dialect.name == "postgresql":
        # Row locks: approvals of other items go through while the worker sends, so the
        # worker meets completed items and cancels their reminders. (On SQLite the worker's
        # write lock, retaken right after each commit, in practice makes every approval
        # wait for the end of the worker's job.)
        assert cancelled, "every reminder went before its approval: the race did not happen"
    assert db.session.scalars(
        select(ApprovalRequest.status).where(ApprovalRequest.id.in_(ids))
    ).all() == ["completed"] * len(ids)


def test_approving_while_the_sweep_writes_reminders(
    app, ctx, world, sink, run_worker, frozen_clock
):
    """Clients approve half of the items while a sweep is writing their reminders (small
    batches, so they interleave): no reminder reaches an approved item, every approved
    item's schedule stays stopped, every other item gets its reminder once."""
    frozen_clock(MONDAY_10)
    world.a.firm.digest_enabled = False  # one email per reminder (digests: test_digest_faults)
    ids = request_many(
        world.a.staff, make_folder(world.a.account, "Bulk", "view"), 200, max_count=2
    )
    run_worker()
    sink.reset()
    moment = MONDAY_10 + timedelta(days=3, hours=1)
    frozen_clock(moment)
    approved = ids[::2]
    outcome = {}

    def run_sweep() -> None:
        with app.app_context():
            outcome["result"] = sweep(moment, batch_size=5)

    sweeper = threading.Thread(target=run_sweep)
    thread, committed, errors = approve_in_thread(
        app, world.a.contact.user_id, lambda: approved[::-1], wait=sweeper.start
    )
    thread.join(60)
    sweeper.join(60)
    assert not errors, errors
    assert "result" in outcome, "the sweep failed"
    run_worker()

    address = world.a.contact.user.email
    item_of = {row.message_id: row.item_id for row in reminder_rows(ids)}
    received = [item_of[a.message_id] for a in sink.to(address) if a.message_id in item_of]
    pending = sorted(set(ids) - set(approved))
    assert sorted(received) == pending  # once each, and none for an approved item
    db.session.expire_all()
    for reminder in db.session.scalars(select(Reminder).where(Reminder.item_id.in_(ids))):
        if reminder.item_id in committed:
            assert (reminder.next_at, reminder.stopped_reason) == (None, "completed")
            assert reminder.sent_count in (0, 1)
        else:
            assert reminder.sent_count == 1 and reminder.next_at > moment
    # Reminders written before their approval were cancelled by it. How the two threads
    # interleave is up to the scheduler: usually some items were approved before the sweep
    # reached them, but on a fast database the sweep can write all of them first.
    states = {row.item_id: row.state for row in reminder_rows(approved)}
    assert set(states.values()) == {"cancelled"}
    assert 0 < len(states) <= len(approved)
