"""POST /webhooks/mollie: Mollie tells us a payment changed (form field `id`, nothing else).

No login and no CSRF token (Mollie is the caller); the payment is fetched back from Mollie
before anything is believed (dashboard.invoices.payments.handle_webhook). The answer is an
empty 200 whatever the id was — paid, already recorded, not ours, forged — so the endpoint
tells a caller nothing, and Mollie, which retries on anything but 2xx, stops calling. Only
when Mollie itself could not be asked is the answer an empty 503, so that Mollie calls again
later (it retries for about a day) rather than a payment being lost.
"""

from __future__ import annotations

import logging

from flask import Blueprint, request

from dashboard.extensions import csrf, db
from dashboard.invoices.payments import WEBHOOK_PATH, handle_webhook

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__)


@bp.post(WEBHOOK_PATH)
@csrf.exempt
def mollie():
    payment_id = request.form.get("id", "")[:100]
    outcome = handle_webhook(payment_id)
    if outcome.startswith("error:"):
        db.session.rollback()
        log.warning("Mollie webhook %r: %s (Mollie will call again)", payment_id, outcome)
        return "", 503, {"Retry-After": "60"}
    db.session.commit()
    log.info("Mollie webhook %r: %s", payment_id, outcome)
    return "", 200
