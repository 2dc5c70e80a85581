"""The daily digest (B3) under faults: two sweeps at once, a worker killed mid-send, Redis
flushed, the client completing items while the digest is written or sent, the SMTP server
refusing or dropping it, an outage. Is a digest ever sent twice, or a reminder lost or late?

Everything is real (see conftest.py): the database under test, our own redis-server, the
faulty SMTP sink, `rq worker --burst` processes.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta

from redis import Redis
from sqlalchemy import func, select

from dashboard.approvals.models import ApprovalRequest
from dashboard.approvals.service import decide
from dashboard.audit.models import AuditEvent
from dashboard.auth.models import User
from dashboard.extensions import db
from dashboard.notify.models import InboxEntry, OutboxEmail
from dashboard.reminders.models import Reminder
from dashboard.reminders.sweep import sweep
from tests.factories import make_account, make_contact, make_folder
from tests.faults.conftest import request_many
from tests.faults.test_concurrent_sweeps import run_concurrently

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Paris 10:00
DUE = MONDAY_10 + timedelta(days=3, hours=1)  # Thursday 11:00, every reminder due
HOLD = timedelta(seconds=61)
APPROVAL_LINK = re.compile(r"/portal/approvals/(\d+)")


def rows(purpose: str) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.purpose == purpose).order_by(OutboxEmail.id)
        )
    )


def listed_items(accepted) -> list[int]:
    """The approval ids a digest email links to, in order."""
    body = accepted.message.get_body(("plain",)).get_content()
    return [int(n) for n in APPROVAL_LINK.findall(body)]


def test_two_sweeps_at_once_write_one_digest_per_contact(
    app, ctx, world, sink, run_worker, frozen_clock
):
    """Two sweeps in small batches over 120 due reminders of two contacts: between them each
    reminder is written once, each contact has one digest listing all 120, and one email."""
    frozen_clock(MONDAY_10)
    second = make_contact(world.a.account, name="Second Contact")
    ids = request_many(world.a.staff, make_folder(world.a.account, "Bulk", "view"), 120)
    run_worker()
    sink.reset()
    frozen_clock(DUE)

    first_result, second_result = run_concurrently(
        app, lambda: sweep(DUE, batch_size=7), lambda: sweep(DUE, batch_size=7)
    )
    assert first_result.reminders + second_result.reminders == 120
    if db.engine.dialect.name == "postgresql":
        assert first_result.reminders and second_result.reminders  # they shared the work
    digests = rows("digest")
    assert sorted(d.recipient_id for d in digests) == sorted(
        [world.a.contact.user_id, second.user_id]
    )
    listed = rows("reminder")
    assert len(listed) == 240
    by_digest = {d.id: d.recipient_id for d in digests}
    assert {(row.item_id, by_digest[row.digest_id]) for row in listed} == {
        (item, user) for item in ids for user in by_digest.values()
    }
    assert db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "reminder.sent")
    ) == len(ids)

    frozen_clock(DUE + HOLD)
    assert sweep().requeued == 2  # the two digests, not their 240 reminders
    run_worker()
    for address in (world.a.contact.user.email, second.user.email):
        [accepted] = sink.to(address)
        assert accepted.message["Subject"] == "120 reminders from Alpha"
        assert sorted(listed_items(accepted)) == sorted(ids)
    assert {row.state for row in rows("reminder")} == {"sent"}
    assert [r.sent_count for r in db.session.scalars(select(Reminder))] == [1] * 120


def _always_open(firm) -> None:
    """Workers run on the real clock: let reminders go at any hour, any day."""
    firm.window_start_hour, firm.window_end_hour, firm.window_weekdays = 0, 24, "1234567"


def test_a_worker_killed_mid_digest_leaves_it_whole_and_it_goes_once(
    ctx, world, sink, workers, redis_queue, run_worker, frozen_clock
):
    """Four contacts, a digest of two reminders each; the worker is killed while the SMTP
    server holds the 3rd digest: the two accepted stay sent with what they listed, the 3rd
    and 4th stay queued with theirs; after the re-enqueue delay a new worker sends each of
    those once, with the digest's Message-ID; no reminder goes on its own."""
    real = datetime.now(UTC)
    frozen_clock(real - timedelta(days=3, minutes=10))
    _always_open(world.a.firm)
    accounts = [world.a.account] + [make_account(world.a.firm) for _ in range(3)]
    contacts = [world.a.contact] + [make_contact(account) for account in accounts[1:]]
    db.session.commit()
    for account in accounts:
        request_many(world.a.staff, make_folder(account, "Bulk", "view"), 2)
    run_worker()
    sink.reset()
    frozen_clock(real - timedelta(minutes=5))
    assert sweep().digests == 4
    frozen_clock(real - timedelta(minutes=3))
    assert sweep().requeued == 4
    digests = rows("digest")
    assert len(redis_queue.job_ids) == 1  # the four digests in one delivery job
    expected = {d.to_email: d.message_id for d in digests}

    sink.delay = 0.2
    first = workers.start(sink.port)
    sink.wait_for(lambda: sink.data_started >= 3, timeout=30)
    workers.kill(first)
    sink.wait_for(lambda: sink.abandoned == 1)
    assert [a.to for a in sink.snapshot()] == [d.to_email for d in digests[:2]]
    states = [(d.state, d.attempts) for d in rows("digest")]
    assert states == [("sent", 1)] * 2 + [("queued", 0)] * 2
    listed_state = {}
    for row in rows("reminder"):
        listed_state.setdefault(row.digest_id, set()).add(row.state)
    assert [listed_state[d.id] for d in digests] == [{"sent"}] * 2 + [{"queued"}] * 2

    frozen_clock(real + timedelta(minutes=3))
    assert sweep().requeued == 2  # the two digests left, never their reminders alone
    sink.delay = 0.0
    second = workers.start(sink.port)
    workers.finish(second)
    accepted = sink.snapshot()
    assert sorted(a.to for a in accepted) == sorted(expected)  # each contact once
    assert {a.to: a.message_id for a in accepted} == expected
    assert [(d.state, d.attempts) for d in rows("digest")] == [("sent", 1)] * 4
    assert {row.state for row in rows("reminder")} == {"sent"}
    for accepted_mail in accepted:
        assert len(listed_items(accepted_mail)) == 2
    assert {c.user.email for c in contacts} == set(expected)


def test_redis_flushed_after_the_digest_was_enqueued_it_goes_once(
    app, ctx, world, sink, own_redis, redis_queue, run_worker, frozen_clock
):
    """The digest was handed to Redis, then Redis lost everything: the sweep enqueues it
    again (not before the re-enqueue delay), it goes once, and a later re-enqueue of the same
    job sends nothing more."""
    frozen_clock(MONDAY_10)
    ids = request_many(world.a.staff, make_folder(world.a.account, "Bulk", "view"), 3)
    run_worker()
    sink.reset()
    frozen_clock(DUE)
    sweep()
    frozen_clock(DUE + HOLD)
    assert sweep().requeued == 1
    assert len(redis_queue.job_ids) == 1
    with Redis.from_url(own_redis.url) as connection:
        connection.flushall()
    assert redis_queue.job_ids == []
    run_worker()
    assert sink.snapshot() == []

    requeue_after = timedelta(seconds=app.config["OUTBOX_REQUEUE_AFTER_SECONDS"])
    frozen_clock(DUE + HOLD + requeue_after - timedelta(seconds=5))
    assert sweep().requeued == 0  # it could still be on its way
    frozen_clock(DUE + HOLD + requeue_after + timedelta(seconds=5))
    assert sweep().requeued == 1
    assert sweep().requeued == 0
    # The same digest enqueued twice (a slow worker): the second delivery finds it sent.
    from dashboard.notify.outbox import enqueue_delivery

    [digest] = rows("digest")
    assert enqueue_delivery([digest.id, *[r.id for r in rows("reminder")]])
    run_worker()
    [accepted] = sink.to(world.a.contact.user.email)
    assert accepted.message_id == digest.message_id
    assert sorted(listed_items(accepted)) == sorted(ids)
    assert {r.state for r in rows("reminder")} == {"sent"}


def test_completions_while_the_sweep_writes_the_digest(
    app, ctx, world, sink, run_worker, frozen_clock
):
    """The client approves half of the items while a sweep writes their reminders into the
    day's digest (small batches, so they interleave): the digest lists exactly the other
    half, each once; no approved item is reminded."""
    frozen_clock(MONDAY_10)
    ids = request_many(world.a.staff, make_folder(world.a.account, "Bulk", "view"), 120)
    run_worker()
    sink.reset()
    frozen_clock(DUE)
    approved = ids[::2]
    outcome, errors = {}, []
    client_id = world.a.contact.user_id

    def run_sweep() -> None:
        with app.app_context():
            outcome["result"] = sweep(DUE, batch_size=5)

    def approve() -> None:
        try:
            with app.app_context():
                sweeper.start()
                for item_id in reversed(approved):
                    request = db.session.get(ApprovalRequest, item_id)
                    decide(db.session.get(User, client_id), request, True, [], "")
                    db.session.commit()
        except BaseException as error:  # re-raised in the test's thread
            errors.append(error)

    sweeper = threading.Thread(target=run_sweep)
    actor = threading.Thread(target=approve)
    actor.start()
    actor.join(60)
    sweeper.join(60)
    assert not errors, errors
    assert "result" in outcome, "the sweep failed"
    frozen_clock(DUE + HOLD)
    sweep()
    run_worker()

    [accepted] = sink.to(world.a.contact.user.email)
    assert sorted(listed_items(accepted)) == sorted(set(ids) - set(approved))
    states = {row.item_id: row.state for row in rows("reminder")}
    assert {states[i] for i in approved if i in states} <= {"cancelled"}
    assert {states[i] for i in set(ids) - set(approved)} == {"sent"}
    assert len(rows("digest")) == 1


def test_completing_an_item_while_its_digest_is_in_the_smtp_servers_hands(
    app, ctx, world, sink, run_worker, frozen_clock
):
    """The client approves a listed item while the digest is being accepted: the approval
    waits for the send (the item's row is taken), so the digest that went lists it truly as
    sent, and the approval commits after the server's 250, never before."""
    frozen_clock(MONDAY_10)
    ids = request_many(world.a.staff, make_folder(world.a.account, "Bulk", "view"), 4)
    run_worker()
    sink.reset()
    frozen_clock(DUE)
    sweep()
    frozen_clock(DUE + HOLD)
    sweep()
    sink.delay = 0.5
    committed: dict[str, float] = {}
    errors: list[BaseException] = []
    client_id = world.a.contact.user_id

    def approve() -> None:
        try:
            sink.wait_for(lambda: sink.data_started >= 1)
            with app.app_context():
                decide(
                    db.session.get(User, client_id),
                    db.session.get(ApprovalRequest, ids[1]),
                    True,
                    [],
                    "",
                )
                db.session.commit()
                committed["at"] = time.monotonic()
        except BaseException as error:  # re-raised in the test's thread
            errors.append(error)

    thread = threading.Thread(target=approve)
    thread.start()
    run_worker()
    thread.join(30)
    assert not thread.is_alive() and not errors, errors
    [accepted] = sink.to(world.a.contact.user.email)
    assert accepted.at < committed["at"]
    assert sorted(listed_items(accepted)) == sorted(ids)
    assert {row.state for row in rows("reminder")} == {"sent"}


def test_a_digest_refused_for_a_while_goes_once_later_and_one_refused_for_good_fails_all(
    ctx, world, sink, run_worker, frozen_clock
):
    """The server drops the connection on the digest: it and its reminders wait for the
    backoff together, then go once. For a second contact the address is refused (550): the
    digest and each reminder it listed fail, each item's sender is told, the address is
    marked so no more reminders go to it."""
    frozen_clock(MONDAY_10)
    refused = make_contact(world.a.account, name="Refused")
    db.session.commit()
    ids = request_many(world.a.staff, make_folder(world.a.account, "Bulk", "view"), 3)
    run_worker()
    sink.reset()
    frozen_clock(DUE)
    sweep()
    address = world.a.contact.user.email
    sink.drop[address] = "data"

    original, refused_address = sink.handle_RCPT, refused.user.email

    async def refuse(server, session, envelope, rcpt, options):
        if rcpt.lower() == refused_address:
            return "550 5.1.1 No such user"
        return await original(server, session, envelope, rcpt, options)

    sink.handle_RCPT = refuse  # type: ignore[method-assign]
    try:
        frozen_clock(DUE + HOLD)
        assert sweep().requeued == 2
        run_worker()
    finally:
        del sink.handle_RCPT
    digests = {d.recipient_id: d for d in rows("digest")}
    dropped, failed = digests[world.a.contact.user_id], digests[refused.user_id]
    assert (dropped.state, dropped.attempts) == ("queued", 1)
    assert failed.state == "failed"
    listed = rows("reminder")
    assert {r.state for r in listed if r.digest_id == dropped.id} == {"queued"}
    assert {r.state for r in listed if r.digest_id == failed.id} == {"failed"}
    db.session.expire_all()
    assert db.session.get(User, refused.user_id).email_bounced_at is not None
    assert db.session.scalar(
        select(func.count(InboxEntry.id)).where(InboxEntry.topic == "delivery_failed")
    ) == len(ids)

    frozen_clock(DUE + HOLD + timedelta(seconds=30))
    assert sweep().requeued == 0  # backing off
    frozen_clock(DUE + HOLD + timedelta(minutes=2))
    assert sweep().requeued == 1
    run_worker()
    [accepted] = sink.to(address)
    assert accepted.message_id == dropped.message_id
    assert sorted(listed_items(accepted)) == sorted(ids)
    assert {r.state for r in rows("reminder") if r.digest_id == dropped.id} == {"sent"}


def test_after_nine_days_without_a_sweep_each_contact_gets_one_digest(
    ctx, world, sink, run_worker, frozen_clock
):
    """No sweep for nine days: when it comes back each contact gets one email listing each
    overdue item once (the first reminder, not three), not a burst of 35."""
    frozen_clock(MONDAY_10)
    second = make_contact(world.a.account, name="Second Contact")
    ids = request_many(
        world.a.staff,
        make_folder(world.a.account, "Bulk", "view"),
        35,
        interval_days=2,
        max_count=3,
    )
    run_worker()
    sink.reset()
    back = MONDAY_10 + timedelta(days=9)
    for tick in range(20):
        frozen_clock(back + timedelta(seconds=30 * tick))
        assert sweep(batch_size=10).reminders == (35 if tick == 0 else 0)
    run_worker()
    for address in (world.a.contact.user.email, second.user.email):
        [accepted] = sink.to(address)
        assert accepted.message["Subject"] == "35 reminders from Alpha"
        body = accepted.message.get_body(("plain",)).get_content()
        assert body.count("- Reminder · ") == 35
        assert sorted(listed_items(accepted)) == sorted(ids)
    assert [r.sent_count for r in db.session.scalars(select(Reminder))] == [1] * 35
