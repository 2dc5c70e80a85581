"""Pipelines for tests: a pipeline whose second stage has all four automations."""

from __future__ import annotations

from dashboard.chats.models import MessageTemplate
from dashboard.extensions import db
from dashboard.invoices.models import InvoiceTemplate
from dashboard.pipelines import service
from dashboard.proposals.models import ProposalTemplate
from dashboard.reminders.service import ReminderSettings
from tests.organizers.helpers import make_template as make_organizer_template

STAGES = ["Intake", "Documents", "Review", "Done"]


def make_templates(firm) -> dict[str, object]:
    """One template of each kind an automation can send."""
    message = MessageTemplate(
        firm_id=firm.id, name="Welcome", subject="Welcome aboard", body="<p>Hello!</p>"
    )
    invoice = InvoiceTemplate(
        firm_id=firm.id,
        name="Tax return fee",
        lines=[
            {
                "description": "Tax return 2026",
                "quantity": "1",
                "unit_price": "450.00",
                "vat_rate": "21",
            }
        ],
        notes="Thank you.",
    )
    proposal = ProposalTemplate(
        firm_id=firm.id,
        name="Engagement letter",
        body_html="<p>Dear {{ client_name }},</p>{{ fee_table }}",
        fee_lines=[
            {
                "description": "Bookkeeping",
                "quantity": "1",
                "unit_price": "250.00",
                "vat_rate": "21",
                "recurrence": "month",
            }
        ],
    )
    db.session.add_all([message, invoice, proposal])
    db.session.flush()
    organizer = make_organizer_template(firm)
    return {
        "send_message": message,
        "create_invoice": invoice,
        "create_organizer": organizer,
        "send_proposal": proposal,
    }


def make_pipeline(firm, own: ReminderSettings | None = None, inherit: bool = False):
    """A pipeline; entering "Documents" runs the four automations with `own` reminders."""
    own = own or ReminderSettings(True, 5, 2)
    pipeline = service.create_pipeline(firm.id, "Tax returns", STAGES)
    templates = make_templates(firm)
    documents = pipeline.stages[1]
    for action, template in templates.items():
        service.save_automation(documents, None, action, template.id, inherit, own)
    db.session.commit()
    return pipeline
