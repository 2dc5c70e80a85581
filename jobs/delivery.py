"""Delivering outbox emails: one SMTP connection per batch, exactly one send per row.

The batch's rows, items, firms and senders are read up front (a few queries, whatever its
size); an item's email is rendered once for all its recipients in one language
(`RenderCache`) and composed without building a MIME tree (`mime.Composer`). Then, per email,
one transaction on a connection held for the batch (`batch_session`), with one statement
before the send: the
claim (`claims.claim`: state `sent`, attempts + 1, the subject), which matches only a row still
queued and due and, for an email about an item, only while the item is pending, taking the
item's row for the transaction (FOR SHARE on PostgreSQL, so a completion waits while two
workers may still send to two recipients of one item; the database's write lock on SQLite).
Then the send, then the commit.

So running a job twice sends nothing twice (the second claim finds the row sent), a client
completing the item while its email is in the SMTP server's hands waits for that send, no
email goes after the completion committed, and a worker killed before its commit leaves the
row queued, to go again with the same Message-ID. When the send fails the claim is rolled back
and the failure recorded on the row if it is still queued (4xx: retried with backoff; 5xx or
anything unexpected: failed, the sender told); the rest of the batch goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, joinedload, with_polymorphic

from dashboard.auth.models import Firm, User
from dashboard.clock import now
from dashboard.extensions import db
from dashboard.items.kinds import kind_of, load_items
from dashboard.items.models import ActionItem
from dashboard.notify import claims, smtp
from dashboard.notify.emails import RenderCache
from dashboard.notify.inbox import add_entry
from dashboard.notify.mime import Composer
from dashboard.notify.models import OutboxEmail
from dashboard.notify.outbox import ITEM_PURPOSES
from jobs.context import app_job

log = logging.getLogger(__name__)

#: Waits before the 2nd, 3rd… attempt after a temporary failure; then the email has failed.
BACKOFF = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
]
OUTCOMES = ("sent", "skipped", "cancelled", "retry", "failed")


@app_job
def deliver(outbox_ids: list[int]) -> dict[str, int]:
    """Deliver these outbox rows; returns counts by outcome."""
    counts = dict.fromkeys(OUTCOMES, 0)
    with smtp.Mailer() as mailer, batch_session():
        batch = Batch(mailer)
        rows = batch.load(outbox_ids)
        counts["skipped"] = len(set(outbox_ids)) - len(rows)  # no longer queued
        for row in rows:
            counts[batch.deliver(row)] += 1
    return counts


@contextmanager
def batch_session() -> Iterator[Session]:
    """`db.session`, for the batch, is a session on one connection held throughout.

    A commit per email then costs the database's commit alone: no return of the connection
    to the pool and checkout (with its ping) per email. Objects are not expired at commit,
    so the batch's items, firms and senders stay loaded. The app's session comes back after.
    """
    registry = db.session.registry
    previous = registry() if registry.has() else None
    with db.engine.connect() as connection:
        session = Session(bind=connection, expire_on_commit=False)
        registry.set(session)
        try:
            yield session
            session.commit()
        finally:
            session.close()
            if previous is not None:
                registry.set(previous)
            else:
                registry.clear()


@dataclass(frozen=True)
class Prepared:
    subject: str
    sender: str
    message: bytes


class Batch:
    """The rows of one job, what rendering them needs, and the SMTP connection."""

    def __init__(self, mailer: smtp.Mailer) -> None:
        self.mailer = mailer
        self.renders = RenderCache()
        self.composer = Composer()
        #: Strong references: the session's identity map alone would let them go.
        self.loaded: list[object] = []

    def load(self, outbox_ids: list[int]) -> list[OutboxEmail]:
        """The queued rows in id order, with their recipients, items, firms and senders."""
        rows = _fresh(
            select(OutboxEmail)
            .where(OutboxEmail.id.in_(outbox_ids), OutboxEmail.state == "queued")
            .options(joinedload(OutboxEmail.recipient))
            .order_by(OutboxEmail.id)
        )
        item_ids = {row.item_id for row in rows if row.item_id is not None}
        items = _fresh(select(with_polymorphic(ActionItem, "*")).where(ActionItem.id.in_(item_ids)))
        load_items(items)  # what each kind's email needs (an approval's document…)
        firms = _fresh(select(Firm).where(Firm.id.in_({row.firm_id for row in rows})))
        sender_ids = {item.sent_by_id for item in items if item.sent_by_id is not None}
        senders = _fresh(select(User).where(User.id.in_(sender_ids)))
        self.loaded = [*rows, *items, *firms, *senders]
        return rows

    def deliver(self, row: OutboxEmail) -> str:
        """Claim, send and commit one row; the outcome's name."""
        moment = now()
        prepared = self._prepare(row)
        subject = prepared.subject if isinstance(prepared, Prepared) else None
        about_item = row.item_id is not None and row.purpose in ITEM_PURPOSES
        connection = db.session.connection()
        attempts = claims.claim(connection, row, about_item, moment, subject)
        if attempts is None:
            cancelled = about_item and claims.cancel_if_item_done(connection, row, moment)
            db.session.commit()
            return "cancelled" if cancelled else "skipped"
        problem = prepared if isinstance(prepared, Exception) else self._send(row, prepared)
        if problem is None:
            db.session.commit()
            return "sent"
        db.session.rollback()  # the claim is undone; the failure is recorded instead
        return _record_failure(row, attempts, problem)

    def _prepare(self, row: OutboxEmail) -> Prepared | Exception:
        """The message, or why it cannot be made (classified as unexpected)."""
        try:
            rendered = self.renders.render(row)
            message = self.composer.message(rendered, row.to_email, row.message_id)
        except Exception as error:  # a header with a line break, a rendering error
            if isinstance(error, SQLAlchemyError):
                db.session.rollback()
            return smtp.classify(error)
        return Prepared(rendered.subject[:300], rendered.sender, message)

    def _send(self, row: OutboxEmail, prepared: Prepared) -> Exception | None:
        try:
            self.mailer.send(prepared.sender, row.to_email, prepared.message)
        except Exception as error:  # classified: 4xx, 5xx, dropped, anything else
            self.mailer.discard()
            return smtp.classify(error)
        return None


def _fresh(statement: Select) -> list:
    return list(db.session.scalars(statement.execution_options(populate_existing=True)))


def _record_failure(row: OutboxEmail, attempts: int, problem: Exception) -> str:
    """Queued again after a backoff (4xx, a dropped connection), or failed (5xx, too many
    attempts, an unexpected error) with the sender told; `attempts` counts this one. Only a
    row still queued is touched: should another worker have sent it meanwhile, it stays sent."""
    retry = isinstance(problem, smtp.Temporary) and attempts <= len(BACKOFF)
    values: dict[str, object] = {"attempts": OutboxEmail.attempts + 1, "last_error": str(problem)}
    if retry:
        values.update(
            next_attempt_at=now() + BACKOFF[attempts - 1],
            enqueued_at=None,  # the sweep picks it up when the wait is over
        )
    else:
        values["state"] = "failed"
    recorded = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == row.id, OutboxEmail.state == "queued")
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    outcome = "skipped" if not recorded else "retry" if retry else "failed"
    if outcome == "failed":
        if isinstance(problem, smtp.Permanent):
            _stop_mailing(row)  # an Unexpected failure says nothing about the address
        _tell_sender(row, str(problem))
    db.session.commit()
    return outcome


def _stop_mailing(row: OutboxEmail) -> None:
    """A permanent refusal: mark the address, so no more reminders go to it."""
    if row.recipient_id is not None:
        db.session.execute(
            update(User)
            .where(User.id == row.recipient_id, User.email_bounced_at.is_(None))
            .values(email_bounced_at=now())
            .execution_options(synchronize_session=False)
        )
    if row.item_id is not None:
        db.session.execute(
            update(OutboxEmail)
            .where(
                OutboxEmail.item_id == row.item_id,
                OutboxEmail.to_email == row.to_email,
                OutboxEmail.state == "queued",
                OutboxEmail.id != row.id,
            )
            .values(state="cancelled", last_error="address refused permanently")
            .execution_options(synchronize_session=False)
        )


def _tell_sender(row: OutboxEmail, error: str) -> None:
    """The staff member who sent the item sees the failure in Inbox+ (and on the timeline)."""
    if row.item_id is None:
        return
    item = db.session.scalar(select(ActionItem).where(ActionItem.id == row.item_id))
    if item is None or item.sent_by_id is None:
        return
    add_entry(
        item.sent_by_id,
        item.firm_id,
        "delivery_failed",
        account_id=item.account_id,
        item_id=item.id,
        title=kind_of(item).title(item),
        email=row.to_email,
        error=error[:200],
    )
