"""Items of several kinds, sent through the real services, for the digest and pause tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from dashboard.audit.models import AuditEvent
from dashboard.chats import service as chats
from dashboard.extensions import db
from dashboard.notify.models import OutboxEmail
from dashboard.reminders.models import Reminder
from dashboard.reminders.service import ReminderSettings
from tests.factories import make_approval, make_document, make_folder
from tests.invoices.helpers import issued_invoice

#: Monday 23 November 2026, 10:00 in Paris (the firm's time zone; window 09:00-17:00).
MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
#: Three days later: Thursday 26 November, 10:00 Paris, when the first reminders fall due.
THURSDAY_10 = MONDAY_10 + timedelta(days=3)
#: How long after it opens a digest may go (DIGEST_HOLD_SECONDS), plus a sweep's margin.
AFTER_HOLD = timedelta(seconds=61)


@dataclass
class Sent:
    """The items, in the order sent, and when each was sent."""

    ids: list[int]
    kinds: list[str]
    sent_at: list[datetime]


def send_five(world, frozen_clock, count: int = 2, spread: bool = True) -> Sent:
    """Five items of three kinds to world.a.account, Monday 10:00 to 15:30 Paris when
    `spread` (so their first reminders fall due across Thursday), else all at 10:00: two
    approvals, two conversations, one invoice; reminders every 3 days, `count` of them."""
    folder = make_folder(world.a.account, "Year end", "view")
    offsets = [0, 20, 60, 240, 330] if spread else [0, 0, 0, 0, 0]
    settings = ReminderSettings(True, 3, count)
    ids, kinds, times = [], [], []
    for n, minutes in enumerate(offsets):
        moment = MONDAY_10 + timedelta(minutes=minutes, seconds=n)
        frozen_clock(moment)
        if n < 2:
            document = make_document(folder, f"statement-{n + 1}.pdf", uploaded_by=world.a.staff)
            item = make_approval(world.a.staff, document, interval_days=3, max_count=count)
            kind = "approval"
        elif n < 4:
            item = chats.start_thread(
                world.a.staff, world.a.account, f"Receipts {n - 1}", "Please send them.", settings
            )
            db.session.commit()
            kind = "chat"
        else:
            item = issued_invoice(world.a.staff, world.a.account, interval=3, count=count)
            kind = "invoice"
        ids.append(item.id)
        kinds.append(kind)
        times.append(moment)
    return Sent(ids, kinds, times)


def outbox(purpose: str | None = None) -> list[OutboxEmail]:
    db.session.expire_all()
    query = select(OutboxEmail).order_by(OutboxEmail.id)
    if purpose:
        query = query.where(OutboxEmail.purpose == purpose)
    return list(db.session.scalars(query))


def reminders_of(ids: list[int]) -> list[Reminder]:
    db.session.expire_all()
    by_item = {
        r.item_id: r for r in db.session.scalars(select(Reminder).where(Reminder.item_id.in_(ids)))
    }
    return [by_item[i] for i in ids]


def reminder_audits(ids: list[int]) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "reminder.sent", AuditEvent.subject_id.in_(ids))
            .order_by(AuditEvent.id)
        )
    )


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()
