"""Contacts in the browser: add one on the Info tab, see it in the list, edit it, invite it;
the Clients list with its Notify column and pagination. Screenshots at 1366 and 390 px."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from dashboard.accounts.models import Contact
from dashboard.auth.models import User
from dashboard.extensions import db
from dashboard.notify.models import OutboxEmail
from tests.conftest import DEMO_PASSWORD
from tests.factories import make_account, make_contact

SHOTS = Path("/tmp/shots")


def _login(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")


def test_staff_adds_edits_and_invites_a_contact(browser: Browser, server_url, world, app):
    """Can staff add a contact through the form, see it listed, edit it and invite it?"""
    SHOTS.mkdir(exist_ok=True)
    account_id = world.a.account.id
    staff_email = world.a.staff.email
    for n in range(55):  # a second page of clients
        make_contact(make_account(world.a.firm, f"Client {n:02d}"), notify=n % 3 != 0)
    db.session.commit()

    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    _login(page, server_url, staff_email)
    page.goto(f"{server_url}/clients/{account_id}/info")
    page.get_by_test_id("add-contact").click()
    page.get_by_test_id("add-name").fill("Marta Nunes")
    page.get_by_test_id("add-email").fill("not an email")
    page.get_by_test_id("add-contact-submit").click()
    expect(page.locator("#add-contact .invalid-feedback")).to_be_visible()
    page.get_by_test_id("add-email").fill("marta.nunes@example.test")
    page.get_by_test_id("add-language").select_option("pt_PT")
    page.get_by_test_id("add-time_zone").select_option("Europe/Lisbon")
    page.get_by_test_id("add-contact-submit").click()
    row = page.locator("#info-panel tr", has_text="marta.nunes@example.test")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Marta Nunes")
    expect(row).to_contain_text("Europe/Lisbon")
    expect(page.locator("#info-panel .alert-success")).to_be_visible()
    assert page.url.endswith(f"/clients/{account_id}/info")

    db.session.expire_all()
    contact = db.session.scalar(
        select(Contact)
        .join(User, User.id == Contact.user_id)
        .where(User.email == "marta.nunes@example.test")
    )
    assert contact is not None and contact.user.language == "pt_PT"

    page.get_by_test_id(f"edit-contact-{contact.id}").click()
    expect(page.get_by_test_id("edit-contact-form")).to_be_visible()
    page.screenshot(path=str(SHOTS / "contacts-info-edit-1366.png"), full_page=True)
    page.get_by_test_id("edit-name").fill("Marta Nunes Silva")
    page.get_by_test_id("edit-contact-submit").click()
    expect(page.locator(f"#contact-{contact.id}")).to_contain_text("Marta Nunes Silva")

    page.get_by_test_id(f"invite-{contact.id}").click()
    expect(page.locator("#info-panel .alert-success")).to_contain_text("marta.nunes@example.test")
    expect(page.get_by_test_id(f"invite-{contact.id}")).to_contain_text("Invite again")
    page.screenshot(path=str(SHOTS / "contacts-info-1366.png"), full_page=True)
    db.session.expire_all()
    assert db.session.scalar(
        select(OutboxEmail.locale).where(OutboxEmail.purpose == "portal_invite")
    ) == "pt_PT"

    page.goto(f"{server_url}/clients")
    expect(page.get_by_test_id(f"notify-{account_id}")).to_be_visible()
    expect(page.locator("nav[aria-label] .pagination")).to_be_visible()
    page.screenshot(path=str(SHOTS / "contacts-clients-1366.png"), full_page=True)

    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    _login(phone, server_url, staff_email)
    phone.goto(f"{server_url}/clients/{account_id}/info")
    expect(phone.locator(f"#contact-{contact.id}")).to_be_visible()
    phone.screenshot(path=str(SHOTS / "contacts-info-390.png"), full_page=True)
    phone.get_by_test_id("add-contact").click()
    expect(phone.locator("#add-contact")).to_have_class(re.compile(r"\bcollapse show\b"))
    expect(phone.get_by_test_id("add-contact-submit")).to_be_visible()
    phone.wait_for_timeout(400)  # the collapse animation
    phone.screenshot(path=str(SHOTS / "contacts-info-add-390.png"), full_page=True)
    phone.goto(f"{server_url}/clients")
    expect(phone.locator("nav[aria-label] .pagination")).to_be_visible()
    phone.screenshot(path=str(SHOTS / "contacts-clients-390.png"), full_page=True)
