"""One daily digest per contact (B3): a contact's reminders of one local day in one email.

The design, end to end:

* **What a digest is.** An outbox row of purpose "digest", one per recipient and local day
  (their time zone, else the firm's), keyed `digest:<user>:<YYYY-MM-DD>` (`:2`, `:3`… for a
  rare second one that day). The reminders it lists stay ordinary per-item outbox rows
  (purpose "reminder", keyed `reminder:<reminder>:<round>:<number>:<user>` as ever), with
  `digest_id` pointing at it. So everything the engine guarantees per reminder holds as it
  did: the sweep counts each one once (`sent_count`, the `reminder.sent` audit entry, the
  timeline, where its email says it went in a digest), completing an item cancels its row
  (which drops it from the digest), and the idempotency keys make a second write impossible.
* **When.** The sweep decides per batch. A recipient gets a digest when they have two or more
  reminders that local day: those the batch sends, plus any other reminder of their items
  (any kind, any account of the firm they are a contact of) due by the end of their day, or
  when a digest of theirs for that day is still open. Their reminders due *later* that day are
  then taken into the batch at once ("pulled forward", with the claim's conditional UPDATE and
  SKIP LOCKED on PostgreSQL), so a contact gets one email that day rather than one now and one
  at 15:00; each such reminder goes on the right local day, and its timer restarts from the
  actual send, as for any reminder. A recipient with a single reminder that day gets the
  ordinary reminder email, as before, and so does everyone when the firm turned the digest off.
* **Joining.** The digest row is written with INSERT … ON CONFLICT DO NOTHING on its key and
  then taken with an UPDATE that only matches it while it is still queued (the row lock on
  PostgreSQL, the write lock on SQLite): two sweeps, or two batches, write into the same
  digest, and a digest being delivered is never joined (the join waits for the delivery to
  commit, finds it sent, and opens the day's next one). Digests are taken in user order, so two
  sweeps never wait on each other in a circle.
* **A short hold.** A digest goes `DIGEST_HOLD_SECONDS` (60) after it was opened, so every
  batch of the sweep (and a sweep running alongside) joins it first; it is not enqueued at
  commit but by the next sweep's re-enqueue once the hold is over (`next_attempt_at`), exactly
  like an email waiting for a retry. Its reminders are never enqueued on their own.
* **Delivery** (`jobs/delivery.py`, `notify/digest.py`): the digest row is claimed like any
  email; then, in the same transaction, each listed reminder row is claimed with the lock
  discipline of `notify/claims.py` (only while its item is pending, the item's row taken FOR
  SHARE), so an item completed before the send is left out and a completion during the send
  waits for it. The email lists exactly the claimed ones, each with its action link and its
  number ("2nd reminder"), in the recipient's language; with one left it is that item's
  ordinary reminder email; with none it is cancelled, nothing sent. One Message-ID (the
  digest's), so a worker killed mid-send leaves the digest and its reminders queued together,
  to go again once; a temporary failure puts them all back, a permanent one fails them all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from dashboard.accounts.models import Account, Contact
from dashboard.auth.models import Firm
from dashboard.extensions import db
from dashboard.items.kinds import Recipient
from dashboard.items.models import ActionItem
from dashboard.notify.models import OutboxEmail
from dashboard.reminders.models import Reminder
from dashboard.reminders.pause import paused_until

#: Seconds between opening a digest and sending it (`DIGEST_HOLD_SECONDS` overrides it).
DIGEST_HOLD_SECONDS = 60
#: At most this many digests a day per recipient; beyond, reminders go one by one.
MAX_DIGESTS_PER_DAY = 5
OUTBOX = OutboxEmail.__table__


@dataclass
class Person:
    """A recipient of the batch's reminders, in a firm with the digest on."""

    user_id: int
    firm_id: int
    email: str
    locale: str
    zone: str
    #: Their local day at the sweep's moment, and its end (UTC).
    day: date
    day_end: datetime
    #: Reminders the batch sends them.
    sends: int = 0


@dataclass(frozen=True)
class Due:
    """Another reminder of a person's items falling due by the end of their day."""

    reminder_id: int
    next_at: datetime


def digest_key(user_id: int, day: date, seq: int = 1) -> str:
    key = f"digest:{user_id}:{day.isoformat()}"
    return key if seq == 1 else f"{key}:{seq}"


def local_day(moment: datetime, zone: str) -> tuple[date, datetime]:
    """The local date of `moment` in `zone`, and the UTC instant that day ends."""
    local = ZoneInfo(zone)
    day = moment.astimezone(local).date()
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=local).astimezone(UTC)
    return day, end


def people_of(
    sends: list[tuple[Any, list[Recipient]]], firms: dict[int, Firm], moment: datetime
) -> dict[int, Person]:
    """The recipients of (reminder row, recipients) sends whose firm has the digest on."""
    people: dict[int, Person] = {}
    for row, recipients in sends:
        firm = firms[row.firm_id]
        if not firm.digest_enabled:
            continue
        for recipient in recipients:
            person = people.get(recipient.user_id)
            if person is None:
                zone = recipient.time_zone or firm.time_zone
                day, end = local_day(moment, zone)
                person = people[recipient.user_id] = Person(
                    recipient.user_id, firm.id, recipient.email, recipient.locale, zone, day, end
                )
            person.sends += 1
    return people


def due_today(
    people: dict[int, Person], moment: datetime, exclude: set[int]
) -> dict[int, list[Due]]:
    """Each person's other reminders due by the end of their local day, found through the
    accounts they are a NOTIFY contact of (pending items, not paused that day): one query,
    by contact, then each account's pending items (the to-do index), then their reminders."""
    if not people:
        return {}
    latest = max(person.day_end for person in people.values())
    rows = db.session.execute(
        select(
            Contact.user_id,
            Reminder.id,
            Reminder.next_at,
            Account.reminders_paused_until,
        )
        .select_from(Contact)
        .join(
            ActionItem,
            and_(ActionItem.account_id == Contact.account_id, ActionItem.status == "pending"),
        )
        .join(Reminder, Reminder.item_id == ActionItem.id)
        .join(Account, Account.id == Contact.account_id)
        .where(
            Contact.user_id.in_(list(people)),
            Contact.notify.is_(True),
            Contact.portal_access.is_(True),
            Reminder.next_at.is_not(None),
            Reminder.next_at <= latest,
        )
    ).all()
    found: dict[int, list[Due]] = {}
    for user_id, reminder_id, next_at, account_paused in rows:
        person = people[user_id]
        if reminder_id in exclude or next_at >= person.day_end:
            continue
        if paused_until(account_paused, None, next_at, person.zone):
            continue  # it will not go that day
        found.setdefault(user_id, []).append(Due(reminder_id, next_at))
    return found


def open_digest_users(people: dict[int, Person]) -> set[int]:
    """Who already has a digest of that day still waiting to go (a batch before this one, or
    another sweep, opened it): their reminders join it, however few."""
    seeking = {person.user_id: 1 for person in people.values()}
    open_users: set[int] = set()
    while seeking:
        keys = {digest_key(user, people[user].day, seq): user for user, seq in seeking.items()}
        rows = db.session.execute(
            select(OUTBOX.c.idempotency_key, OUTBOX.c.state).where(
                OUTBOX.c.idempotency_key.in_(keys)
            )
        ).all()
        next_round = {}
        for key, state in rows:
            user = keys[key]
            if state == "queued":
                open_users.add(user)
            elif seeking[user] < MAX_DIGESTS_PER_DAY:
                next_round[user] = seeking[user] + 1
        seeking = next_round
    return open_users


def claim_later(ids: list[int], moment: datetime, latest: datetime) -> list[int]:
    """Claim these reminders, due later today, for this transaction (as `sweep.claim_due`
    does: a conditional UPDATE; rows another sweep holds are skipped on PostgreSQL)."""
    if not ids:
        return []
    chosen = select(Reminder.id).where(
        Reminder.id.in_(ids), Reminder.next_at > moment, Reminder.next_at <= latest
    )
    if db.session.get_bind().dialect.name == "postgresql":
        chosen = select(
            chosen.with_for_update(skip_locked=True).cte("later").prefix_with("MATERIALIZED").c.id
        )
    else:
        chosen = chosen.scalar_subquery()
    claimed = db.session.execute(
        update(Reminder)
        .where(Reminder.id.in_(chosen), Reminder.next_at > moment, Reminder.next_at <= latest)
        .values(timer_from=Reminder.timer_from)
        .returning(Reminder.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed.scalars())


def attach(people: list[Person], moment: datetime) -> dict[int, int]:
    """Each person's open digest of the day, opened if need be and taken for this
    transaction: {user id: digest outbox id}. Someone whose digests of the day are all gone
    already (five of them) is left out: their reminders go one by one."""
    hold = timedelta(seconds=current_app.config.get("DIGEST_HOLD_SECONDS", DIGEST_HOLD_SECONDS))
    pending = {person.user_id: (person, 1) for person in people}
    taken: dict[int, int] = {}
    insert = (
        postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    )
    while pending:
        keys = {digest_key(p.user_id, p.day, seq): p.user_id for p, seq in pending.values()}
        new_rows = [_digest_row(p, seq, moment, hold) for p, seq in pending.values()]
        new_rows.sort(key=lambda row: row["recipient_id"])  # one lock order for every sweep
        db.session.execute(
            insert(OUTBOX).on_conflict_do_nothing(index_elements=["idempotency_key"]), new_rows
        )
        # Writing the row takes it (PostgreSQL's row lock, SQLite's write lock) while it is
        # still queued: a delivery claiming it waits for this batch to commit, and then lists
        # what this batch adds; one that got there first makes this match nothing.
        joined = db.session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.idempotency_key.in_(keys), OUTBOX.c.state == "queued")
            .values(last_error=OUTBOX.c.last_error)
            .returning(OUTBOX.c.id, OUTBOX.c.idempotency_key)
        ).all()
        for digest_id, key in joined:
            taken[keys[key]] = digest_id
        pending = {
            user: (person, seq + 1)
            for user, (person, seq) in pending.items()
            if user not in taken and seq < MAX_DIGESTS_PER_DAY
        }
    return taken


def _digest_row(person: Person, seq: int, moment: datetime, hold: timedelta) -> dict[str, Any]:
    return {
        "firm_id": person.firm_id,
        "idempotency_key": digest_key(person.user_id, person.day, seq),
        "message_id": f"<{uuid.uuid4().hex}@relance>",
        "purpose": "digest",
        "reminder_number": None,
        "item_id": None,
        "recipient_id": person.user_id,
        "digest_id": None,
        "to_email": person.email,
        "locale": person.locale,
        "context": {"day": person.day.isoformat()},
        "state": "queued",
        "attempts": 0,
        # Sent once the hold is over; the sweep's re-enqueue hands it to a worker then.
        "next_attempt_at": moment + hold,
        "enqueued_at": None,
        "created_at": moment,
    }
