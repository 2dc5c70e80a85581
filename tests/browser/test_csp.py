"""No inline style refused by the CSP (issue 12 §5.6) where scripts style the page: Popper's
menus, then Back through htmx's history (the guard in conftest.py fails on any refusal)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.conftest import DEMO_PASSWORD


def test_back_through_tabs_after_menus_were_opened(page: Page, server_url, world):
    """Menus opened (Popper styles them through the CSSOM), tabs pushed into the history, then
    Back twice: the restored pages have no style attribute for the CSP to refuse, and what the
    scripts styled outside the swapped tab keeps its style."""
    page.goto(f"{server_url}/login")
    page.fill("input[name=email]", world.a.staff.email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    account = world.a.account.id
    page.goto(f"{server_url}/clients/{account}/info")
    page.get_by_test_id("new-menu").click()
    expect(page.locator(".dropdown-menu.show")).to_be_visible()
    page.keyboard.press("Escape")
    page.evaluate("document.querySelector('.topbar').style.outlineColor = 'red'")
    assert page.locator("[style]").count() >= 2  # the menu's (Popper) and the top bar's
    page.get_by_test_id("tab-docs").click()
    expect(page).to_have_url(f"{server_url}/clients/{account}/docs")
    page.get_by_test_id("tab-info").click()
    expect(page).to_have_url(f"{server_url}/clients/{account}/info")
    expect(page.locator(".topbar")).to_have_attribute("style", "outline-color: red;")
    page.go_back()
    expect(page).to_have_url(f"{server_url}/clients/{account}/docs")
    expect(page.locator("#docs-panel")).to_be_visible()
    page.go_back()
    expect(page).to_have_url(f"{server_url}/clients/{account}/info")
    expect(page.get_by_test_id("tab-info")).to_have_class("nav-link active")
