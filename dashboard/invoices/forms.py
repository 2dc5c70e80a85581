"""Reading invoice lines and amounts from a posted form."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from dashboard.invoices.money import MoneyError, parse_decimal
from dashboard.invoices.service import InvoiceError, LineInput


def parse_lines(form: MultiDict) -> list[LineInput]:
    """The lines of the form, in order; rows left entirely empty are skipped."""
    rows = zip(
        form.getlist("description"),
        form.getlist("quantity"),
        form.getlist("unit_price"),
        form.getlist("vat_rate"),
        strict=False,
    )
    lines = []
    for number, (description, quantity, unit_price, vat_rate) in enumerate(rows, start=1):
        if not any(v.strip() for v in (description, quantity, unit_price)):
            continue
        try:
            lines.append(
                LineInput(
                    description,
                    parse_decimal(quantity or "1", places=3, low="0"),
                    parse_decimal(unit_price),
                    parse_decimal(vat_rate or "0", places=2, low="0"),
                )
            )
        except MoneyError as error:
            raise InvoiceError(
                str(_l("Line %(number)d: enter numbers like 1 234,50.", number=number))
            ) from error
    return lines


def parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise InvoiceError(str(_l("Enter a date."))) from error


def parse_amount(value: str | None) -> Decimal:
    try:
        return parse_decimal(value, low="0.01")
    except MoneyError as error:
        raise InvoiceError(str(_l("Enter an amount above zero."))) from error


def line_rows(form: MultiDict | None, lines: list | None, default_vat: Decimal) -> list[dict]:
    """Rows for the lines editor: what was posted, else the saved lines, else one empty row."""
    if form is not None:
        rows = [
            {"description": d, "quantity": q, "unit_price": p, "vat_rate": v}
            for d, q, p, v in zip(
                form.getlist("description"),
                form.getlist("quantity"),
                form.getlist("unit_price"),
                form.getlist("vat_rate"),
                strict=False,
            )
        ]
    elif lines:
        rows = [
            {
                "description": _get(line, "description"),
                "quantity": _plain(_get(line, "quantity")),
                "unit_price": _plain(_get(line, "unit_price")),
                "vat_rate": _plain(_get(line, "vat_rate")),
            }
            for line in lines
        ]
    else:
        rows = []
    return rows or [
        {"description": "", "quantity": "1", "unit_price": "", "vat_rate": _plain(default_vat)}
    ]


def _get(line, key: str):
    return line[key] if isinstance(line, dict) else getattr(line, key)


def _plain(value) -> str:
    """A Decimal as typed: 20 not 20.00, 1.5 not 1.500."""
    text = str(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
