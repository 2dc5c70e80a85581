"""Email subjects and headers (issue 7): reminders, manual resends, From and Reply-To."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dashboard.chats import service
from dashboard.extensions import db
from dashboard.reminders.service import ReminderSettings
from dashboard.reminders.sweep import sweep

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Paris


def start(world, subject="Receipts"):
    thread = service.start_thread(
        world.a.staff, world.a.account, subject, "Please send them.", ReminderSettings(True, 2, 2)
    )
    db.session.commit()
    return thread


def test_reminder_subject_names_the_item_without_a_second_prefix(
    ctx, world, mailbox, run_worker, frozen_clock
):
    frozen_clock(MONDAY_10)
    start(world)
    run_worker()
    frozen_clock(MONDAY_10 + timedelta(days=2, hours=1))
    sweep()
    run_worker()
    subjects = [m["Subject"] for m in mailbox.to(world.a.contact.user.email)]
    assert subjects == ["New message: Receipts", "Reminder: Receipts"]
    assert not any("Reminder: New message" in s for s in subjects)


def test_from_is_the_firm_and_reply_to_the_sender(ctx, world, mailbox, run_worker, frozen_clock):
    frozen_clock(MONDAY_10)
    start(world)
    run_worker()
    (message,) = mailbox.to(world.a.contact.user.email)
    assert message["From"].addresses[0].display_name == "Alpha"
    assert message["From"].addresses[0].addr_spec == "no-reply@relance.test"
    assert message["Reply-To"].addresses[0].addr_spec == world.a.staff.email
    assert message["Reply-To"].addresses[0].display_name == world.a.staff.name


def test_thread_resend_has_its_own_subject_and_says_whom_it_went_to(
    client, ctx, world, mailbox, run_worker, frozen_clock
):
    frozen_clock(MONDAY_10)
    thread = start(world)
    run_worker()
    frozen_clock(MONDAY_10 + timedelta(hours=1))  # past the double-click guard
    client.login(world.a.staff.email)
    thread_url = f"/clients/{world.a.account.id}/chats/{thread.id}"
    page = client.post(
        f"/clients/{world.a.account.id}/items/{thread.id}/resend",
        headers={"Referer": thread_url},
        follow_redirects=True,
    )
    assert page.status_code == 200
    assert f"Sent again to {world.a.contact.user.name}.".encode() in page.data
    run_worker()
    subjects = [m["Subject"] for m in mailbox.to(world.a.contact.user.email)]
    assert subjects == ["New message: Receipts", "Sent again: Receipts"]
    body = mailbox.to(world.a.contact.user.email)[-1].get_body(("plain",)).get_content()
    assert "This is a reminder." not in body and "Sent to you again." in body
