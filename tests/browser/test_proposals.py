"""Proposals in the browser: staff (Portuguese) send an engagement letter from a template, a
French client reads and signs it on a phone, and staff see it signed, sealed and invoiced.

Texts are checked through the app's own catalogs (`_shown`, as in test_approvals.py); the
selectors never depend on wording.
"""

from __future__ import annotations

import re

from flask import Flask
from flask_babel import force_locale, gettext
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from dashboard.extensions import db
from dashboard.invoices.models import Invoice
from dashboard.proposals import service
from dashboard.proposals.models import Proposal
from tests.conftest import DEMO_PASSWORD
from tests.proposals.helpers import proposal_input

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def _shown(app: Flask, locale: str, msgid: str, **variables) -> str:
    with app.test_request_context(), force_locale(locale):
        return gettext(msgid, **variables)


def _login(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login"))


def _watch_errors(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and "favicon" not in r.url
            else None
        ),
    )
    return problems


def test_staff_sends_a_french_client_signs_and_staff_see_the_invoice(
    browser: Browser, server_url, world, app, run_worker
):
    a = world.a
    a.staff.language, a.contact.user.language = "pt_PT", "fr"
    template = service.save_template(a.firm, None, proposal_input(title="Lettre de mission 2027"))
    db.session.commit()
    account_id, template_id = a.account.id, template.id
    staff_email, client_email = a.staff.email, a.contact.user.email

    # --- Staff (pt_PT): Proposals & ELs tab, + New from the template, Send -----------------
    staff = browser.new_context(viewport=DESKTOP).new_page()
    staff_problems = _watch_errors(staff)
    _login(staff, server_url, staff_email)
    staff.goto(f"{server_url}/clients/{account_id}/proposals")
    expect(staff.locator("html")).to_have_attribute("lang", "pt-PT")
    staff.get_by_test_id("proposal-template").select_option(str(template_id))
    staff.get_by_test_id("new-proposal").click()
    expect(staff.get_by_test_id("proposal-title")).to_have_value("Lettre de mission 2027")
    expect(staff.get_by_test_id("letter-area")).to_contain_text("{{ client_name }}")
    expect(staff.get_by_test_id("line-recurrence").nth(1)).to_have_value("month")
    staff.get_by_test_id("letter-area").click()
    staff.keyboard.press("End")
    staff.keyboard.type(" Merci.")
    with staff.expect_navigation():
        staff.get_by_test_id("proposal-send").click()
    proposal_id = db.session.scalar(select(Proposal.id))
    db.session.rollback()
    expect(staff.get_by_test_id(f"proposal-state-{proposal_id}")).to_have_text(
        _shown(app, "pt_PT", "Sent")
    )
    expect(staff.get_by_test_id("proposal-letter")).to_contain_text(a.account.name)

    # --- The client (fr) on a phone: Pending action → the letter → type, tick, Sign ---------
    phone = browser.new_context(viewport=PHONE).new_page()
    phone_problems = _watch_errors(phone)
    _login(phone, server_url, client_email)
    phone.goto(f"{server_url}/portal/")
    todo = phone.get_by_test_id(f"todo-{proposal_id}")
    expect(todo).to_contain_text(
        _shown(app, "fr", "Read and sign %(title)s", title="Lettre de mission 2027")
    )
    todo.click()
    expect(phone.locator("html")).to_have_attribute("lang", "fr")
    expect(phone.get_by_test_id("portal-letter")).to_contain_text("Merci.")
    expect(phone.get_by_test_id("proposal-status")).to_have_text(_shown(app, "fr", "Viewed"))
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"
    phone.get_by_test_id("typed-name").fill("Claire Martin")
    phone.get_by_test_id("consent").check()
    with phone.expect_navigation():
        phone.get_by_test_id("sign-submit").click()
    expect(phone.get_by_test_id("proposal-you-signed")).to_be_visible()
    expect(phone.get_by_test_id("proposal-status")).to_have_text(_shown(app, "fr", "Signed"))

    # --- The worker seals it; staff see Signed, the invoice and the signed PDF ----------------
    run_worker()
    staff.reload()
    expect(staff.get_by_test_id(f"proposal-state-{proposal_id}")).to_have_text(
        _shown(app, "pt_PT", "Signed")
    )
    invoice = db.session.scalar(select(Invoice))
    number = invoice.number
    db.session.rollback()
    expect(staff.get_by_test_id("proposal-invoice")).to_contain_text(number)
    with staff.expect_download() as download:
        staff.get_by_test_id("signed-pdf").click()
    assert download.value.suggested_filename.endswith(".pdf")
    staff.get_by_test_id("proposal-invoice").get_by_role("link").click()
    expect(staff.get_by_test_id("invoice-state")).to_have_text(_shown(app, "pt_PT", "Unpaid"))
    phone.reload()
    expect(phone.get_by_test_id("portal-signed-pdf")).to_be_visible()
    assert staff_problems == [] and phone_problems == []
