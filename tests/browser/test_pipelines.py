"""Pipelines in the browser: Dutch staff drag a job onto a stage with a *Send message*
automation and see the conversation it created; the ⋯ menu moves a card without a mouse."""

from __future__ import annotations

import re

from flask import Flask
from flask_babel import force_locale, gettext
from playwright.sync_api import Browser, Page, expect

from dashboard.chats.models import MessageTemplate
from dashboard.extensions import db
from dashboard.pipelines import service
from dashboard.reminders.service import ReminderSettings
from tests.conftest import DEMO_PASSWORD

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


def _pipeline(world):
    """Intake → Documents (Send message "Welcome aboard", 2 reminders every 4 days) → Done."""
    a = world.a
    template = MessageTemplate(
        firm_id=a.firm.id, name="Welcome", subject="Welcome aboard", body="<p>Hello!</p>"
    )
    db.session.add(template)
    db.session.flush()
    pipeline = service.create_pipeline(a.firm.id, "Tax returns", ["Intake", "Documents", "Done"])
    service.save_automation(
        pipeline.stages[1], None, "send_message", template.id, False, ReminderSettings(True, 4, 2)
    )
    job, _ = service.create_job(a.staff, a.account, pipeline, "2026 tax return")
    db.session.commit()
    return pipeline.id, job.id


def test_dutch_staff_drag_a_job_and_see_the_chat_it_created(
    browser: Browser, server_url, world, app, run_worker, mailbox
):
    world.a.staff.language = "nl"
    pipeline_id, job_id = _pipeline(world)
    staff_email, client_email = world.a.staff.email, world.a.contact.user.email
    page = browser.new_context(viewport=DESKTOP).new_page()
    _login(page, server_url, staff_email)
    page.goto(f"{server_url}/pipelines/{pipeline_id}")
    card = page.locator(f"[data-job-id='{job_id}']")
    expect(page.get_by_test_id("stage-1").locator(card)).to_be_visible()
    target = page.get_by_test_id("stage-2").locator(".board-cards")
    with page.expect_response(re.compile(rf"/pipelines/jobs/{job_id}/move$")) as moved:
        card.drag_to(target)
    assert moved.value.status == 200
    expect(page.get_by_test_id("stage-2").locator(f"[data-job-id='{job_id}']")).to_be_visible()
    expect(page.get_by_test_id("stage-2").get_by_test_id("stage-count")).to_have_text("1")

    run_worker()  # the automation's job, then the notification's delivery
    run_worker()
    page.goto(f"{server_url}/pipelines/jobs/{job_id}")
    expect(page.get_by_test_id("run-item")).to_have_text("Welcome aboard")
    expect(page.get_by_test_id("job-run")).to_contain_text(
        _shown(app, "nl", "Send message")
    )
    page.get_by_test_id("run-item").click()
    expect(page).to_have_url(re.compile(r"/chats/\d+$"))
    expect(page.locator("body")).to_contain_text("Hello!")
    assert [m["Subject"] for m in mailbox.to(client_email)] == [
        _shown(app, "en", "New message: %(subject)s", subject="Welcome aboard")
    ]


def test_the_menu_moves_a_card_without_dragging(browser: Browser, server_url, world, app):
    world.a.staff.language = "nl"
    pipeline_id, job_id = _pipeline(world)
    page = browser.new_context(viewport=DESKTOP).new_page()
    _login(page, server_url, world.a.staff.email)
    page.goto(f"{server_url}/pipelines/{pipeline_id}")
    card = page.locator(f"[data-job-id='{job_id}']")
    card.get_by_test_id("job-menu").click()
    card.get_by_role("button", name="Done").click()
    expect(page.get_by_test_id("stage-3").locator(f"[data-job-id='{job_id}']")).to_be_visible()
    expect(page.get_by_test_id("stage-1").get_by_test_id("stage-count")).to_have_text("0")
