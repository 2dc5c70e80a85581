"""The client's Invoices: open and paid, the PDF, *Pay now* when a provider is configured."""

from __future__ import annotations

from types import SimpleNamespace

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import case, select

from dashboard.documents.responses import pdf_response
from dashboard.extensions import db
from dashboard.htmx import is_partial
from dashboard.invoices import files
from dashboard.invoices.models import Invoice
from dashboard.invoices.service import STATE_BADGES, STATE_LABELS, billing_of
from dashboard.portal.blueprint import bp, portal_accounts
from dashboard.tenancy import client_account_ids

#: What a client sees of an invoice: issued ones (drafts are the firm's own).
VISIBLE = ("issued", "partial", "paid", "void")


def _portal_invoice(invoice_id: int) -> Invoice:
    invoice = db.session.scalar(
        select(Invoice).where(
            Invoice.id == invoice_id,
            Invoice.account_id.in_(client_account_ids()),
            Invoice.state.in_(VISIBLE),
        )
    )
    if invoice is None:
        abort(404)
    return invoice


def provider_ready() -> bool:
    from dashboard.invoices import payments

    return payments.provider_configured()


@bp.route("/invoices")
def invoices():
    """Open invoices first (amount due), then paid ones."""
    rows = db.session.scalars(
        select(Invoice)
        .where(Invoice.account_id.in_(client_account_ids()), Invoice.state.in_(VISIBLE))
        .order_by(
            case((Invoice.state.in_(("issued", "partial")), 0), else_=1),
            Invoice.issue_date.desc(),
            Invoice.id.desc(),
        )
        .limit(200)
    ).all()
    return render_template(
        "invoices/portal_list.html",
        invoices=rows,
        accounts=portal_accounts(),
        state_labels=STATE_LABELS,
        state_badges=STATE_BADGES,
    )


@bp.route("/invoices/<int:invoice_id>")
def invoice(invoice_id: int):
    """One invoice: amounts, the PDF (with its SEPA QR code), *Pay now*."""
    invoice_ = _portal_invoice(invoice_id)
    billing = billing_of(invoice_.firm_id)
    return render_template(
        "invoices/portal_invoice.html",
        invoice=invoice_,
        state_labels=STATE_LABELS,
        state_badges=STATE_BADGES,
        can_pay=invoice_.state in ("issued", "partial") and provider_ready(),
        billing=billing,
        iban=" ".join(billing.iban[i : i + 4] for i in range(0, len(billing.iban), 4)),
        pdf=SimpleNamespace(
            id=invoice_.id, name=files.pdf_name(invoice_), content_type="application/pdf", size=0
        ),
    )


@bp.route("/invoices/<int:invoice_id>/pdf")
def invoice_pdf(invoice_id: int):
    invoice_ = _portal_invoice(invoice_id)
    data = files.invoice_pdf_bytes(invoice_)
    db.session.commit()
    return pdf_response(data, files.pdf_name(invoice_), bool(request.args.get("download")))


@bp.route("/invoices/<int:invoice_id>/pay", methods=["POST"])
def pay(invoice_id: int):
    """Pay now: a checkout at the payment provider, back to this page afterwards.

    The browser is sent there by htmx (HX-Redirect) or by a link: the page's CSP keeps form
    submissions on our origin (`form-action 'self'`), and a form's redirect counts."""
    from flask_babel import get_locale

    from dashboard.invoices import payments
    from dashboard.invoices.service import InvoiceError
    from dashboard.notify.emails import absolute_url

    invoice_ = _portal_invoice(invoice_id)
    if invoice_.state not in ("issued", "partial") or not payments.provider_configured():
        abort(404)
    try:
        checkout = payments.create_checkout(
            invoice_,
            absolute_url(url_for("portal.invoice", invoice_id=invoice_.id)),
            payments.webhook_url(),
            locale=str(get_locale() or "en"),
        )
    except InvoiceError as refused:
        flash(str(refused), "error")
        return redirect(url_for("portal.invoice", invoice_id=invoice_.id))
    except payments.PaymentProviderError:
        flash(_("Online payment is not available right now. Please try again later."), "error")
        return redirect(url_for("portal.invoice", invoice_id=invoice_.id))
    if is_partial():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = checkout
        return response
    return render_template("invoices/portal_checkout.html", invoice=invoice_, checkout=checkout)
