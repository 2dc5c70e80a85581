"""Invoices in the browser: staff (Portuguese, desktop) make an invoice from a template on the
account's Invoices tab, issue it and email it again from the invoice page's ⋯ menu; the client
(French, on a phone) opens it in the portal, reads the amount due in French format and the
invoice's SEPA QR code drawn by pdf.js; and staff open an invoice in the list's eye-icon pop-up.

Texts are checked through the app's own catalogs (`_shown`, as in test_signatures.py): while an
entry is untranslated the page shows the English text and that is what is asserted; selectors
never depend on wording. Money is checked against Babel's own output for the reader's locale.

The last tests reproduce bugs these tests found (an empty template editor, a delete without
confirmation under the CSP, a QR code asking for the amount before a payment), now fixed.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import zxingcpp
from babel.numbers import format_currency
from flask import Flask
from flask_babel import force_locale, gettext
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from dashboard.clock import now
from dashboard.extensions import db
from dashboard.i18n import format_money
from dashboard.invoices import service
from dashboard.invoices.models import Invoice, InvoiceTemplate
from dashboard.notify.models import OutboxEmail
from dashboard.reminders.models import Reminder
from dashboard.reminders.service import ReminderSettings
from tests.conftest import DEMO_PASSWORD

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
#: What is still moving after an htmx swap or a Bootstrap collapse: wait until none is left.
BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added, .collapsing"
IBAN, BIC = "FR7630006000011234567890189", "AGRIFRPP"
#: The template's lines: 850.00 at 20 % and 3 × 125.50 at 10 %, so 1 434,15 € with VAT (a
#: thousands separator and cents in the amount due).
TEMPLATE_LINES = [
    {
        "description": "Tenue de comptabilité mensuelle",
        "quantity": "1",
        "unit_price": "850.00",
        "vat_rate": "20",
    },
    {
        "description": "Déclarations de TVA",
        "quantity": "3",
        "unit_price": "125.50",
        "vat_rate": "10",
    },
]
GROSS = Decimal("1434.15")


def _shown(app: Flask, locale: str, msgid: str, **variables) -> str:
    """What the app displays for `msgid` to a reader of `locale`, with today's catalogs."""
    with app.test_request_context(), force_locale(locale):
        return gettext(msgid, **variables)


def _login(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login"))


def _settle(page: Page) -> None:
    page.wait_for_function("sel => !document.querySelector(sel)", arg=BUSY)


def _watch_errors(page: Page) -> list[str]:
    """Script errors and failed requests (a 4xx/5xx of an asset, a CSP refusal)."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda m: problems.append(m.text) if m.type == "error" else None,
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and "favicon" not in r.url
            else None
        ),
    )
    return problems


def _first_canvas(scope):
    """The first page's canvas of the pdf.js preview in `scope` (a page or a pop-up)."""
    preview = scope.get_by_test_id("document-preview")
    canvas = preview.locator('.doc-preview-page[data-page="1"] > canvas')
    expect(canvas).to_be_visible(timeout=15_000)
    return canvas


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _flash(page: Page):
    return page.locator("#flash-area")


def _qr_payloads(png: bytes) -> list[str]:
    image = Image.open(BytesIO(png)).convert("L")
    return [
        barcode.text
        for barcode in zxingcpp.read_barcodes(image)
        if barcode.format == zxingcpp.BarcodeFormat.QRCode
    ]


def _with_billing(firm_id: int) -> None:
    billing = service.billing_of(firm_id)
    billing.iban, billing.bic = IBAN, BIC


def _template(firm_id: int) -> InvoiceTemplate:
    template = InvoiceTemplate(
        firm_id=firm_id,
        name="Comptabilité mensuelle",
        lines=TEMPLATE_LINES,
        notes="Merci de régler par virement.",
        reminders_enabled=True,
        interval_days=5,
        max_count=3,
    )
    db.session.add(template)
    db.session.flush()
    return template


def _resends(invoice_id: int) -> list[OutboxEmail]:
    db.session.rollback()  # read what the server committed; hold no read transaction after
    rows = db.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.item_id == invoice_id, OutboxEmail.purpose == "resend")
        .order_by(OutboxEmail.id)
    ).all()
    db.session.rollback()
    return list(rows)


def test_staff_issues_from_a_template_and_the_client_reads_it_on_a_phone(
    browser: Browser, server_url, world, app, redis_queue, frozen_clock
):
    """Does staff in Portuguese make a draft from a template (lines, notes and reminders
    filled in), issue it, and 11 minutes later email it again from the ⋯ menu (a resend in the
    outbox for the client); and does the client in French, on a 390 px phone, find it under
    Invoices with the amount due in French format, no sideways scroll, and a first page whose
    SEPA QR code carries the firm's IBAN and the amount due?"""
    a = world.a
    a.staff.language = "pt_PT"
    a.contact.user.language = "fr"
    _with_billing(a.firm.id)
    template = _template(a.firm.id)
    account_id, template_id = a.account.id, template.id
    staff_email, client_email, client_id = a.staff.email, a.contact.user.email, a.contact.user_id
    db.session.commit()

    # --- staff: Invoices tab › From template › the draft form › Issue and send ------------
    staff = browser.new_context(viewport=DESKTOP).new_page()
    _login(staff, server_url, staff_email)
    problems = _watch_errors(staff)
    staff.goto(f"{server_url}/clients/{account_id}")
    expect(staff.locator("html")).to_have_attribute("lang", "pt-PT")
    staff.get_by_test_id("tab-invoices").click()
    _settle(staff)
    expect(staff).to_have_url(f"{server_url}/clients/{account_id}/invoices")
    expect(staff.locator("#invoices-panel")).to_contain_text(
        _shown(app, "pt_PT", "No invoices yet.")
    )
    staff.get_by_test_id("invoice-template").select_option(str(template_id))
    expect(staff.get_by_test_id("invoice-from-template")).to_have_text(
        _shown(app, "pt_PT", "From template")
    )
    with staff.expect_navigation():
        staff.get_by_test_id("invoice-from-template").click()
    expect(staff).to_have_url(
        re.compile(rf"{re.escape(server_url)}/clients/{account_id}/invoices/\d+/edit$")
    )
    invoice_id = int(staff.url.rsplit("/", 2)[-2])
    expect(staff.get_by_role("heading", level=1)).to_have_text(
        _shown(app, "pt_PT", "Edit draft invoice")
    )
    for testid, key in (
        ("line-description", "description"),
        ("line-quantity", "quantity"),
        ("line-price", "unit_price"),
        ("line-vat", "vat_rate"),
    ):
        fields = staff.get_by_test_id(testid)
        expect(fields).to_have_count(2)
        for index, line in enumerate(TEMPLATE_LINES):
            value = fields.nth(index).input_value()
            if key == "description":
                assert value == line[key]
            else:  # "850.00" or "850,00": the same number in the form's format
                assert Decimal(value.replace(",", ".")) == Decimal(line[key]), (testid, value)
    expect(staff.locator("#notes")).to_have_value("Merci de régler par virement.")
    expect(staff.get_by_test_id("invoice-reminders")).to_be_checked()
    expect(staff.get_by_test_id("invoice-interval")).to_have_value("5")
    expect(staff.get_by_test_id("invoice-count")).to_have_value("3")

    with staff.expect_navigation():
        staff.get_by_test_id("invoice-issue").click()
    expect(staff).to_have_url(f"{server_url}/clients/{account_id}/invoices/{invoice_id}")
    db.session.rollback()
    invoice = db.session.get(Invoice, invoice_id)
    assert invoice is not None and invoice.state == "issued" and invoice.template_id == template_id
    number, gross = invoice.number, invoice.total_gross
    assert number == f"{invoice.number_year}-0001"
    assert gross == GROSS and invoice.amount_due == GROSS
    assert [li.description for li in invoice.lines] == [li["description"] for li in TEMPLATE_LINES]
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == invoice_id))
    assert reminder is not None
    assert (reminder.enabled, reminder.interval_days, reminder.max_count) == (True, 5, 3)
    issued_at = now()
    db.session.rollback()

    expect(_flash(staff)).to_contain_text(
        _shown(app, "pt_PT", "Invoice %(number)s issued and sent.", number=number)
    )
    expect(staff.get_by_role("heading", level=1)).to_contain_text(number)
    expect(staff.get_by_test_id("invoice-state")).to_have_text(_shown(app, "pt_PT", "Unpaid"))
    expect(staff.get_by_test_id("payment-form")).to_be_visible()
    expect(staff.get_by_test_id("invoice-due")).to_contain_text(
        format_money(GROSS, "EUR", "pt_PT")
    )
    _first_canvas(staff)

    # --- staff: ⋯ › Email invoice: refused moments after issuing, a resend 11 minutes later --
    staff.get_by_test_id("invoice-viewer-menu").click()
    email = staff.get_by_test_id("viewer-email-invoice")
    expect(email).to_be_visible()
    expect(email).to_have_text(_shown(app, "pt_PT", "Email invoice"))
    with staff.expect_navigation():
        email.click()
    expect(_flash(staff)).to_contain_text(
        _shown(
            app,
            "pt_PT",
            "Nothing was sent: it was sent less than 10 minutes ago, or nobody can receive it.",
        )
    )
    assert _resends(invoice_id) == []

    frozen_clock(issued_at + timedelta(minutes=11))
    staff.get_by_test_id("invoice-viewer-menu").click()
    expect(email).to_be_visible()
    with staff.expect_navigation():
        email.click()
    expect(staff).to_have_url(f"{server_url}/clients/{account_id}/invoices/{invoice_id}")
    expect(_flash(staff)).to_contain_text(_shown(app, "pt_PT", "Invoice emailed."))
    resends = _resends(invoice_id)
    assert [(r.recipient_id, r.to_email, r.locale) for r in resends] == [
        (client_id, client_email, "fr")
    ]
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == invoice_id))
    assert reminder is not None and reminder.timer_from == issued_at + timedelta(minutes=11)
    db.session.rollback()
    assert problems == []
    staff.context.close()

    # --- the client, in French, on a phone: Invoices › the invoice › the QR code ------------
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    phone = context.new_page()
    _login(phone, server_url, client_email)
    problems = _watch_errors(phone)
    phone.goto(f"{server_url}/portal/invoices")
    expect(phone.locator("html")).to_have_attribute("lang", "fr")
    due_text = format_currency(GROSS, "EUR", locale="fr")  # "1 434,15 €" (U+202F, U+00A0)
    row = phone.get_by_test_id(f"portal-invoice-{invoice_id}")
    expect(row).to_contain_text(number)
    expect(row).to_contain_text(due_text)
    expect(row).to_contain_text(_shown(app, "fr", "Unpaid"))
    _no_sideways_scroll(phone)
    with phone.expect_navigation():
        row.click()
    expect(phone).to_have_url(f"{server_url}/portal/invoices/{invoice_id}")
    expect(phone.get_by_role("heading", level=1)).to_contain_text(number)
    expect(phone.get_by_test_id("portal-invoice-due")).to_have_text(due_text)
    expect(phone.get_by_test_id("portal-invoice-total")).to_have_text(due_text)
    expect(phone.get_by_test_id("portal-invoice-state")).to_have_text(_shown(app, "fr", "Unpaid"))
    canvas = _first_canvas(phone)
    _no_sideways_scroll(phone)

    # The canvas is drawn at the phone's device pixels (2 per CSS pixel); once it is as wide
    # as its slot at that density, the screenshot shows the page's QR code as printed.
    phone.wait_for_function(
        """() => {
          const slot = document.querySelector('[data-testid=document-preview] .doc-preview-page');
          const canvas = slot && slot.querySelector(':scope > canvas');
          const wanted = Math.round(slot.getBoundingClientRect().width * 2);
          return canvas && Math.abs(canvas.width - wanted) <= 1;
        }"""
    )
    payloads = _qr_payloads(canvas.screenshot())
    assert len(payloads) == 1, payloads
    fields = payloads[0].splitlines()
    assert fields[:4] == ["BCD", "002", "1", "SCT"], fields
    assert IBAN in fields and BIC in fields
    assert f"EUR{GROSS}" in fields  # the amount due, with a point, as EPC069-12 wants
    assert number in fields
    assert problems == []
    context.close()


def test_the_eye_icon_opens_the_invoice_in_a_pop_up(
    browser: Browser, server_url, world, app, redis_queue, frozen_clock
):
    """Does the list's eye icon open a pop-up with the invoice's PDF drawn by pdf.js and a ⋯
    menu whose Email invoice resends it (back on the Invoices tab), for a second invoice too?"""
    a = world.a
    a.staff.language = "pt_PT"
    a.contact.user.language = "fr"
    _with_billing(a.firm.id)
    template = _template(a.firm.id)
    settings = ReminderSettings(True, 7, 2)
    first = service.invoice_from_template(a.staff, a.account, template)
    service.issue_invoice(a.staff, first)
    second = service.create_invoice(
        a.staff,
        a.account,
        [service.LineInput("Bilan annuel", Decimal("1"), Decimal("2400.00"), Decimal("20"))],
        settings=settings,
    )
    service.issue_invoice(a.staff, second)
    account_id, first_id, second_id = a.account.id, first.id, second.id
    numbers = {first_id: first.number, second_id: second.number}
    staff_email, client_id = a.staff.email, a.contact.user_id
    db.session.commit()
    issued_at = now()

    staff = browser.new_context(viewport=DESKTOP).new_page()
    _login(staff, server_url, staff_email)
    problems = _watch_errors(staff)
    staff.goto(f"{server_url}/clients/{account_id}/invoices")
    modal = staff.locator("#invoice-modal")
    expect(modal).to_be_hidden()
    for invoice_id in (first_id, second_id):
        staff.get_by_test_id(f"view-invoice-{invoice_id}").click()
        _settle(staff)
        expect(modal).to_be_visible()
        popup = modal.locator("#invoice-popup")
        expect(popup.locator(".modal-title")).to_contain_text(numbers[invoice_id])
        canvas = _first_canvas(popup)
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 300
        expect(popup.get_by_test_id("preview-page-count")).to_have_text(
            _shown(app, "pt_PT", "Page %(page)s of %(pages)s", page="1", pages="1")
        )
        modal.locator(".btn-close").click()
        expect(modal).to_be_hidden()
        _settle(staff)

    frozen_clock(issued_at + timedelta(minutes=11))
    staff.get_by_test_id(f"view-invoice-{first_id}").click()
    _settle(staff)
    popup = modal.locator("#invoice-popup")
    expect(popup.locator(".modal-title")).to_contain_text(numbers[first_id])
    _first_canvas(popup)
    popup.get_by_test_id("popup-menu").click()
    email = popup.get_by_test_id("popup-email-invoice")
    expect(email).to_be_visible()
    expect(email).to_have_text(_shown(app, "pt_PT", "Email invoice"))
    with staff.expect_navigation():
        email.click()
    expect(staff).to_have_url(f"{server_url}/clients/{account_id}/invoices")
    expect(_flash(staff)).to_contain_text(_shown(app, "pt_PT", "Invoice emailed."))
    assert [r.recipient_id for r in _resends(first_id)] == [client_id]
    assert _resends(second_id) == []
    assert problems == []
    staff.context.close()


# --- bugs found by these tests, fixed: they stay as regression tests -----------------------


def test_staff_edits_an_invoice_templates_lines(browser: Browser, server_url, world, app):
    """Does staff in Dutch see the template's two lines in the editor, add a third and, with
    Save & exit, get back to the templates with the three lines stored?"""
    a = world.a
    a.staff.language = "nl"
    template = _template(a.firm.id)
    template_id, staff_email = template.id, a.staff.email
    db.session.commit()

    staff = browser.new_context(viewport=DESKTOP).new_page()
    _login(staff, server_url, staff_email)
    problems = _watch_errors(staff)
    staff.goto(f"{server_url}/invoices/templates/{template_id}")
    descriptions = staff.get_by_test_id("line-description")
    expect(descriptions).to_have_count(2)
    expect(descriptions.first).to_have_value(TEMPLATE_LINES[0]["description"])
    staff.get_by_test_id("add-line").click()
    expect(descriptions).to_have_count(3)
    descriptions.nth(2).fill("Jaarrekening")
    staff.get_by_test_id("line-price").nth(2).fill("300")
    with staff.expect_navigation():
        staff.get_by_test_id("invoice-template-save-exit").click()
    expect(staff).to_have_url(f"{server_url}/invoices/templates")
    expect(_flash(staff)).to_contain_text(_shown(app, "nl", "Template saved."))
    db.session.rollback()
    saved = db.session.get(InvoiceTemplate, template_id)
    assert saved is not None
    assert [line["description"] for line in saved.lines] == [
        TEMPLATE_LINES[0]["description"],
        TEMPLATE_LINES[1]["description"],
        "Jaarrekening",
    ]
    db.session.rollback()
    assert problems == []
    staff.context.close()


def test_delete_draft_asks_first(browser: Browser, server_url, world, app):
    """Does Delete draft in the ⋯ menu ask first (dismissed: the draft stays; accepted: it is
    deleted and staff are back on the Invoices tab)?"""
    a = world.a
    a.staff.language = "fr"
    draft = service.invoice_from_template(a.staff, a.account, _template(a.firm.id))
    account_id, draft_id, staff_email = a.account.id, draft.id, a.staff.email
    db.session.commit()

    staff = browser.new_context(viewport=DESKTOP).new_page()
    _login(staff, server_url, staff_email)
    problems = _watch_errors(staff)
    staff.goto(f"{server_url}/clients/{account_id}/invoices/{draft_id}")
    _first_canvas(staff)
    asked: list[str] = []
    staff.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    staff.get_by_test_id("invoice-viewer-menu").click()
    delete = staff.locator("#invoice-panel .dropdown-menu button.text-danger")
    delete.click()
    assert asked == [_shown(app, "fr", "Delete this draft?")]
    expect(staff).to_have_url(f"{server_url}/clients/{account_id}/invoices/{draft_id}")
    db.session.rollback()
    assert db.session.get(Invoice, draft_id) is not None
    db.session.rollback()

    staff.once("dialog", lambda dialog: dialog.accept())
    staff.get_by_test_id("invoice-viewer-menu").click()
    with staff.expect_navigation():
        delete.click()
    expect(staff).to_have_url(f"{server_url}/clients/{account_id}/invoices")
    db.session.rollback()
    assert db.session.get(Invoice, draft_id) is None
    db.session.rollback()
    assert problems == []
    staff.context.close()


def test_after_a_partial_payment_the_qr_code_asks_for_what_is_left(
    browser: Browser, server_url, world, app
):
    """The client opens an unpaid invoice on a phone; staff record a partial payment; on
    reload, does the QR code in the preview ask for the amount due that the page shows?"""
    a = world.a
    a.contact.user.language = "fr"
    _with_billing(a.firm.id)
    invoice = service.invoice_from_template(a.staff, a.account, _template(a.firm.id))
    service.issue_invoice(a.staff, invoice)
    invoice_id, firm_id, client_email = invoice.id, a.firm.id, a.contact.user.email
    db.session.commit()

    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    phone = context.new_page()
    _login(phone, server_url, client_email)
    phone.goto(f"{server_url}/portal/invoices/{invoice_id}")
    before = _qr_payloads(_first_canvas(phone).screenshot())[0].splitlines()
    assert f"EUR{GROSS}" in before

    invoice = db.session.get(Invoice, invoice_id)
    assert invoice is not None
    service.record_payment(
        a.staff, invoice, Decimal("400.00"), service.local_today(firm_id), "transfer"
    )
    db.session.commit()
    due = GROSS - Decimal("400.00")
    db.session.rollback()

    phone.reload()
    expect(phone.get_by_test_id("portal-invoice-due")).to_have_text(
        format_currency(due, "EUR", locale="fr")
    )
    fields = _qr_payloads(_first_canvas(phone).screenshot())[0].splitlines()
    assert f"EUR{due}" in fields, fields
    context.close()
