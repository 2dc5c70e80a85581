"""Invoice arithmetic in Decimal: per-line net and VAT rounded to the cent, per-rate totals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class MoneyError(ValueError):
    """A number that cannot be an amount, a quantity or a VAT rate."""


def parse_decimal(raw: object, *, places: int = 2, low: str | None = None) -> Decimal:
    """A user's number ("1 234,5", "1234.50") as a Decimal with at most `places` decimals."""
    text = str(raw or "").strip()
    for space in ("\u00a0", "\u202f", " ", "\u2009"):  # as Babel writes them, or typed
        text = text.replace(space, "")
    if "," in text and "." in text:  # 1.234,50 or 1,234.50: the last one is the decimal mark
        text = (
            text.replace(".", "").replace(",", ".")
            if text.rfind(",") > text.rfind(".")
            else text.replace(",", "")
        )
    else:
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation as error:
        raise MoneyError(text) from error
    if not value.is_finite() or value.as_tuple().exponent < -places:
        raise MoneyError(text)
    if low is not None and value < Decimal(low):
        raise MoneyError(text)
    return value


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    vat: Decimal


def line_amounts(quantity: Decimal, unit_price: Decimal, vat_rate: Decimal) -> LineAmounts:
    net = cents(quantity * unit_price)
    return LineAmounts(net, cents(net * vat_rate / Decimal(100)))


@dataclass(frozen=True)
class Totals:
    net: Decimal
    vat: Decimal
    gross: Decimal
    #: VAT rate → (net, vat) of the lines at that rate, rates in ascending order.
    by_rate: dict[Decimal, tuple[Decimal, Decimal]]


def totals(lines: list[tuple[Decimal, Decimal, Decimal]]) -> Totals:
    """(quantity, unit price, VAT rate) lines → totals; the VAT is the sum of the lines' VAT."""
    by_rate: dict[Decimal, tuple[Decimal, Decimal]] = {}
    net = vat = Decimal("0.00")
    for quantity, unit_price, rate in lines:
        amounts = line_amounts(quantity, unit_price, rate)
        net += amounts.net
        vat += amounts.vat
        old_net, old_vat = by_rate.get(rate, (Decimal("0.00"), Decimal("0.00")))
        by_rate[rate] = (old_net + amounts.net, old_vat + amounts.vat)
    ordered = {rate: by_rate[rate] for rate in sorted(by_rate)}
    return Totals(net, vat, net + vat, ordered)
