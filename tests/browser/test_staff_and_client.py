"""What a person clicks: staff in French through the account tabs; a client's documents."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.conftest import DEMO_PASSWORD


def _login(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")


def test_staff_switches_to_french_and_uses_the_tabs(page: Page, server_url, world):
    """Log in, switch to French, open an account, move between tabs, toggle NOTIFY, reload."""
    base = server_url
    _login(page, base, world.a.staff.email)
    expect(page).to_have_url(f"{base}/clients")
    page.get_by_test_id("language-menu").click()
    page.get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_test_id("client-search")).to_have_attribute(
        "placeholder", re.compile("Rechercher")
    )

    page.get_by_role("link", name="Alpha Client").click()
    account = world.a.account.id
    expect(page).to_have_url(f"{base}/clients/{account}/info")
    expect(page.get_by_test_id("tab-info")).to_have_text("Infos")

    page.get_by_test_id("tab-docs").click()
    expect(page).to_have_url(f"{base}/clients/{account}/docs")
    expect(page.locator("#docs-panel")).to_be_visible()
    expect(page.get_by_text("Ajouter un dossier").first).to_be_visible()
    expect(page.get_by_test_id("tab-docs")).to_have_class(re.compile("active"))

    page.get_by_test_id("tab-info").click()
    expect(page).to_have_url(f"{base}/clients/{account}/info")
    toggle = page.get_by_test_id(f"notify-{world.a.contact.id}")
    expect(toggle).to_be_checked()
    with page.expect_response(re.compile(r"/notify$")) as answer:
        toggle.click()
    assert answer.value.status == 200
    expect(page.get_by_test_id(f"notify-{world.a.contact.id}")).not_to_be_checked()

    page.reload()
    expect(page.get_by_test_id(f"notify-{world.a.contact.id}")).not_to_be_checked()

    page.go_back()
    expect(page).to_have_url(f"{base}/clients/{account}/docs")
    expect(page.locator("#docs-panel")).to_be_visible()


def test_client_sees_no_private_folder(page: Page, server_url, world):
    """Log in as a client: Documents shows the shared folders and never the Private one."""
    base = server_url
    _login(page, base, world.a.contact.user.email)
    expect(page).to_have_url(f"{base}/portal/")
    page.get_by_test_id("portal-documents").click()
    expect(page.get_by_role("heading", name="Shared")).to_be_visible()
    expect(page.get_by_role("heading", name="Uploads")).to_be_visible()
    expect(page.get_by_text("Private notes")).to_have_count(0)
    expect(page.get_by_text("private.pdf")).to_have_count(0)
