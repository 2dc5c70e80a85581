"""Delivering outbox emails: one SMTP connection per batch, exactly one send per row.

Per email, one transaction: lock the item (if the email is about one and it is no longer
pending, cancel), claim the row (only a queued row can be claimed, so running the job twice is
a no-op), send, mark sent, commit. The item's row stays locked while the message is handed to
SMTP, so a client completing the item at that moment waits, and no reminder can go out after
the completion committed.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask_mail import Message
from sqlalchemy import select, update

from dashboard.auth.models import User
from dashboard.clock import now
from dashboard.extensions import db
from dashboard.items.kinds import kind_of
from dashboard.items.models import ActionItem
from dashboard.notify import smtp
from dashboard.notify.emails import render
from dashboard.notify.inbox import add_entry
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


@app_job
def deliver(outbox_ids: list[int]) -> dict[str, int]:
    """Deliver these outbox rows; returns counts by outcome."""
    counts = {"sent": 0, "skipped": 0, "cancelled": 0, "retry": 0, "failed": 0}
    connection: smtp.TimeoutConnection | None = None
    try:
        for outbox_id in outbox_ids:
            outcome, connection = _deliver_one(outbox_id, connection)
            counts[outcome] += 1
    finally:
        if connection is not None:
            _close(connection)
    return counts


def _close(connection: smtp.TimeoutConnection) -> None:
    try:
        connection.__exit__(None, None, None)
    except Exception:  # the server may already have dropped us
        log.debug("SMTP connection closed with an error", exc_info=True)


def _deliver_one(outbox_id: int, connection):
    moment = now()
    row = db.session.get(OutboxEmail, outbox_id, populate_existing=True)
    if (
        row is None
        or row.state != "queued"
        or (row.next_attempt_at is not None and row.next_attempt_at > moment)
    ):
        db.session.rollback()
        return "skipped", connection
    if row.item_id is not None and row.purpose in ITEM_PURPOSES:
        locked = db.session.execute(
            update(ActionItem)
            .where(ActionItem.id == row.item_id, ActionItem.status == "pending")
            .values(status=ActionItem.status)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not locked:
            _finish(outbox_id, state="cancelled", last_error="item no longer pending")
            return "cancelled", connection
    claimed = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == outbox_id, OutboxEmail.state == "queued")
        .values(state="sent", attempts=OutboxEmail.attempts + 1, sent_at=moment)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.rollback()
        return "skipped", connection
    try:
        rendered = render(row)
        message = Message(
            subject=rendered.subject,
            recipients=[row.to_email],
            body=rendered.text,
            html=rendered.html,
            sender=rendered.sender or None,
            reply_to=rendered.reply_to,
            extra_headers={"Auto-Submitted": "auto-generated"},
        )
        message.msgId = row.message_id  # stable across retries
        for filename, mimetype, data in rendered.attachments:
            message.attach(filename, mimetype, data)
        if connection is None:
            connection = smtp.open_connection()
            connection.__enter__()
        connection.send(message)
    except Exception as error:
        db.session.rollback()
        if connection is not None:
            _close(connection)
        problem = smtp.classify(error)
        return _failed_attempt(outbox_id, problem), None
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == outbox_id)
        .values(subject=rendered.subject[:300], last_error=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return "sent", connection


def _finish(outbox_id: int, **values) -> None:
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == outbox_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _failed_attempt(outbox_id: int, problem: Exception) -> str:
    row = db.session.get(OutboxEmail, outbox_id, populate_existing=True)
    assert row is not None
    attempts = row.attempts + 1
    if isinstance(problem, smtp.Temporary) and attempts <= len(BACKOFF):
        row.attempts = attempts
        row.next_attempt_at = now() + BACKOFF[attempts - 1]
        row.enqueued_at = None  # the sweep picks it up when the wait is over
        row.last_error = str(problem)
        db.session.commit()
        return "retry"
    row.attempts = attempts
    row.state = "failed"
    row.last_error = str(problem)
    if isinstance(problem, smtp.Permanent):
        _stop_mailing(row)  # an Unexpected failure says nothing about the address
    _tell_sender(row)
    db.session.commit()
    return "failed"


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


def _tell_sender(row: OutboxEmail) -> None:
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
        error=(row.last_error or "")[:200],
    )
