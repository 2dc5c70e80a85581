"""One daily digest per contact (B3), end to end: real database, Redis, RQ worker and SMTP.

Five items of three kinds (two approvals, two conversations, an invoice) go to one account
on Monday; their first reminders fall due across Thursday.
"""

from __future__ import annotations

import re
from datetime import timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from dashboard.approvals.models import ApprovalRequest
from dashboard.approvals.service import decide
from dashboard.chats import service as chats
from dashboard.chats.models import ChatThread
from dashboard.extensions import db
from dashboard.notify.models import OutboxEmail
from dashboard.reminders.service import ReminderSettings
from dashboard.reminders.sweep import sweep
from tests.factories import make_account, make_approval, make_contact, make_document, make_folder
from tests.reminders.digest_helpers import (
    AFTER_HOLD,
    MONDAY_10,
    THURSDAY_10,
    outbox,
    reminder_audits,
    reminders_of,
    send_five,
    text_of,
)

PORTAL = "https://portal.example.test"


def _deliver_digests(run_worker, frozen_clock, moment) -> None:
    """The hold is over: the next sweep hands the digests to the worker."""
    frozen_clock(moment + AFTER_HOLD)
    assert sweep().requeued >= 1
    run_worker()


def test_five_items_of_three_kinds_due_the_same_day_go_in_one_email(
    ctx, client, world, mailbox, run_worker, frozen_clock
):
    """Five reminders falling due on Thursday between 10:00 and 15:30: at 10:00 the contact
    gets one email listing all five (each with its link and its number), nothing more that
    day; every item counts its reminder once (sent_count, audit, timeline)."""
    sent = send_five(world, frozen_clock)
    run_worker()  # the five notifications
    mailbox.clear()
    address = world.a.contact.user.email

    moment = THURSDAY_10 + timedelta(seconds=30)
    frozen_clock(moment)
    result = sweep()
    assert (result.reminders, result.pulled, result.digests) == (5, 4, 1)
    run_worker()
    assert mailbox.to(address) == []  # held a moment, so every batch joins it
    _deliver_digests(run_worker, frozen_clock, moment)

    [message] = mailbox.to(address)
    assert message["Subject"] == "5 reminders from Alpha"
    body = text_of(message)
    assert "Alpha is waiting for you on 5 requests:" in body
    paths = {
        "approval": "/portal/approvals/{}",
        "chat": "/portal/chats/{}",
        "invoice": "/portal/invoices/{}",
    }
    for item_id, kind in zip(sent.ids, sent.kinds, strict=True):
        assert PORTAL + paths[kind].format(item_id) in body
    assert body.count("- Reminder · ") == 5
    assert "Approve statement-1.pdf" in body and "Reply to: Receipts 2" in body
    html = message.get_body(("html",)).get_content()
    assert html.count(">Open</a>") == 5
    assert message["Reply-To"].addresses[0].addr_spec == world.a.staff.email

    reminders = reminders_of(sent.ids)
    assert [r.sent_count for r in reminders] == [1] * 5
    assert {r.timer_from for r in reminders} == {moment}  # each timer restarts from the send
    audits = reminder_audits(sent.ids)
    assert sorted(a.subject_id for a in audits) == sorted(sent.ids)
    assert {a.details["digest"] for a in audits} == {1}
    [digest] = outbox("digest")
    assert (digest.state, digest.to_email, digest.attempts) == ("sent", address, 1)
    assert digest.message_id == message["Message-ID"]
    listed = outbox("reminder")
    assert {(row.item_id, row.state, row.digest_id) for row in listed} == {
        (item_id, "sent", digest.id) for item_id in sent.ids
    }

    # Nothing else that day, however often the sweep runs.
    for hours in (1, 3, 5, 6):
        frozen_clock(THURSDAY_10 + timedelta(hours=hours))
        assert sweep().reminders == 0
        run_worker()
    assert len(mailbox.to(address)) == 1

    # Each item's timeline shows its reminder, gone in the day's digest.
    client.login(world.a.staff.email)
    thread = db.session.get(ChatThread, sent.ids[2])
    page = client.get(f"/clients/{thread.account_id}/items/{thread.id}/reminders").data.decode()
    assert "in the day’s digest" in page
    assert 'class="badge text-bg-success">Sent' in page


def test_the_next_reminders_come_together_in_a_digest_again(
    ctx, world, mailbox, run_worker, frozen_clock
):
    """The second reminders follow 3 days after the digest (its send restarted each timer),
    all at the same time: a second digest, with each item's "2nd reminder"."""
    sent = send_five(world, frozen_clock, count=2)
    run_worker()
    moment = THURSDAY_10 + timedelta(seconds=30)
    frozen_clock(moment)
    sweep()
    _deliver_digests(run_worker, frozen_clock, moment)
    mailbox.clear()

    sunday = moment + timedelta(days=3)  # Sunday: outside the window, it waits for Monday
    frozen_clock(sunday)
    assert sweep().reminders == 0
    monday = moment + timedelta(days=4)
    frozen_clock(monday)
    assert sweep().reminders == 5
    _deliver_digests(run_worker, frozen_clock, monday)
    [message] = mailbox.to(world.a.contact.user.email)
    assert message["Subject"] == "5 reminders from Alpha"
    assert text_of(message).count("- 2nd reminder · ") == 5
    assert [r.sent_count for r in reminders_of(sent.ids)] == [2] * 5
    assert len(outbox("digest")) == 2


def test_an_item_completed_before_the_digest_goes_is_left_out(
    ctx, world, mailbox, run_worker, frozen_clock
):
    """The client approves one item while the digest waits: the digest lists the other four
    (its reminder row cancelled, its count as it was when the sweep sent it)."""
    sent = send_five(world, frozen_clock)
    run_worker()
    mailbox.clear()
    moment = THURSDAY_10 + timedelta(seconds=30)
    frozen_clock(moment)
    sweep()
    approval = db.session.get(ApprovalRequest, sent.ids[0])
    decide(world.a.contact.user, approval, True, [], "")
    db.session.commit()
    _deliver_digests(run_worker, frozen_clock, moment)

    [message] = mailbox.to(world.a.contact.user.email)
    assert message["Subject"] == "4 reminders from Alpha"
    body = text_of(message)
    assert f"/portal/approvals/{sent.ids[0]}" not in body
    assert body.count("- Reminder · ") == 4
    states = {row.item_id: row.state for row in outbox("reminder")}
    assert states == {
        sent.ids[0]: "cancelled",
        **{item_id: "sent" for item_id in sent.ids[1:]},
    }


def test_one_reminder_left_is_its_ordinary_email_and_none_left_sends_nothing(
    ctx, world, mailbox, run_worker, frozen_clock
):
    """Two items in a digest, one completed before it goes: the other's ordinary reminder
    email (its own subject and content), under the digest's Message-ID. Two more items in the
    next day's digest, both completed: the digest is cancelled, nothing is sent."""
    folder = make_folder(world.a.account, "Bulk", "view")
    frozen_clock(MONDAY_10)
    first = make_approval(world.a.staff, make_document(folder, "a.pdf"), max_count=1)
    make_approval(world.a.staff, make_document(folder, "b.pdf"), max_count=1)
    frozen_clock(MONDAY_10 + timedelta(days=1))
    third = make_approval(world.a.staff, make_document(folder, "c.pdf"), max_count=1)
    fourth = make_approval(world.a.staff, make_document(folder, "d.pdf"), max_count=1)
    run_worker()
    mailbox.clear()
    client_user = world.a.contact.user

    moment = THURSDAY_10 + timedelta(seconds=30)
    frozen_clock(moment)
    assert sweep().digests == 1
    decide(client_user, db.session.get(ApprovalRequest, first.id), True, [], "")
    db.session.commit()
    _deliver_digests(run_worker, frozen_clock, moment)
    [message] = mailbox.to(client_user.email)
    assert message["Subject"] == "Reminder: b.pdf"
    assert "This is a reminder. Alpha asks you to approve the document b.pdf." in text_of(message)
    digests = outbox("digest")
    assert message["Message-ID"] == digests[0].message_id

    friday = moment + timedelta(days=1)
    frozen_clock(friday)
    assert sweep().digests == 1
    for request in (third, fourth):
        decide(client_user, db.session.get(ApprovalRequest, request.id), True, [], "")
    db.session.commit()
    frozen_clock(friday + AFTER_HOLD)
    sweep()
    run_worker()
    assert len(mailbox.to(client_user.email)) == 1
    last = outbox("digest")[-1]
    assert (last.state, last.last_error, last.sent_at) == (
        "cancelled",
        "nothing left to remind",
        None,
    )


def test_with_the_digest_off_each_reminder_goes_on_its_own(
    ctx, world, mailbox, run_worker, frozen_clock
):
    """The firm turned the digest off: five emails, each at its own time, as before."""
    world.a.firm.digest_enabled = False
    db.session.commit()
    sent = send_five(world, frozen_clock, spread=False)
    run_worker()
    mailbox.clear()
    frozen_clock(THURSDAY_10 + timedelta(seconds=30))
    result = sweep()
    assert (result.reminders, result.digests, result.pulled) == (5, 0, 0)
    run_worker()
    subjects = sorted(m["Subject"] for m in mailbox.to(world.a.contact.user.email))
    assert len(subjects) == 5 and all(s.startswith("Reminder: ") for s in subjects)
    assert outbox("digest") == []
    assert [r.sent_count for r in reminders_of(sent.ids)] == [1] * 5


def test_a_single_reminder_that_day_is_an_ordinary_email_sent_at_once(
    ctx, world, mailbox, run_worker, frozen_clock
):
    """One reminder due today, the next one due tomorrow: no digest, no hold, no pull."""
    folder = make_folder(world.a.account, "Bulk", "view")
    frozen_clock(MONDAY_10)
    make_approval(world.a.staff, make_document(folder, "today.pdf"))
    frozen_clock(MONDAY_10 + timedelta(days=1))
    make_approval(world.a.staff, make_document(folder, "tomorrow.pdf"))
    run_worker()
    mailbox.clear()
    frozen_clock(THURSDAY_10 + timedelta(seconds=30))
    result = sweep()
    assert (result.reminders, result.digests, result.pulled) == (1, 0, 0)
    run_worker()
    assert [m["Subject"] for m in mailbox.to(world.a.contact.user.email)] == ["Reminder: today.pdf"]


def test_one_digest_per_recipient_in_their_language_across_accounts(
    ctx, world, mailbox, run_worker, frozen_clock
):
    """A French contact of two accounts and an English one of the first: each gets one
    digest of what concerns them, in their language, the lines grouped by account."""
    frozen_clock(MONDAY_10)
    french = make_contact(world.a.account, language="fr", name="Claire Martin")
    second_account = make_account(world.a.firm, "Martin SCI")
    make_contact(second_account, user=french.user)
    db.session.commit()
    make_approval(world.a.staff, make_document(make_folder(world.a.account, "A"), "bilan.pdf"))
    make_approval(world.a.staff, make_document(make_folder(second_account, "B"), "bail.pdf"))
    chats.start_thread(
        world.a.staff, second_account, "Loyers", "Merci.", ReminderSettings(True, 3, 1)
    )
    db.session.commit()
    run_worker()
    mailbox.clear()
    moment = THURSDAY_10 + timedelta(seconds=30)
    frozen_clock(moment)
    sweep()
    _deliver_digests(run_worker, frozen_clock, moment)

    [french_mail] = mailbox.to(french.user.email)
    with force_locale("fr"):
        reminder = _("Reminder")
        hello = _("Hello %(name)s,", name="Claire Martin")
    body = text_of(french_mail)
    assert body.startswith(hello)
    assert body.count(f"- {reminder} · ") == 3
    assert body.index("Alpha Client") < body.index("bilan.pdf") < body.index("Martin SCI")
    assert body.index("Martin SCI") < body.index("bail.pdf")
    assert body.index("Martin SCI") < body.index("Loyers")
    # The English contact of the first account only: one reminder, the ordinary email.
    assert [m["Subject"] for m in mailbox.to(world.a.contact.user.email)] == ["Reminder: bilan.pdf"]
    assert db.session.scalar(select(func.count()).where(OutboxEmail.purpose == "digest")) == 1


def test_a_reminder_due_another_day_is_not_pulled_forward(
    ctx, world, mailbox, run_worker, frozen_clock
):
    """Two reminders due on Thursday and one on Friday: Thursday's digest lists two, the
    Friday one waits for its day."""
    folder = make_folder(world.a.account, "Bulk", "view")
    frozen_clock(MONDAY_10)
    make_approval(world.a.staff, make_document(folder, "one.pdf"))
    make_approval(world.a.staff, make_document(folder, "two.pdf"))
    frozen_clock(MONDAY_10 + timedelta(days=1))
    make_approval(world.a.staff, make_document(folder, "three.pdf"))
    run_worker()
    mailbox.clear()
    moment = THURSDAY_10 + timedelta(seconds=30)
    frozen_clock(moment)
    result = sweep()
    assert (result.reminders, result.pulled) == (2, 0)
    _deliver_digests(run_worker, frozen_clock, moment)
    [message] = mailbox.to(world.a.contact.user.email)
    assert message["Subject"] == "2 reminders from Alpha"
    assert "three.pdf" not in text_of(message)


def test_the_firm_turns_the_digest_off_and_on_in_its_settings(client, ctx, world):
    """Owners and admins switch the digest on the Reminders page; an employee may not."""
    from tests.factories import make_user

    client.login(world.a.staff.email)
    page = client.get("/settings/reminders").data.decode()
    assert re.search(r'name="digest" value="on" id="digest-enabled"[^>]* checked', page)
    form = {
        "reminders": "on",
        "interval_days": "3",
        "max_count": "1",
        "window_start": "9",
        "window_end": "17",
        "weekdays": list("12345"),
    }
    response = client.post("/settings/reminders", data={**form, "digest": ["off"]})
    assert response.status_code == 302
    db.session.expire_all()
    assert world.a.firm.digest_enabled is False
    client.post("/settings/reminders", data=form)  # a form without the field leaves it
    db.session.expire_all()
    assert world.a.firm.digest_enabled is False
    client.post("/settings/reminders", data={**form, "digest": ["off", "on"]})
    db.session.expire_all()
    assert world.a.firm.digest_enabled is True
    assert world.b.firm.digest_enabled is True

    employee = make_user(world.a.firm, "employee")
    db.session.commit()
    other = client.application.test_client()
    other.login(employee.email)
    assert other.post("/settings/reminders", data={**form, "digest": ["off"]}).status_code == 403
    db.session.expire_all()
    assert world.a.firm.digest_enabled is True


def test_reminders_made_due_after_the_days_digest_went_get_the_days_second_digest(
    ctx, world, mailbox, run_worker, frozen_clock
):
    """The day's digest went at 10:00; at 14:00 staff shorten two other items' interval, so
    both are overdue: they go together in the day's second digest, never in the sent one."""
    from dashboard.reminders.service import update_settings

    folder = make_folder(world.a.account, "Bulk", "view")
    frozen_clock(MONDAY_10)
    for name in ("a.pdf", "b.pdf"):
        make_approval(world.a.staff, make_document(folder, name))
    later = [
        make_approval(world.a.staff, make_document(folder, name), interval_days=10)
        for name in ("c.pdf", "d.pdf")
    ]
    run_worker()
    mailbox.clear()
    moment = THURSDAY_10 + timedelta(seconds=30)
    frozen_clock(moment)
    sweep()
    _deliver_digests(run_worker, frozen_clock, moment)
    afternoon = THURSDAY_10 + timedelta(hours=4)
    frozen_clock(afternoon)
    for request in later:
        update_settings(world.a.staff, request, ReminderSettings(True, 1, 1))
    db.session.commit()
    assert sweep().digests == 1
    _deliver_digests(run_worker, frozen_clock, afternoon)

    first, second = mailbox.to(world.a.contact.user.email)
    assert "a.pdf" in text_of(first) and "c.pdf" not in text_of(first)
    assert "c.pdf" in text_of(second) and "d.pdf" in text_of(second)
    assert "a.pdf" not in text_of(second)
    keys = [row.idempotency_key for row in outbox("digest")]
    user, day = world.a.contact.user_id, "2026-11-26"
    assert keys == [f"digest:{user}:{day}", f"digest:{user}:{day}:2"]
