"""Screenshots of invoices (the account's Invoices tab and its ⋯ menu, the new and draft forms,
the invoice page and its ⋯ menu, the eye icon's pop-up, the firm's Invoices page and its
+ New invoice, invoice templates, billing details; the client's Invoices list and invoice page)
in each language, staff at desktop and phone widths and clients on a phone, for a visual check.

The demo has invoices 2026-0001..0006 and one template; this script adds, through the services
on its own throwaway demo database, a draft, a voided invoice and its credit note, a paid one
with a long description on the staff's account, and an invoice for a client in each language
that has none open (so every client's page shows the SEPA QR code).

Usage: .venv/bin/python scripts/screenshots_invoices.py [out_dir]
       (default: /tmp/shots_invoices/)
Needs Redis only as a name (REDIS_URL db 14): the emails are kept in the outbox, not sent.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.screenshots import ARGS, SIZES, STAFF  # noqa: E402
from scripts.shotkit import demo_app, log_in, serve  # noqa: E402

LOCALES = ("en", "fr", "pt_PT", "nl")
#: The demo's first portal client speaking each language (dashboard/demo.py CONTACT_NAMES).
CLIENT_NAMES = {
    "en": "Emily Chen",
    "fr": "Claire Martin",
    "pt_PT": "Rui Lopes",
    "nl": "Sanne de Boer",
}
#: The staff's account (Claire Martin's): 2026-0001 from the demo, and what _seed adds.
STAFF_ACCOUNT = "Boulangerie Martin"
#: The account whose *From template* makes the draft shown in the form (a draft per language).
TEMPLATE_ACCOUNT = "Atelier Moreau"
BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added, .collapsing"
LONG_LINE = (
    "Établissement des comptes annuels 2025, liasse fiscale, annexe et rapport de gestion, "
    "y compris la préparation de l'assemblée générale ordinaire d'approbation des comptes"
)


def _seed() -> dict:
    """Invoices through the services; returns the ids the shots need."""
    from sqlalchemy import select

    from dashboard.accounts.models import Account, Contact
    from dashboard.auth.models import User
    from dashboard.extensions import db
    from dashboard.invoices import service
    from dashboard.invoices.models import Invoice, InvoiceTemplate
    from dashboard.notify import outbox
    from dashboard.reminders.service import ReminderSettings

    original_enqueue = outbox.enqueue_delivery
    outbox.enqueue_delivery = lambda ids: True  # emails stay in the outbox, as in the demo
    try:
        owner = db.session.scalar(select(User).where(User.email == STAFF["en"]))
        template = db.session.scalar(select(InvoiceTemplate).order_by(InvoiceTemplate.id))
        settings = ReminderSettings(True, 7, 2)
        line = service.LineInput

        def account_named(name: str) -> Account:
            return db.session.scalar(select(Account).where(Account.name == name))

        def issued(account: Account, lines: list, paid: Decimal | None = None) -> Invoice:
            invoice = service.create_invoice(owner, account, lines, settings=settings)
            service.issue_invoice(owner, invoice)
            if paid:
                today = service.local_today(account.firm_id)
                service.record_payment(owner, invoice, paid, today, "transfer")
            db.session.commit()
            return invoice

        # --- the staff's account: every state on its Invoices tab ---------------------------
        account = account_named(STAFF_ACCOUNT)
        unpaid = db.session.scalar(
            select(Invoice).where(Invoice.account_id == account.id).order_by(Invoice.id)
        )
        paid = issued(
            account,
            [
                line(LONG_LINE, Decimal("1"), Decimal("2450.00"), Decimal("20")),
                line("Frais de dépôt au greffe", Decimal("1"), Decimal("49.40"), Decimal("0")),
            ],
        )
        service.record_payment(
            owner, paid, paid.total_gross, service.local_today(account.firm_id), "transfer"
        )
        db.session.commit()
        voided = issued(
            account, [line("Conseil juridique", Decimal("2.5"), Decimal("180.00"), Decimal("20"))]
        )
        service.create_credit_note(owner, voided)
        db.session.commit()
        draft = service.create_invoice(
            owner,
            account,
            [
                line("Bilan intermédiaire", Decimal("1"), Decimal("600.00"), Decimal("20")),
                line("Saisie des pièces", Decimal("12.5"), Decimal("38.00"), Decimal("20")),
            ],
            notes="Acompte à régler avant le 15.",
            settings=settings,
        )
        db.session.commit()

        # --- a client in each language with an open invoice (the QR code) ------------------
        clients = {}
        for locale, name in CLIENT_NAMES.items():
            user = db.session.scalar(select(User).where(User.name == name, User.role == "client"))
            contact = db.session.scalar(select(Contact).where(Contact.user_id == user.id))
            open_one = db.session.scalar(
                select(Invoice)
                .where(
                    Invoice.account_id == contact.account_id,
                    Invoice.state.in_(("issued", "partial")),
                )
                .order_by(Invoice.id)
            )
            if open_one is None:
                client_account = db.session.get(Account, contact.account_id)
                open_one = issued(
                    client_account,
                    service.template_lines(template)
                    + [line(LONG_LINE, Decimal("1"), Decimal("1250.00"), Decimal("20"))],
                    paid=Decimal("500.00"),
                )
            clients[locale] = {"email": user.email, "invoice": open_one.id}
        return {
            "account": account.id,
            "template_account": account_named(TEMPLATE_ACCOUNT).id,
            "template": template.id,
            "unpaid": unpaid.id,
            "paid": paid.id,
            "draft": draft.id,
            "clients": clients,
        }
    finally:
        outbox.enqueue_delivery = original_enqueue


PROBLEMS: list[str] = []


def _new_page(browser, width: int, height: int, scale: float = 1) -> Page:
    """A page whose script errors and failed requests are collected in PROBLEMS."""
    page = browser.new_page(
        viewport={"width": width, "height": height},
        device_scale_factor=scale,
        is_mobile=width < 500,
        has_touch=width < 500,
    )
    page.on("pageerror", lambda error: PROBLEMS.append(f"{page.url}: {error}"))
    page.on(
        "console",
        lambda m: PROBLEMS.append(f"{page.url}: {m.text}") if m.type == "error" else None,
    )
    page.on(
        "response",
        lambda r: PROBLEMS.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    return page


def _settle(page: Page) -> None:
    page.wait_for_function("sel => !document.querySelector(sel)", arg=BUSY)


def _full(page: Page, path: Path) -> None:
    """A full-page shot from the top (a sticky preview toolbar follows the scroll otherwise)."""
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(200)
    page.screenshot(path=path, full_page=True)


def _pdf_drawn(scope, page: Page) -> None:
    scope.locator("[data-testid=document-preview] .doc-preview-page canvas").first.wait_for(
        timeout=15000
    )
    page.wait_for_timeout(300)


def _sideways(page: Page, name: str) -> None:
    """Note a page wider than the window (a sideways scroll)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    if width > inner:
        PROBLEMS.append(f"{name}: {width} px wide in a {inner} px window")


def _staff_shots(browser, base: str, out: Path, ids: dict) -> None:
    account = ids["account"]
    tab = f"{base}/clients/{account}/invoices"
    for width, height in SIZES.values():
        for locale in LOCALES:
            page = _new_page(browser, width, height)
            log_in(page, base, STAFF[locale], "/clients")
            suffix = f"{locale}-{width}"

            # the account's Invoices tab, opened from the tabs (htmx), and a row's ⋯ menu
            page.goto(f"{base}/clients/{account}")
            page.get_by_test_id("tab-invoices").click()
            _settle(page)
            page.wait_for_url(tab)
            _full(page, out / f"staff-tab-{suffix}.png")
            _sideways(page, f"staff-tab-{suffix}")
            page.get_by_test_id(f"invoice-menu-{ids['unpaid']}").click()
            page.wait_for_timeout(300)
            page.screenshot(path=out / f"staff-tab-menu-{suffix}.png")

            # the eye icon's pop-up, and its ⋯ menu
            page.keyboard.press("Escape")
            page.get_by_test_id(f"view-invoice-{ids['unpaid']}").click()
            _settle(page)
            popup = page.locator("#invoice-popup")
            _pdf_drawn(popup, page)
            page.wait_for_timeout(300)  # the modal's fade
            page.screenshot(path=out / f"staff-popup-{suffix}.png")
            popup.get_by_test_id("popup-menu").click()
            page.wait_for_timeout(300)
            page.screenshot(path=out / f"staff-popup-menu-{suffix}.png")

            # the forms: new by hand, and the draft made by From template
            page.goto(f"{base}/clients/{account}/invoices/new")
            page.get_by_test_id("add-line").click()
            _full(page, out / f"staff-form-new-{suffix}.png")
            _sideways(page, f"staff-form-new-{suffix}")
            page.goto(f"{base}/clients/{ids['template_account']}/invoices")
            page.get_by_test_id("invoice-template").select_option(str(ids["template"]))
            with page.expect_navigation():
                page.get_by_test_id("invoice-from-template").click()
            _full(page, out / f"staff-form-template-{suffix}.png")
            _sideways(page, f"staff-form-template-{suffix}")

            # the invoice pages: unpaid (payment form, reminders), paid, a draft; the ⋯ menu
            for name in ("unpaid", "paid", "draft"):
                page.goto(f"{base}/clients/{account}/invoices/{ids[name]}")
                _pdf_drawn(page, page)
                _full(page, out / f"staff-invoice-{name}-{suffix}.png")
                _sideways(page, f"staff-invoice-{name}-{suffix}")
            page.goto(f"{base}/clients/{account}/invoices/{ids['unpaid']}")
            _pdf_drawn(page, page)
            page.get_by_test_id("invoice-viewer-menu").click()
            page.wait_for_timeout(300)
            page.screenshot(path=out / f"staff-invoice-menu-{suffix}.png")

            # the firm's Invoices page, templates, a template, billing details
            for name, path in (
                ("firm-unpaid", "/invoices"),
                ("firm-all", "/invoices?state=all"),
                ("firm-new", "/invoices/new"),
                ("templates", "/invoices/templates"),
                ("template", f"/invoices/templates/{ids['template']}"),
                ("billing", "/settings/billing"),
            ):
                page.goto(f"{base}{path}")
                _full(page, out / f"staff-{name}-{suffix}.png")
                _sideways(page, f"staff-{name}-{suffix}")
            page.close()


def _client_shots(browser, base: str, out: Path, ids: dict) -> None:
    width, height = SIZES["phone"]
    for locale, client in ids["clients"].items():
        page = _new_page(browser, width, height, scale=2)
        log_in(page, base, client["email"], "/portal/")
        suffix = f"{locale}-{width}"
        page.goto(f"{base}/portal/invoices")
        _full(page, out / f"client-list-{suffix}.png")
        _sideways(page, f"client-list-{suffix}")
        page.goto(f"{base}/portal/invoices/{client['invoice']}")
        _pdf_drawn(page, page)
        _full(page, out / f"client-invoice-{suffix}.png")
        page.screenshot(path=out / f"client-invoice-top-{suffix}.png")
        _sideways(page, f"client-invoice-{suffix}")
        page.close()


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/shots_invoices")
    out.mkdir(parents=True, exist_ok=True)
    app, _ = demo_app(REDIS_URL="redis://127.0.0.1:6379/14", RQ_QUEUE="relance-shots-invoices")
    with app.app_context():
        ids = _seed()
    server, base = serve(app)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        _staff_shots(browser, base, out, ids)
        _client_shots(browser, base, out, ids)
        browser.close()
    server.shutdown()
    print(f"screenshots in {out}")
    for problem in PROBLEMS:
        print("PROBLEM", problem)


if __name__ == "__main__":
    main()
