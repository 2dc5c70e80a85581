"""Organizers in the browser: a Dutch client fills an organizer on a 390 px phone in two
visits (answers saved as they go, a condition showing a question) and submits; staff
(Portuguese) read the answers and seal it.

Texts are checked through the app's own catalogs (`_shown`, as in test_approvals.py)."""

from __future__ import annotations

import re

from flask import Flask
from flask_babel import force_locale, gettext, ngettext
from playwright.sync_api import Browser, Page, expect

from dashboard.extensions import db
from tests.conftest import DEMO_PASSWORD
from tests.organizers.helpers import make_template, sent_organizer

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def _shown(app: Flask, locale: str, msgid: str, **variables) -> str:
    with app.test_request_context(), force_locale(locale):
        return gettext(msgid, **variables)


def _progress(app: Flask, locale: str, done: int, total: int) -> str:
    with app.test_request_context(), force_locale(locale):
        return ngettext(
            "%(done)d of %(num)d answered", "%(done)d of %(num)d answered", total, done=done
        )


def _login(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login"))


def _saved(page: Page, key: str) -> None:
    expect(page.get_by_test_id(f"state-{key}")).to_have_attribute("data-state", "saved")


def test_dutch_client_fills_in_two_visits_and_staff_seal(
    browser: Browser, server_url, world, app, tmp_path
):
    a = world.a
    a.staff.language, a.contact.user.language = "pt_PT", "nl"
    organizer = sent_organizer(a.staff, a.account, make_template(a.firm))
    organizer_id, account_id = organizer.id, a.account.id
    client_email, staff_email = a.contact.user.email, a.staff.email
    db.session.commit()

    # --- First visit: a few answers, saved as they are given --------------------------------
    context = browser.new_context(viewport=PHONE)
    phone = context.new_page()
    problems: list[str] = []
    phone.on("pageerror", lambda error: problems.append(str(error)))
    _login(phone, server_url, client_email)
    phone.goto(f"{server_url}/portal/organizers/{organizer_id}")
    expect(phone.locator("html")).to_have_attribute("lang", "nl")
    phone.get_by_test_id("answer-name").fill("Sanne de Boer")
    _saved(phone, "name")
    expect(phone.locator("#q-children")).to_be_hidden()
    phone.get_by_test_id("answer-has_kids-yes").check(force=True)
    _saved(phone, "has_kids")
    expect(phone.locator("#q-children")).to_be_visible()  # the condition now holds
    phone.get_by_test_id("answer-children-1").check()
    _saved(phone, "children")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"
    context.close()

    # --- Second visit: the answers are there; the rest, then Submit -------------------------
    phone = browser.new_context(viewport=PHONE).new_page()
    phone.on("pageerror", lambda error: problems.append(str(error)))
    _login(phone, server_url, client_email)
    phone.goto(f"{server_url}/portal/organizers/{organizer_id}")
    expect(phone.get_by_test_id("answer-name")).to_have_value("Sanne de Boer")
    expect(phone.get_by_test_id("answer-children-1")).to_be_checked()
    expect(phone.get_by_test_id("progress")).to_contain_text(_progress(app, "nl", 3, 8))
    phone.get_by_test_id("organizer-submit").click()
    expect(phone.get_by_test_id("missing-questions")).to_contain_text("Income sources")
    failed: list[str] = []

    def flaky(route):  # the connection drops on the first save of this answer
        if not failed:
            failed.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    phone.route("**/answers/income", flaky)
    phone.get_by_test_id("answer-income-1").check()
    expect(phone.get_by_test_id("state-income")).to_have_attribute("data-state", "retrying")
    _saved(phone, "income")  # retried by itself, nothing lost
    assert len(failed) == 1
    slip = tmp_path / "loonstrook.pdf"
    slip.write_bytes(b"%PDF-1.4 loonstrook")
    phone.get_by_test_id("answer-payslip").set_input_files(str(slip))
    _saved(phone, "payslip")
    with phone.expect_navigation():
        phone.get_by_test_id("organizer-submit").click()
    expect(phone.get_by_test_id("organizer-submitted")).to_be_visible()
    expect(phone.get_by_test_id(f"organizer-state-{organizer_id}")).to_have_text(
        _shown(app, "nl", "Submitted")
    )

    # --- Staff (pt_PT): the answers, then Seal ----------------------------------------------
    staff = browser.new_context(viewport=DESKTOP).new_page()
    staff.on("pageerror", lambda error: problems.append(str(error)))
    _login(staff, server_url, staff_email)
    staff.goto(f"{server_url}/clients/{account_id}/organizers/{organizer_id}")
    expect(staff.locator("html")).to_have_attribute("lang", "pt-PT")
    expect(staff.get_by_test_id("answer-name")).to_have_text("Sanne de Boer")
    expect(staff.get_by_test_id("answer-payslip")).to_contain_text("loonstrook.pdf")
    staff.on("dialog", lambda dialog: dialog.accept())
    staff.get_by_test_id("seal-organizer").click()
    expect(staff.get_by_test_id("organizer-sealed-note")).to_be_visible()
    expect(staff.get_by_test_id(f"organizer-state-{organizer_id}")).to_have_text(
        _shown(app, "pt_PT", "Sealed")
    )
    assert problems == []
