"""Online payment of invoices through Mollie (the official `mollie-api-python` library).

*Pay now* creates a Mollie payment for the amount due and sends the client to Mollie's
checkout. Mollie then calls our webhook with nothing but the payment id; the webhook fetches
the payment back from Mollie with our API key, and that fetch is the verification: whatever a
caller posts, only what Mollie itself answers about a payment of our account is acted on.

The rules of the webhook:

- it acts on the payment's *current* status as fetched, never on the order in which calls
  arrive: an early, late or repeated call changes nothing unless Mollie says "paid" now;
- a payment is recorded once: `Payment.provider_payment_id` is unique and `record_payment`
  skips an id already recorded (a concurrent duplicate ends on the unique constraint);
- a refunded or charged-back payment never marks an invoice paid (one already recorded is
  left to staff, with a warning in the log);
- the metadata must name an existing invoice of the same firm, number and currency.

Amounts are Mollie's `{"currency": "EUR", "value": "123.45"}`: strings to and from `Decimal`,
never float. No message here is shown to users (none needs translating): callers catch
`PaymentProviderError` and say, in the user's language, that online payment is unavailable.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import get_currency_precision
from flask import current_app
from flask_babel import lazy_gettext as _l
from mollie.api.client import Client
from mollie.api.error import Error as MollieError
from mollie.api.error import NotFoundError, RequestSetupError, ResponseError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dashboard.auth.models import Firm
from dashboard.extensions import db
from dashboard.invoices import money
from dashboard.invoices.models import Invoice, Payment
from dashboard.invoices.service import InvoiceError, billing_of, local_today, record_payment

log = logging.getLogger(__name__)

#: A Mollie payment id ("tr_" and letters/digits, 10 in practice); anything else is not sent
#: to Mollie at all (nor spliced into its URLs).
PAYMENT_ID = re.compile(r"tr_[A-Za-z0-9]{1,60}")
#: Our languages as Mollie checkout locales.
MOLLIE_LOCALES = {"en": "en_US", "fr": "fr_FR", "nl": "nl_NL", "pt_PT": "pt_PT"}
#: Connect and read timeouts (seconds) of a call to Mollie, inside a web request.
TIMEOUT = (3, 10)
#: Where Mollie calls us (dashboard.invoices.webhooks); it must be reachable from the internet.
WEBHOOK_PATH = "/webhooks/mollie"


class PaymentProviderError(Exception):
    """Mollie could not be reached, or refused the request (the message is for the log)."""


def provider_configured() -> bool:
    """Is online payment on (an API key is set)? Without it the *Pay now* button is hidden."""
    return bool(str(current_app.config.get("MOLLIE_API_KEY") or "").strip())


def webhook_url() -> str:
    """The webhook's public URL, from PUBLIC_BASE_URL (https, reachable by Mollie)."""
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + WEBHOOK_PATH


@contextmanager
def _mollie() -> Iterator[Client]:
    """A Mollie client for the configured key and endpoint, its HTTP session closed after."""
    client = Client(
        api_endpoint=current_app.config.get("MOLLIE_API_ENDPOINT") or "", timeout=TIMEOUT
    )
    try:
        client.set_api_key(str(current_app.config.get("MOLLIE_API_KEY") or ""))
        yield client
    finally:
        session = getattr(client, "_client", None)  # the library's lazily made requests.Session
        if session is not None:
            session.close()


def mollie_amount(value: Decimal, currency: str) -> dict[str, str]:
    """Mollie's amount object: the value as a string with the currency's decimals ("123.45";
    "1000" in yen). An amount that the currency cannot express is refused, never rounded."""
    places = get_currency_precision(currency)
    exact = money.cents(value)
    shown = exact.quantize(Decimal(1).scaleb(-places))
    if shown != exact:
        raise PaymentProviderError(f"{exact} cannot be paid in {currency}")
    return {"currency": currency, "value": f"{shown:f}"}


def _decimal(amount: Any) -> Decimal | None:
    """The value of one of Mollie's amount objects, or None when absent or malformed."""
    if not isinstance(amount, dict) or not isinstance(amount.get("value"), str):
        return None
    try:
        value = Decimal(amount["value"])
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def create_checkout(
    invoice: Invoice, redirect_url: str, webhook_url: str, *, locale: str | None = None
) -> str:
    """Create a Mollie payment for what is still due on `invoice`; returns the checkout URL
    to send the client to. Raises InvoiceError when the invoice cannot be paid (draft, paid,
    void, nothing due) and PaymentProviderError when Mollie is off, unreachable or refuses."""
    if not provider_configured():
        raise PaymentProviderError("no Mollie API key is configured")
    due = invoice.amount_due
    if invoice.state not in ("issued", "partial") or due <= 0 or not invoice.is_pending:
        raise InvoiceError(str(_l("Only an unpaid invoice can receive a payment.")))
    billing = billing_of(invoice.firm_id)
    firm = db.session.get(Firm, invoice.firm_id)
    payee = " ".join((billing.legal_name or (firm.name if firm else "")).split())
    data: dict[str, Any] = {
        "amount": mollie_amount(due, invoice.currency),
        "description": f"{invoice.number} {payee}".strip()[:255],  # the number first
        "redirectUrl": redirect_url,
        "webhookUrl": webhook_url,
        "metadata": {
            "invoice_id": invoice.id,
            "firm_id": invoice.firm_id,
            "invoice_number": invoice.number,
        },
    }
    if locale in MOLLIE_LOCALES:
        data["locale"] = MOLLIE_LOCALES[locale]
    try:
        with _mollie() as client:
            payment = client.payments.create(data)
    except MollieError as error:
        log.warning("Mollie refused a payment for invoice %s: %s", invoice.id, error)
        raise PaymentProviderError(str(error)) from error
    checkout = payment.checkout_url
    if not checkout:
        raise PaymentProviderError(f"Mollie payment {payment.id} has no checkout link")
    log.info("Mollie payment %s created for invoice %s (%s)", payment.id, invoice.id, due)
    return checkout


def _paid_on(paid_at: Any, firm_id: int) -> date:
    """The day Mollie says it was paid, in the firm's time zone (today when it says nothing)."""
    firm = db.session.get(Firm, firm_id)
    try:
        moment = datetime.fromisoformat(str(paid_at))
    except ValueError:
        return local_today(firm_id)
    if moment.tzinfo is None or firm is None:
        return moment.date()
    return moment.astimezone(ZoneInfo(firm.time_zone)).date()


def handle_webhook(payment_id: str) -> str:
    """Act on Mollie's call about `payment_id`: fetch the payment back and record it when it
    is paid. Returns the outcome for the log: "paid" (a payment was recorded), "duplicate"
    (already recorded), "unknown" (no such payment of ours), "ignored:<reason>" (nothing to
    do), or "error:<reason>" (Mollie could not be asked: the caller should make Mollie retry).
    The caller commits."""
    payment_id = (payment_id or "").strip()
    if not provider_configured():
        return "ignored:not-configured"
    if not PAYMENT_ID.fullmatch(payment_id):
        return "unknown"
    try:
        with _mollie() as client:
            payment = client.payments.get(payment_id)
    except NotFoundError:
        return "unknown"
    except ResponseError as error:
        if error.status in (400, 404, 410, 422):  # not a payment id Mollie knows of ours
            return "unknown"
        log.warning("Mollie answered %s for payment %s: %s", error.status, payment_id, error)
        return f"error:mollie-{error.status}"
    except RequestSetupError as error:
        log.error("Mollie is misconfigured: %s", error)
        return "error:setup"
    except MollieError as error:  # unreachable, timed out, or an answer that is not JSON
        log.warning("Mollie could not be asked about payment %s: %s", payment_id, error)
        return "error:unreachable"
    if payment.get("id") != payment_id or payment.get("resource", "payment") != "payment":
        return "unknown"
    return _apply(payment_id, payment)


def _apply(payment_id: str, payment: dict[str, Any]) -> str:
    status = payment.get("status")
    if status != "paid":
        # open, pending, authorized: not yet; failed, canceled, expired: never. Either way an
        # invoice already paid through another payment stays paid.
        return f"ignored:{status or 'no-status'}"
    refunded = _decimal(payment.get("amountRefunded")) or Decimal(0)
    charged_back = _decimal(payment.get("amountChargedBack")) or Decimal(0)
    if refunded > 0 or charged_back > 0:
        if db.session.scalar(select(Payment.id).where(Payment.provider_payment_id == payment_id)):
            log.warning(
                "Mollie payment %s was recorded, then refunded or charged back: staff must "
                "adjust the invoice",
                payment_id,
            )
        return "ignored:refunded" if refunded > 0 else "ignored:charged-back"
    metadata = payment.get("metadata")
    if not isinstance(metadata, dict):
        return "ignored:no-invoice"
    invoice_id, firm_id = metadata.get("invoice_id"), metadata.get("firm_id")
    if not isinstance(invoice_id, int) or isinstance(invoice_id, bool):
        return "ignored:no-invoice"
    invoice = db.session.get(Invoice, invoice_id)
    if (
        invoice is None
        or invoice.firm_id != firm_id
        or metadata.get("invoice_number", invoice.number) != invoice.number
    ):
        return "ignored:no-invoice"
    amount = payment.get("amount")
    value = _decimal(amount)
    if not isinstance(amount, dict) or amount.get("currency") != invoice.currency:
        return "ignored:currency"
    if value is None or value <= 0 or money.cents(value) != value:
        return "ignored:amount"
    try:
        with db.session.begin_nested():
            recorded = record_payment(
                None,
                invoice,
                value,
                _paid_on(payment.get("paidAt"), invoice.firm_id),
                "provider",
                provider_payment_id=payment_id,
            )
    except IntegrityError:  # the same payment recorded at the same moment by another call
        return "duplicate"
    except InvoiceError:
        if db.session.scalar(select(Payment.id).where(Payment.provider_payment_id == payment_id)):
            return "duplicate"  # another call recorded it, and that paid the invoice
        log.warning(
            "Mollie payment %s (%s %s) is for invoice %s, which is %s: staff must refund it or "
            "record it by hand",
            payment_id,
            value,
            invoice.currency,
            invoice.id,
            invoice.state,
        )
        return "ignored:not-payable"
    if recorded is None:
        return "duplicate"
    log.info("Mollie payment %s recorded on invoice %s", payment_id, invoice.id)
    return "paid"
