"""Writing emails to the outbox, and handing their ids to RQ once the transaction commits."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from flask import current_app
from redis import Redis
from rq import Queue
from sqlalchemy import event, exists, inspect, or_, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session, aliased

from dashboard.auth.models import User
from dashboard.clock import now
from dashboard.extensions import db
from dashboard.items.models import ActionItem
from dashboard.notify.models import OutboxEmail

log = logging.getLogger(__name__)

DELIVERY_JOB = "jobs.delivery.deliver"
#: Outbox ids per delivery job (`DELIVERY_BATCH_SIZE` overrides it): big enough that a job's
#: own cost is small per email, small enough that several workers share a large send.
DELIVERY_BATCH_SIZE = 100
#: Purposes that only make sense while the item is pending; cancelled when it completes.
ITEM_PURPOSES = ("notification", "reminder", "resend")


def recipient_locale(user: User) -> str:
    return user.language or user.firm.default_language


def queue_email(
    *,
    firm_id: int,
    key: str,
    purpose: str,
    to: User,
    item: ActionItem | None = None,
    reminder_number: int | None = None,
    context: dict[str, Any] | None = None,
) -> OutboxEmail:
    """Add one email to the outbox in the current transaction; it is enqueued after commit."""
    moment = now()
    row = OutboxEmail(
        firm_id=firm_id,
        idempotency_key=key,
        message_id=f"<{uuid.uuid4().hex}@relance>",
        purpose=purpose,
        reminder_number=reminder_number,
        item_id=item.id if item is not None else None,
        recipient_id=to.id,
        to_email=to.email,
        locale=recipient_locale(to),
        context=context or {},
        state="queued",
        created_at=moment,
        # Stamped now: the after-commit hook enqueues it; the sweep re-enqueues it if lost.
        enqueued_at=moment,
    )
    db.session.add(row)
    db.session.info.setdefault("outbox_rows", []).append(row)
    return row


def queue_many(rows: list[dict[str, Any]]) -> list[int]:
    """Insert many outbox rows at once (the sweep); they are enqueued after commit.

    Each row gives firm_id, idempotency_key, purpose, to_email, locale and optionally
    item_id, recipient_id, reminder_number, digest_id. One multi-row INSERT instead of one per
    row; on PostgreSQL the ids are drawn from the sequence first so psycopg can pipeline a
    plain executemany (a RETURNING insert of many rows is much slower there). A row listed in
    a digest (`digest_id`) is not enqueued: the digest's delivery sends it.
    """
    if not rows:
        return []
    moment = now()
    table = OutboxEmail.__table__
    full = [
        {
            "item_id": None,
            "recipient_id": None,
            "reminder_number": None,
            "digest_id": None,
            **row,
            "message_id": f"<{uuid.uuid4().hex}@relance>",
            "context": {},
            "state": "queued",
            "attempts": 0,
            "created_at": moment,
            "enqueued_at": moment,
        }
        for row in rows
    ]
    if db.session.get_bind().dialect.name == "postgresql":
        ids = list(
            db.session.scalars(
                sql_text(
                    "SELECT nextval(pg_get_serial_sequence('outbox_email', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": len(full)},
            )
        )
        for row, new_id in zip(full, ids, strict=True):
            row["id"] = new_id
        db.session.execute(table.insert(), full)
    else:
        ids = list(db.session.scalars(table.insert().returning(table.c.id), full))
    db.session.info.setdefault("outbox_ids", []).extend(
        new_id for row, new_id in zip(full, ids, strict=True) if row["digest_id"] is None
    )
    return ids


def cancel_undelivered(item_id: int, reason: str, recipient_id: int | None = None) -> int:
    """Cancel the item's queued emails (same transaction as the completion); only those to
    `recipient_id` when given."""
    conditions = [
        OutboxEmail.item_id == item_id,
        OutboxEmail.state == "queued",
        OutboxEmail.purpose.in_(ITEM_PURPOSES),
    ]
    if recipient_id is not None:
        conditions.append(OutboxEmail.recipient_id == recipient_id)
    result = db.session.execute(
        update(OutboxEmail)
        .where(*conditions)
        .values(state="cancelled", last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def redis_connection() -> Redis:
    return Redis.from_url(
        current_app.config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2
    )


def delivery_queue(connection: Redis | None = None) -> Queue:
    return Queue(current_app.config["RQ_QUEUE"], connection=connection or redis_connection())


def enqueue_delivery(ids: list[int]) -> bool:
    """Put outbox ids on the queue, in jobs of `DELIVERY_BATCH_SIZE` (one Redis round trip);
    False (logged) when Redis cannot be reached."""
    if not ids:
        return True
    size = current_app.config.get("DELIVERY_BATCH_SIZE", DELIVERY_BATCH_SIZE)
    jobs = [
        Queue.prepare_data(DELIVERY_JOB, (ids[start : start + size],), timeout=600, result_ttl=3600)
        for start in range(0, len(ids), size)
    ]
    try:
        delivery_queue().enqueue_many(jobs)
    except Exception as error:  # Redis down: the sweep re-enqueues from the database
        log.warning("could not enqueue %d outbox emails: %s", len(ids), error)
        return False
    return True


def requeue_lost(batch: int = 1000) -> int:
    """Re-enqueue queued emails whose job was lost (Redis restart) or whose retry is due,
    and digests whose short hold is over. A reminder listed in a digest still waiting goes
    with it, never on its own."""
    moment = now()
    stale = moment - timedelta(seconds=current_app.config["OUTBOX_REQUEUE_AFTER_SECONDS"])
    digest = aliased(OutboxEmail)
    ids = list(
        db.session.scalars(
            select(OutboxEmail.id)
            .where(
                OutboxEmail.state == "queued",
                or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= moment),
                or_(OutboxEmail.enqueued_at.is_(None), OutboxEmail.enqueued_at <= stale),
                or_(
                    OutboxEmail.digest_id.is_(None),
                    ~exists().where(digest.id == OutboxEmail.digest_id, digest.state == "queued"),
                ),
            )
            .order_by(OutboxEmail.id)
            .limit(batch)
        )
    )
    if not ids:
        return 0
    if not enqueue_delivery(ids):
        return 0
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id.in_(ids))
        .values(enqueued_at=moment)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return len(ids)


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    rows = session.info.pop("outbox_rows", None) or []
    # Objects are expired after commit: read the ids from their identity, without SQL.
    ids = [identity[0] for row in rows if (identity := inspect(row).identity)]
    ids.extend(session.info.pop("outbox_ids", None) or [])
    if ids:
        enqueue_delivery(ids)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop("outbox_rows", None)
    session.info.pop("outbox_ids", None)
