"""The sweep: claim due reminders in batches, re-check, write outbox rows, reschedule.

A claim is a conditional UPDATE: only rows still due are taken, and taking one moves it out
of the due set in the same transaction. Two sweeps at once therefore never take the same
reminder, on SQLite (one writer at a time) and on PostgreSQL (the second UPDATE waits for the
row, then re-checks `next_at` and finds it no longer due). SKIP LOCKED is only a speed-up.
The whole batch (claim, emails, new schedule) commits together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from dashboard.accounts.models import Account
from dashboard.audit.models import AuditEvent
from dashboard.auth.models import Firm
from dashboard.clock import now
from dashboard.extensions import db
from dashboard.items.kinds import SweepFacts, kind_named
from dashboard.items.models import ActionItem
from dashboard.notify.inbox import add_entry
from dashboard.notify.models import SweepStatus
from dashboard.notify.outbox import queue_many, requeue_lost
from dashboard.reminders.models import Reminder
from dashboard.reminders.schedule import into_window
from dashboard.reminders.service import next_state, window_of, zone_for


@dataclass
class SweepResult:
    reminders: int = 0
    emails: int = 0
    stopped: int = 0
    requeued: int = 0


def claim_due(moment: datetime, batch_size: int) -> list[int]:
    """Claim up to `batch_size` due reminders for this transaction; returns their ids.

    The due rows are chosen once, in a materialized CTE: as `IN (SELECT … LIMIT n)` PostgreSQL
    may rescan the subquery while updating, and each rescan (skipping the rows this very
    statement just updated) adds more rows, so one claim could take far more than the batch.
    """
    due = (
        select(Reminder.id)
        .where(Reminder.next_at.is_not(None), Reminder.next_at <= moment)
        .order_by(Reminder.next_at)
        .limit(batch_size)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = select(
            due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED").c.id
        )
    else:
        # No CTE on SQLite: Python's sqlite3 opens a transaction only before a statement
        # that starts with UPDATE, so a "WITH … UPDATE" would commit on its own and the
        # claim would not hold until the batch commits. SQLite has no row locks to skip.
        due = due.scalar_subquery()
    claimed = db.session.execute(
        update(Reminder)
        .where(Reminder.id.in_(due), Reminder.next_at <= moment)
        # Writing the row is what claims it (a second sweep waits for it, then finds it no
        # longer due); rewriting an unindexed column keeps it a cheap (HOT) update on
        # PostgreSQL. The batch then writes each row's real next time.
        .values(timer_from=Reminder.timer_from)
        .returning(Reminder.id)
        .execution_options(synchronize_session=False)
    )
    return list(claimed.scalars())


def _claimed_rows(ids: list[int]) -> list:
    """The claimed reminders with what planning needs of their item, account and firm."""
    return db.session.execute(
        select(
            Reminder.id,
            Reminder.item_id,
            Reminder.round,
            Reminder.enabled,
            Reminder.interval_days,
            Reminder.max_count,
            Reminder.sent_count,
            Reminder.timer_from,
            ActionItem.kind,
            ActionItem.status,
            ActionItem.firm_id,
            ActionItem.account_id,
            ActionItem.sent_by_id,
            ActionItem.sent_at,
            ActionItem.title,
            Account.name.label("account_name"),
        )
        .join(ActionItem, ActionItem.id == Reminder.item_id)
        .join(Account, Account.id == ActionItem.account_id)
        .where(Reminder.id.in_(ids))
        .order_by(Reminder.id)
    ).all()


def _facts_by_item(rows: list) -> dict[int, SweepFacts]:
    """Ask each kind, once per batch, whether its items are complete and who is emailed."""
    by_kind: dict[str, list[tuple[int, int, str, str]]] = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(
            (row.item_id, row.account_id, row.status, row.title)
        )
    facts: dict[int, SweepFacts] = {}
    for kind_name, items in by_kind.items():
        facts.update(kind_named(kind_name).sweep_facts(items))
    return facts


@dataclass
class BatchPlan:
    """What one batch writes: reminder updates, outbox rows, audit rows."""

    moment: datetime
    updates: list[dict] = field(default_factory=list)
    emails: list[dict] = field(default_factory=list)
    audits: list[dict] = field(default_factory=list)
    #: Send-window openings and next states are computed once per distinct input.
    openings: dict[tuple, datetime] = field(default_factory=dict)
    next_states: dict[tuple, tuple[datetime | None, str | None]] = field(default_factory=dict)

    def opening(self, zone: str, window) -> datetime:
        key = (zone, window)
        if key not in self.openings:
            self.openings[key] = into_window(self.moment, ZoneInfo(zone), window)
        return self.openings[key]

    def after_send(self, zone: str, window, row, number: int) -> tuple[datetime | None, str | None]:
        # Every reminder of the batch restarts its timer at `moment`: one computation per
        # (zone, window, interval, is it the last) instead of one per reminder.
        key = (zone, window, row.interval_days, number >= row.max_count)
        if key not in self.next_states:
            self.next_states[key] = next_state(
                pending=True,
                enabled=True,
                sent_count=number,
                max_count=row.max_count,
                timer_from=self.moment,
                interval_days=row.interval_days,
                zone=zone,
                window=window,
            )
        return self.next_states[key]


def _plan_row(plan: BatchPlan, row, firm: Firm, fact: SweepFacts, result: SweepResult) -> None:
    """Decide one claimed reminder: stop it, let it wait for the window, or send it.

    Every outcome moves the row out of the due set (next_at NULL or after `moment`), which
    is what lets the sweep loop until a claim finds nothing.
    """
    change = {
        "rid": row.id,
        "sent_count": row.sent_count,
        "timer_from": row.timer_from,
        "next_at": None,
        "stopped_reason": None,
    }
    plan.updates.append(change)
    zone, window = zone_for(firm, fact.recipients), window_of(firm)
    if fact.complete or not row.enabled or row.sent_count >= row.max_count:
        _, change["stopped_reason"] = next_state(
            pending=not fact.complete,
            enabled=row.enabled,
            sent_count=row.sent_count,
            max_count=row.max_count,
            timer_from=row.timer_from or row.sent_at,
            interval_days=row.interval_days,
            zone=zone,
            window=window,
        )
        result.stopped += 1
        return
    if not fact.recipients:
        change["stopped_reason"] = "no_recipients"
        result.stopped += 1
        return
    opening = plan.opening(zone, window)
    if opening > plan.moment:
        # Overdue outside the send window (the sweep was down, or the settings changed
        # at night): it waits for the window, then goes once (B1, B4).
        change["next_at"] = opening
        return
    number = row.sent_count + 1
    plan.emails.extend(_reminder_emails(row, fact, number))
    change["sent_count"], change["timer_from"] = number, plan.moment
    change["next_at"], change["stopped_reason"] = plan.after_send(zone, window, row, number)
    plan.audits.append(_reminder_audit(row, fact, number, plan.moment))
    if number >= row.max_count and row.sent_by_id:
        # B5: nothing falls through silently after the last reminder.
        add_entry(
            row.sent_by_id,
            row.firm_id,
            "reminders_exhausted",
            account_id=row.account_id,
            item_id=row.item_id,
            title=fact.title,
            account=row.account_name,
        )
    result.reminders += 1
    result.emails += len(fact.recipients)


def _reminder_emails(row, fact: SweepFacts, number: int) -> list[dict]:
    return [
        {
            "firm_id": row.firm_id,
            "purpose": "reminder",
            "reminder_number": number,
            "idempotency_key": f"reminder:{row.id}:{row.round}:{number}:{person.user_id}",
            "item_id": row.item_id,
            "recipient_id": person.user_id,
            "to_email": person.email,
            "locale": person.locale,
        }
        for person in fact.recipients
    ]


def _reminder_audit(row, fact: SweepFacts, number: int, moment: datetime) -> dict:
    return {
        "firm_id": row.firm_id,
        "account_id": row.account_id,
        "actor_id": None,
        "subject_type": row.kind,
        "subject_id": row.item_id,
        "action": "reminder.sent",
        "details": {
            "number": number,
            "round": row.round,
            "recipients": len(fact.recipients),
            "title": fact.title,
        },
        "created_at": moment,
    }


def _write(plan: BatchPlan) -> None:
    """Bulk statements: a few per batch, whatever its size; no ORM object per row."""
    reminders = Reminder.__table__
    plan.updates.sort(key=lambda change: change["rid"])  # table order: fewer random reads
    db.session.execute(
        reminders.update()
        .where(reminders.c.id == bindparam("rid"))
        .values(
            sent_count=bindparam("sent_count"),
            timer_from=bindparam("timer_from"),
            next_at=bindparam("next_at"),
            stopped_reason=bindparam("stopped_reason"),
        ),
        plan.updates,
    )
    queue_many(plan.emails)
    if plan.audits:
        db.session.execute(AuditEvent.__table__.insert(), plan.audits)


def process_batch(moment: datetime, batch_size: int, result: SweepResult) -> int:
    """One transaction: claim, plan (re-check through the kind), write, commit.

    Returns how many reminders it claimed; 0 means nothing claimable is due.
    """
    ids = claim_due(moment, batch_size)
    if not ids:
        db.session.rollback()
        return 0
    rows = _claimed_rows(ids)
    firms = {
        f.id: f
        for f in db.session.scalars(select(Firm).where(Firm.id.in_({row.firm_id for row in rows})))
    }
    facts = _facts_by_item(rows)
    plan = BatchPlan(moment)
    for row in rows:
        _plan_row(plan, row, firms[row.firm_id], facts[row.item_id], result)
    _write(plan)
    db.session.commit()
    return len(ids)


def sweep(moment: datetime | None = None, batch_size: int | None = None) -> SweepResult:
    """Send every due reminder once, then re-enqueue emails a lost job left queued.

    The loop ends only when a claim finds nothing: a short batch does not mean the due set
    is empty (rows another sweep holds are skipped on PostgreSQL, and rows it committed
    between our snapshot and our lock drop out of the claim).
    """
    moment = moment or now()
    batch_size = batch_size or current_app.config["SWEEP_BATCH_SIZE"]
    result = SweepResult()
    started = now()
    while process_batch(moment, batch_size, result):
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
