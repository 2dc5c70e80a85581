"""Staff routes for organizers: the account's tab and sending, the answers page (Reopen, Seal,
PDF export), the firm's page and the templates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from dashboard.accounts.models import Account
from dashboard.accounts.views import render_account_tab
from dashboard.auth.models import Firm
from dashboard.documents import storage
from dashboard.documents.models import Document
from dashboard.documents.responses import pdf_response
from dashboard.extensions import db
from dashboard.organizers import pdf, service
from dashboard.organizers import questions as rules
from dashboard.organizers.models import Organizer, OrganizerTemplate
from dashboard.pagination import paginate
from dashboard.reminders.cascade import own_settings, parse_choice, resolve, template_choice
from dashboard.reminders.service import ReminderSettings, SettingsError
from dashboard.reminders.timeline import build_timeline
from dashboard.tenancy import current_firm_id, firm_get

bp = Blueprint("organizers", __name__)
TAB = "organizers/_tab_organizers.html"


@bp.before_request
@login_required
def require_staff() -> None:
    """Only staff reach these routes."""
    current_firm_id()


@bp.app_template_filter("isodate")
def isodate(value: str) -> str:
    """A stored date answer ("2026-03-01") in the reader's notation."""
    try:
        return format_date(date.fromisoformat(value), "medium")
    except (TypeError, ValueError):
        return value


def _decimal(value: str, pattern: str) -> str:
    try:
        return format_decimal(Decimal(value), pattern)
    except (InvalidOperation, TypeError, ValueError):
        return value


@bp.app_template_filter("amount")
def amount(value: str) -> str:
    """A stored amount answer ("1234.50") in the reader's notation ("1 234,50")."""
    return _decimal(value, "#,##0.00")


@bp.app_template_filter("number_answer")
def number_answer(value: str) -> str:
    return _decimal(value, "#,##0.######")


def _firm() -> Firm:
    firm = db.session.get(Firm, current_firm_id())
    assert firm is not None
    return firm


def labels() -> dict:
    return {"state_labels": service.STATE_LABELS, "state_badges": service.STATE_BADGES}


def _templates(firm_id: int) -> list[OrganizerTemplate]:
    return list(
        db.session.scalars(
            select(OrganizerTemplate)
            .where(OrganizerTemplate.firm_id == firm_id)
            .order_by(OrganizerTemplate.name)
        )
    )


@bp.route("/clients/<int:account_id>/organizers")
def organizers_tab(account_id: int):
    """The account's Organizers tab (A2): open first, then submitted and sealed."""
    account = firm_get(Account, account_id)
    page = paginate(
        service.organizers_select(account.firm_id, account.id),
        current_app.config["CLIENTS_PER_PAGE"],
    )
    return render_account_tab(
        account, "organizers", TAB, page=page, templates=_templates(account.firm_id), **labels()
    )


def _send_page(account, template, defaults, status: int = 200, **extra):
    return render_template(
        "organizers/send.html", account=account, template=template, defaults=defaults, **extra
    ), status


@bp.route("/clients/<int:account_id>/organizers/new", methods=["GET", "POST"])
def new_organizer(account_id: int):
    """+ New: a template, a message and the Reminders (the template's by default, R7)."""
    account = firm_get(Account, account_id)
    template = firm_get(OrganizerTemplate, request.values.get("template", type=int) or 0)
    # The template's Reminders as they resolve now (B8); a post with them keeps their origin.
    defaults = resolve(_firm(), template, "template")
    if request.method == "GET":
        return _send_page(account, template, defaults)
    try:
        settings = ReminderSettings.parse(request.form, defaults)
        organizer_ = service.send_organizer(
            current_user, account, template, request.form.get("message", ""), settings
        )
    except (SettingsError, service.OrganizerError) as refused:
        db.session.rollback()
        errors = refused.errors if isinstance(refused, SettingsError) else {}
        message = _("Check the reminder settings.") if errors else str(refused)
        return _send_page(
            account, template, defaults, 422, form=request.form, errors=errors, error=message
        )
    db.session.commit()
    flash(_("Organizer sent."), "success")
    return redirect(
        url_for("organizers.organizer", account_id=account.id, organizer_id=organizer_.id)
    )


def _documents(organizer_: Organizer) -> dict[int, Document]:
    ids = [a.document_id for a in organizer_.answers if a.document_id]
    if not ids:
        return {}
    return {d.id: d for d in db.session.scalars(select(Document).where(Document.id.in_(ids)))}


@bp.route("/clients/<int:account_id>/organizers/<int:organizer_id>")
def organizer(account_id: int, organizer_id: int):
    """The answers beside the questions, files linked; Resend, Reopen, Seal, PDF; timeline."""
    account = firm_get(Account, account_id)
    organizer_ = firm_get(Organizer, organizer_id, account_id=account_id)
    answers = service.answers_of(organizer_)
    done, total = rules.progress(organizer_.questions, answers)
    return render_template(
        "organizers/organizer.html",
        account=account,
        organizer=organizer_,
        answers=answers,
        answer_rows={a.key: a for a in organizer_.answers},
        documents=_documents(organizer_),
        shown={q["key"] for q in rules.visible(organizer_.questions, answers)},
        sections=rules.sections(organizer_.questions),
        done=done,
        total=total,
        timeline=build_timeline(organizer_),
        **labels(),
    )


def _act(organizer_: Organizer, action, success: str):
    try:
        action()
    except service.OrganizerError as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(
        url_for(
            "organizers.organizer", account_id=organizer_.account_id, organizer_id=organizer_.id
        )
    )


@bp.route("/clients/<int:account_id>/organizers/<int:organizer_id>/reopen", methods=["POST"])
def reopen(account_id: int, organizer_id: int):
    organizer_ = firm_get(Organizer, organizer_id, account_id=account_id)
    return _act(
        organizer_,
        lambda: service.reopen(current_user, organizer_),
        _("Organizer reopened: the client can change the answers; reminders start again."),
    )


@bp.route("/clients/<int:account_id>/organizers/<int:organizer_id>/seal", methods=["POST"])
def seal(account_id: int, organizer_id: int):
    organizer_ = firm_get(Organizer, organizer_id, account_id=account_id)
    return _act(
        organizer_,
        lambda: service.seal(current_user, organizer_),
        _("The organizer is sealed: no one can change it any more."),
    )


@bp.route("/clients/<int:account_id>/organizers/<int:organizer_id>/pdf")
def export_pdf(account_id: int, organizer_id: int):
    """The questions and answers as a PDF, in the firm's language."""
    organizer_ = firm_get(Organizer, organizer_id, account_id=account_id)
    if organizer_.sealed_pdf_key:  # sealed: the file kept as evidence, unchanged
        data = storage.path_for(organizer_.sealed_pdf_key).read_bytes()
    else:
        data = pdf.organizer_pdf(organizer_, _firm(), _documents(organizer_))
    return pdf_response(data, pdf.pdf_name(organizer_), bool(request.args.get("download")))


@bp.route("/organizers")
def firm_organizers():
    """Organizers (sidebar): every account's organizers."""
    page = paginate(
        service.organizers_select(current_firm_id()), current_app.config["CLIENTS_PER_PAGE"]
    )
    return render_template("organizers/firm_list.html", page=page, **labels())


@bp.route("/organizers/templates")
def templates():
    return render_template("organizers/templates.html", templates=_templates(current_firm_id()))


def _template_page(template, defaults, rows, status: int = 200, **extra):
    return render_template(
        "organizers/template_form.html",
        template=template,
        defaults=defaults,
        reminders=template_choice(_firm(), template, extra.get("form")),
        rows=rows,
        types=rules.TYPES,
        **extra,
    ), status


@bp.route("/organizers/templates/new", methods=["GET", "POST"])
@bp.route("/organizers/templates/<int:template_id>", methods=["GET", "POST"])
def edit_template(template_id: int | None = None):
    """Sections and questions (drag and drop, or ↑/↓), conditions, the uploads folder and the
    Reminders; Save / Save & exit (R7)."""
    template = firm_get(OrganizerTemplate, template_id) if template_id else None
    firm = _firm()
    defaults = own_settings(template) if template else ReminderSettings.defaults_for(firm)
    if request.method == "GET":
        return _template_page(template, defaults, template.questions if template else [])
    form = request.form
    try:
        inherit, settings = parse_choice(form, firm, defaults)
        template = service.save_template(firm, template, form, settings, inherit)
    except (SettingsError, service.OrganizerError) as refused:
        db.session.rollback()
        errors = refused.errors if isinstance(refused, SettingsError) else {}
        message = _("Check the reminder settings.") if errors else str(refused)
        return _template_page(
            template, defaults, _posted_rows(form), 422, form=form, errors=errors, error=message
        )
    db.session.commit()
    flash(_("Template saved."), "success")
    if form.get("action") == "save_exit":
        return redirect(url_for("organizers.templates"))
    return redirect(url_for("organizers.edit_template", template_id=template.id))


def _posted_rows(form) -> list[dict]:
    """The editor's rows as posted, to show the form again after a refusal."""
    required = set(form.getlist("q_required"))
    names = ("key", "section", "type", "label", "help", "options", "show_key", "show_values")
    rows = []
    for values in zip(*(form.getlist(f"q_{n}") for n in names), strict=False):
        row = dict(zip(names, values, strict=True))
        rule = {"key": row["show_key"], "values": row["show_values"].split(",")}
        rows.append(
            {
                **row,
                "required": row["key"] in required,
                "options": row["options"].splitlines(),
                "show_if": rule if row["show_key"] else None,
            }
        )
    return rows
