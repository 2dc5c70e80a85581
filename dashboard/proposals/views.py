"""Staff routes for proposals & engagement letters: the account's tab, drafts, sending, the
proposal page (status, letter, timeline, Resend, Cancel, signed PDF), the firm's page and
templates."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from dashboard.accounts.models import Account
from dashboard.accounts.views import account_options, render_account_tab
from dashboard.auth.models import Firm
from dashboard.documents.responses import pdf_response
from dashboard.extensions import db
from dashboard.invoices.models import Invoice
from dashboard.invoices.service import billing_of
from dashboard.pagination import paginate
from dashboard.proposals import forms, letter, service, signed_pdf
from dashboard.proposals.models import Proposal, ProposalTemplate
from dashboard.reminders.cascade import own_settings, parse_choice, resolve, template_choice
from dashboard.reminders.service import ReminderSettings, SettingsError, resend_refusal
from dashboard.reminders.timeline import build_timeline
from dashboard.tenancy import current_firm_id, firm_get

bp = Blueprint("proposals", __name__)
TAB = "proposals/_tab_proposals.html"


@bp.before_request
@login_required
def require_staff() -> None:
    """Only staff reach these routes."""
    current_firm_id()


def _firm() -> Firm:
    firm = db.session.get(Firm, current_firm_id())
    assert firm is not None
    return firm


def labels() -> dict:
    return {
        "state_labels": service.STATE_LABELS,
        "state_badges": service.STATE_BADGES,
        "is_expired": service.is_expired,
    }


def _templates(firm_id: int) -> list[ProposalTemplate]:
    return list(
        db.session.scalars(
            select(ProposalTemplate)
            .where(ProposalTemplate.firm_id == firm_id)
            .order_by(ProposalTemplate.name)
        )
    )


@bp.route("/clients/<int:account_id>/proposals")
def proposals_tab(account_id: int):
    """The account's Proposals & ELs tab (A2): drafts, open, then answered, newest first."""
    account = firm_get(Account, account_id)
    page = paginate(
        service.proposals_select(account.firm_id, account.id),
        current_app.config["CLIENTS_PER_PAGE"],
    )
    return render_account_tab(
        account, "proposals", TAB, page=page, templates=_templates(account.firm_id), **labels()
    )


def _form_page(account: Account, proposal: Proposal | None, data, status: int = 200, **extra):
    """The draft form; `data` is what fills it (a template's input, a draft, or the post)."""
    return render_template(
        "proposals/form.html",
        account=account,
        proposal=proposal,
        data=data,
        rows=forms.line_rows(
            extra.pop("form", None),
            letter.stored_lines(data.lines),
            billing_of(account.firm_id).default_vat_rate,
        ),
        recurrences=letter.RECURRENCE_LABELS,
        merge_fields=letter.MERGE_FIELDS,
        body=Markup(letter.clean_body(data.body_html)),  # noqa: S704 — through the sanitizer
        **extra,
    ), status


def _blank() -> service.ProposalInput:
    return service.ProposalInput("", "", [], False, ReminderSettings.defaults_for(_firm()))


def _of_draft(proposal: Proposal) -> service.ProposalInput:
    return service.ProposalInput(
        title=proposal.title,
        body_html=proposal.body_html,
        lines=letter.fee_lines(proposal.fee_lines),
        create_invoice=proposal.create_invoice,
        settings=ReminderSettings(
            proposal.reminders_enabled,
            proposal.reminder_interval_days,
            proposal.reminder_max_count,
            proposal.reminders_origin,
        ),
        message=proposal.message,
        expires_on=proposal.expires_on,
    )


@bp.route("/clients/<int:account_id>/proposals/new", methods=["GET", "POST"])
def new_proposal(account_id: int):
    """A new proposal, blank or from a template (?template=<id>): Save draft or Send."""
    account = firm_get(Account, account_id)
    template_id = request.values.get("template", type=int)
    template = firm_get(ProposalTemplate, template_id) if template_id else None
    if request.method == "GET":
        data = service.template_input(template) if template else _blank()
        return _form_page(account, None, data, template=template)
    return _save(account, None, template)


@bp.route("/clients/<int:account_id>/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
def edit_proposal(account_id: int, proposal_id: int):
    """Edit a draft (a sent proposal is never edited: what the client signs is frozen)."""
    account = firm_get(Account, account_id)
    proposal = firm_get(Proposal, proposal_id, account_id=account_id)
    if proposal.state != "draft":
        return redirect(
            url_for("proposals.proposal", account_id=account_id, proposal_id=proposal.id)
        )
    if request.method == "GET":
        return _form_page(account, proposal, _of_draft(proposal))
    return _save(account, proposal, None)


def _save(account: Account, proposal: Proposal | None, template: ProposalTemplate | None):
    form = request.form
    # What the Reminders were filled with (the draft's, else the template's as it resolves
    # now, else the firm default): a post with these values keeps their origin (B8).
    prefill = _of_draft(proposal).settings if proposal else resolve(_firm(), template, "template")
    try:
        data = forms.parse_input(form, prefill)
        if proposal is None:
            proposal = service.create_draft(current_user, account, data, template)
        else:
            service.update_draft(current_user, proposal, data)
        if form.get("action") == "send":
            service.send_proposal(current_user, proposal)
    except (SettingsError, service.ProposalError) as refused:
        db.session.rollback()
        errors = refused.errors if isinstance(refused, SettingsError) else {}
        message = _("Check the reminder settings.") if errors else str(refused)
        posted = _posted(form)
        return _form_page(
            account,
            proposal if proposal and proposal.id else None,
            posted,
            422,
            form=form,
            errors=errors,
            error=message,
            template=template,
        )
    db.session.commit()
    flash(_("Proposal sent.") if proposal.state == "sent" else _("Draft saved."), "success")
    return redirect(url_for("proposals.proposal", account_id=account.id, proposal_id=proposal.id))


def _posted(form) -> service.ProposalInput:
    """What was posted, for showing the form again after a refusal (lines as typed)."""
    return service.ProposalInput(
        title=form.get("title", ""),
        body_html=form.get("body_html", ""),
        lines=[],
        create_invoice=form.get("create_invoice") == "on",
        settings=ReminderSettings(
            form.get("reminders") == "on",
            form.get("interval_days", type=int) or 7,
            form.get("max_count", type=int) or 0,
        ),
        message=form.get("message", ""),
        expires_on=_date_or_none(form.get("expires_on")),
    )


def _date_or_none(value: str | None):
    try:
        return forms.parse_date(value)
    except service.ProposalError:
        return None


@bp.route("/clients/<int:account_id>/proposals/<int:proposal_id>")
def proposal(account_id: int, proposal_id: int):
    """One proposal: status, the letter as sent (or the draft), evidence, timeline, actions."""
    account = firm_get(Account, account_id)
    proposal_ = firm_get(Proposal, proposal_id, account_id=account_id)
    invoice = db.session.get(Invoice, proposal_.invoice_id) if proposal_.invoice_id else None
    if proposal_.state == "draft":
        preview = letter.render_content(
            proposal_.body_html,
            letter.fee_lines(proposal_.fee_lines),
            client_name=account.name,
            firm_name=_firm().name,
            sent_on=service.firm_today(account.firm_id),
            currency=proposal_.currency,
            locale=str(current_user.language or _firm().default_language),
        )
    else:
        preview = proposal_.content_html or ""
    return render_template(
        "proposals/proposal.html",
        account=account,
        proposal=proposal_,
        content=Markup(preview),  # noqa: S704 — sanitized body, our own fee table
        expired=service.is_expired(proposal_),
        invoice=invoice,
        timeline=build_timeline(proposal_) if proposal_.state != "draft" else None,
        **labels(),
    )


@bp.route("/clients/<int:account_id>/proposals/<int:proposal_id>/send", methods=["POST"])
def send(account_id: int, proposal_id: int):
    proposal_ = firm_get(Proposal, proposal_id, account_id=account_id)
    return _act(
        proposal_, lambda: service.send_proposal(current_user, proposal_), _("Proposal sent.")
    )


@bp.route("/clients/<int:account_id>/proposals/<int:proposal_id>/cancel", methods=["POST"])
def cancel(account_id: int, proposal_id: int):
    proposal_ = firm_get(Proposal, proposal_id, account_id=account_id)
    return _act(
        proposal_,
        lambda: service.cancel(current_user, proposal_),
        _("Proposal cancelled; the client can no longer sign it."),
    )


@bp.route("/clients/<int:account_id>/proposals/<int:proposal_id>/resend", methods=["POST"])
def resend(account_id: int, proposal_id: int):
    """Resend (R2/B7): one more email now; refused within 10 minutes of the last one."""
    from dashboard.reminders.service import resend_item

    proposal_ = firm_get(Proposal, proposal_id, account_id=account_id)
    if resend_item(current_user, proposal_, request.form.get("message", "").strip()[:5000]):
        db.session.commit()
        flash(_("Proposal sent again."), "success")
    else:
        db.session.rollback()
        flash(resend_refusal(proposal_, _("Not sent: no contact can receive it.")), "warning")
    return _back(proposal_)


@bp.route("/clients/<int:account_id>/proposals/<int:proposal_id>/delete", methods=["POST"])
def delete(account_id: int, proposal_id: int):
    proposal_ = firm_get(Proposal, proposal_id, account_id=account_id)
    try:
        service.delete_draft(proposal_)
    except service.ProposalError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return _back(proposal_)
    db.session.commit()
    flash(_("Draft deleted."), "success")
    return redirect(url_for("proposals.proposals_tab", account_id=account_id))


def _back(proposal_: Proposal):
    if request.form.get("next") == "tab":
        return redirect(url_for("proposals.proposals_tab", account_id=proposal_.account_id))
    return redirect(
        url_for("proposals.proposal", account_id=proposal_.account_id, proposal_id=proposal_.id)
    )


def _act(proposal_: Proposal, action, success: str):
    try:
        action()
    except service.ProposalError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return _back(proposal_)
    db.session.commit()
    flash(success, "success")
    return _back(proposal_)


@bp.route("/clients/<int:account_id>/proposals/<int:proposal_id>/pdf")
def signed_copy(account_id: int, proposal_id: int):
    """The sealed PDF of the signed letter (404 until it is made)."""
    proposal_ = firm_get(Proposal, proposal_id, account_id=account_id)
    data = signed_pdf.signed_pdf_bytes(proposal_)
    if data is None:
        abort(404)
    return pdf_response(data, signed_pdf.pdf_name(proposal_), bool(request.args.get("download")))


# --- The firm's page and templates ------------------------------------------------------------


@bp.route("/proposals")
def firm_proposals():
    """Proposals & ELs (sidebar): every account's proposals, filtered by status."""
    only = request.args.get("state", "open")
    page = paginate(
        service.proposals_select(current_firm_id(), only=only),
        current_app.config["CLIENTS_PER_PAGE"],
    )
    return render_template(
        "proposals/firm_list.html",
        page=page,
        only=only,
        account_options=account_options(current_firm_id()),
        templates=_templates(current_firm_id()),
        **labels(),
    )


@bp.route("/proposals/new")
def choose_account():
    """+ New from the firm's page: the account (and template) chosen, then the form."""
    account = firm_get(Account, request.args.get("account", type=int) or 0)
    template = request.args.get("template", type=int)
    return redirect(
        url_for("proposals.new_proposal", account_id=account.id, template=template or None)
    )


@bp.route("/proposals/templates")
def templates():
    return render_template("proposals/templates.html", templates=_templates(current_firm_id()))


def _template_page(template: ProposalTemplate | None, data, status: int = 200, **extra):
    firm = _firm()
    return render_template(
        "proposals/template_form.html",
        template=template,
        data=data,
        reminders=template_choice(firm, template, extra.get("form")),
        rows=forms.line_rows(
            extra.pop("form", None),
            letter.stored_lines(data.lines),
            billing_of(firm.id).default_vat_rate,
        ),
        recurrences=letter.RECURRENCE_LABELS,
        merge_fields=letter.MERGE_FIELDS,
        body=Markup(letter.clean_body(data.body_html)),  # noqa: S704 — through the sanitizer
        **extra,
    ), status


@bp.route("/proposals/templates/new", methods=["GET", "POST"])
@bp.route("/proposals/templates/<int:template_id>", methods=["GET", "POST"])
def edit_template(template_id: int | None = None):
    """A template in two steps on one page: *General* (title, reminders at the bottom, R7) and
    *Letter & fees*; Save / Save & exit."""
    template = firm_get(ProposalTemplate, template_id) if template_id else None
    firm = _firm()
    if request.method == "GET":
        data = service.template_input(template) if template else _blank()
        return _template_page(template, data, valid_days=template.valid_days if template else None)
    form = request.form
    try:
        own = own_settings(template) if template else ReminderSettings.defaults_for(firm)
        inherit, settings = parse_choice(form, firm, own)
        data = replace(forms.parse_input(form, own), settings=settings)
        template = service.save_template(firm, template, data, inherit)
    except (SettingsError, service.ProposalError) as refused:
        db.session.rollback()
        errors = refused.errors if isinstance(refused, SettingsError) else {}
        message = _("Check the reminder settings.") if errors else str(refused)
        return _template_page(
            template,
            _posted(form),
            422,
            form=form,
            errors=errors,
            error=message,
            valid_days=form.get("valid_days"),
        )
    db.session.commit()
    flash(_("Template saved."), "success")
    if form.get("action") == "save_exit":
        return redirect(url_for("proposals.templates"))
    return redirect(url_for("proposals.edit_template", template_id=template.id))
