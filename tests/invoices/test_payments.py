"""Online payment through Mollie, against a local stub of its API (tests/invoices/mollie_stub.py).

The webhook is called the way Mollie calls it — a form post carrying only `id` — and is
believed only after the payment is fetched back: forged and unknown ids change nothing, a
replayed call pays once, refunds and failures never mark paid, and the order of calls does not
matter (the status fetched now is what counts).
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from dashboard.extensions import db
from dashboard.invoices import payments, service
from dashboard.invoices.models import Invoice, Payment
from dashboard.reminders.service import ReminderSettings
from tests.invoices.helpers import LINES, issued_invoice
from tests.invoices.mollie_stub import MollieStub

WEBHOOK = "/webhooks/mollie"
PORTAL = "https://portal.example.test"
TOTAL = Decimal("1461.80")  # of helpers.LINES, VAT included


@pytest.fixture()
def mollie(app):
    """The stub, running, with the app pointed at it (and put back afterwards)."""
    with MollieStub() as stub, stub.configured(app):
        yield stub


@pytest.fixture()
def web(app, client):
    """The test client, with the webhooks blueprint registered if create_app does not yet."""
    if "webhooks" not in app.blueprints:
        from dashboard.invoices.webhooks import bp

        try:
            app.register_blueprint(bp)
        except AssertionError:  # the session's app already served a request
            pytest.skip("register dashboard.invoices.webhooks.bp in create_app()")
    return client


def checkout(invoice: Invoice) -> str:
    """Create a checkout for `invoice` and return the Mollie payment id."""
    url = payments.create_checkout(
        invoice, f"{PORTAL}/portal/invoices/{invoice.id}", f"{PORTAL}{WEBHOOK}"
    )
    return "tr_" + url.rsplit("/", 1)[-1]


def notify(client, payment_id: str):
    """Mollie's call: a form post with the id only, no CSRF token, no session."""
    response = client.post(WEBHOOK, data={"id": payment_id}, without_csrf=True)
    assert response.status_code == 200
    assert response.data == b""
    return response


def payment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Payment))


def fresh(invoice: Invoice) -> Invoice:
    db.session.rollback()  # what the request committed, not what this session remembers
    db.session.refresh(invoice)
    return invoice


def assert_unpaid(invoice: Invoice) -> None:
    invoice = fresh(invoice)
    assert invoice.state == "issued" and invoice.is_pending
    assert invoice.amount_paid == Decimal("0.00") and payment_count() == 0


# --- configuration and checkout --------------------------------------------------------------


def test_without_an_api_key_there_is_no_provider(app, ctx, world, monkeypatch):
    monkeypatch.setitem(app.config, "MOLLIE_API_KEY", "")
    assert payments.provider_configured() is False
    invoice = issued_invoice(world.a.staff, world.a.account)
    with pytest.raises(payments.PaymentProviderError):
        payments.create_checkout(invoice, f"{PORTAL}/x", f"{PORTAL}{WEBHOOK}")
    assert payments.handle_webhook("tr_WDqYK6vllg") == "ignored:not-configured"
    monkeypatch.setitem(app.config, "MOLLIE_API_KEY", "test_abc")
    assert payments.provider_configured() is True


def test_checkout_asks_mollie_for_the_amount_due(ctx, world, mollie):
    a = world.a
    invoice = issued_invoice(a.staff, a.account)
    url = payments.create_checkout(
        invoice, f"{PORTAL}/portal/invoices/{invoice.id}", payments.webhook_url(), locale="fr"
    )
    (payment_id,) = mollie.payments
    assert url == mollie.payments[payment_id]["_links"]["checkout"]["href"]
    assert url.startswith(f"{mollie.base_url}/checkout/")
    (sent,) = mollie.created()
    assert sent["amount"] == {"currency": "EUR", "value": "1461.80"}  # a string, never a float
    assert sent["metadata"] == {
        "invoice_id": invoice.id,
        "firm_id": a.firm.id,
        "invoice_number": invoice.number,
    }
    assert invoice.number in sent["description"]
    assert sent["redirectUrl"] == f"{PORTAL}/portal/invoices/{invoice.id}"
    assert sent["webhookUrl"] == f"{PORTAL}{WEBHOOK}"
    assert sent["locale"] == "fr_FR"
    call = mollie.calls[-1]
    assert call.headers["Authorization"] == f"Bearer {mollie.api_key}"
    assert call.headers.get("Idempotency-Key")
    assert_unpaid(invoice)  # creating a checkout records nothing


def test_checkout_after_a_partial_payment_asks_for_the_rest(ctx, world, mollie):
    a = world.a
    invoice = issued_invoice(a.staff, a.account)
    service.record_payment(a.staff, invoice, Decimal("461.80"), date(2026, 12, 1), "transfer")
    db.session.commit()
    payments.create_checkout(invoice, f"{PORTAL}/x", f"{PORTAL}{WEBHOOK}")
    assert mollie.created()[0]["amount"] == {"currency": "EUR", "value": "1000.00"}


def test_no_checkout_for_an_invoice_that_cannot_be_paid(ctx, world, mollie):
    a = world.a
    paid = issued_invoice(a.staff, a.account)
    service.record_payment(a.staff, paid, TOTAL, date(2026, 12, 1), "card")
    void = issued_invoice(a.staff, a.account)
    service.void_invoice(a.staff, void)
    draft = service.create_invoice(a.staff, a.account, LINES, settings=ReminderSettings(True, 3, 1))
    db.session.commit()
    for invoice in (paid, void, draft):
        with pytest.raises(service.InvoiceError):
            payments.create_checkout(invoice, f"{PORTAL}/x", f"{PORTAL}{WEBHOOK}")
    assert mollie.calls == []


def test_checkout_when_mollie_is_down_or_refuses(app, ctx, world, mollie, monkeypatch):
    invoice = issued_invoice(world.a.staff, world.a.account)
    mollie.fail_next(503)
    with pytest.raises(payments.PaymentProviderError):
        payments.create_checkout(invoice, f"{PORTAL}/x", f"{PORTAL}{WEBHOOK}")
    monkeypatch.setitem(app.config, "MOLLIE_API_KEY", "test_notthestubskey1234567890abcd")
    with pytest.raises(payments.PaymentProviderError):  # 401 Unauthorized Request
        payments.create_checkout(invoice, f"{PORTAL}/x", f"{PORTAL}{WEBHOOK}")
    assert mollie.payments == {}


def test_amounts_are_strings_with_the_currency_decimals():
    assert payments.mollie_amount(Decimal("1234.5"), "EUR") == {
        "currency": "EUR",
        "value": "1234.50",
    }
    assert payments.mollie_amount(Decimal("1E+3"), "EUR")["value"] == "1000.00"
    assert payments.mollie_amount(Decimal("1000.00"), "JPY")["value"] == "1000"
    with pytest.raises(payments.PaymentProviderError):
        payments.mollie_amount(Decimal("1000.50"), "JPY")  # refused, never rounded


# --- the webhook -------------------------------------------------------------------------------


def test_a_paid_payment_marks_the_invoice_paid_once(web, ctx, world, mollie):
    a = world.a
    invoice = issued_invoice(a.staff, a.account)
    payment_id = checkout(invoice)
    mollie.pay(payment_id)
    mollie.payments[payment_id]["paidAt"] = "2026-03-31T22:30:00+00:00"  # 00:30 in Paris
    notify(web, payment_id)
    invoice = fresh(invoice)
    assert invoice.state == "paid" and not invoice.is_pending and invoice.outcome == "paid"
    (payment,) = invoice.payments
    assert payment.provider_payment_id == payment_id and payment.method == "provider"
    assert payment.amount == TOTAL and payment.recorded_by_id is None
    assert payment.paid_on == date(2026, 4, 1)  # the firm's day, not UTC's
    for _ in range(3):  # Mollie retries, or replays: still one payment
        notify(web, payment_id)
    assert payments.handle_webhook(payment_id) == "duplicate"
    invoice = fresh(invoice)
    assert payment_count() == 1 and invoice.amount_paid == TOTAL


def test_the_amount_recorded_is_what_mollie_reports(ctx, world, mollie):
    a = world.a
    invoice = issued_invoice(a.staff, a.account)
    service.record_payment(a.staff, invoice, Decimal("461.80"), date(2026, 12, 1), "transfer")
    db.session.commit()
    payment_id = checkout(invoice)
    mollie.pay(payment_id)
    assert payments.handle_webhook(payment_id) == "paid"
    db.session.commit()
    invoice = fresh(invoice)
    assert [p.amount for p in invoice.payments] == [Decimal("461.80"), Decimal("1000.00")]
    assert invoice.state == "paid" and invoice.amount_paid == TOTAL


@pytest.mark.parametrize(
    "payment_id",
    [
        "tr_doesNotExist",  # well-formed, unknown to Mollie: 404
        "",
        "not-a-payment",
        "tr_../../v2/customers",
        "tr_" + "x" * 500,
        "ord_pbjz8x",
    ],
)
def test_a_forged_or_unknown_id_changes_nothing(web, ctx, world, mollie, payment_id):
    invoice = issued_invoice(world.a.staff, world.a.account)
    checkout(invoice)
    response = notify(web, payment_id)
    assert "Set-Cookie" not in response.headers
    assert_unpaid(invoice)
    fetched = [c.path for c in mollie.calls if c.method == "GET"]
    assert fetched == (["/v2/payments/tr_doesNotExist"] if payment_id == "tr_doesNotExist" else [])


def test_a_post_without_an_id_or_with_a_body_claiming_paid_changes_nothing(web, ctx, world, mollie):
    invoice = issued_invoice(world.a.staff, world.a.account)
    payment_id = checkout(invoice)
    response = web.post(WEBHOOK, data={"status": "paid"}, without_csrf=True)
    assert (response.status_code, response.data) == (200, b"")
    response = web.post(
        WEBHOOK,
        json={"id": payment_id, "status": "paid", "amount": {"value": "1461.80"}},
        without_csrf=True,
    )
    assert (response.status_code, response.data) == (200, b"")
    notify(web, payment_id)  # the real id, but Mollie says it is still open
    assert_unpaid(invoice)


def test_payments_of_the_same_mollie_account_for_nothing_of_ours_change_nothing(ctx, world, mollie):
    """Another shop on the account, or metadata that does not match: ignored."""
    a = world.a
    invoice = issued_invoice(a.staff, a.account)
    other_firm = issued_invoice(world.b.staff, world.b.account)
    cases = {
        "ignored:no-invoice": [
            None,
            {"order_id": "12345"},
            {"invoice_id": str(invoice.id), "firm_id": a.firm.id},
            {"invoice_id": 999999, "firm_id": a.firm.id},
            {"invoice_id": other_firm.id, "firm_id": a.firm.id},
            {"invoice_id": invoice.id, "firm_id": a.firm.id, "invoice_number": "1999-0001"},
        ],
    }
    for outcome, metadatas in cases.items():
        for metadata in metadatas:
            payment = mollie.add_payment("1461.80", metadata=metadata)
            mollie.pay(payment["id"])
            assert payments.handle_webhook(payment["id"]) == outcome, metadata
    metadata = {"invoice_id": invoice.id, "firm_id": a.firm.id, "invoice_number": invoice.number}
    wrong_currency = mollie.add_payment("1461.80", currency="USD", metadata=metadata)
    mollie.pay(wrong_currency["id"])
    assert payments.handle_webhook(wrong_currency["id"]) == "ignored:currency"
    db.session.commit()
    assert_unpaid(invoice)
    assert fresh(other_firm).state == "issued"


@pytest.mark.parametrize(
    "status", ["open", "pending", "authorized", "failed", "canceled", "expired"]
)
def test_a_payment_that_is_not_paid_changes_nothing(web, ctx, world, mollie, status):
    invoice = issued_invoice(world.a.staff, world.a.account)
    payment_id = checkout(invoice)
    mollie.set_status(payment_id, status)
    notify(web, payment_id)
    assert payments.handle_webhook(payment_id) == f"ignored:{status}"
    assert_unpaid(invoice)


@pytest.mark.parametrize("refund", [None, "0.01", "1000.00"])
def test_a_refunded_payment_does_not_mark_paid(web, ctx, world, mollie, refund):
    """Refunded before the first call reached us (status still "paid" at Mollie)."""
    invoice = issued_invoice(world.a.staff, world.a.account)
    payment_id = checkout(invoice)
    mollie.pay(payment_id)
    mollie.refund(payment_id, refund)
    assert mollie.payments[payment_id]["status"] == "paid"
    notify(web, payment_id)
    assert payments.handle_webhook(payment_id) == "ignored:refunded"
    assert_unpaid(invoice)


def test_a_charged_back_payment_does_not_mark_paid(web, ctx, world, mollie):
    invoice = issued_invoice(world.a.staff, world.a.account)
    payment_id = checkout(invoice)
    mollie.pay(payment_id)
    mollie.charge_back(payment_id)
    notify(web, payment_id)
    assert payments.handle_webhook(payment_id) == "ignored:charged-back"
    assert_unpaid(invoice)


def test_a_refund_after_the_payment_was_recorded_is_left_to_staff(web, ctx, world, mollie, caplog):
    invoice = issued_invoice(world.a.staff, world.a.account)
    payment_id = checkout(invoice)
    mollie.pay(payment_id)
    notify(web, payment_id)
    mollie.refund(payment_id)
    with caplog.at_level("WARNING", logger="dashboard.invoices.payments"):
        notify(web, payment_id)
    assert "refunded or charged back" in caplog.text
    invoice = fresh(invoice)
    assert invoice.state == "paid" and payment_count() == 1


def test_out_of_order_calls_act_on_the_status_fetched_now(web, ctx, world, mollie):
    invoice = issued_invoice(world.a.staff, world.a.account)
    first = checkout(invoice)
    notify(web, first)  # a call while the payment is still open: nothing yet
    assert_unpaid(invoice)
    second = checkout(invoice)  # the client gave up and tried again
    mollie.pay(second)
    notify(web, second)
    assert fresh(invoice).state == "paid"
    mollie.expire(first)  # the first attempt's expiry is reported after the payment
    notify(web, first)
    mollie.set_status(second, "open")  # a stale "open" view of the paid payment
    notify(web, second)
    invoice = fresh(invoice)
    assert invoice.state == "paid" and not invoice.is_pending
    assert [p.provider_payment_id for p in invoice.payments] == [second]
    assert invoice.amount_paid == TOTAL


def test_a_payment_for_an_invoice_voided_meanwhile_is_not_recorded(web, ctx, world, mollie, caplog):
    a = world.a
    invoice = issued_invoice(a.staff, a.account)
    payment_id = checkout(invoice)
    service.void_invoice(a.staff, invoice)
    db.session.commit()
    mollie.pay(payment_id)
    with caplog.at_level("WARNING", logger="dashboard.invoices.payments"):
        notify(web, payment_id)
    assert "staff must refund it" in caplog.text
    assert payments.handle_webhook(payment_id) == "ignored:not-payable"
    assert fresh(invoice).state == "void" and payment_count() == 0


def test_when_mollie_cannot_be_asked_the_webhook_asks_to_be_called_again(web, ctx, world, mollie):
    invoice = issued_invoice(world.a.staff, world.a.account)
    payment_id = checkout(invoice)
    mollie.pay(payment_id)
    mollie.fail_next(503)
    response = web.post(WEBHOOK, data={"id": payment_id}, without_csrf=True)
    assert (response.status_code, response.data) == (503, b"")
    assert_unpaid(invoice)
    notify(web, payment_id)  # Mollie's retry, once the API answers again
    assert fresh(invoice).state == "paid"


def test_the_webhook_needs_no_csrf_token_while_other_posts_do(web, ctx, world, mollie):
    invoice = issued_invoice(world.a.staff, world.a.account)
    payment_id = checkout(invoice)
    mollie.pay(payment_id)
    login = web.post("/login", data={"email": "x@y.z", "password": "x"}, without_csrf=True)
    assert login.status_code == 400  # CSRF protection is on for the rest of the app
    response = notify(web, payment_id)
    assert response.status_code == 200
    assert fresh(invoice).state == "paid"


def test_the_same_call_delivered_at_once_pays_once(app, ctx, world, mollie):
    """Mollie (or a replay) delivers one paid event on several connections at the same time."""
    invoice = issued_invoice(world.a.staff, world.a.account)
    payment_id = checkout(invoice)
    mollie.pay(payment_id)
    outcomes, errors = [], []
    start = threading.Barrier(4)

    def deliver():
        try:
            with app.app_context():
                start.wait()
                for attempt in range(20):
                    try:
                        outcome = payments.handle_webhook(payment_id)
                        db.session.commit()
                        outcomes.append(outcome)
                        return
                    except OperationalError as error:  # SQLite: locked → Mollie retries
                        db.session.rollback()
                        if "locked" not in str(error) or attempt == 19:
                            raise
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(outcomes) == ["duplicate", "duplicate", "duplicate", "paid"]
    invoice = fresh(invoice)
    assert payment_count() == 1 and invoice.amount_paid == TOTAL and invoice.state == "paid"


def test_the_stub_checkout_page_pays_and_calls_the_webhook(ctx, world, mollie):
    """The stub's test checkout (for browser tests): choosing "paid" changes the status and
    redirects to the invoice; the webhook URL here is not local, so nothing is posted."""
    invoice = issued_invoice(world.a.staff, world.a.account)
    url = payments.create_checkout(invoice, f"{PORTAL}/portal/x", f"{PORTAL}{WEBHOOK}")
    with urllib.request.urlopen(url, timeout=5) as page:
        assert b"EUR 1461.80" in page.read()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(url, data=b"status=paid", timeout=5)
    assert answer.value.code == 303 and answer.value.headers["Location"] == f"{PORTAL}/portal/x"
    answer.value.close()
    (payment,) = mollie.payments.values()
    assert payment["status"] == "paid" and "checkout" not in payment["_links"]
