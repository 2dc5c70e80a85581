"""Carrying out automations: each run creates one item (a chat, an invoice, an organizer, a
proposal) through that kind's own services, with the automation's Reminders (B8).

`carry_out(run_id)` is one transaction: it takes the run (a conditional UPDATE queued →
done/skipped), creates the item and its outbox emails, and commits them together. A second
worker, or the same job retried, finds the run no longer queued and does nothing; a crash
before the commit leaves it queued and nothing half-made, so `requeue_stale` lets it go again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from dashboard.accounts.models import Account
from dashboard.auth.models import Firm, User
from dashboard.chats import service as chats
from dashboard.chats.models import MessageTemplate
from dashboard.clock import now
from dashboard.extensions import db
from dashboard.invoices import service as invoices
from dashboard.invoices.models import InvoiceTemplate
from dashboard.items.kinds import notify_recipients
from dashboard.items.models import ActionItem
from dashboard.organizers import service as organizers
from dashboard.organizers.models import OrganizerTemplate
from dashboard.pipelines.models import AutomationRun, Job, StageAutomation
from dashboard.proposals import service as proposals
from dashboard.proposals.models import ProposalTemplate
from dashboard.reminders.cascade import resolve
from dashboard.reminders.service import ReminderSettings

log = logging.getLogger(__name__)

ACTION_LABELS = {
    "send_message": _l("Send message"),
    "create_invoice": _l("Create invoice"),
    "create_organizer": _l("Create organizer"),
    "send_proposal": _l("Send proposal"),
}
REASON_LABELS = {
    "no_portal_contact": _l("No contact of this account has portal access with NOTIFY on."),
    "template_missing": _l("The template was deleted."),
    "job_archived": _l("The job was archived before it ran."),
    "error": _l("Something went wrong; the firm can send it by hand."),
}
TEMPLATE_MODELS = {
    "send_message": MessageTemplate,
    "create_invoice": InvoiceTemplate,
    "create_organizer": OrganizerTemplate,
    "send_proposal": ProposalTemplate,
}


def template_choices(firm_id: int, action: str) -> list[tuple[int, str]]:
    """(id, name) of the firm's templates an automation of `action` can use."""
    model = TEMPLATE_MODELS.get(action)
    if model is None:
        return []
    return list(
        db.session.execute(
            select(model.id, model.name).where(model.firm_id == firm_id).order_by(model.name)
        )
    )


def template_names(firm_id: int) -> dict[tuple[str, int], str]:
    """Every template name of the firm by (action, id): four queries for a whole page."""
    return {
        (action, template_id): name
        for action in TEMPLATE_MODELS
        for template_id, name in template_choices(firm_id, action)
    }


# --- the four actions ----------------------------------------------------------------------


def _send_message(actor: User, account: Account, template, settings) -> ActionItem:
    return chats.start_thread(actor, account, template.subject, "", settings, html=template.body)


def _create_invoice(actor: User, account: Account, template, settings) -> ActionItem:
    invoice = invoices.create_invoice(
        actor,
        account,
        invoices.template_lines(template),
        notes=template.notes,
        settings=settings,
        template=template,
    )
    return invoices.issue_invoice(actor, invoice)


def _create_organizer(actor: User, account: Account, template, settings) -> ActionItem:
    return organizers.send_organizer(actor, account, template, "", settings)


def _send_proposal(actor: User, account: Account, template, settings) -> ActionItem:
    data = replace(proposals.template_input(template), settings=settings)
    proposal = proposals.create_draft(actor, account, data, template)
    proposals.send_proposal(actor, proposal)
    return proposal


CREATORS: dict[str, Callable[[User, Account, object, ReminderSettings], ActionItem]] = {
    "send_message": _send_message,
    "create_invoice": _create_invoice,
    "create_organizer": _create_organizer,
    "send_proposal": _send_proposal,
}


# --- running -------------------------------------------------------------------------------


def _take(run_id: int, state: str, **values) -> bool:
    """Move the run out of `queued` for this transaction; False if another took it."""
    taken = db.session.execute(
        update(AutomationRun)
        .where(AutomationRun.id == run_id, AutomationRun.state == "queued")
        .values(state=state, finished_at=now(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    return bool(taken)


def _finish(run_id: int, **values) -> None:
    """Write the outcome on the run this transaction took."""
    db.session.execute(
        update(AutomationRun)
        .where(AutomationRun.id == run_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def _skip(run_id: int, reason: str) -> str:
    _finish(run_id, state="skipped", reason=reason)
    db.session.commit()
    return "skipped"


def carry_out(run_id: int) -> str:
    """Do one run: "done", "skipped" (and why, on the run), "failed", or "" when it was
    not queued any more (another worker did it).

    Taking the run is the transaction's first statement: on PostgreSQL a second worker
    waits for the row and then finds it taken; on SQLite the UPDATE takes the database's
    write lock before anything was read, so no stale snapshot can be written from."""
    if not _take(run_id, "done"):
        db.session.rollback()
        return ""
    run = db.session.get(AutomationRun, run_id)
    assert run is not None
    job = db.session.get(Job, run.job_id)
    automation = db.session.get(StageAutomation, run.automation_id) if run.automation_id else None
    assert job is not None
    if job.archived_at is not None:
        return _skip(run_id, "job_archived")
    template = _template(automation)
    if template is None or automation is None:
        return _skip(run_id, "template_missing")
    if not notify_recipients(job.account_id):
        return _skip(run_id, "no_portal_contact")
    firm = db.session.get(Firm, job.firm_id)
    account = db.session.get(Account, job.account_id)
    actor = _actor(run, job)
    assert firm is not None and account is not None
    settings = resolve(firm, automation, "automation")
    action = run.action
    try:
        with force_locale(actor.language or firm.default_language):
            item = CREATORS[action](actor, account, template, settings)
    except Exception as problem:  # a kind refused (e.g. a proposal's expiry): say so, go on
        db.session.rollback()
        log.warning("automation run %s failed: %r", run_id, problem)
        if _take(run_id, "failed", reason="error", detail=str(problem)[:300]):
            db.session.commit()
            return "failed"
        db.session.rollback()
        return ""
    _finish(run_id, item_id=item.id)
    db.session.commit()
    return "done"


def _template(automation: StageAutomation | None):
    if automation is None or automation.template_id is None:
        return None
    model = TEMPLATE_MODELS[automation.action]
    template = db.session.get(model, automation.template_id)
    if template is None or template.firm_id != automation.firm_id:
        return None
    return template


def _actor(run: AutomationRun, job: Job) -> User:
    """Who the item is sent by: the staff member who moved the job, else who created it."""
    for user_id in (run.actor_id, job.assignee_id, job.created_by_id):
        user = db.session.get(User, user_id) if user_id else None
        if user is not None and user.is_staff:
            return user
    owner = db.session.scalar(
        select(User).where(User.firm_id == job.firm_id, User.role == "owner").limit(1)
    )
    assert owner is not None
    return owner


def stale_runs(older_than: timedelta = timedelta(minutes=2)) -> list[int]:
    """Runs still queued a while after they were written: their job was lost (Redis
    flushed, a worker killed), so the cron enqueues them again."""
    cutoff: datetime = now() - older_than
    return list(
        db.session.scalars(
            select(AutomationRun.id)
            .where(AutomationRun.state == "queued", AutomationRun.created_at < cutoff)
            .order_by(AutomationRun.id)
            .limit(500)
        )
    )


RUN_JOB = "jobs.pipelines.run_automations"


def enqueue_runs(run_ids: list[int]) -> bool:
    """After the commit that wrote them: one worker job for the runs of one stage entry.
    Redis down is not a loss: the cron's `requeue_stale` finds them in the database."""
    from dashboard.notify.outbox import delivery_queue

    if not run_ids:
        return True
    try:
        delivery_queue().enqueue(RUN_JOB, list(run_ids), job_timeout=600)
    except Exception as error:
        log.warning("could not enqueue automation runs %s: %s", run_ids, error)
        return False
    return True


def run_all(run_ids: list[int]) -> dict[str, int]:
    """Carry out these runs one by one (each its own transaction); counts by outcome."""
    counts = {"done": 0, "skipped": 0, "failed": 0, "taken": 0}
    for run_id in run_ids:
        outcome = carry_out(run_id)
        counts[outcome or "taken"] += 1
    return counts
