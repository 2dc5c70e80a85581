"""Pausing reminders (B9): for a client account until a date, or firm-wide; nothing goes while
paused, and on resume each overdue reminder goes once, inside the send window.

Monday 23 November 2026 in Paris (window 09:00-17:00, Monday to Friday); reminders every day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from dashboard.approvals.service import resend_request
from dashboard.audit.models import AuditEvent
from dashboard.extensions import db
from dashboard.notify.models import OutboxEmail
from dashboard.reminders.models import Reminder
from dashboard.reminders.sweep import sweep
from tests.conftest import hx
from tests.factories import make_approval, make_document, make_folder, make_user
from tests.reminders.digest_helpers import AFTER_HOLD, MONDAY_10, outbox, text_of

#: Friday 27 November: the day the pause ends (reminders start again that day).
FRIDAY = date(2026, 11, 27)
FRIDAY_9 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # the window opens, Paris


def _reminder(item_id: int) -> Reminder:
    db.session.expire_all()
    return db.session.scalar(select(Reminder).where(Reminder.item_id == item_id))


def _reminder_emails(item_id: int) -> list[OutboxEmail]:
    return [row for row in outbox("reminder") if row.item_id == item_id]


def _sweep_each_morning_and_evening(run_worker, frozen_clock, days: list[int]) -> None:
    for day in days:
        for hour in (10, 16):
            frozen_clock(datetime(2026, 11, day, hour - 1, 0, tzinfo=UTC))
            sweep()
            run_worker()


def test_nothing_goes_while_an_account_is_paused_then_each_overdue_reminder_goes_once(
    ctx, client, world, mailbox, run_worker, frozen_clock
):
    """Staff pause the account until Friday on the account page: Tuesday to Thursday no
    reminder goes (the other account's do); on Friday at 09:00 one reminder goes (the first,
    not three), and the next one a day later (Monday, past the weekend)."""
    frozen_clock(MONDAY_10)
    paused = make_approval(world.a.staff, world.a.documents["view"], max_count=3, interval_days=1)
    other_folder = make_folder(world.other_account, "Other", "view")
    other = make_approval(
        world.a.staff, make_document(other_folder, "other.pdf"), max_count=3, interval_days=1
    )
    run_worker()
    mailbox.clear()
    client.login(world.a.staff.email)
    page = client.get(f"/clients/{world.a.account.id}/info").data.decode()
    assert 'data-testid="pause-reminders"' in page and "account-paused" not in page

    response = client.post(
        f"/clients/{world.a.account.id}/reminders/pause", data={"until": "2026-11-27"}, headers=hx()
    )
    assert response.status_code == 200
    assert "Reminders paused until November 27, 2026." in response.data.decode()
    page = client.get(f"/clients/{world.a.account.id}/info").data.decode()
    assert 'data-testid="account-paused"' in page and 'data-testid="resume-reminders"' in page

    _sweep_each_morning_and_evening(run_worker, frozen_clock, [24, 25, 26])
    address = world.a.contact.user.email
    assert mailbox.to(address) == []
    assert len(mailbox.to(world.other_contact.user.email)) == 3  # not paused: one a day
    reminder = _reminder(paused.id)
    assert (reminder.sent_count, reminder.stopped_reason) == (0, "paused")
    assert reminder.next_at == FRIDAY_9  # the window's opening on the resume day
    assert _reminder_emails(paused.id) == []

    frozen_clock(FRIDAY_9 - timedelta(minutes=1))
    assert sweep().reminders == 0
    frozen_clock(FRIDAY_9 + timedelta(seconds=30))
    assert sweep().reminders == 1
    for minutes in (1, 30, 240):
        frozen_clock(FRIDAY_9 + timedelta(minutes=minutes))
        assert sweep().reminders == 0  # once, no catch-up copies
    run_worker()
    assert [m["Subject"] for m in mailbox.to(address)] == ["Reminder: view.pdf"]
    reminder = _reminder(paused.id)
    assert (reminder.sent_count, reminder.stopped_reason) == (1, None)
    assert reminder.next_at == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday, 09:00
    assert other.id != paused.id


def test_staff_resume_early_and_the_overdue_reminder_waits_for_the_window(
    ctx, client, world, mailbox, run_worker, frozen_clock
):
    """Paused until next month, resumed on Wednesday evening: the reminder put off goes once,
    on Thursday at 09:00 (not at night, not twice); the resume is in the audit trail."""
    frozen_clock(MONDAY_10)
    request = make_approval(world.a.staff, world.a.documents["view"], max_count=2, interval_days=1)
    run_worker()
    mailbox.clear()
    client.login(world.a.staff.email)
    client.post(f"/clients/{world.a.account.id}/reminders/pause", data={"until": "2026-12-14"})
    _sweep_each_morning_and_evening(run_worker, frozen_clock, [24, 25])
    assert _reminder(request.id).next_at == datetime(2026, 12, 14, 8, 0, tzinfo=UTC)

    frozen_clock(datetime(2026, 11, 25, 19, 0, tzinfo=UTC))  # Wednesday 20:00 Paris
    response = client.post(f"/clients/{world.a.account.id}/reminders/resume", headers=hx())
    assert response.status_code == 200
    assert "Reminders resumed." in response.data.decode()
    assert 'data-testid="pause-reminders"' in response.data.decode()
    reminder = _reminder(request.id)
    assert (reminder.next_at, reminder.stopped_reason) == (
        datetime(2026, 11, 25, 19, 0, tzinfo=UTC),
        None,
    )
    assert sweep().reminders == 0  # night: it waits for the window
    frozen_clock(datetime(2026, 11, 26, 8, 0, 10, tzinfo=UTC))
    assert sweep().reminders == 1
    frozen_clock(datetime(2026, 11, 26, 8, 5, tzinfo=UTC))
    assert sweep().reminders == 0
    run_worker()
    assert [m["Subject"] for m in mailbox.to(world.a.contact.user.email)] == ["Reminder: view.pdf"]
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.account_id == world.a.account.id, AuditEvent.subject_type == "account")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["reminders.paused", "reminders.resumed"]
    trail = client.get(f"/clients/{world.a.account.id}/audit").data.decode()
    assert "Paused this client’s reminders until December 14, 2026" in trail
    assert "Resumed this client’s reminders" in trail


def test_a_firm_wide_pause_holds_every_account_and_only_owners_and_admins_set_it(
    ctx, client, make_client, world, mailbox, run_worker, frozen_clock
):
    """An office closure until Friday: no reminder to any client of the firm (the other firm's
    go); an employee cannot pause or resume it; on Friday each goes once."""
    frozen_clock(MONDAY_10)
    first = make_approval(world.a.staff, world.a.documents["view"], interval_days=1)
    second = make_approval(
        world.a.staff,
        make_document(make_folder(world.other_account, "Other", "view"), "o.pdf"),
        interval_days=1,
    )
    elsewhere = make_approval(world.b.staff, world.b.documents["view"], interval_days=1)
    employee = make_user(world.a.firm, "employee")
    db.session.commit()
    run_worker()
    mailbox.clear()

    staff = make_client()
    staff.login(employee.email)
    assert staff.post("/settings/reminders/pause", data={"until": "2026-11-27"}).status_code == 403
    page = staff.get("/settings/reminders").data.decode()
    assert 'data-testid="firm-pause-form"' in page and "disabled" in page

    client.login(world.a.staff.email)
    response = client.post("/settings/reminders/pause", data={"until": "2026-11-27"})
    assert response.status_code == 302
    page = client.get("/settings/reminders").data.decode()
    assert "Every reminder of the firm is paused until November 27, 2026." in page
    account_page = staff.get(f"/clients/{world.a.account.id}/info").data.decode()
    assert 'data-testid="firm-paused"' in account_page
    assert staff.post("/settings/reminders/resume").status_code == 403

    _sweep_each_morning_and_evening(run_worker, frozen_clock, [24, 25, 26])
    assert mailbox.to(world.a.contact.user.email) == []
    assert mailbox.to(world.other_contact.user.email) == []
    assert len(mailbox.to(world.b.contact.user.email)) == 1  # another firm: not paused
    assert {_reminder(i).stopped_reason for i in (first.id, second.id)} == {"paused"}

    frozen_clock(FRIDAY_9 + timedelta(seconds=5))
    assert sweep().reminders == 2
    run_worker()
    assert len(mailbox.to(world.a.contact.user.email)) == 1
    assert len(mailbox.to(world.other_contact.user.email)) == 1
    firm_events = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_type == "firm")
    ).all()
    assert firm_events == ["reminders.paused"]
    assert elsewhere.firm_id != first.firm_id


def test_a_firm_resumed_early_releases_what_it_held(
    ctx, client, world, mailbox, run_worker, frozen_clock
):
    """The office reopens early: the owner presses Resume; what was put off goes once."""
    frozen_clock(MONDAY_10)
    request = make_approval(world.a.staff, world.a.documents["view"], interval_days=1)
    run_worker()
    mailbox.clear()
    client.login(world.a.staff.email)
    client.post("/settings/reminders/pause", data={"until": "2026-12-20"})
    frozen_clock(datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    assert sweep().paused == 1
    response = client.post("/settings/reminders/resume", follow_redirects=True)
    assert "Reminders resumed." in response.data.decode()
    assert 'data-testid="firm-paused"' not in response.data.decode()
    assert 'data-testid="firm-pause-form"' in response.data.decode()
    assert sweep().reminders == 1
    run_worker()
    assert len(mailbox.to(world.a.contact.user.email)) == 1
    assert _reminder(request.id).sent_count == 1
    assert db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_type == "firm").order_by(AuditEvent.id)
    ).all() == ["reminders.paused", "reminders.resumed"]


def test_on_resume_a_contacts_overdue_reminders_come_in_one_digest(
    ctx, client, world, mailbox, run_worker, frozen_clock
):
    """Three items held by a pause: on the resume day the contact gets one email, not three."""
    frozen_clock(MONDAY_10)
    folder = make_folder(world.a.account, "Year end", "view")
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        frozen_clock(MONDAY_10 + timedelta(hours=len(name) + ord(name[0]) - 97))
        make_approval(world.a.staff, make_document(folder, name), interval_days=1)
    run_worker()
    mailbox.clear()
    client.login(world.a.staff.email)
    client.post(f"/clients/{world.a.account.id}/reminders/pause", data={"until": "2026-11-27"})
    _sweep_each_morning_and_evening(run_worker, frozen_clock, [24, 25, 26])
    assert mailbox.to(world.a.contact.user.email) == []

    frozen_clock(FRIDAY_9 + timedelta(seconds=5))
    result = sweep()
    assert (result.reminders, result.digests) == (3, 1)
    frozen_clock(FRIDAY_9 + timedelta(seconds=5) + AFTER_HOLD)
    sweep()
    run_worker()
    [message] = mailbox.to(world.a.contact.user.email)
    assert message["Subject"] == "3 reminders from Alpha"
    assert text_of(message).count("- Reminder · ") == 3


def test_a_manual_resend_still_goes_while_paused(ctx, world, mailbox, run_worker, frozen_clock):
    """Staff pressing Resend ask for that email: it goes, paused or not; the automatic
    reminder it reschedules still waits for the pause to end."""
    frozen_clock(MONDAY_10)
    request = make_approval(world.a.staff, world.a.documents["view"], interval_days=1)
    run_worker()
    mailbox.clear()
    from dashboard.reminders.pause import pause_account

    pause_account(world.a.staff, world.a.account, FRIDAY)
    db.session.commit()
    frozen_clock(datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    assert resend_request(world.a.staff, request, "Any news?")
    db.session.commit()
    run_worker()
    assert [m["Subject"] for m in mailbox.to(world.a.contact.user.email)] == [
        "Sent again: view.pdf"
    ]
    _sweep_each_morning_and_evening(run_worker, frozen_clock, [25, 26])
    assert len(mailbox.to(world.a.contact.user.email)) == 1
    assert _reminder(request.id).next_at == FRIDAY_9


def test_every_affected_item_timeline_shows_the_pause(ctx, client, world, run_worker, frozen_clock):
    """The item's Reminders panel says "Paused until …", lists the pause with who set it,
    and plans the next reminder for the resume day, not before."""
    frozen_clock(MONDAY_10)
    request = make_approval(world.a.staff, world.a.documents["view"], interval_days=1)
    client.login(world.a.staff.email)
    client.post(f"/clients/{world.a.account.id}/reminders/pause", data={"until": "2026-11-27"})
    panel = client.get(f"/clients/{world.a.account.id}/items/{request.id}/reminders")
    html = panel.data.decode()
    assert f'data-testid="timeline-paused-{request.id}"' in html
    assert "Paused until November 27, 2026: no automatic reminder goes before then." in html
    assert "Reminders paused until November 27, 2026" in html
    assert world.a.staff.name in html
    assert "11/27/26, 9:00" in html  # the planned reminder: the resume day's opening
    assert "11/24/26" not in html

    client.post(f"/clients/{world.a.account.id}/reminders/resume")
    html = client.get(f"/clients/{world.a.account.id}/items/{request.id}/reminders").data.decode()
    assert "timeline-paused" not in html and "Reminders resumed" in html


def test_pause_dates_roles_csrf_and_tenancy(client, make_client, ctx, world, frozen_clock):
    """Only a day after today and within a year; CSRF required; another firm's account is a
    404; a client cannot reach it."""
    frozen_clock(MONDAY_10)
    client.login(world.a.staff.email)
    url = f"/clients/{world.a.account.id}/reminders/pause"
    for value, message in (
        ("", "Choose the day reminders start again."),
        ("2026-11-23", "Choose a day after today."),
        ("2027-12-01", "Choose a day within a year."),
    ):
        response = client.post(url, data={"until": value}, headers=hx())
        assert response.status_code == 422 and message in response.data.decode()
    assert client.post(url, data={"until": "2026-11-27"}, without_csrf=True).status_code == 400
    other_firm = f"/clients/{world.b.account.id}/reminders/pause"
    assert client.post(other_firm, data={"until": "2026-11-27"}).status_code == 404
    assert client.post(f"/clients/{world.b.account.id}/reminders/resume").status_code == 404
    portal = make_client()
    portal.login(world.a.contact.user.email)
    assert portal.post(url, data={"until": "2026-11-27"}).status_code == 404
    db.session.expire_all()
    assert world.a.account.reminders_paused_until is None
    assert world.b.account.reminders_paused_until is None

    employee = make_user(world.a.firm, "employee")
    db.session.commit()
    staff = make_client()
    staff.login(employee.email)
    assert staff.post(url, data={"until": "2026-11-27"}).status_code == 302  # any staff
    db.session.expire_all()
    assert world.a.account.reminders_paused_until == FRIDAY
