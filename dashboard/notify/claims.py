"""The statements the delivery worker runs for each email, built once per database.

They run on a connection the worker holds for its whole batch (Core, no ORM): one
statement and a commit per email is most of what delivery costs the database, so neither
building the statement nor taking a pooled connection (with its ping) is paid per email.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import NamedTuple

from sqlalchemy import ColumnElement, Connection, Select, Update, bindparam, or_, select, update

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
