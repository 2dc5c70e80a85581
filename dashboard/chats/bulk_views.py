"""Staff routes for bulk messaging (C2): the Send message form and the progress page."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from dashboard.auth.models import Firm
from dashboard.chats import bulk as service
from dashboard.chats.models import MessageTemplate
from dashboard.extensions import db
from dashboard.htmx import render_page_or_partial
from dashboard.reminders.cascade import resolve
from dashboard.reminders.service import ReminderSettings, SettingsError
from dashboard.tenancy import current_firm_id, firm_get

bp = Blueprint("bulk", __name__)

#: Names of the selected accounts listed on the form; the rest are counted.
NAMES_SHOWN = 30


@bp.before_request
@login_required
def require_staff() -> None:
    """Only staff reach these routes."""
    current_firm_id()


def _defaults() -> ReminderSettings:
    firm = db.session.get(Firm, current_firm_id())
    assert firm is not None
    return ReminderSettings.defaults_for(firm)


def _prefill(form: MultiDict) -> ReminderSettings:
    """The Reminders the form was filled with: the chosen template's as they resolve now, or
    the firm default; a post with these values keeps their origin (B8)."""
    chosen = form.get("template", type=int)
    template = firm_get(MessageTemplate, chosen) if chosen else None
    firm = db.session.get(Firm, current_firm_id())
    assert firm is not None
    return resolve(firm, template, "template")


def _render_form(
    account_ids: list[int], errors: dict[str, str], form: MultiDict | None, status: int
):
    accounts, reachable = service.describe_accounts(current_firm_id(), account_ids)
    unreachable = [a for a in accounts if a.id not in reachable]
    return render_template(
        "chats/bulk_message.html",
        account_ids=account_ids,
        accounts=accounts,
        names_shown=NAMES_SHOWN,
        unreachable=unreachable,
        errors=errors,
        form=form,
        defaults=_defaults(),
        templates=db.session.scalars(
            select(MessageTemplate)
            .where(MessageTemplate.firm_id == current_firm_id())
            .order_by(MessageTemplate.name)
        ).all(),
    ), status


@bp.route("/clients/bulk-message", methods=["GET", "POST"])
def bulk_message():
    """Send message (C2): subject, message and reminders for the selected clients."""
    values = request.form if request.method == "POST" else request.args
    account_ids = service.parse_account_ids(values.getlist("account"))
    if request.method == "GET" or request.form.get("step") == "compose":
        # Coming from the Clients list (More actions → Send message): show the form.
        if not account_ids:
            return _render_form([], {"account": _("Select at least one client.")}, None, 422)
        return _render_form(account_ids, {}, None, 200)
    if request.form.get("step") == "template":
        # A template was chosen: fill subject, message and reminders, keep the selection.
        template = firm_get(MessageTemplate, request.form.get("template", type=int) or 0)
        prefill = _prefill(request.form)
        filled = MultiDict(request.form)
        for key, value in (
            ("subject", template.subject),
            ("message", template.body),
            ("reminders", "on" if prefill.enabled else ""),
            ("interval_days", prefill.interval_days),
            ("max_count", prefill.max_count),
        ):
            filled.setlist(key, [str(value)])
        return _render_form(account_ids, {}, filled, 200)
    errors: dict[str, str] = {}
    try:
        settings = ReminderSettings.parse(request.form, _prefill(request.form))
    except SettingsError as invalid:
        errors.update(invalid.errors)
        settings = _defaults()
    try:
        bulk = service.create_bulk_send(
            current_user,
            account_ids,
            request.form.get("subject", ""),
            request.form.get("message", ""),
            settings,
            request.files.getlist("files"),
        )
    except service.BulkError as refused:
        errors = {**refused.errors, **errors}
    if errors:
        db.session.rollback()
        return _render_form(account_ids, errors, request.form, 422)
    db.session.commit()
    return redirect(url_for("bulk.progress", bulk_id=bulk.id), 303)


@bp.route("/clients/bulk-message/<int:bulk_id>")
def progress(bulk_id: int):
    """How far a bulk send got; the partial polls itself every second until it is finished."""
    bulk = firm_get(service.BulkSend, bulk_id)
    return render_page_or_partial(
        "chats/bulk_progress.html",
        "chats/_bulk_progress.html",
        bulk=bulk,
        reasons=service.SKIP_REASONS,
    )
