"""The demo's pipeline: "Déclarations 2026" with its stages, automations on two of them, and
jobs spread across the board (one of them past its automations, with their items)."""

from __future__ import annotations

from sqlalchemy import select

from dashboard.accounts.models import Account
from dashboard.auth.models import Firm, User
from dashboard.chats.models import MessageTemplate
from dashboard.extensions import db
from dashboard.invoices.models import InvoiceTemplate
from dashboard.organizers.models import OrganizerTemplate
from dashboard.pipelines import automations, service
from dashboard.proposals.models import ProposalTemplate
from dashboard.reminders.service import ReminderSettings

STAGES = ["À démarrer", "Pièces demandées", "En préparation", "Revue", "Facturé"]
JOB_TITLES = ["Déclaration de revenus 2026", "TVA 4e trimestre", "Bilan 2026", "IFI 2026"]


def _first(model, firm: Firm):
    return db.session.scalar(
        select(model).where(model.firm_id == firm.id).order_by(model.id).limit(1)
    )


def seed(firm: Firm, accounts: list[Account], staff: list[User]) -> None:
    pipeline = service.create_pipeline(firm.id, "Déclarations 2026", STAGES)
    stages = pipeline.stages
    plan = [
        (stages[1], "send_message", _first(MessageTemplate, firm), True),
        (stages[1], "create_organizer", _first(OrganizerTemplate, firm), False),
        (stages[0], "send_proposal", _first(ProposalTemplate, firm), True),
        (stages[4], "create_invoice", _first(InvoiceTemplate, firm), False),
    ]
    for stage, action, template, inherit in plan:
        if template is not None:
            service.save_automation(
                stage, None, action, template.id, inherit, ReminderSettings(True, 4, 2)
            )
    # Jobs wait in the stages without automations; one entered "Pièces demandées" and shows
    # what its automations created (its emails count as delivered, like the demo's others).
    for number, account in enumerate(accounts[:10]):
        actor = staff[number % len(staff)]
        title = JOB_TITLES[number % len(JOB_TITLES)]
        service.create_job(actor, account, pipeline, title, actor.id, stages[2 + number % 2])
    if accounts:
        job, _ = service.create_job(
            staff[0],
            accounts[0],
            pipeline,
            "Déclaration de revenus 2026 (conjoint)",
            staff[0].id,
            stages[2],
        )
        runs = service.move_job(staff[0], job, stages[1])
        db.session.commit()
        automations.run_all(runs)
