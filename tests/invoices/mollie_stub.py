"""A local stand-in for Mollie's API v2 (payments), for tests: no internet.

It speaks what `mollie-api-python` calls — POST /v2/payments and GET /v2/payments/{id} — with
Mollie's documented shapes: payment objects ("resource": "payment", "tr_…" ids, amounts as
{"currency", "value": "10.00"} strings, `_links` in HAL), and errors as
{"status", "title", "detail", "field"?, "_links": {"documentation"}} with the HTTP status.
Requests need `Authorization: Bearer <api key>`; the amount, description and redirect URL are
validated as Mollie does (a value must be a string with the currency's decimals).

Tests change a payment the way Mollie would (`pay`, `fail`, `expire`, `cancel`, `refund`,
`charge_back`, or `set_status`), then call the webhook themselves with the id, as Mollie does.
A test-mode checkout page (GET/POST /checkout/select-method/{token}) lets a browser pick the
outcome, like Mollie's test checkout: it changes the status, posts the id to the payment's
webhook URL and redirects to its redirect URL.

    with MollieStub() as stub, stub.configured(app):
        ...
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import escape
from typing import Any

from babel.numbers import get_currency_precision
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

API_KEY = "test_RelanceStubKey4w9sHfT2xQpLm8"
DOCS = "https://docs.mollie.com/overview/handling-errors"
STATUSES = ("open", "pending", "authorized", "paid", "canceled", "expired", "failed")
HAL = "application/hal+json"
ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_NOT_JSON = object()


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _money(value: Decimal, currency: str) -> dict[str, str]:
    places = get_currency_precision(currency)
    return {"currency": currency, "value": f"{value.quantize(Decimal(1).scaleb(-places)):f}"}


@dataclass
class Call:
    """One request the stub received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class _Fault:
    status: int
    times: int


class _Quiet(WSGIRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: nothing left open at the end

    def log_request(self, *args, **kwargs) -> None:
        pass


@dataclass
class MollieStub:
    api_key: str = API_KEY
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    _faults: list[_Fault] = field(default_factory=list)
    _idempotent: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._server = make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_Quiet
        )
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- life -------------------------------------------------------------------------------

    def start(self) -> MollieStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> MollieStub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @contextmanager
    def configured(self, app) -> Iterator[MollieStub]:
        """Point the app's MOLLIE_API_KEY / MOLLIE_API_ENDPOINT at the stub, then restore."""
        saved = {key: app.config.get(key) for key in ("MOLLIE_API_KEY", "MOLLIE_API_ENDPOINT")}
        app.config.update(MOLLIE_API_KEY=self.api_key, MOLLIE_API_ENDPOINT=self.base_url)
        try:
            yield self
        finally:
            app.config.update(saved)

    # --- what tests do to payments, as Mollie would -----------------------------------------

    def fail_next(self, status: int = 503, times: int = 1) -> None:
        """Answer the next `times` API calls with `status` (a 5xx is an HTML page, as a load
        balancer in front of the API would give; a 4xx is Mollie's error JSON)."""
        with self._lock:
            self._faults.append(_Fault(status, times))

    def add_payment(
        self,
        amount: str,
        currency: str = "EUR",
        metadata: Any = None,
        description: str = "Created elsewhere",
        webhook_url: str | None = None,
    ) -> dict[str, Any]:
        """A payment created by someone else on the same Mollie account (another shop)."""
        return self._create(
            {
                "amount": {"currency": currency, "value": amount},
                "description": description,
                "redirectUrl": "https://elsewhere.example.test/done",
                "webhookUrl": webhook_url,
                "metadata": metadata,
            }
        )

    def set_status(self, payment_id: str, status: str) -> dict[str, Any]:
        """Move the payment to `status` with the fields Mollie shows in that state."""
        assert status in STATUSES, status
        with self._lock:
            p = self.payments[payment_id]
            p["status"] = status
            for key in ("paidAt", "canceledAt", "expiredAt", "failedAt", "authorizedAt"):
                p.pop(key, None)
            links = p["_links"]
            if status in ("open", "pending"):
                p["isCancelable"] = status == "open"
                p["expiresAt"] = p.get("expiresAt") or _now()
                links["checkout"] = self._checkout_link(payment_id)
                return p
            p.pop("expiresAt", None)
            p["isCancelable"] = False
            links.pop("checkout", None)
            if status == "paid":
                value = Decimal(p["amount"]["value"])
                currency = p["amount"]["currency"]
                p["paidAt"] = _now()
                p["method"] = p.get("method") or "ideal"
                p["details"] = {
                    "consumerName": "T. TEST",
                    "consumerAccount": "NL72RABO0110438885",
                    "consumerBic": "RABONL2U",
                }
                p.setdefault("amountRefunded", _money(Decimal(0), currency))
                p.setdefault("amountRemaining", _money(value, currency))
                p.setdefault("settlementAmount", _money(value, currency))
            elif status == "authorized":
                p["authorizedAt"] = _now()
            else:
                p[f"{status}At"] = _now()
                if status == "failed":
                    p["method"] = p.get("method") or "creditcard"
                    p["details"] = {"failureReason": "authentication_failed"}
            return p

    def pay(self, payment_id: str) -> dict[str, Any]:
        return self.set_status(payment_id, "paid")

    def fail(self, payment_id: str) -> dict[str, Any]:
        return self.set_status(payment_id, "failed")

    def expire(self, payment_id: str) -> dict[str, Any]:
        return self.set_status(payment_id, "expired")

    def cancel(self, payment_id: str) -> dict[str, Any]:
        return self.set_status(payment_id, "canceled")

    def refund(self, payment_id: str, amount: str | None = None) -> dict[str, Any]:
        """Refund a paid payment (all of it by default). Its status stays "paid", as at
        Mollie; `amountRefunded` and `amountRemaining` change and a refunds link appears."""
        with self._lock:
            p = self.payments[payment_id]
            assert p["status"] == "paid", "Mollie refunds only paid payments"
            currency = p["amount"]["currency"]
            total = Decimal(p["amount"]["value"])
            already = Decimal(p["amountRefunded"]["value"])
            refunded = already + (Decimal(amount) if amount else total - already)
            assert refunded <= total
            p["amountRefunded"] = _money(refunded, currency)
            p["amountRemaining"] = _money(total - refunded, currency)
            p["_links"]["refunds"] = {
                "href": f"{self.base_url}/v2/payments/{payment_id}/refunds",
                "type": HAL,
            }
            return p

    def charge_back(self, payment_id: str, amount: str | None = None) -> dict[str, Any]:
        """The payer's bank reversed the payment: status stays "paid", `amountChargedBack`."""
        with self._lock:
            p = self.payments[payment_id]
            assert p["status"] == "paid"
            p["amountChargedBack"] = _money(
                Decimal(amount or p["amount"]["value"]), p["amount"]["currency"]
            )
            p["_links"]["chargebacks"] = {
                "href": f"{self.base_url}/v2/payments/{payment_id}/chargebacks",
                "type": HAL,
            }
            return p

    def created(self) -> list[Any]:
        """The bodies of the POST /v2/payments requests received, in order."""
        return [c.body for c in self.calls if c.method == "POST" and c.path == "/v2/payments"]

    def deliver_webhook(self, payment_id: str) -> bool:
        """POST `id=<payment id>` to the payment's webhook URL, as Mollie does (True on 2xx)."""
        url = self.payments[payment_id].get("webhookUrl")
        if not url or not url.startswith("http://127.0.0.1"):
            return False  # only local servers: no test may reach the internet
        data = urllib.parse.urlencode({"id": payment_id}).encode()
        try:
            with urllib.request.urlopen(url, data=data, timeout=10) as response:
                return 200 <= response.status < 300
        except OSError:
            return False

    # --- the HTTP side ------------------------------------------------------------------------

    def _checkout_link(self, payment_id: str) -> dict[str, str]:
        token = payment_id.removeprefix("tr_")
        return {"href": f"{self.base_url}/checkout/select-method/{token}", "type": "text/html"}

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        payment_id = "tr_" + "".join(secrets.choice(ID_CHARS) for _ in range(10))
        created = datetime.now(UTC).replace(microsecond=0)
        payment: dict[str, Any] = {
            "resource": "payment",
            "id": payment_id,
            "mode": "live" if self.api_key.startswith("live_") else "test",
            "createdAt": created.isoformat(),
            "amount": dict(body["amount"]),
            "description": body["description"],
            "method": body.get("method"),
            "metadata": body.get("metadata"),
            "status": "open",
            "isCancelable": False,
            "expiresAt": (created + timedelta(minutes=15)).isoformat(),
            "details": None,
            "profileId": "pfl_QkEhN94Ba",
            "sequenceType": "oneoff",
            "redirectUrl": body["redirectUrl"],
            "_links": {
                "self": {"href": f"{self.base_url}/v2/payments/{payment_id}", "type": HAL},
                "checkout": self._checkout_link(payment_id),
                "dashboard": {
                    "href": f"https://my.mollie.com/dashboard/org_12345678/payments/{payment_id}",
                    "type": "text/html",
                },
                "documentation": {
                    "href": "https://docs.mollie.com/reference/create-payment",
                    "type": "text/html",
                },
            },
        }
        if body.get("webhookUrl"):
            payment["webhookUrl"] = body["webhookUrl"]
        if body.get("locale"):
            payment["locale"] = body["locale"]
        with self._lock:
            self.payments[payment_id] = payment
        return payment

    @staticmethod
    def _error(status: int, title: str, detail: str, field_name: str | None = None) -> Response:
        body: dict[str, Any] = {"status": status, "title": title, "detail": detail}
        if field_name:
            body["field"] = field_name
        body["_links"] = {"documentation": {"href": DOCS, "type": "text/html"}}
        return Response(json.dumps(body), status=status, content_type=HAL)

    @staticmethod
    def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return Response(json.dumps(body), status=status, content_type=HAL, headers=headers)

    def _invalid(self, body: Any) -> Response | None:
        """Mollie's 422 for a create-payment body it would refuse, else None."""

        def unprocessable(detail: str, name: str) -> Response:
            return self._error(422, "Unprocessable Entity", detail, name)

        if not isinstance(body, dict):
            return self._error(400, "Bad Request", "The request body is not valid JSON")
        amount = body.get("amount")
        if not isinstance(amount, dict):
            return unprocessable("The amount is required for payments", "amount")
        currency, value = amount.get("currency"), amount.get("value")
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
            return unprocessable("The amount currency is invalid", "amount.currency")
        places = get_currency_precision(currency)
        pattern = r"\d+" + (rf"\.\d{{{places}}}" if places else "")
        if not isinstance(value, str) or not re.fullmatch(pattern, value):
            return unprocessable(
                "The amount contains an invalid value or the wrong number of decimals",
                "amount.value",
            )
        if Decimal(value) < Decimal("0.01"):
            return unprocessable("The amount is lower than the minimum", "amount")
        if not isinstance(body.get("description"), str) or not body["description"].strip():
            return unprocessable("The description is invalid", "description")
        if len(body["description"]) > 255:
            return unprocessable("The description is too long", "description")
        if not isinstance(body.get("redirectUrl"), str) or not body["redirectUrl"]:
            return unprocessable("The redirect URL is required for payments", "redirectUrl")
        if "metadata" in body and len(json.dumps(body["metadata"])) > 1024:
            return unprocessable("The metadata is too large", "metadata")
        return None

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        return self._handle(request)(environ, start_response)

    def _handle(self, request: Request) -> Response:
        body: Any = None
        if request.path.startswith("/v2/") and request.get_data():
            try:
                body = json.loads(request.get_data())
            except ValueError:
                body = _NOT_JSON
        with self._lock:
            self.calls.append(Call(request.method, request.path, dict(request.headers), body))
        if request.path.startswith("/checkout/select-method/"):
            return self._checkout(request)
        with self._lock:
            fault = self._faults[0] if self._faults else None
            if fault:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.pop(0)
        if fault and fault.status >= 500:
            page = "<html><body><h1>503 Service Unavailable</h1></body></html>"
            return Response(page, status=fault.status, content_type="text/html")
        if fault:
            return self._error(fault.status, "Error", "Injected by the test")
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return self._error(
                401, "Unauthorized Request", "Missing authentication, or failed to authenticate"
            )
        if request.method == "POST" and request.path == "/v2/payments":
            return self._post_payment(request, body)
        match = re.fullmatch(r"/v2/payments/([^/]+)", request.path)
        if request.method == "GET" and match:
            with self._lock:
                payment = self.payments.get(match.group(1))
                payment = json.loads(json.dumps(payment)) if payment else None
            if payment is None:
                return self._error(
                    404, "Not Found", f"No payment exists with token {match.group(1)}."
                )
            return self._json(payment)
        return self._error(404, "Not Found", "The resource does not exist")

    def _post_payment(self, request: Request, body: Any) -> Response:
        if body is _NOT_JSON:
            return self._error(400, "Bad Request", "The request body is not valid JSON")
        invalid = self._invalid(body)
        if invalid is not None:
            return invalid
        key = request.headers.get("Idempotency-Key")
        with self._lock:
            replayed = self._idempotent.get(key) if key else None
            if replayed:
                return self._json(
                    self.payments[replayed], 201, headers={"Idempotent-Replayed": "true"}
                )
            payment = self._create(body)
            if key:
                self._idempotent[key] = payment["id"]
        return self._json(payment, 201)

    def _checkout(self, request: Request) -> Response:
        """Mollie's test-mode checkout: choose the payment's outcome."""
        payment_id = "tr_" + request.path.rsplit("/", 1)[-1]
        with self._lock:
            payment = self.payments.get(payment_id)
        if payment is None or "checkout" not in payment["_links"]:
            return Response("This payment cannot be paid.", status=404, content_type="text/plain")
        if request.method == "POST":
            status = request.form.get("status", "")
            if status not in ("paid", "failed", "canceled", "expired", "open"):
                return Response("Choose a status.", status=400, content_type="text/plain")
            self.set_status(payment_id, status)
            self.deliver_webhook(payment_id)
            return Response("", status=303, headers={"Location": payment["redirectUrl"]})
        amount = payment["amount"]
        buttons = "".join(
            f'<button name="status" value="{s}">{s}</button>'
            for s in ("paid", "failed", "canceled", "expired", "open")
        )
        page = (
            "<!doctype html><html><head><title>Mollie test checkout</title></head><body>"
            f"<h1>Test payment</h1><p>{escape(payment['description'])}</p>"
            f"<p data-amount>{escape(amount['currency'])} {escape(amount['value'])}</p>"
            f'<form method="post">{buttons}</form></body></html>'
        )
        return Response(page, content_type="text/html; charset=utf-8")
