"""Reading a proposal or template from a posted form, and the rows of its fee-lines editor."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from dashboard.invoices.forms import _plain
from dashboard.invoices.money import MoneyError, parse_decimal
from dashboard.proposals import letter
from dashboard.proposals.service import ProposalError, ProposalInput
from dashboard.reminders.service import ReminderSettings

_COLUMNS = ("description", "quantity", "unit_price", "vat_rate", "recurrence")


def _rows(form: MultiDict) -> list[tuple[str, ...]]:
    return list(zip(*(form.getlist(name) for name in _COLUMNS), strict=False))


def parse_lines(form: MultiDict) -> list[letter.FeeLine]:
    """The fee lines of the form, in order; rows left entirely empty are skipped."""
    lines = []
    for number, (description, quantity, price, vat, recurrence) in enumerate(_rows(form), 1):
        if not any(v.strip() for v in (description, price)):
            continue
        try:
            lines.append(
                letter.FeeLine(
                    " ".join(description.split())[:500],
                    parse_decimal(quantity or "1", places=3, low="0"),
                    parse_decimal(price),
                    parse_decimal(vat or "0", places=2, low="0"),
                    recurrence if recurrence in letter.RECURRENCE_LABELS else "once",
                )
            )
        except MoneyError as error:
            raise ProposalError(
                str(_l("Fee line %(number)d: enter numbers like 1 234,50.", number=number))
            ) from error
    return lines


def parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ProposalError(str(_l("Enter a date."))) from error


def parse_valid_days(value: str | None) -> int | None:
    if not (value or "").strip():
        return None
    try:
        return int(value.strip())
    except ValueError as error:
        raise ProposalError(str(_l("Valid for: enter a number of days from 1 to 365."))) from error


def parse_input(form: MultiDict, defaults: ReminderSettings) -> ProposalInput:
    """Everything staff wrote; SettingsError or ProposalError when something is off."""
    settings = ReminderSettings.parse(form, defaults)
    return ProposalInput(
        title=form.get("title", ""),
        body_html=form.get("body_html", ""),
        lines=parse_lines(form),
        create_invoice=form.get("create_invoice") == "on",
        settings=settings,
        message=form.get("message", ""),
        expires_on=parse_date(form.get("expires_on")),
        valid_days=parse_valid_days(form.get("valid_days")),
    )


def line_rows(form: MultiDict | None, stored: list[dict] | None, default_vat) -> list[dict]:
    """Rows for the editor: what was posted, else the stored lines, else one empty row."""
    if form is not None:
        rows = [dict(zip(_COLUMNS, row, strict=False)) for row in _rows(form)]
    else:
        rows = [
            {
                name: _plain(line.get(name, ""))
                if name in ("quantity", "unit_price", "vat_rate")
                else line.get(name, "")
                for name in _COLUMNS
            }
            for line in stored or []
        ]
    return rows or [
        {
            "description": "",
            "quantity": "1",
            "unit_price": "",
            "vat_rate": _plain(default_vat),
            "recurrence": "once",
        }
    ]
