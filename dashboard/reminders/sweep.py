"""The sweep: claim due reminders in batches, re-check, write outbox rows, reschedule.

A claim is a conditional UPDATE: only rows still due are taken, and taking one moves it out
of the due set in the same transaction. Two sweeps at once therefore never take the same
reminder, on SQLite (one writer at a time) and on PostgreSQL (the second UPDATE waits for the
row, then re-checks `next_at` and finds it no longer due). SKIP LOCKED is only a speed-up.
The whole batch (claim, emails, new schedule) commits together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload, with_polymorphic

from dashboard.audit.models import AuditEvent
from dashboard.auth.models import Firm
from dashboard.clock import now
from dashboard.extensions import db
from dashboard.items.kinds import kind_of
from dashboard.items.models import ActionItem
from dashboard.notify.inbox import add_entry
from dashboard.notify.models import SweepStatus
from dashboard.notify.outbox import queue_email, requeue_lost
from dashboard.reminders.models import Reminder
from dashboard.reminders.service import reschedule


@dataclass
class SweepResult:
    reminders: int = 0
    emails: int = 0
    stopped: int = 0
    requeued: int = 0


def claim_due(moment: datetime, batch_size: int) -> list[int]:
    """Take up to `batch_size` due reminders out of the due set; returns their ids."""
    due = (
        select(Reminder.id)
        .where(Reminder.next_at.is_not(None), Reminder.next_at <= moment)
        .order_by(Reminder.next_at)
        .limit(batch_size)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = db.session.execute(
        update(Reminder)
        .where(Reminder.id.in_(due.scalar_subquery()), Reminder.next_at <= moment)
        .values(next_at=None)
        .returning(Reminder.id)
        .execution_options(synchronize_session=False)
    )
    return list(claimed.scalars())


def process_batch(moment: datetime, batch_size: int, result: SweepResult) -> int:
    """One transaction: claim, re-check through the kind, write emails, reschedule, commit."""
    ids = claim_due(moment, batch_size)
    every_kind = with_polymorphic(ActionItem, "*")
    if not ids:
        db.session.rollback()
        return 0
    reminders = list(
        db.session.scalars(
            select(Reminder)
            .options(
                selectinload(Reminder.item.of_type(every_kind)).selectinload(every_kind.account)
            )
            .where(Reminder.id.in_(ids))
            .execution_options(populate_existing=True)
        )
    )
    firms = {
        f.id: f
        for f in db.session.scalars(
            select(Firm).where(Firm.id.in_({r.item.firm_id for r in reminders}))
        )
    }
    by_kind: dict[str, list[ActionItem]] = {}
    for reminder in reminders:
        by_kind.setdefault(reminder.item.kind, []).append(reminder.item)
    recipients: dict[int, list] = {}
    for items in by_kind.values():
        kind_of(items[0]).preload(items)
        recipients.update(kind_of(items[0]).recipients_many(items))

    audit_rows = []
    for reminder in reminders:
        item, firm = reminder.item, firms[reminder.item.firm_id]
        kind = kind_of(item)
        people = recipients.get(item.id, [])
        if not item.is_pending or kind.is_complete(item):
            reminder.stopped_reason = "completed"
            result.stopped += 1
            continue
        if not reminder.enabled or reminder.sent_count >= reminder.max_count:
            reschedule(reminder, item, firm, people)
            result.stopped += 1
            continue
        if not people:
            reminder.stopped_reason = "no_recipients"
            result.stopped += 1
            continue
        number = reminder.sent_count + 1
        for user in people:
            queue_email(
                firm_id=item.firm_id,
                key=f"reminder:{reminder.id}:{number}:{user.id}",
                purpose="reminder",
                to=user,
                item=item,
                reminder_number=number,
            )
        result.emails += len(people)
        reminder.sent_count = number
        reminder.timer_from = moment
        reschedule(reminder, item, firm, people)
        audit_rows.append(
            AuditEvent(
                firm_id=item.firm_id,
                account_id=item.account_id,
                actor_id=None,
                subject_type=item.kind,
                subject_id=item.id,
                action="reminder.sent",
                details={"number": number, "recipients": len(people), "title": kind.title(item)},
                created_at=moment,
            )
        )
        if number >= reminder.max_count and item.sent_by_id:
            # B5: nothing falls through silently after the last reminder.
            add_entry(
                item.sent_by_id,
                item.firm_id,
                "reminders_exhausted",
                account_id=item.account_id,
                item_id=item.id,
                title=kind.title(item),
                account=item.account.name,
            )
        result.reminders += 1
    db.session.add_all(audit_rows)
    db.session.commit()
    return len(ids)


def sweep(moment: datetime | None = None, batch_size: int | None = None) -> SweepResult:
    """Send every due reminder once, then re-enqueue emails a lost job left queued."""
    moment = moment or now()
    batch_size = batch_size or current_app.config["SWEEP_BATCH_SIZE"]
    result = SweepResult()
    started = now()
    while process_batch(moment, batch_size, result) == batch_size:
        pass
    result.requeued = requeue_lost()
    _record_status(started, result)
    return result


def _record_status(started: datetime, result: SweepResult) -> None:
    values = {
        "started_at": started,
        "finished_at": now(),
        "reminders": result.reminders,
        "emails": result.emails,
        "requeued": result.requeued,
    }
    updated = db.session.execute(
        update(SweepStatus)
        .where(SweepStatus.id == 1)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not updated:
        try:
            db.session.add(SweepStatus(id=1, **values))
            db.session.commit()
        except IntegrityError:  # another sweep wrote the first row at the same moment
            db.session.rollback()
        return
    db.session.commit()
