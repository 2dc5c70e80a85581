"""The engine end to end on document approvals: real database, Redis, RQ worker and SMTP.

Time is moved with the one clock; the sweep is run as the cron job would run it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from dashboard.approvals.models import ApprovalRequest
from dashboard.approvals.service import decide, resend_request
from dashboard.audit.models import AuditEvent
from dashboard.extensions import db
from dashboard.items.models import ActionItem
from dashboard.notify.models import InboxEntry, OutboxEmail
from dashboard.reminders.models import Reminder
from dashboard.reminders.sweep import sweep
from tests.factories import make_approval, make_contact

#: Monday 23 November 2026, 10:00 in Paris (the firm's time zone).
MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def deliver_all(run_worker):
    """Run the worker until nothing is queued (deliveries may enqueue more work)."""
    run_worker()


def test_defaults_one_notification_each_then_one_reminder(
    ctx, world, mailbox, run_worker, frozen_clock
):
    """Defaults: one email per NOTIFY contact now, one reminder 3 days later, then none."""
    frozen_clock(MONDAY_10)
    second = make_contact(world.a.account, name="Second Contact", language="fr")
    db.session.commit()
    request = make_approval(world.a.staff, world.a.documents["view"])
    run_worker()
    contact_email, second_email = world.a.contact.user.email, second.user.email
    assert len(mailbox.to(contact_email)) == 1
    assert len(mailbox.to(second_email)) == 1
    assert mailbox.to(world.a.silent_contact.user.email) == []
    assert len(mailbox.messages) == 2
    notification = mailbox.to(second_email)[0]
    assert (
        notification["Subject"] == "Veuillez examiner view.pdf"
        or "view.pdf" in notification["Subject"]
    )
    assert (
        f"https://portal.example.test/portal/approvals/{request.id}"
        in notification.get_body(("plain",)).get_content()
    )

    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == request.id))
    # Thursday 26 November, 10:00 Paris = 09:00 UTC.
    assert reminder.next_at == datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

    frozen_clock(datetime(2026, 11, 26, 8, 59, tzinfo=UTC))
    sweep()
    run_worker()
    assert len(mailbox.messages) == 2  # not yet due

    frozen_clock(datetime(2026, 11, 26, 9, 0, 30, tzinfo=UTC))
    sweep()
    run_worker()
    reminders = [m for m in mailbox.messages if m["Subject"].startswith(("Reminder", "Rappel"))]
    assert len(reminders) == 2  # one per NOTIFY contact
    assert mailbox.to(contact_email)[-1]["Subject"].startswith("Reminder: ")
    assert mailbox.to(second_email)[-1]["Subject"].startswith("Rappel")

    for days in (1, 3, 10, 40):
        frozen_clock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC) + timedelta(days=days))
        sweep()
        run_worker()
    assert len(mailbox.messages) == 4
    db.session.expire_all()
    assert reminder.stopped_reason == "count_reached" and reminder.next_at is None
    inbox = db.session.scalars(
        select(InboxEntry.topic).where(InboxEntry.user_id == world.a.staff.id)
    ).all()
    assert inbox == ["reminders_exhausted"]  # B5


def test_approving_before_the_reminder_stops_it(ctx, world, mailbox, run_worker, frozen_clock):
    """Approve before the reminder: no reminder ever goes."""
    frozen_clock(MONDAY_10)
    request = make_approval(world.a.staff, world.a.documents["view"])
    run_worker()
    frozen_clock(MONDAY_10 + timedelta(days=1))
    decide(world.a.contact.user, request, True, [], "")
    db.session.commit()
    for days in (3, 4, 10):
        frozen_clock(MONDAY_10 + timedelta(days=days))
        sweep()
        run_worker()
    client_mail = mailbox.to(world.a.contact.user.email)
    assert len(client_mail) == 1
    staff_mail = mailbox.to(world.a.staff.email)
    assert len(staff_mail) == 1 and "approved view.pdf" in staff_mail[0]["Subject"]
    db.session.expire_all()
    assert db.session.get(ActionItem, request.id).status == "completed"


def test_resend_emails_bumps_audits_and_restarts_the_timer(
    ctx, world, mailbox, run_worker, frozen_clock
):
    """Resend: one more email, to-do on top, audit entry, timer from the resend (B7)."""
    frozen_clock(MONDAY_10)
    first = make_approval(world.a.staff, world.a.documents["view"])
    second = make_approval(world.a.staff, world.a.documents["edit"])
    run_worker()
    frozen_clock(MONDAY_10 + timedelta(days=2))  # Wednesday 10:00 Paris
    assert resend_request(world.a.staff, first, "Could you look at it today?")
    db.session.commit()
    assert not resend_request(world.a.staff, first)  # a double-click sends nothing more
    db.session.commit()
    run_worker()
    client_mail = mailbox.to(world.a.contact.user.email)
    assert len(client_mail) == 3
    assert "Could you look at it today?" in client_mail[-1].get_body(("plain",)).get_content()
    pending = db.session.scalars(
        select(ActionItem.id)
        .where(ActionItem.account_id == world.a.account.id, ActionItem.status == "pending")
        .order_by(ActionItem.bumped_at.desc())
    ).all()
    assert pending[0] == first.id and pending[1] == second.id
    resent = db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "item.resent", AuditEvent.subject_id == first.id
        )
    )
    assert resent == 1
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == first.id))
    # Timer restarted: Wednesday + 3 days = Saturday -> Monday 30 November 09:00 Paris.
    assert reminder.next_at == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    frozen_clock(datetime(2026, 11, 26, 9, 30, tzinfo=UTC))  # when it was first due
    sweep()
    run_worker()
    subjects = [m["Subject"] for m in mailbox.to(world.a.contact.user.email)]
    assert subjects.count("Sent again: view.pdf") == 1  # the resend, titled as such
    assert "Reminder: view.pdf" not in subjects  # the timer restarted at the resend
    assert any("edit.pdf" in s and s.startswith("Reminder") for s in subjects)


def test_three_reminders_every_two_days(ctx, world, mailbox, run_worker, frozen_clock):
    """Count 3 every 2 days: exactly 3 reminders, numbered 1st, 2nd, 3rd."""
    frozen_clock(MONDAY_10)
    make_approval(world.a.staff, world.a.documents["view"], interval_days=2, max_count=3)
    run_worker()
    moment = MONDAY_10
    for _ in range(30):
        moment += timedelta(hours=12)
        frozen_clock(moment)
        sweep()
    run_worker()
    subjects = [m["Subject"] for m in mailbox.to(world.a.contact.user.email)]
    assert subjects == [
        "Please review view.pdf",
        "Reminder: view.pdf",
        "2nd reminder: view.pdf",
        "3rd reminder: view.pdf",
    ]


def test_completion_cancels_undelivered_reminders(ctx, world, mailbox, run_worker, frozen_clock):
    """A reminder written but not yet delivered is cancelled when the client approves."""
    frozen_clock(MONDAY_10)
    request = make_approval(world.a.staff, world.a.documents["view"])
    run_worker()
    frozen_clock(MONDAY_10 + timedelta(days=3, hours=1))
    sweep()  # reminder rows written and enqueued, worker not run yet
    decide(world.a.contact.user, request, True, [], "")
    db.session.commit()
    run_worker()
    states = db.session.scalars(
        select(OutboxEmail.state).where(
            OutboxEmail.item_id == request.id, OutboxEmail.purpose == "reminder"
        )
    ).all()
    assert states == ["cancelled"]
    assert len(mailbox.to(world.a.contact.user.email)) == 1


def test_disapproval_records_reasons(ctx, world, mailbox, run_worker, frozen_clock):
    """Disapproving needs a reason, keeps reasons and comment, and stops reminders."""
    import pytest

    from dashboard.approvals.service import ApprovalError

    frozen_clock(MONDAY_10)
    request = make_approval(world.a.staff, world.a.documents["view"])
    with pytest.raises(ApprovalError):
        decide(world.a.contact.user, request, False, [], "no reason")
    decide(world.a.contact.user, request, False, ["incorrect", "questions", "bogus"], "Page 2")
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(ApprovalRequest, request.id)
    assert stored.decision == "rejected" and stored.reasons == ["incorrect", "questions"]
    assert stored.comment == "Page 2"
    assert db.session.scalar(select(Reminder.next_at).where(Reminder.item_id == request.id)) is None


def test_smtp_451_then_250_is_delivered_once(ctx, world, mailbox, run_worker, frozen_clock):
    """A temporary refusal is retried after the backoff and delivered exactly once."""
    frozen_clock(MONDAY_10)
    address = world.a.contact.user.email
    mailbox.script[address] = ["451 4.3.0 Mailbox busy, try later"]
    make_approval(world.a.staff, world.a.documents["view"], enabled=False)
    run_worker()
    assert mailbox.to(address) == []
    row = db.session.scalar(select(OutboxEmail).where(OutboxEmail.to_email == address))
    db.session.refresh(row)
    assert row.state == "queued" and row.attempts == 1 and "451" in row.last_error
    frozen_clock(MONDAY_10 + timedelta(seconds=30))
    sweep()
    run_worker()
    assert mailbox.to(address) == []  # backoff: not before one minute
    frozen_clock(MONDAY_10 + timedelta(minutes=2))
    sweep()
    run_worker()
    run_worker()
    assert len(mailbox.to(address)) == 1
    db.session.refresh(row)
    assert row.state == "sent" and row.subject == "Please review view.pdf"


def test_smtp_550_fails_once_stops_the_series_and_tells_the_sender(
    ctx, world, mailbox, run_worker, frozen_clock
):
    """A permanent refusal: failed at once, no more reminders to it, Inbox+ for the sender."""
    frozen_clock(MONDAY_10)
    address = world.a.contact.user.email
    mailbox.script[address] = ["550 5.1.1 No such user"]
    request = make_approval(world.a.staff, world.a.documents["view"], max_count=3)
    run_worker()
    row = db.session.scalar(select(OutboxEmail).where(OutboxEmail.to_email == address))
    db.session.refresh(row)
    assert row.state == "failed" and row.attempts == 1 and "550" in row.last_error
    for days in (3, 6, 9, 12):
        frozen_clock(MONDAY_10 + timedelta(days=days))
        sweep()
        run_worker()
    assert mailbox.to(address) == []
    attempts = db.session.scalar(
        select(func.count(OutboxEmail.id)).where(OutboxEmail.to_email == address)
    )
    assert attempts == 1
    entries = db.session.scalars(
        select(InboxEntry).where(
            InboxEntry.user_id == world.a.staff.id, InboxEntry.topic == "delivery_failed"
        )
    ).all()
    assert len(entries) == 1 and entries[0].item_id == request.id


def test_delivering_twice_is_a_no_op(ctx, world, mailbox, run_worker, frozen_clock):
    """Is an outbox row delivered once even when its job runs twice?"""
    from jobs.delivery import deliver

    frozen_clock(MONDAY_10)
    make_approval(world.a.staff, world.a.documents["view"], enabled=False)
    ids = list(db.session.scalars(select(OutboxEmail.id)))
    run_worker()
    db.session.commit()
    assert deliver(ids) == {"sent": 0, "skipped": 1, "cancelled": 0, "retry": 0, "failed": 0}
    assert len(mailbox.messages) == 1
