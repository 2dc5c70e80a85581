"""Pausing in the browser (B9): staff pause a client on the account page and resume; an owner
pauses the firm and turns the digest off on the Reminders settings page. Screenshots in
/tmp/shots."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from dashboard.extensions import db
from tests.browser.helpers import log_in
from tests.factories import make_approval
from tests.reminders.digest_helpers import MONDAY_10

SHOTS = Path("/tmp/shots")


def test_staff_pause_a_client_and_resume(browser: Browser, server_url, world, frozen_clock):
    """Does the account page pause the client's reminders until a date, say so, show it on
    the item's timeline, and resume them?"""
    SHOTS.mkdir(exist_ok=True)
    frozen_clock(MONDAY_10)
    make_approval(world.a.staff, world.a.documents["view"])
    account_id, staff_email = world.a.account.id, world.a.staff.email
    db.session.commit()

    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    log_in(page, server_url, staff_email)
    page.goto(f"{server_url}/clients/{account_id}/info")
    page.get_by_test_id("pause-reminders").click()
    page.locator(f"#pause-until-{account_id}").fill("2026-12-07")
    page.get_by_test_id("pause-submit").click()
    banner = page.get_by_test_id("account-paused")
    expect(banner).to_contain_text("Reminders paused until December 7, 2026.")
    expect(page.get_by_test_id("pause-reminders")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "pause-account-1366.png"), full_page=True)
    db.session.expire_all()
    assert str(world.a.account.reminders_paused_until) == "2026-12-07"

    page.get_by_test_id("resume-reminders").click()
    expect(page.get_by_test_id("account-paused")).to_have_count(0)
    expect(page.get_by_test_id("pause-reminders")).to_be_visible()
    db.session.expire_all()
    assert world.a.account.reminders_paused_until is None

    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    log_in(phone, server_url, staff_email)
    phone.goto(f"{server_url}/clients/{account_id}/info")
    phone.get_by_test_id("pause-reminders").click()
    phone.screenshot(path=str(SHOTS / "pause-account-390.png"), full_page=True)


def test_an_owner_pauses_the_firm_and_turns_the_digest_off(
    browser: Browser,
    server_url,
    world,
    frozen_clock,
):
    """Does the Reminders settings page pause the whole firm, show it on every account page,
    and save the digest switch?"""
    SHOTS.mkdir(exist_ok=True)
    frozen_clock(MONDAY_10)
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    log_in(page, server_url, world.a.staff.email)
    page.goto(f"{server_url}/settings/reminders")
    switch = page.get_by_test_id("digest-enabled")
    expect(switch).to_be_checked()
    switch.uncheck()
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_test_id("digest-enabled")).not_to_be_checked()
    db.session.expire_all()
    assert world.a.firm.digest_enabled is False

    page.locator("#firm-pause-until").fill("2026-12-28")
    page.get_by_test_id("firm-pause-submit").click()
    expect(page.get_by_test_id("firm-paused")).to_contain_text("December 28, 2026")
    page.screenshot(path=str(SHOTS / "pause-firm-1366.png"), full_page=True)
    page.goto(f"{server_url}/clients/{world.a.account.id}/info")
    expect(page.get_by_test_id("firm-paused")).to_contain_text(
        "Every reminder of the firm is paused until December 28, 2026."
    )
    page.goto(f"{server_url}/settings/reminders")
    page.get_by_test_id("resume-firm").click()
    expect(page.get_by_test_id("firm-pause-form")).to_be_visible()
    db.session.expire_all()
    assert world.a.firm.reminders_paused_until is None
