"""Proposals for tests, through the real service."""

from __future__ import annotations

from decimal import Decimal

from dashboard.extensions import db
from dashboard.proposals import letter, service
from dashboard.reminders.service import ReminderSettings
from dashboard.signatures.evidence import RequestFacts
from tests.signatures.helpers import TINY_PNG

FACTS = RequestFacts("198.51.100.23", "Mozilla/5.0 (Phone) Test")
LINES = [
    letter.FeeLine("Annual accounts 2026", Decimal("1"), Decimal("1800.00"), Decimal("21"), "once"),
    letter.FeeLine("Bookkeeping", Decimal("1"), Decimal("250.00"), Decimal("21"), "month"),
]
BODY = (
    "<p>Dear {{ client_name }},</p><p>{{ firm_name }} is pleased to propose, on {{ date }}:</p>"
    "{{ fee_table }}<p>Kind regards.</p>"
)


def proposal_input(**overrides) -> service.ProposalInput:
    values = {
        "title": "Engagement letter 2027",
        "body_html": BODY,
        "lines": list(LINES),
        "create_invoice": True,
        "settings": ReminderSettings(True, 3, 2),
        "message": "Please sign before the end of the month.",
        "expires_on": None,
    }
    values.update(overrides)
    return service.ProposalInput(**values)


def sent_proposal(staff, account, **overrides):
    proposal = service.create_draft(staff, account, proposal_input(**overrides))
    service.send_proposal(staff, proposal)
    db.session.commit()
    return proposal


def sign_proposal(proposal, user, method="typed", shown=None):
    service.sign(
        user,
        proposal,
        method=method,
        typed_name=user.name,
        drawing=TINY_PNG if method == "drawn" else None,
        consent=True,
        shown_sha256=shown if shown is not None else proposal.content_sha256,
        consent_locale=user.language or "en",
        facts=FACTS,
    )
    db.session.commit()
