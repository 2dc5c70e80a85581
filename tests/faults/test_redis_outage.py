"""Redis stops, restarts (empty: no persistence) or hangs: does every email still go, once?

The app writes emails to the outbox in the request's transaction and only hands their ids to
RQ after the commit; when that hand-over fails, the sweep re-enqueues queued rows older than
OUTBOX_REQUEUE_AFTER_SECONDS. These tests use their own redis-server, so they can stop it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from dashboard.approvals.models import ApprovalRequest
from dashboard.extensions import db
from dashboard.notify.models import OutboxEmail, SweepStatus
from dashboard.reminders.sweep import sweep
from tests.factories import make_approval

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def rows_for(item_id: int) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.item_id == item_id).order_by(OutboxEmail.id)
        )
    )


def test_request_succeeds_with_redis_down_and_the_email_goes_when_it_is_back(
    app, ctx, client, world, sink, own_redis, run_worker, frozen_clock
):
    """Redis is down while a staff member requests an approval (a real POST): the request
    succeeds at once (no error, no wait), the notification waits in the outbox; after Redis
    is back the sweep enqueues it (not before the re-enqueue delay) and it goes once."""
    frozen_clock(MONDAY_10)
    document = world.a.documents["view"]
    client.login(world.a.staff.email)
    client.csrf_token()
    own_redis.stop()
    began = time.monotonic()
    response = client.post(
        f"/clients/{document.account_id}/documents/{document.id}/approval",
        data={"message": "Please check page 2."},
    )
    assert time.monotonic() - began < 1.0
    assert response.status_code == 302, response.status_code
    request_id = db.session.scalar(
        select(ApprovalRequest.id).where(ApprovalRequest.document_id == document.id)
    )
    [row] = rows_for(request_id)
    assert (row.state, row.enqueued_at) == ("queued", MONDAY_10)

    own_redis.start()  # empty: the job was never written
    run_worker()
    assert sink.snapshot() == []
    frozen_clock(MONDAY_10 + timedelta(seconds=app.config["OUTBOX_REQUEUE_AFTER_SECONDS"] - 1))
    assert sweep().requeued == 0  # it could still be on its way
    frozen_clock(MONDAY_10 + timedelta(seconds=app.config["OUTBOX_REQUEUE_AFTER_SECONDS"] + 1))
    assert sweep().requeued == 1
    run_worker()
    assert len(sink.snapshot()) == 1
    for minutes in (5, 10, 60):
        frozen_clock(MONDAY_10 + timedelta(minutes=minutes))
        assert sweep().requeued == 0
    run_worker()
    [accepted] = sink.to(world.a.contact.user.email)
    assert accepted.message_id == row.message_id
    assert "Please check page 2." in accepted.message.get_body(("plain",)).get_content()
    assert [r.state for r in rows_for(request_id)] == ["sent"]


def test_redis_restart_loses_the_job_and_the_sweep_enqueues_it_again(
    app, ctx, world, sink, own_redis, redis_queue, run_worker, frozen_clock
):
    """The email was enqueued, then Redis restarted without persistence before any worker
    ran: the job is gone, the sweep enqueues the email again, it is delivered once."""
    frozen_clock(MONDAY_10)
    request = make_approval(world.a.staff, world.a.documents["view"], enabled=False)
    assert len(redis_queue.job_ids) == 1
    own_redis.stop()
    own_redis.start()
    assert redis_queue.job_ids == []
    frozen_clock(MONDAY_10 + timedelta(minutes=3))
    assert sweep().requeued == 1
    run_worker()
    frozen_clock(MONDAY_10 + timedelta(minutes=10))
    sweep()
    run_worker()
    assert len(sink.to(world.a.contact.user.email)) == 1
    assert [r.state for r in rows_for(request.id)] == ["sent"]


def test_redis_down_during_the_sweep_the_reminder_goes_once_when_it_is_back(
    ctx, world, sink, own_redis, run_worker, frozen_clock
):
    """Redis is down when a reminder falls due: the sweep still writes it (and records its
    run) without failing; Redis back, a later sweep enqueues it and it is delivered once."""
    frozen_clock(MONDAY_10)
    request = make_approval(world.a.staff, world.a.documents["view"])
    run_worker()
    due = MONDAY_10 + timedelta(days=3, minutes=1)
    frozen_clock(due)
    own_redis.stop()
    result = sweep()
    assert (result.reminders, result.requeued) == (1, 0)
    assert db.session.get(SweepStatus, 1).finished_at == due
    own_redis.start()
    for seconds in (30, 60, 90):
        frozen_clock(due + timedelta(seconds=seconds))
        assert sweep().requeued == 0  # not before the re-enqueue delay
    frozen_clock(due + timedelta(seconds=150))
    assert sweep().requeued == 1
    run_worker()
    frozen_clock(due + timedelta(seconds=300))
    assert sweep().requeued == 0
    run_worker()
    subjects = [a.message["Subject"] for a in sink.to(world.a.contact.user.email)]
    assert subjects == ["Please review view.pdf", "Reminder: view.pdf"]
    assert [r.state for r in rows_for(request.id)] == ["sent", "sent"]


def test_redis_hanging_during_a_request_costs_at_most_its_timeout_and_no_duplicate(
    ctx, world, sink, own_redis, run_worker, frozen_clock
):
    """Redis hangs (SIGSTOP) while a request commits: the request waits at most the socket
    timeout (2 s) and succeeds; when Redis wakes up the job may or may not have landed, the
    sweep enqueues the row again anyway, so the worker may find it twice: it is still
    delivered once."""
    frozen_clock(MONDAY_10)
    own_redis.pause()
    began = time.monotonic()
    request = make_approval(world.a.staff, world.a.documents["view"], enabled=False)
    assert time.monotonic() - began < 4.0
    own_redis.resume()
    frozen_clock(MONDAY_10 + timedelta(minutes=3))
    assert sweep().requeued == 1
    run_worker()
    frozen_clock(MONDAY_10 + timedelta(minutes=10))
    sweep()
    run_worker()
    assert len(sink.to(world.a.contact.user.email)) == 1
    assert [r.state for r in rows_for(request.id)] == ["sent"]


def test_a_job_waiting_longer_than_the_requeue_delay_is_doubled_but_sends_once(
    app, ctx, world, sink, redis_queue, run_worker, frozen_clock
):
    """No worker ran for longer than the re-enqueue delay (the job was still waiting in
    Redis): the sweep enqueues the same rows again, the worker then runs both jobs, and each
    email still goes once."""
    frozen_clock(MONDAY_10)
    request = make_approval(world.a.staff, world.a.documents["view"], enabled=False)
    frozen_clock(MONDAY_10 + timedelta(seconds=app.config["OUTBOX_REQUEUE_AFTER_SECONDS"] + 1))
    assert sweep().requeued == 1
    assert len(redis_queue.job_ids) == 2
    run_worker()
    assert redis_queue.job_ids == []
    assert len(sink.to(world.a.contact.user.email)) == 1
    assert [r.state for r in rows_for(request.id)] == ["sent"]
