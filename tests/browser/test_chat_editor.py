"""The message formatting editor, clicked in Chromium."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from dashboard.chats import service
from dashboard.extensions import db
from dashboard.reminders.service import ReminderSettings
from tests.conftest import DEMO_PASSWORD


def test_staff_write_a_bold_bulleted_message(page: Page, server_url, ctx, world):
    """Formatting → bold and a bulleted list → Send: the message shows them, sanitised."""
    thread = service.start_thread(
        world.a.staff, world.a.account, "Editor", "Hello", ReminderSettings(False, 3, 1)
    )
    db.session.commit()
    page.goto(f"{server_url}/login")
    page.fill("input[name=email]", world.a.staff.email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{server_url}/clients/{thread.account_id}/chats/{thread.id}")
    page.get_by_test_id("staff-reply-formatting").click()
    area = page.get_by_test_id("staff-reply-rich")
    expect(area).to_be_visible()
    expect(page.get_by_test_id("staff-reply")).to_be_hidden()
    area.click()
    page.get_by_role("button", name="Bold").click()
    page.keyboard.type("Important")
    page.get_by_role("button", name="Bold").click()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Bulleted list").click()
    page.keyboard.type("first point")
    page.get_by_test_id("staff-send").click()
    messages = page.locator("#chat-messages")
    expect(messages.locator("b, strong").filter(has_text="Important")).to_have_count(1)
    expect(messages.locator("ul li").filter(has_text="first point")).to_have_count(1)
