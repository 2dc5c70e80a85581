"""The statements the delivery worker runs to claim its emails, built once per database.

They run on a connection the worker holds for its whole batch (Core, no ORM), so neither
building a statement nor taking a pooled connection (with its ping) is paid per email. A
group of emails is claimed by one statement (`claim_many`), with exactly the conditions and
the item locks of claiming each alone (`claim`).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    String,
    Update,
    bindparam,
    case,
    or_,
    select,
    update,
)

from dashboard.dbtypes import UTCDateTime
from dashboard.items.models import ActionItem
from dashboard.notify.models import OutboxEmail

OUTBOX = OutboxEmail.__table__
ITEMS = ActionItem.__table__
MOMENT = bindparam("moment", type_=UTCDateTime())


def _due() -> ColumnElement[bool]:
    return or_(OUTBOX.c.next_attempt_at.is_(None), OUTBOX.c.next_attempt_at <= MOMENT)


def _item_pending(lock: str | None) -> Select:
    """The item while it is pending; `lock` "share" takes its row for the transaction."""
    query = select(ITEMS.c.id).where(
        ITEMS.c.id == bindparam("row_item_id"), ITEMS.c.status == "pending"
    )
    if lock == "share":
        query = query.with_for_update(read=True)
    return query


@cache
def claim_statement(dialect: str, about_item: bool) -> Update:
    """Mark the row sent (attempts + 1, the subject) if it is still queued and due and, for
    an email about an item, the item still pending; RETURNING the attempts.

    On PostgreSQL the item's row is locked FOR SHARE: a completion (an UPDATE of that row)
    waits for this transaction, while two workers can still each send one of the item's
    emails. On SQLite the statement takes the database's write lock, which does the same.
    """
    statement = (
        update(OUTBOX)
        .where(OUTBOX.c.id == bindparam("row_id"), OUTBOX.c.state == "queued", _due())
        .values(
            state="sent",
            attempts=OUTBOX.c.attempts + 1,
            sent_at=MOMENT,
            subject=bindparam("row_subject"),
            last_error=None,
        )
        .returning(OUTBOX.c.attempts)
    )
    if about_item:
        lock = "share" if dialect == "postgresql" else None
        statement = statement.where(_item_pending(lock).exists())
    return statement


@cache
def cancel_statement() -> Update:
    """Cancel the row if it is still queued and due but its item is no longer pending."""
    return (
        update(OUTBOX)
        .where(
            OUTBOX.c.id == bindparam("row_id"),
            OUTBOX.c.state == "queued",
            _due(),
            ~_item_pending(None).exists(),
        )
        .values(state="cancelled", last_error="item no longer pending")
    )


@cache
def claim_many_statement(dialect: str, about_item: bool, size: int) -> Update:
    """`claim_statement` for `size` rows at once, each with its own subject; RETURNING each
    claimed row's id and attempts.

    For emails about an item the item's row is the subquery's, correlated to each outbox row
    (`item_id`), locked FOR SHARE on PostgreSQL exactly as in a claim of one (a sub-plan per
    row: the lock is taken only on the items of rows that are still queued and due).
    """
    ids = [bindparam(f"row_id_{n}", type_=Integer()) for n in range(size)]
    subjects = [bindparam(f"row_subject_{n}", type_=String()) for n in range(size)]
    subject = case(*[(OUTBOX.c.id == i, s) for i, s in zip(ids, subjects, strict=True)])
    statement = (
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(ids), OUTBOX.c.state == "queued", _due())
        .values(
            state="sent",
            attempts=OUTBOX.c.attempts + 1,
            sent_at=MOMENT,
            subject=subject,
            last_error=None,
        )
        .returning(OUTBOX.c.id, OUTBOX.c.attempts)
    )
    if about_item:
        pending = select(ITEMS.c.id).where(
            ITEMS.c.id == OUTBOX.c.item_id, ITEMS.c.status == "pending"
        )
        if dialect == "postgresql":
            pending = pending.with_for_update(read=True)
        statement = statement.where(pending.exists())
    return statement


def claim_many(
    connection: Connection,
    rows: list[OutboxEmail],
    about_item: bool,
    moment: datetime,
    subjects: dict[int, str | None],
) -> dict[int, int]:
    """Claim these rows (all about an item, or none) in one statement, in `connection`'s
    transaction: the attempts of each one claimed, by id."""
    if not rows:
        return {}
    statement = claim_many_statement(connection.dialect.name, about_item, len(rows))
    values: dict[str, object] = {"moment": moment}
    for n, row in enumerate(rows):
        values[f"row_id_{n}"] = row.id
        values[f"row_subject_{n}"] = subjects.get(row.id)
    return {row_id: attempts for row_id, attempts in connection.execute(statement, values)}


def claim(
    connection: Connection,
    row: OutboxEmail,
    about_item: bool,
    moment: datetime,
    subject: str | None,
) -> int | None:
    """The row's attempts once claimed in `connection`'s transaction; None if not claimed."""
    statement = claim_statement(connection.dialect.name, about_item)
    return connection.execute(
        statement,
        {"row_id": row.id, "row_item_id": row.item_id, "moment": moment, "row_subject": subject},
    ).scalar()


def cancel_if_item_done(connection: Connection, row: OutboxEmail, moment: datetime) -> bool:
    result = connection.execute(
        cancel_statement(), {"row_id": row.id, "row_item_id": row.item_id, "moment": moment}
    )
    return bool(result.rowcount)


class Listed(NamedTuple):
    """A reminder row listed in a digest, as its claim needs it."""

    id: int
    item_id: int | None


@cache
def listed_statement() -> Select:
    return (
        select(OUTBOX.c.id, OUTBOX.c.item_id)
        .where(OUTBOX.c.digest_id == bindparam("digest_id"), OUTBOX.c.state == "queued")
        .order_by(OUTBOX.c.id)
    )


def listed_in(connection: Connection, digest_id: int) -> list[Listed]:
    """The digest's reminder rows still queued, read once the digest itself is claimed: a
    sweep adding to it has committed by then (it held the digest's row), so none is missed."""
    return [
        Listed(*row) for row in connection.execute(listed_statement(), {"digest_id": digest_id})
    ]


def settle(connection: Connection, ids: list[int], **values: object) -> None:
    """Set these claimed rows' state (and what goes with it) in the claim's transaction."""
    if ids:
        connection.execute(update(OUTBOX).where(OUTBOX.c.id.in_(ids)).values(**values))
