"""Money in the reader's notation (issue 9): "1 234,50 €" (fr), "1.234,50 €" (nl, pt_PT),
"€1,234.50" (en), on pages, in emails, in the invoice PDF and the proposal's fee table."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dashboard.i18n import format_money


def _spaces(text: str) -> str:
    """Babel's no-break and narrow no-break spaces read as plain spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("fr", "1 234,50 €"), ("nl", "1.234,50 €"), ("pt_PT", "1.234,50 €"), ("en", "€1,234.50")],
)
def test_amounts_read_as_each_language_writes_them(locale, expected):
    assert _spaces(format_money(Decimal("1234.50"), "EUR", locale)) == expected


def test_negative_amounts_and_other_currencies_keep_their_sign_and_symbol():
    assert _spaces(format_money(Decimal("-1234.5"), "EUR", "nl")) == "-1.234,50 €"
    assert _spaces(format_money(Decimal("99"), "USD", "pt_PT")) == "99,00 US$"


def test_the_jinja_filter_uses_the_readers_language(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("nl"):
        rendered = app.jinja_env.from_string("{{ 1234.5|money }}").render()
    assert _spaces(rendered) == "1.234,50 €"
