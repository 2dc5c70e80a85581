"""The client's Invoices, and documents locked until their invoice is paid (D5)."""

from __future__ import annotations

from datetime import date

from dashboard.extensions import db
from dashboard.invoices import service
from tests.invoices.helpers import issued_invoice


def test_client_sees_only_their_issued_invoices(client, world):
    mine = issued_invoice(world.a.staff, world.a.account)
    theirs = issued_invoice(world.a.staff, world.other_account)
    client.login(world.a.contact.user.email)
    page = client.get("/portal/invoices").data.decode()
    assert f"/portal/invoices/{mine.id}" in page and f"/portal/invoices/{theirs.id}" not in page
    assert client.get(f"/portal/invoices/{theirs.id}").status_code == 404
    assert client.get(f"/portal/invoices/{theirs.id}/pdf").status_code == 404
    pending = client.get("/portal/").data.decode()
    assert f"/portal/invoices/{mine.id}" in pending  # open invoices are in Pending action


def test_pay_now_is_hidden_without_a_provider(client, world, app):
    invoice = issued_invoice(world.a.staff, world.a.account)
    app.config["MOLLIE_API_KEY"] = ""
    client.login(world.a.contact.user.email)
    page = client.get(f"/portal/invoices/{invoice.id}").data.decode()
    assert 'data-testid="pay-now"' not in page
    assert client.post(f"/portal/invoices/{invoice.id}/pay").status_code == 404


def test_amount_in_the_clients_language(client, world):
    world.a.contact.user.language = "fr"
    db.session.commit()
    invoice = issued_invoice(world.a.staff, world.a.account)
    client.login(world.a.contact.user.email)
    page = client.get(f"/portal/invoices/{invoice.id}").data.decode()
    assert "1\u202f461,80\xa0€" in page


def test_locked_document_opens_once_paid(client, world):
    """Is a locked document listed but refused (also by direct URL) until paid in full?"""
    a = world.a
    invoice = issued_invoice(a.staff, a.account)
    document = a.documents["view"]
    service.lock_document(a.staff, document, invoice)
    db.session.commit()
    client.login(a.contact.user.email)
    folder = client.get(f"/portal/documents/folders/{a.folders['view'].id}").data.decode()
    assert document.name in folder and "Pending payment" in folder
    assert client.get(f"/portal/documents/{document.id}/download").status_code == 403
    assert client.get(f"/portal/documents/{document.id}/inline").status_code == 403
    service.record_payment(a.staff, invoice, invoice.total_gross - 1, date(2026, 12, 1), "transfer")
    db.session.commit()
    assert client.get(f"/portal/documents/{document.id}/download").status_code == 403
    service.record_payment(a.staff, invoice, invoice.amount_due, date(2026, 12, 2), "transfer")
    db.session.commit()
    assert client.get(f"/portal/documents/{document.id}/download").status_code == 200


def test_staff_lock_from_the_viewer_and_filters(client, world):
    a = world.a
    invoice = issued_invoice(a.staff, a.account)
    document = a.documents["view"]
    client.login(a.staff.email)
    viewer = client.get(f"/clients/{a.account.id}/documents/{document.id}").data.decode()
    assert 'data-testid="lock-invoice"' in viewer
    response = client.post(
        f"/clients/{a.account.id}/documents/{document.id}/lock", data={"invoice_id": invoice.id}
    )
    assert response.status_code == 302
    page = client.get("/documents?status=pending_payment").data.decode()
    assert document.name in page and "private.pdf" not in page
    clients = client.get("/clients?filter=unpaid_invoices").data.decode()
    assert a.account.name in clients and world.other_account.name not in clients
    other = issued_invoice(world.b.staff, world.b.account)
    refused = client.post(
        f"/clients/{a.account.id}/documents/{document.id}/lock", data={"invoice_id": other.id}
    )
    assert refused.status_code == 404


def test_approvals_tab_filters_pending_payment(client, world):
    """Does the Documents page's Approvals tab filter *Pending payment* too?"""
    from tests.factories import make_approval

    a = world.a
    invoice = issued_invoice(a.staff, a.account)
    locked = make_approval(a.staff, a.documents["view"])
    other = make_approval(a.staff, a.documents["edit"])
    service.lock_document(a.staff, a.documents["view"], invoice)
    db.session.commit()
    client.login(a.staff.email)
    page = client.get("/documents?tab=approvals&status=pending_payment").data.decode()
    assert f'id="approval-{locked.id}"' in page or "view.pdf" in page
    assert "edit.pdf" not in page and other.id


def test_pay_now_sends_the_client_to_the_checkout_and_the_webhook_pays(app, client, world):
    """Pay now (htmx) answers HX-Redirect to the provider's checkout; once the provider says
    paid, its webhook marks the invoice paid and the document lock opens."""
    from tests.invoices.mollie_stub import MollieStub

    a = world.a
    invoice = issued_invoice(a.staff, a.account)
    service.lock_document(a.staff, a.documents["view"], invoice)
    db.session.commit()
    with MollieStub() as stub, stub.configured(app):
        client.login(a.contact.user.email)
        page = client.get(f"/portal/invoices/{invoice.id}").data.decode()
        assert 'data-testid="pay-now"' in page
        response = client.post(f"/portal/invoices/{invoice.id}/pay", headers={"HX-Request": "true"})
        assert response.status_code == 204
        checkout = response.headers["HX-Redirect"]
        assert checkout.startswith(stub.base_url)
        (payment_id,) = stub.payments
        assert stub.created()[0]["metadata"]["invoice_id"] == invoice.id
        stub.pay(payment_id)
        hook = client.post("/webhooks/mollie", data={"id": payment_id}, without_csrf=True)
        assert hook.status_code == 200
    db.session.refresh(invoice)
    assert invoice.state == "paid"
    assert client.get(f"/portal/documents/{a.documents['view'].id}/download").status_code == 200


def test_bank_transfer_details_for_a_phone_user(client, world):
    """Can a client on a phone copy the IBAN and reference (they cannot scan their own screen)?"""
    billing = service.billing_of(world.a.firm.id)
    billing.iban, billing.bic = "FR7630006000011234567890189", "AGRIFRPP"
    invoice = issued_invoice(world.a.staff, world.a.account)
    client.login(world.a.contact.user.email)
    page = client.get(f"/portal/invoices/{invoice.id}").data.decode()
    assert 'data-testid="portal-transfer"' in page
    assert "FR76 3000 6000 0112 3456 7890 189" in page and invoice.number in page
