"""Staff routes for invoices: the account's Invoices tab, drafts, issue, payments, Email invoice,
the firm's Invoices page, templates and billing details."""

from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload

from dashboard.accounts.models import Account
from dashboard.accounts.views import render_account_tab
from dashboard.auth.models import Firm
from dashboard.documents.responses import pdf_response
from dashboard.extensions import db
from dashboard.invoices import files, forms, service
from dashboard.invoices.models import Invoice, InvoiceTemplate
from dashboard.pagination import paginate
from dashboard.reminders.cascade import own_settings, parse_choice, template_choice
from dashboard.reminders.service import ReminderSettings, SettingsError
from dashboard.reminders.timeline import build_timeline
from dashboard.tenancy import current_firm_id, firm_get

bp = Blueprint("invoices", __name__)
TAB = "invoices/_tab_invoices.html"


@bp.before_request
@login_required
def require_staff() -> None:
    """Only staff reach these routes."""
    current_firm_id()


def _firm() -> Firm:
    firm = db.session.get(Firm, current_firm_id())
    assert firm is not None
    return firm


def invoices_select(firm_id: int, account_id: int | None = None, only: str = ""):
    stmt = (
        select(Invoice)
        .options(joinedload(Invoice.account))
        .where(Invoice.firm_id == firm_id)
        .order_by(
            case((Invoice.state == "draft", 0), (Invoice.status == "pending", 1), else_=2),
            Invoice.number_year.desc().nulls_first(),
            Invoice.number_seq.desc().nulls_first(),
            Invoice.id.desc(),
        )
    )
    if account_id is not None:
        stmt = stmt.where(Invoice.account_id == account_id)
    if only == "unpaid":
        stmt = stmt.where(Invoice.state.in_(("issued", "partial")))
    elif only in ("paid", "draft", "void"):
        stmt = stmt.where(Invoice.state == only)
    return stmt


def _labels() -> dict:
    return {"state_labels": service.STATE_LABELS, "state_badges": service.STATE_BADGES}


@bp.route("/clients/<int:account_id>/invoices")
def invoices_tab(account_id: int):
    """The account's Invoices tab (A2): drafts, unpaid, then paid, newest first."""
    account = firm_get(Account, account_id)
    page = paginate(
        invoices_select(account.firm_id, account.id), current_app.config["CLIENTS_PER_PAGE"]
    )
    templates = db.session.scalars(
        select(InvoiceTemplate)
        .where(InvoiceTemplate.firm_id == account.firm_id)
        .order_by(InvoiceTemplate.name)
    ).all()
    return render_account_tab(account, "invoices", TAB, page=page, templates=templates, **_labels())


def _form_page(account: Account, invoice: Invoice | None, status: int = 200, **extra):
    firm = _firm()
    billing = service.billing_of(firm.id)
    defaults = _draft_settings(invoice) if invoice else ReminderSettings.defaults_for(firm)
    rows = forms.line_rows(
        extra.get("form"), invoice.lines if invoice else None, billing.default_vat_rate
    )
    return render_template(
        "invoices/form.html",
        account=account,
        invoice=invoice,
        billing=billing,
        defaults=defaults,
        rows=rows,
        **extra,
    ), status


@bp.route("/clients/<int:account_id>/invoices/new", methods=["GET", "POST"])
def new_invoice(account_id: int):
    """A new invoice by hand, or from a template (?template=<id>)."""
    account = firm_get(Account, account_id)
    if request.method == "GET":
        return _form_page(account, None)
    return _save(account, None)


@bp.route("/clients/<int:account_id>/invoices/from-template", methods=["POST"])
def from_template(account_id: int):
    """A draft filled from an invoice template (lines, notes, reminders), then its form."""
    account = firm_get(Account, account_id)
    template = firm_get(InvoiceTemplate, request.form.get("template", type=int) or 0)
    invoice = service.invoice_from_template(current_user, account, template)
    db.session.commit()
    return redirect(url_for("invoices.edit_invoice", account_id=account.id, invoice_id=invoice.id))


@bp.route("/clients/<int:account_id>/invoices/<int:invoice_id>/edit", methods=["GET", "POST"])
def edit_invoice(account_id: int, invoice_id: int):
    """Edit a draft (an issued invoice is never edited)."""
    account = firm_get(Account, account_id)
    invoice = firm_get(Invoice, invoice_id, account_id=account_id)
    if invoice.state != "draft":
        return redirect(url_for("invoices.invoice", account_id=account.id, invoice_id=invoice.id))
    if request.method == "GET":
        return _form_page(account, invoice)
    return _save(account, invoice)


def _draft_settings(invoice: Invoice) -> ReminderSettings:
    """The draft's Reminders and where they came from (B8): what its form was filled with."""
    return ReminderSettings(
        invoice.reminders_enabled,
        invoice.reminder_interval_days,
        invoice.reminder_max_count,
        invoice.reminders_origin,
    )


def _save(account: Account, invoice: Invoice | None):
    form = request.form
    prefill = _draft_settings(invoice) if invoice else ReminderSettings.defaults_for(_firm())
    try:
        settings = ReminderSettings.parse(form, prefill)
        lines = forms.parse_lines(form)
        due = forms.parse_date(form.get("due_date"))
        if invoice is None:
            invoice = service.create_invoice(
                current_user,
                account,
                lines,
                notes=form.get("notes", ""),
                due_date=due,
                settings=settings,
            )
        else:
            service.update_draft(
                current_user,
                invoice,
                lines,
                notes=form.get("notes", ""),
                due_date=due,
                settings=settings,
            )
        if form.get("action") == "issue":
            service.issue_invoice(current_user, invoice)
    except SettingsError as invalid:
        db.session.rollback()
        return _form_page(
            account,
            invoice,
            422,
            form=form,
            errors=invalid.errors,
            error=_("Check the reminder settings."),
        )
    except service.InvoiceError as refused:
        db.session.rollback()
        return _form_page(account, invoice, 422, form=form, error=str(refused))
    db.session.commit()
    if invoice.state == "draft":
        flash(_("Draft saved."), "success")
    else:
        flash(_("Invoice %(number)s issued and sent.", number=invoice.number), "success")
    return redirect(url_for("invoices.invoice", account_id=account.id, invoice_id=invoice.id))


def _invoice_page(invoice: Invoice, status: int = 200, **extra):
    account = db.session.get(Account, invoice.account_id)
    return render_template(
        "invoices/invoice.html",
        account=account,
        invoice=invoice,
        timeline=build_timeline(invoice) if invoice.state != "draft" else None,
        methods=service.PAYMENT_METHODS,
        today=service.local_today(invoice.firm_id),
        pdf=SimpleNamespace(
            id=invoice.id, name=files.pdf_name(invoice), content_type="application/pdf", size=0
        ),
        **_labels(),
        **extra,
    ), status


@bp.route("/clients/<int:account_id>/invoices/<int:invoice_id>")
def invoice(account_id: int, invoice_id: int):
    """The invoice: its PDF, payments, reminders and timeline; the ⋯ menu's actions."""
    return _invoice_page(firm_get(Invoice, invoice_id, account_id=account_id))


@bp.route("/clients/<int:account_id>/invoices/<int:invoice_id>/popup")
def invoice_popup(account_id: int, invoice_id: int):
    """The list's eye icon: the invoice's PDF in a pop-up, with its ⋯ menu."""
    invoice = firm_get(Invoice, invoice_id, account_id=account_id)
    return render_template(
        "invoices/_popup.html",
        invoice=invoice,
        pdf=SimpleNamespace(
            id=invoice.id, name=files.pdf_name(invoice), content_type="application/pdf", size=0
        ),
        **_labels(),
    )


@bp.route("/clients/<int:account_id>/invoices/<int:invoice_id>/pdf")
def invoice_pdf(account_id: int, invoice_id: int):
    """The PDF, inline (the pdf.js preview) or as a download (?download=1)."""
    invoice = firm_get(Invoice, invoice_id, account_id=account_id)
    data = files.invoice_pdf_bytes(invoice)
    db.session.commit()
    return pdf_response(data, files.pdf_name(invoice), bool(request.args.get("download")))


def _act(invoice: Invoice, action, success: str):
    try:
        outcome = action()
    except service.InvoiceError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(
            url_for("invoices.invoice", account_id=invoice.account_id, invoice_id=invoice.id)
        )
    db.session.commit()
    if outcome is False:
        flash(
            _("Nothing was sent: it was sent less than 10 minutes ago, or nobody can receive it."),
            "error",
        )
    else:
        flash(success, "success")
    target = request.form.get("next")
    if target == "tab":
        return redirect(url_for("invoices.invoices_tab", account_id=invoice.account_id))
    if isinstance(outcome, Invoice):
        invoice = outcome
    return redirect(
        url_for("invoices.invoice", account_id=invoice.account_id, invoice_id=invoice.id)
    )


@bp.route("/clients/<int:account_id>/invoices/<int:invoice_id>/issue", methods=["POST"])
def issue(account_id: int, invoice_id: int):
    invoice = firm_get(Invoice, invoice_id, account_id=account_id)
    return _act(
        invoice, lambda: service.issue_invoice(current_user, invoice), _("Invoice issued and sent.")
    )


@bp.route("/clients/<int:account_id>/invoices/<int:invoice_id>/email", methods=["POST"])
def email(account_id: int, invoice_id: int):
    """Email invoice (paid or unpaid), from the list's or the invoice's ⋯ menu."""
    invoice = firm_get(Invoice, invoice_id, account_id=account_id)
    return _act(
        invoice,
        lambda: service.email_invoice(current_user, invoice, request.form.get("message", "")),
        _("Invoice emailed."),
    )


@bp.route("/clients/<int:account_id>/invoices/<int:invoice_id>/payments", methods=["POST"])
def record_payment(account_id: int, invoice_id: int):
    invoice = firm_get(Invoice, invoice_id, account_id=account_id)
    form = request.form

    def record():
        paid_on = forms.parse_date(form.get("paid_on")) or service.local_today(invoice.firm_id)
        return service.record_payment(
            current_user,
            invoice,
            forms.parse_amount(form.get("amount")),
            paid_on,
            form.get("method", ""),
        )

    return _act(invoice, record, _("Payment recorded."))


@bp.route("/clients/<int:account_id>/invoices/<int:invoice_id>/void", methods=["POST"])
def void(account_id: int, invoice_id: int):
    invoice = firm_get(Invoice, invoice_id, account_id=account_id)
    return _act(invoice, lambda: service.void_invoice(current_user, invoice), _("Invoice voided."))


@bp.route("/clients/<int:account_id>/invoices/<int:invoice_id>/credit", methods=["POST"])
def credit(account_id: int, invoice_id: int):
    invoice = firm_get(Invoice, invoice_id, account_id=account_id)
    return _act(
        invoice, lambda: service.create_credit_note(current_user, invoice), _("Credit note issued.")
    )


@bp.route("/clients/<int:account_id>/invoices/<int:invoice_id>/delete", methods=["POST"])
def delete(account_id: int, invoice_id: int):
    invoice = firm_get(Invoice, invoice_id, account_id=account_id)
    try:
        service.delete_draft(current_user, invoice)
    except service.InvoiceError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("invoices.invoice", account_id=account_id, invoice_id=invoice_id))
    db.session.commit()
    flash(_("Draft deleted."), "success")
    return redirect(url_for("invoices.invoices_tab", account_id=account_id))


@bp.route("/invoices")
def firm_invoices():
    """The firm's Invoices page (sidebar): every account's invoices, filtered by state."""
    only = request.args.get("state", "unpaid")
    page = paginate(
        invoices_select(current_firm_id(), only=only), current_app.config["CLIENTS_PER_PAGE"]
    )
    return render_template("invoices/firm_list.html", page=page, only=only, **_labels())


@bp.route("/invoices/new", methods=["GET", "POST"])
def choose_account():
    """+ New invoice from the Invoices page: pick the client (and a template), then the form."""
    if request.method == "POST":
        account = firm_get(Account, request.form.get("account", type=int) or 0)
        template_id = request.form.get("template", type=int)
        if not template_id:
            return redirect(url_for("invoices.new_invoice", account_id=account.id))
        template = firm_get(InvoiceTemplate, template_id)
        invoice = service.invoice_from_template(current_user, account, template)
        db.session.commit()
        return redirect(
            url_for("invoices.edit_invoice", account_id=account.id, invoice_id=invoice.id)
        )
    accounts = db.session.execute(
        select(Account.id, Account.name)
        .where(Account.firm_id == current_firm_id())
        .order_by(Account.name)
        .limit(2000)
    ).all()
    templates = db.session.scalars(
        select(InvoiceTemplate)
        .where(InvoiceTemplate.firm_id == current_firm_id())
        .order_by(InvoiceTemplate.name)
    ).all()
    return render_template("invoices/choose_account.html", accounts=accounts, templates=templates)


@bp.route("/invoices/templates")
def templates():
    rows = db.session.scalars(
        select(InvoiceTemplate)
        .where(InvoiceTemplate.firm_id == current_firm_id())
        .order_by(InvoiceTemplate.name)
    ).all()
    return render_template("invoices/templates.html", templates=rows)


@bp.route("/invoices/templates/new", methods=["GET", "POST"])
@bp.route("/invoices/templates/<int:template_id>", methods=["GET", "POST"])
def edit_template(template_id: int | None = None):
    """An invoice template: lines, notes, *Send reminders to clients*; Save / Save & exit (R7)."""
    template = firm_get(InvoiceTemplate, template_id) if template_id else None
    firm = _firm()
    if request.method == "GET":
        return render_template(
            "invoices/template_form.html",
            template=template,
            reminders=template_choice(firm, template),
            rows=forms.line_rows(
                None,
                template.lines if template else None,
                service.billing_of(firm.id).default_vat_rate,
            ),
        )
    form = request.form
    try:
        own = own_settings(template) if template else ReminderSettings.defaults_for(firm)
        inherit, settings = parse_choice(form, firm, own)
        lines = forms.parse_lines(form)
        name = " ".join(form.get("name", "").split())[:200]
        if not name:
            raise service.InvoiceError(_("Give the template a name."))
        if not lines:
            raise service.InvoiceError(_("Add at least one line."))
    except (SettingsError, service.InvoiceError) as refused:
        errors = refused.errors if isinstance(refused, SettingsError) else {}
        message = _("Check the reminder settings.") if errors else str(refused)
        return render_template(
            "invoices/template_form.html",
            template=template,
            form=form,
            errors=errors,
            error=message,
            reminders=template_choice(firm, template, form),
            rows=forms.line_rows(form, None, service.billing_of(firm.id).default_vat_rate),
        ), 422
    if template is None:
        template = InvoiceTemplate(firm_id=firm.id, name=name)
        db.session.add(template)
    template.name, template.notes = name, form.get("notes", "").strip()[:5000]
    template.lines = [
        {
            "description": li.description,
            "quantity": str(li.quantity),
            "unit_price": str(li.unit_price),
            "vat_rate": str(li.vat_rate),
        }
        for li in lines
    ]
    template.set_reminders(inherit, settings)
    db.session.commit()
    flash(_("Template saved."), "success")
    if form.get("action") == "save_exit":
        return redirect(url_for("invoices.templates"))
    return redirect(url_for("invoices.edit_template", template_id=template.id))


@bp.route("/settings/billing", methods=["GET", "POST"])
def billing():
    """The firm's billing details: what its invoices say, IBAN for the SEPA QR code, numbering."""
    billing = service.billing_of(current_firm_id())
    can_edit = current_user.role in ("owner", "admin")  # what every invoice says: not everyone
    if request.method == "POST" and not can_edit:
        abort(403)
    if request.method == "GET":
        db.session.commit()
        return render_template("invoices/billing.html", billing=billing, can_edit=can_edit)
    form = request.form
    try:
        service.update_billing(billing, form)
    except service.InvoiceError as refused:
        db.session.rollback()
        return render_template(
            "invoices/billing.html", billing=billing, form=form, error=str(refused), can_edit=True
        ), 422
    db.session.commit()
    flash(_("Billing details saved."), "success")
    return redirect(url_for("invoices.billing"))


@bp.route("/clients/<int:account_id>/documents/<int:document_id>/lock", methods=["POST"])
def lock(account_id: int, document_id: int):
    """Lock the document to an unpaid invoice of the same account (D5)."""
    from dashboard.documents.models import Document
    from dashboard.documents.viewer import answer_viewer

    document = firm_get(Document, document_id, account_id=account_id)
    invoice = firm_get(
        Invoice, request.form.get("invoice_id", type=int) or 0, account_id=account_id
    )
    try:
        service.lock_document(current_user, document, invoice)
    except service.InvoiceError as refused:
        db.session.rollback()
        return answer_viewer(document, 422, error=str(refused))
    db.session.commit()
    return answer_viewer(
        document, success=_("Locked until invoice %(number)s is paid.", number=invoice.number)
    )


@bp.route("/clients/<int:account_id>/documents/<int:document_id>/unlock", methods=["POST"])
def unlock(account_id: int, document_id: int):
    from dashboard.documents.models import Document
    from dashboard.documents.viewer import answer_viewer

    document = firm_get(Document, document_id, account_id=account_id)
    service.unlock_document(current_user, document)
    db.session.commit()
    return answer_viewer(document, success=_("Unlocked: the client can open the document."))
