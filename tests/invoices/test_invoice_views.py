"""Invoice pages through the Flask test client: staff create, issue, pay; tenancy."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from pypdf import PdfReader
from sqlalchemy import select

from dashboard.extensions import db
from dashboard.invoices import service
from dashboard.invoices.models import Invoice, InvoiceTemplate
from dashboard.reminders.service import ReminderSettings
from tests.invoices.helpers import LINES, issued_invoice


def _lines_form(**extra):
    return {
        "description": ["Bookkeeping", "Payroll"],
        "quantity": ["1", "3"],
        "unit_price": ["1 000,00", "45,50"],
        "vat_rate": ["20", "20"],
        "reminders": "on",
        "interval_days": "5",
        "max_count": "2",
        **extra,
    }


def test_staff_creates_and_issues_an_invoice(client, world):
    a = world.a
    client.login(a.staff.email)
    assert client.get(f"/clients/{a.account.id}/invoices/new").status_code == 200
    response = client.post(
        f"/clients/{a.account.id}/invoices/new", data=_lines_form(action="issue")
    )
    assert response.status_code == 302
    invoice = db.session.scalar(select(Invoice))
    assert invoice.state == "issued" and invoice.number.endswith("-0001")
    assert str(invoice.total_gross) == "1363.80"
    page = client.get(f"/clients/{a.account.id}/invoices/{invoice.id}")
    assert page.status_code == 200 and invoice.number.encode() in page.data
    tab = client.get(f"/clients/{a.account.id}/invoices")
    assert f'data-testid="invoice-state-{invoice.id}"'.encode() in tab.data


def test_a_draft_has_no_number_and_can_be_deleted(client, world):
    a = world.a
    client.login(a.staff.email)
    client.post(f"/clients/{a.account.id}/invoices/new", data=_lines_form(action="draft"))
    draft = db.session.scalar(select(Invoice))
    assert draft.state == "draft" and draft.number is None
    assert client.get("/portal/").status_code in (200, 302)
    response = client.post(f"/clients/{a.account.id}/invoices/{draft.id}/delete")
    assert response.status_code == 302
    assert db.session.scalar(select(Invoice)) is None


def test_invalid_amounts_are_refused(client, world):
    a = world.a
    client.login(a.staff.email)
    form = _lines_form(action="issue")
    form["unit_price"] = ["abc", "1"]
    assert client.post(f"/clients/{a.account.id}/invoices/new", data=form).status_code == 422
    assert db.session.scalar(select(Invoice)) is None


def test_record_payment_from_the_invoice_page(client, world):
    a = world.a
    invoice = issued_invoice(a.staff, a.account)
    client.login(a.staff.email)
    url = f"/clients/{a.account.id}/invoices/{invoice.id}/payments"
    client.post(url, data={"amount": "461,80", "method": "transfer", "paid_on": "2026-12-01"})
    db.session.refresh(invoice)
    assert invoice.state == "partial"
    client.post(url, data={"amount": "1000", "method": "card", "paid_on": "2026-12-02"})
    db.session.refresh(invoice)
    assert invoice.state == "paid" and not invoice.is_pending


def test_another_firm_gets_404(client, world):
    invoice = issued_invoice(world.a.staff, world.a.account)
    client.login(world.b.staff.email)
    base = f"/clients/{world.a.account.id}/invoices/{invoice.id}"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}/pdf").status_code == 404
    assert (
        client.post(f"{base}/payments", data={"amount": "1", "method": "cash"}).status_code == 404
    )
    assert client.post(f"{base}/void").status_code == 404


def test_template_save_and_save_and_exit(client, world):
    a = world.a
    client.login(a.staff.email)
    form = _lines_form(name="Monthly bookkeeping", notes="Thank you", action="save")
    response = client.post("/invoices/templates/new", data=form)
    template = db.session.scalar(select(InvoiceTemplate))
    assert response.headers["Location"].endswith(f"/invoices/templates/{template.id}")
    assert (template.interval_days, template.max_count, len(template.lines)) == (5, 2, 2)
    response = client.post(
        f"/invoices/templates/{template.id}", data={**form, "action": "save_exit"}
    )
    assert response.headers["Location"].endswith("/invoices/templates")
    response = client.post(
        f"/clients/{a.account.id}/invoices/from-template", data={"template": template.id}
    )
    draft = db.session.scalar(select(Invoice))
    assert response.status_code == 302 and draft.state == "draft"
    assert (draft.reminder_interval_days, draft.reminder_max_count, draft.notes) == (
        5,
        2,
        "Thank you",
    )


def test_billing_details_check_the_iban(client, world):
    client.login(world.a.staff.email)
    bad = client.post("/settings/billing", data={"iban": "FR76 0000 0000", "currency": "EUR"})
    assert bad.status_code == 422
    good = client.post(
        "/settings/billing",
        data={
            "iban": "FR76 3000 6000 0112 3456 7890 189",
            "bic": "AGRIFRPP",
            "currency": "EUR",
            "number_prefix": "F{year}-",
            "payment_days": "15",
            "default_vat_rate": "20",
        },
    )
    assert good.status_code == 302
    assert client.get("/invoices").status_code == 200


def test_new_invoice_from_the_invoices_page(client, world):
    """+ New invoice on the sidebar's Invoices page: pick the client, then the form."""
    client.login(world.a.staff.email)
    page = client.get("/invoices/new")
    assert page.status_code == 200 and world.a.account.name.encode() in page.data
    assert world.b.account.name.encode() not in page.data
    response = client.post("/invoices/new", data={"account": world.a.account.id})
    assert response.headers["Location"].endswith(f"/clients/{world.a.account.id}/invoices/new")
    assert client.post("/invoices/new", data={"account": world.b.account.id}).status_code == 404


def test_only_owners_and_admins_change_billing_details(client, world):
    """Does an employee see the billing details read-only and get 403 on saving them?"""
    from tests.factories import make_user

    employee = make_user(world.a.firm, "employee")
    db.session.commit()
    client.login(employee.email)
    page = client.get("/settings/billing")
    assert page.status_code == 200 and b"<fieldset disabled" in page.data
    assert client.post("/settings/billing", data={"currency": "EUR"}).status_code == 403


def test_email_invoice_from_the_lists_menu(client, world, mailbox, run_worker):
    """Does the Invoices tab's ⋯ offer Email invoice for an issued or paid invoice (not for a
    draft), and does it email the paid one, with its PDF, and come back to the tab?"""
    a = world.a
    paid = issued_invoice(a.staff, a.account)
    service.record_payment(a.staff, paid, paid.total_gross, date(2026, 11, 23), "transfer")
    draft = service.create_invoice(a.staff, a.account, LINES, settings=ReminderSettings(True, 3, 1))
    db.session.commit()
    run_worker()
    mailbox.clear()
    client.login(a.staff.email)
    tab = client.get(f"/clients/{a.account.id}/invoices").data.decode()
    action = f'action="/clients/{a.account.id}/invoices/{paid.id}/email"'
    assert action in tab and f'data-testid="email-invoice-{paid.id}"' in tab
    assert f'data-testid="email-invoice-{draft.id}"' not in tab
    response = client.post(
        f"/clients/{a.account.id}/invoices/{paid.id}/email", data={"next": "tab"}
    )
    assert response.headers["Location"].endswith(f"/clients/{a.account.id}/invoices")
    run_worker()
    (message,) = mailbox.to(a.contact.user.email)
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == f"{paid.number}.pdf"


def test_the_pdf_is_in_the_accounts_language(client, world):
    """Is the invoice's PDF written in the language of the account's contact (French here,
    the firm's being English), amounts in French format?"""
    a = world.a
    a.contact.user.language = "fr"
    db.session.commit()
    invoice = issued_invoice(a.staff, a.account)
    client.login(a.staff.email)
    response = client.get(f"/clients/{a.account.id}/invoices/{invoice.id}/pdf")
    assert response.status_code == 200
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(response.data)).pages)
    assert "1\u202f461,80\xa0€" in text and "€1,461.80" not in text
