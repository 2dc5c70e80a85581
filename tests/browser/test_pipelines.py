"""Pipelines in the browser: Dutch staff drag a job onto a stage with a *Send message*
automation and see the conversation it created; the ⋯ menu moves a card without a mouse."""

from __future__ import annotations

import re

from flask_babel import force_locale, ngettext
from playwright.sync_api import Browser, expect

from dashboard.chats.models import MessageTemplate
from dashboard.extensions import db
from dashboard.pipelines import service
from dashboard.reminders.service import ReminderSettings
from tests.browser.helpers import log_in, shown

DESKTOP = {"width": 1366, "height": 900}


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
    log_in(page, server_url, staff_email)
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
    expect(page.get_by_test_id("job-run")).to_contain_text(shown(app, "nl", "Send message"))
    page.get_by_test_id("run-item").click()
    expect(page).to_have_url(re.compile(r"/chats/\d+$"))
    expect(page.locator("body")).to_contain_text("Hello!")
    assert [m["Subject"] for m in mailbox.to(client_email)] == [
        shown(app, "en", "New message: %(subject)s", subject="Welcome aboard")
    ]


def test_the_menu_moves_a_card_without_dragging(browser: Browser, server_url, world, app):
    world.a.staff.language = "nl"
    pipeline_id, job_id = _pipeline(world)
    page = browser.new_context(viewport=DESKTOP).new_page()
    log_in(page, server_url, world.a.staff.email)
    page.goto(f"{server_url}/pipelines/{pipeline_id}")
    card = page.locator(f"[data-job-id='{job_id}']")
    card.get_by_test_id("job-menu").click()
    card.get_by_role("button", name="Done").click()
    expect(page.get_by_test_id("stage-3").locator(f"[data-job-id='{job_id}']")).to_be_visible()
    expect(page.get_by_test_id("stage-1").get_by_test_id("stage-count")).to_have_text("0")


def test_a_french_clients_digest_lists_the_three_items_a_stage_created(
    browser: Browser, server_url, world, app, run_worker, mailbox, frozen_clock
):
    """A job enters a stage with three automations (message, organizer, proposal, 2
    reminders every 3 days); on the day their first reminders fall due the French client gets
    one email listing the three, and its links open each item in the portal."""

    from dashboard.pipelines import automations
    from dashboard.reminders.sweep import sweep
    from tests.pipelines.helpers import make_templates
    from tests.reminders.digest_helpers import AFTER_HOLD, MONDAY_10, THURSDAY_10

    a = world.a
    a.contact.user.language = "fr"
    frozen_clock(MONDAY_10)
    templates = make_templates(a.firm)
    pipeline = service.create_pipeline(a.firm.id, "Bilan", ["Début", "Pièces"])
    for action in ("send_message", "create_organizer", "send_proposal"):
        service.save_automation(
            pipeline.stages[1],
            None,
            action,
            templates[action].id,
            False,
            ReminderSettings(True, 3, 2),
        )
    job, _ = service.create_job(a.staff, a.account, pipeline, "Bilan 2026")
    runs = service.move_job(a.staff, job, pipeline.stages[1])
    db.session.commit()
    assert automations.run_all(runs)["done"] == 3
    run_worker()
    client_email = a.contact.user.email
    mailbox.clear()

    frozen_clock(THURSDAY_10)
    assert sweep().reminders == 3
    frozen_clock(THURSDAY_10 + AFTER_HOLD)  # the digest is held a moment, then goes
    sweep()
    run_worker()
    [digest] = mailbox.to(client_email)
    with app.test_request_context(), force_locale("fr"):
        subject = ngettext(
            "%(num)d reminder from %(firm)s", "%(num)d reminders from %(firm)s", 3, firm=a.firm.name
        )
    assert digest["Subject"] == subject
    html = digest.get_body(("html",)).get_content()

    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.set_content(html)
    expect(page.get_by_role("link", name=shown(app, "fr", "Open"))).to_have_count(3)
    expect(page.locator("body")).to_contain_text("Welcome aboard")
    expect(page.locator("body")).to_contain_text("Engagement letter")
    expect(page.locator("body")).to_contain_text(templates["create_organizer"].name)
    links = [
        href.replace("https://portal.example.test", server_url)
        for href in page.get_by_role("link", name=shown(app, "fr", "Open")).evaluate_all(
            "links => links.map(link => link.href)"
        )
    ]
    portal = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    log_in(portal, server_url, client_email)
    titles = {"Welcome aboard", "Engagement letter", templates["create_organizer"].name}
    opened = set()
    for link in links:
        portal.goto(link)
        expect(portal).not_to_have_url(re.compile(r"/login"))
        body = portal.locator("main").inner_text()
        opened |= {title for title in titles if title in body}
    assert opened == titles  # each link opens its own item
