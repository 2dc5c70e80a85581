"""Signature requests on the engine, end to end: real Redis, worker, SMTP sink, moved clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from dashboard.audit.models import AuditEvent
from dashboard.extensions import db
from dashboard.notify.models import InboxEntry, OutboxEmail
from dashboard.reminders.models import Reminder
from dashboard.reminders.service import resend_item
from dashboard.reminders.sweep import sweep
from dashboard.signatures import service
from tests.factories import make_contact
from tests.signatures.helpers import FACTS, add_pdf, make_request, sign_as, signer_of

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Paris


def two_signers(world, in_order=True, count=2):
    a = world.a
    first = a.contact.user
    second = make_contact(a.account, name="Second Signer", language="nl").user
    document = add_pdf(a.folders["view"], a.staff)
    request = make_request(a.staff, document, [first, second], in_order=in_order, count=count)
    return request, first, second


def subjects(mailbox, user):
    return [m["Subject"] for m in mailbox.to(user.email)]


def test_in_order_only_the_first_signer_is_notified_and_reminded(
    ctx, world, mailbox, run_worker, frozen_clock
):
    """In order, is only signer 1 emailed, then signer 2 once signer 1 signed — and does no
    reminder ever reach a signer who signed?"""
    frozen_clock(MONDAY_10)
    request, first, second = two_signers(world)
    run_worker()
    assert subjects(mailbox, first) == ["Please sign contract.pdf"]
    assert subjects(mailbox, second) == []
    frozen_clock(MONDAY_10 + timedelta(days=3, hours=1))
    sweep()
    run_worker()
    assert subjects(mailbox, first) == [
        "Please sign contract.pdf",
        "Reminder: contract.pdf",
    ]
    assert subjects(mailbox, second) == []

    frozen_clock(MONDAY_10 + timedelta(days=4))
    sign_as(request, first)
    run_worker()
    assert len(subjects(mailbox, second)) == 1  # notified now that it is their turn
    for days in (7, 8, 11, 12, 20):
        frozen_clock(MONDAY_10 + timedelta(days=days, hours=1))
        sweep()
        run_worker()
    assert len(subjects(mailbox, first)) == 2  # nothing more after signing
    # Signer 2 gets the full count of reminders (2) for their own turn, then nothing.
    assert len(subjects(mailbox, second)) == 3


def test_all_at_once_reminders_skip_whoever_signed(ctx, world, mailbox, run_worker, frozen_clock):
    """All at once: both are notified; after one signs, only the other is reminded."""
    frozen_clock(MONDAY_10)
    request, first, second = two_signers(world, in_order=False)
    run_worker()
    assert len(subjects(mailbox, first)) == 1 and len(subjects(mailbox, second)) == 1
    frozen_clock(MONDAY_10 + timedelta(days=1))
    sign_as(request, second)
    frozen_clock(MONDAY_10 + timedelta(days=3, hours=1))
    sweep()
    run_worker()
    assert len(subjects(mailbox, first)) == 2
    assert len(subjects(mailbox, second)) == 1
    db.session.refresh(request)
    assert service.status_of(request) == "partial"


def test_a_queued_reminder_is_cancelled_when_its_signer_signs(
    ctx, world, mailbox, run_worker, frozen_clock
):
    """A reminder the sweep queued for a signer who then signs, before the worker ran: dropped."""
    frozen_clock(MONDAY_10)
    request, first, second = two_signers(world, in_order=False)
    run_worker()
    frozen_clock(MONDAY_10 + timedelta(days=3, hours=1))
    sweep()  # reminder rows for both are queued, not yet delivered
    sign_as(request, first)
    run_worker()
    assert len(subjects(mailbox, first)) == 1
    assert len(subjects(mailbox, second)) == 2
    cancelled = db.session.scalars(
        select(OutboxEmail).where(
            OutboxEmail.state == "cancelled", OutboxEmail.purpose == "reminder"
        )
    ).all()
    assert [row.recipient_id for row in cancelled] == [first.id]


def test_decline_stops_everything_and_tells_the_firm(ctx, world, mailbox, run_worker, frozen_clock):
    """Does a decline stop reminders for every signer and reach the firm (Inbox+ and email)?"""
    frozen_clock(MONDAY_10)
    request, first, second = two_signers(world, in_order=False)
    run_worker()
    frozen_clock(MONDAY_10 + timedelta(days=1))
    service.decline(first, request, signer_of(request, first), "The amount is wrong", FACTS)
    db.session.commit()
    run_worker()
    staff = world.a.staff
    entry = db.session.scalar(select(InboxEntry).where(InboxEntry.user_id == staff.id))
    assert entry.topic == "signature_declined" and entry.details["reason"] == "The amount is wrong"
    assert any("declined" in s for s in subjects(mailbox, staff))
    for days in (3, 4, 8):
        frozen_clock(MONDAY_10 + timedelta(days=days, hours=1))
        sweep()
        run_worker()
    assert len(subjects(mailbox, first)) == 1 and len(subjects(mailbox, second)) == 1
    db.session.refresh(request)
    assert service.status_of(request) == "declined"
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == request.id))
    assert reminder.next_at is None


def test_cancel_after_the_sweep_queued_sends_nothing(ctx, world, mailbox, run_worker, frozen_clock):
    """Cancel committing between the sweep (reminders queued) and the worker: nothing goes."""
    frozen_clock(MONDAY_10)
    request, first, _ = two_signers(world)
    run_worker()
    frozen_clock(MONDAY_10 + timedelta(days=3, hours=1))
    sweep()
    assert service.cancel_request(world.a.staff, request)
    db.session.commit()
    run_worker()
    assert len(subjects(mailbox, first)) == 1
    db.session.refresh(request)
    assert service.status_of(request) == "cancelled"
    events = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_id == request.id)
    ).all()
    assert "signature.cancelled" in events


def test_resend_restarts_the_timer(ctx, world, mailbox, run_worker, frozen_clock):
    """B7: after a resend on day 2, the reminder comes 3 days after the resend, not on day 3."""
    frozen_clock(MONDAY_10)
    request, first, second = two_signers(world, in_order=True)
    run_worker()
    frozen_clock(MONDAY_10 + timedelta(days=2))
    assert service.resend_request(world.a.staff, request, "Gentle nudge")
    db.session.commit()
    run_worker()
    assert subjects(mailbox, first)[-1] == "Sent again: contract.pdf"
    assert subjects(mailbox, second) == []  # a resend goes to whoever must act now
    frozen_clock(MONDAY_10 + timedelta(days=3, hours=1))
    sweep()
    run_worker()
    assert len(subjects(mailbox, first)) == 2  # no reminder on day 3
    frozen_clock(MONDAY_10 + timedelta(days=7, hours=1))  # 3 days after, past the weekend
    sweep()
    run_worker()
    assert len(subjects(mailbox, first)) == 3


def test_settings_can_change_after_someone_signed(ctx, world, client, frozen_clock):
    """R6: the Reminders toggle and settings are saved while pending, even after one signed."""
    frozen_clock(MONDAY_10)
    request, first, _ = two_signers(world, in_order=False)
    sign_as(request, first)
    client.login(world.a.staff.email)
    response = client.post(
        f"/clients/{world.a.account.id}/items/{request.id}/reminders",
        data={"interval_days": "5", "max_count": "3"},  # toggle off
    )
    assert response.status_code == 200
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == request.id))
    db.session.refresh(reminder)
    assert (reminder.enabled, reminder.interval_days, reminder.max_count) == (False, 5, 3)
    assert reminder.next_at is None


def test_last_signature_completes_and_the_worker_seals(ctx, world, run_worker, frozen_clock):
    """Does the last signature complete the item, enqueue the seal job, and the worker write the
    signed copy next to the original, with audit entries for each step?"""
    frozen_clock(MONDAY_10)
    request, first, second = two_signers(world, in_order=False)
    sign_as(request, first)
    sign_as(request, second)
    from dashboard.signatures.signed_copy import enqueue_seal

    assert enqueue_seal(request.id)
    run_worker()
    db.session.expire_all()
    assert request.status == "completed" and request.seal_state == "sealed"
    assert request.signed_document.folder_id == request.document.folder_id
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.subject_type == "signature", AuditEvent.subject_id == request.id)
        .order_by(AuditEvent.id)
    ).all()
    assert actions[:2] == ["item.sent", "signature.requested"]
    assert actions.count("signature.signed") == 2 and actions[-1] == "signature.sealed"


def test_resend_item_reaches_only_unsigned_signers(ctx, world, mailbox, run_worker, frozen_clock):
    """The engine's resend (the generic ⋯ Resend) goes only to signers who have not signed."""
    frozen_clock(MONDAY_10)
    request, first, second = two_signers(world, in_order=False)
    run_worker()
    sign_as(request, first)
    frozen_clock(MONDAY_10 + timedelta(hours=2))
    assert resend_item(world.a.staff, request)
    db.session.commit()
    run_worker()
    assert len(subjects(mailbox, first)) == 1 and len(subjects(mailbox, second)) == 2


def _in(app, locale: str, msgid: str, **variables) -> str:
    """`msgid` as the app writes it for a reader of `locale`, with today's catalogs."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale(locale):
        return gettext(msgid, **variables)


def test_emails_go_in_each_signers_language(app, ctx, world, mailbox, run_worker, frozen_clock):
    """Does each signer get the request and the reminder in their own language (fr, nl), not
    the firm's (en)?"""
    frozen_clock(MONDAY_10)
    first = world.a.contact.user
    first.language = "fr"
    request, _, second = two_signers(world, in_order=False)
    run_worker()
    frozen_clock(MONDAY_10 + timedelta(days=3, hours=1))
    sweep()
    run_worker()
    for user, locale in ((first, "fr"), (second, "nl")):
        reminder = _in(app, locale, "Reminder")
        wanted = [
            _in(app, locale, "Please sign %(document)s", document="contract.pdf"),
            _in(app, locale, "%(reminder)s: %(title)s", reminder=reminder, title="contract.pdf"),
        ]
        assert wanted[0] != "Please sign contract.pdf" and reminder != "Reminder"  # translated
        assert subjects(mailbox, user) == wanted, locale
        (body,) = {m.get_body(("plain",)).get_content() for m in mailbox.to(user.email)[:1]}
        assert _in(app, locale, "Review and sign") in body


def test_the_audit_trail_records_each_step(app, ctx, world, client, frozen_clock):
    """Are the request, a signer's first view, a settings change, a resend, a signature and a
    decline each in the item's audit trail, and shown on the account's Audit trail tab?"""
    frozen_clock(MONDAY_10)
    request, first, second = two_signers(world, in_order=False)
    staff = world.a.staff
    service.record_view(first, signer_of(request, first))
    db.session.commit()
    frozen_clock(MONDAY_10 + timedelta(hours=1))
    from dashboard.reminders.service import ReminderSettings, update_settings

    update_settings(staff, request, ReminderSettings(True, 5, 2))
    assert service.resend_request(staff, request, "")
    db.session.commit()
    sign_as(request, first)
    service.decline(second, request, signer_of(request, second), "Wrong year", FACTS)
    db.session.commit()
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.subject_type == "signature", AuditEvent.subject_id == request.id)
        .order_by(AuditEvent.id)
    ).all()
    assert actions == [
        "item.sent",
        "signature.requested",
        "signature.viewed",
        "reminders.updated",
        "item.resent",
        "signature.signed",
        "signature.declined",
    ]
    client.login(staff.email)
    page = client.get(f"/clients/{world.a.account.id}/audit").data.decode()
    for sentence in (
        _in(
            app,
            "en",
            "Requested signatures on %(title)s from %(signers)s",
            title="contract.pdf",
            signers=f"{first.name}, {second.name}",
        ),
        _in(app, "en", "Opened %(title)s to sign it", title="contract.pdf"),
        _in(app, "en", "Signed %(title)s", title="contract.pdf"),
        _in(
            app,
            "en",
            "Declined to sign %(title)s: %(reason)s",
            title="contract.pdf",
            reason="Wrong year",
        ),
    ):
        assert sentence in page, sentence
