"""The sweep: claim due reminders in batches, re-check, write outbox rows, reschedule.

A claim is a conditional UPDATE: only rows still due are taken, and taking one moves it out
of the due set in the same transaction. Two sweeps at once therefore never take the same
reminder, on SQLite (one writer at a time) and on PostgreSQL (the second UPDATE waits for the
row, then re-checks `next_at` and finds it no longer due). SKIP LOCKED is only a speed-up.
The whole batch (claim, emails, new schedule) commits together or not at all.

Two features shape a batch on top of that: a reminder due while its account or firm is paused
is put off to the end of the pause (`pause.py`, B9), and a contact with several reminders that
local day gets them in one digest (`digest.py`, B3): the batch then also takes their reminders
due later that day, and writes their emails into the day's digest.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from dashboard.accounts.models import Account
from dashboard.audit.models import AuditEvent
from dashboard.auth.models import Firm
from dashboard.clock import now
from dashboard.extensions import db
from dashboard.items.kinds import SweepFacts, kind_named, stop_reasons
from dashboard.items.models import ActionItem
from dashboard.notify.inbox import add_entry
from dashboard.notify.models import SweepStatus
from dashboard.notify.outbox import queue_many, requeue_lost
from dashboard.reminders import digest
from dashboard.reminders.models import Reminder
from dashboard.reminders.pause import PAUSED, paused_until, resume_at
from dashboard.reminders.schedule import into_window
from dashboard.reminders.service import next_state, window_of, zone_for


@dataclass
class SweepResult:
    reminders: int = 0
    emails: int = 0
    stopped: int = 0
    requeued: int = 0
    #: Reminders put off to the end of a pause (B9).
    paused: int = 0
    #: Reminders due later today, sent now in their contact's digest (B3).
    pulled: int = 0
    #: Digests opened or joined (one per recipient and batch).
    digests: int = 0


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
            Account.reminders_paused_until.label("account_paused_until"),
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
    for item_id, reason in stop_reasons(list(facts)).items():
        facts[item_id] = replace(facts[item_id], stop_reason=reason)
    return facts


@dataclass
class Send:
    """A reminder the batch sends: its row, what its kind said, its number and audit row."""

    row: Any
    fact: SweepFacts
    number: int
    audit: dict


@dataclass
class BatchPlan:
    """What one batch writes: reminder updates, outbox rows, audit rows."""

    moment: datetime
    updates: list[dict] = field(default_factory=list)
    sends: list[Send] = field(default_factory=list)
    emails: list[dict] = field(default_factory=list)
    audits: list[dict] = field(default_factory=list)
    firms: dict[int, Firm] = field(default_factory=dict)
    #: {recipient user id: digest outbox id} for the recipients who get a digest.
    digests: dict[int, int] = field(default_factory=dict)
    #: Send-window openings and next states are computed once per distinct input.
    openings: dict[tuple, datetime] = field(default_factory=dict)
    next_states: dict[tuple, tuple[datetime | None, str | None]] = field(default_factory=dict)

    def opening(self, zone: str, window) -> datetime:
        key = (zone, window)
        if key not in self.openings:
            self.openings[key] = into_window(self.moment, ZoneInfo(zone), window)
        return self.openings[key]

    def resume(self, zone: str, window, until) -> datetime:
        key = ("resume", zone, window, until)
        if key not in self.openings:
            self.openings[key] = resume_at(until, zone, window)
        return self.openings[key]

    def load_firms(self, rows: list) -> None:
        """The rows' firms, read afresh (settings and pauses as they are now)."""
        missing = {row.firm_id for row in rows} - set(self.firms)
        if missing:
            self.firms.update(
                (firm.id, firm)
                for firm in db.session.scalars(
                    select(Firm)
                    .where(Firm.id.in_(missing))
                    .execution_options(populate_existing=True)
                )
            )

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
    if fact.stop_reason and not fact.complete:
        change["stopped_reason"] = fact.stop_reason  # e.g. its pipeline job was archived
        result.stopped += 1
        return
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
    until = paused_until(row.account_paused_until, firm.reminders_paused_until, plan.moment, zone)
    if until is not None:
        # Paused (B9): put off to the window's opening on the day the pause ends, when it goes
        # once however many were missed.
        change["next_at"], change["stopped_reason"] = plan.resume(zone, window, until), PAUSED
        result.paused += 1
        return
    opening = plan.opening(zone, window)
    if opening > plan.moment:
        # Overdue outside the send window (the sweep was down, or the settings changed
        # at night): it waits for the window, then goes once (B1, B4).
        change["next_at"] = opening
        return
    _send(plan, row, fact, change, zone, window, result)


def _plan_pulled(
    plan: BatchPlan, row, firm: Firm, fact: SweepFacts, people: set[int], result: SweepResult
) -> None:
    """A reminder due later today of someone who gets a digest now: sent with it when it
    could go now, otherwise left as it was (its own time will decide)."""
    if fact.stop_reason or fact.complete or not row.enabled or row.sent_count >= row.max_count:
        return
    if not any(person.user_id in people for person in fact.recipients):
        return  # e.g. that contact already signed: it is not theirs to be reminded of
    zone, window = zone_for(firm, fact.recipients), window_of(firm)
    if paused_until(row.account_paused_until, firm.reminders_paused_until, plan.moment, zone):
        return
    if plan.opening(zone, window) > plan.moment:
        return
    change = {"rid": row.id, "sent_count": row.sent_count, "timer_from": row.timer_from}
    change.update(next_at=None, stopped_reason=None)
    plan.updates.append(change)
    _send(plan, row, fact, change, zone, window, result)
    result.pulled += 1


def _send(
    plan: BatchPlan, row, fact: SweepFacts, change: dict, zone: str, window, result: SweepResult
) -> None:
    """Send reminder number n now: its emails are written once the batch knows who gets a
    digest; the timer restarts from this send."""
    number = row.sent_count + 1
    audit = _reminder_audit(row, fact, number, plan.moment)
    plan.sends.append(Send(row, fact, number, audit))
    change["sent_count"], change["timer_from"] = number, plan.moment
    change["next_at"], change["stopped_reason"] = plan.after_send(zone, window, row, number)
    plan.audits.append(audit)
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


def _reminder_emails(send: Send, digests: dict[int, int]) -> list[dict]:
    """One email per recipient; a recipient who gets a digest has theirs listed in it."""
    row, number = send.row, send.number
    emails = [
        {
            "firm_id": row.firm_id,
            "purpose": "reminder",
            "reminder_number": number,
            "idempotency_key": f"reminder:{row.id}:{row.round}:{number}:{person.user_id}",
            "item_id": row.item_id,
            "recipient_id": person.user_id,
            "to_email": person.email,
            "locale": person.locale,
            "digest_id": digests.get(person.user_id),
        }
        for person in send.fact.recipients
    ]
    in_digest = sum(1 for email in emails if email["digest_id"] is not None)
    if in_digest:
        send.audit["details"]["digest"] = in_digest
    return emails


def _gather_digests(plan: BatchPlan, batch_size: int, result: SweepResult) -> None:
    """Decide who gets a digest (B3), take their reminders due later today into the batch,
    and open or join each one's digest of the day (see digest.py)."""
    people = digest.people_of(
        [(send.row, send.fact.recipients) for send in plan.sends], plan.firms, plan.moment
    )
    if not people:
        return
    claimed = {change["rid"] for change in plan.updates}
    today = digest.due_today(people, plan.moment, claimed)
    chosen = digest.open_digest_users(people)
    chosen |= {
        user for user, person in people.items() if person.sends + len(today.get(user, ())) >= 2
    }
    later = sorted(
        {
            due.reminder_id
            for user in chosen
            for due in today.get(user, ())
            if due.next_at > plan.moment
        }
    )[:batch_size]
    latest = max(person.day_end for person in people.values())
    pulled = digest.claim_later(later, plan.moment, latest)
    if pulled:
        rows = _claimed_rows(pulled)
        plan.load_firms(rows)
        facts = _facts_by_item(rows)
        for row in rows:
            _plan_pulled(plan, row, plan.firms[row.firm_id], facts[row.item_id], chosen, result)
        # A pulled item may give someone else of its recipients a second reminder today.
        people = digest.people_of(
            [(send.row, send.fact.recipients) for send in plan.sends], plan.firms, plan.moment
        )
        chosen |= {user for user, person in people.items() if person.sends >= 2}
    plan.digests = digest.attach([people[user] for user in sorted(chosen)], plan.moment)
    result.digests += len(plan.digests)


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
    for send in plan.sends:
        plan.emails.extend(_reminder_emails(send, plan.digests))
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
    plan = BatchPlan(moment)
    plan.load_firms(rows)
    facts = _facts_by_item(rows)
    for row in rows:
        _plan_row(plan, row, plan.firms[row.firm_id], facts[row.item_id], result)
    if plan.sends:
        _gather_digests(plan, batch_size, result)
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
