"""The letter a client signs: merge fields filled, the fee table drawn, frozen and fingerprinted.

The body is staff's rich text, sanitized by the chat allowlist (nh3) when it is saved. At sending,
the merge fields are replaced by escaped values and the fee table (our own markup) is put where
`{{ fee_table }}` stands, or after the letter; the result is stored and never re-rendered, so
the SHA-256 of what was shown is the SHA-256 of what is stored.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from markupsafe import escape

from dashboard.chats.richtext import sanitize
from dashboard.i18n import format_money
from dashboard.invoices import money

#: The merge fields staff can type in a letter, and what each one says.
MERGE_FIELDS = {
    "client_name": _l("the client's name"),
    "firm_name": _l("your firm's name"),
    "date": _l("the date it is sent"),
    "fee_table": _l("the fee table"),
}
_FIELD = re.compile(r"\{\{\s*(client_name|firm_name|date|fee_table)\s*\}\}")
RECURRENCE_LABELS = {
    "once": _l("One-off"),
    "month": _l("Per month"),
    "year": _l("Per year"),
}


@dataclass(frozen=True)
class FeeLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    recurrence: str

    @property
    def net(self) -> Decimal:
        return money.line_amounts(self.quantity, self.unit_price, self.vat_rate).net


def fee_lines(rows: list[dict]) -> list[FeeLine]:
    """Stored fee lines (strings, Decimal-exact) as FeeLine."""
    return [
        FeeLine(
            str(row.get("description", "")),
            money.parse_decimal(row.get("quantity", "1"), places=3),
            money.parse_decimal(row.get("unit_price", "0")),
            money.parse_decimal(row.get("vat_rate", "0")),
            row.get("recurrence", "once") if row.get("recurrence") in RECURRENCE_LABELS else "once",
        )
        for row in rows
    ]


def stored_lines(lines: list[FeeLine]) -> list[dict]:
    return [
        {
            "description": line.description,
            "quantity": str(line.quantity),
            "unit_price": str(line.unit_price),
            "vat_rate": str(line.vat_rate),
            "recurrence": line.recurrence,
        }
        for line in lines
    ]


def clean_body(html: str) -> str:
    """Staff's letter through the sanitizer (ValueError when far too long)."""
    return sanitize(html or "")


def fee_table_html(lines: list[FeeLine], currency: str, locale: str) -> str:
    """The fee table in `locale`: each line, then totals per recurrence (excl. and incl. VAT)."""
    if not lines:
        return ""
    groups: dict[str, list[FeeLine]] = {}
    for line in lines:
        groups.setdefault(line.recurrence, []).append(line)
    totals = []
    for recurrence in RECURRENCE_LABELS:
        if recurrence in groups:
            sums = money.totals(
                [(li.quantity, li.unit_price, li.vat_rate) for li in groups[recurrence]]
            )
            totals.append((recurrence, sums))
    with force_locale(locale):
        return render_template(
            "proposals/_fee_table.html",
            lines=lines,
            totals=totals,
            labels=RECURRENCE_LABELS,
            amount=lambda value: format_money(value, currency, locale),
            number=lambda value: format_decimal(value, locale=locale),
        ).strip()


def render_content(
    body_html: str,
    lines: list[FeeLine],
    *,
    client_name: str,
    firm_name: str,
    sent_on: date,
    currency: str,
    locale: str,
) -> str:
    """The letter as the client will read and sign it."""
    table = fee_table_html(lines, currency, locale)
    values = {
        "client_name": str(escape(client_name)),
        "firm_name": str(escape(firm_name)),
        "date": str(escape(format_date(sent_on, "long", locale=locale))),
        "fee_table": table,
    }
    placed = any(match.group(1) == "fee_table" for match in _FIELD.finditer(body_html))
    content = _FIELD.sub(lambda m: values[m.group(1)], body_html)
    if table and not placed:
        content += table
    return content


def fingerprint(content_html: str) -> str:
    return hashlib.sha256(content_html.encode("utf-8")).hexdigest()
