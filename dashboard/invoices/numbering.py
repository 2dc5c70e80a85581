"""Gapless invoice numbers per firm and year, taken in the transaction that issues.

The counter row is incremented with one UPDATE … RETURNING: on PostgreSQL a second issuer waits
for the row until the first commits (or rolls back, giving the number back), on SQLite writers
take turns. A number is therefore used exactly when its invoice is committed as issued: no gap,
no duplicate. Drafts have no number; a voided invoice keeps its own.
"""

from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from dashboard.extensions import db
from dashboard.invoices.models import FirmBilling, InvoiceCounter


def _increment(firm_id: int, year: int) -> int | None:
    table = InvoiceCounter.__table__
    return db.session.execute(
        update(table)
        .where(table.c.firm_id == firm_id, table.c.year == year)
        .values(last_number=table.c.last_number + 1)
        .returning(table.c.last_number)
    ).scalar()


def take_number(firm_id: int, year: int) -> int:
    """The next sequence number of the firm's `year` (1, 2, …), reserved in this transaction."""
    number = _increment(firm_id, year)
    if number is not None:
        return number
    try:
        with db.session.begin_nested():  # the year's first invoice: create its counter
            db.session.execute(
                insert(InvoiceCounter.__table__).values(firm_id=firm_id, year=year, last_number=1)
            )
        return 1
    except IntegrityError:  # another issuer created it first: take the next one
        number = _increment(firm_id, year)
        assert number is not None
        return number


def format_number(billing: FirmBilling, year: int, sequence: int) -> str:
    prefix = (billing.number_prefix or "").replace("{year}", str(year))
    return f"{prefix}{sequence:0{max(billing.number_digits, 1)}d}"
