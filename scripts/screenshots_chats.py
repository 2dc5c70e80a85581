"""Screenshots of the chat pages: staff in French on a desktop, the client in Dutch on a phone.

Usage: .venv/bin/python scripts/screenshots_chats.py [out_dir]   (default: screenshots/)
Builds a throwaway demo database (dashboard.demo.seed_demo), adds on "De Groene Fiets BV" a
chat template and one conversation (dashboard.chats.service.start_thread) with two client
tasks and a YouTube link, one task ticked and a client reply, serves it on a free port and
drives /usr/bin/chromium: Amélie (fr, 1366x900) on the new-chat form, the Communication tab
and the thread; Sanne de Boer (nl, 390x844) on her conversation list and the conversation.
There is no internet: requests to the video host are aborted, so the players show an error
page inside their frame. Emails are queued on a throwaway RQ queue, deleted at the end.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import threading
import uuid
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DESKTOP, PHONE = (1366, 900), (390, 844)
STAFF = ("fr", "amelie@demo.relance.test")
CLIENT = ("nl", "sanne.de.boer.2@client.relance.test")
ACCOUNT = "De Groene Fiets BV"
TEMPLATE = "Jaarafsluiting"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def seed_chat() -> dict[str, int]:
    """A template and one conversation on ACCOUNT; returns the ids the pages need."""
    from sqlalchemy import select

    from dashboard.accounts.models import Account
    from dashboard.auth.models import User
    from dashboard.chats import service
    from dashboard.chats.models import ChatTask, MessageTemplate
    from dashboard.extensions import db
    from dashboard.reminders.service import ReminderSettings

    account = db.session.scalar(select(Account).where(Account.name == ACCOUNT))
    staff = db.session.scalar(select(User).where(User.email == STAFF[1]))
    client = db.session.scalar(select(User).where(User.email == CLIENT[1]))
    assert account is not None and staff is not None and client is not None
    db.session.add(
        MessageTemplate(
            firm_id=account.firm_id,
            name=TEMPLATE,
            subject="Jaarafsluiting 2025: stukken aanleveren",
            body="Beste klant,\n\nwilt u de stukken voor de jaarafsluiting aanleveren?",
            reminders_enabled=True,
            interval_days=2,
            max_count=3,
        )
    )
    thread = service.start_thread(
        staff,
        account,
        "Jaarafsluiting 2025: stukken aanleveren",
        "Beste Sanne,\n\nwilt u de stukken voor de jaarafsluiting aanleveren? In deze korte "
        "video leggen we uit wat we nodig hebben: https://youtu.be/dQw4w9WgXcQ\n\n"
        "Met vriendelijke groet,\nAmélie",
        ReminderSettings(True, 2, 3),
        ["Bankafschriften december uploaden", "Opdrachtbevestiging ondertekenen"],
    )
    first_task = db.session.scalar(
        select(ChatTask).where(ChatTask.thread_id == thread.id).order_by(ChatTask.position)
    )
    assert first_task is not None
    service.tick_task(client, thread, first_task, True)
    service.post_client_message(
        client,
        thread,
        "Dag Amélie, de bankafschriften staan erin. De opdrachtbevestiging stuur ik morgen.",
    )
    db.session.commit()
    return {"account": account.id, "thread": thread.id}


def _login(page: Page, base: str, email: str, password: str, landing: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(base + landing)


def _page(browser: Browser, size: tuple[int, int]) -> Page:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    # No internet: the video players' requests fail at once.
    context.route(
        re.compile(r"^https://[^/]*(youtube|youtube-nocookie)\.com/"), lambda r: r.abort()
    )
    return context.new_page()


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="relance-shots-"))
    queue_name = f"relance-shots-{uuid.uuid4().hex[:8]}"
    os.environ.update(
        DATABASE_URL=f"sqlite:///{work / 'demo.db'}",
        UPLOAD_DIR=str(work / "up"),
        MAIL_SINK_DIR=str(work / "mail"),
        RQ_QUEUE=queue_name,
        RELANCE_ENV="development",
    )
    from flask_migrate import upgrade

    from dashboard import create_app
    from dashboard.demo import DEMO_PASSWORD, seed_demo

    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed_demo()
        with app.test_request_context():
            ids = seed_chat()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    account, thread = ids["account"], ids["thread"]
    shots: list[Path] = []

    def shot(page: Page, name: str) -> None:
        path = out / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        shots.append(path)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)

        locale, email = STAFF
        suffix = f"{locale}-desktop"
        page = _page(browser, DESKTOP)
        _login(page, base, email, DEMO_PASSWORD, "/clients")
        page.goto(f"{base}/clients/{account}/communication")
        page.get_by_test_id(f"chat-{thread}").wait_for()
        shot(page, f"chats-communication-{suffix}")
        page.goto(f"{base}/clients/{account}/chats/new")
        shot(page, f"chats-new-{suffix}")
        page.get_by_test_id("chat-template").select_option(label=TEMPLATE)
        page.wait_for_function("document.querySelector('[data-testid=chat-subject]').value !== ''")
        page.get_by_test_id("chat-tasks").fill("Bankafschriften uploaden\nFacturen uploaden")
        shot(page, f"chats-new-template-{suffix}")
        page.get_by_test_id("chat-tasks").fill("")  # nothing unsent: leave without a prompt
        page.get_by_test_id("chat-message").fill("")
        page.goto(f"{base}/clients/{account}/chats/{thread}")
        page.locator("#chat-messages [data-testid=video-player]").wait_for()
        shot(page, f"chats-thread-{suffix}")
        page.context.close()

        locale, email = CLIENT
        suffix = f"{locale}-phone"
        page = _page(browser, PHONE)
        _login(page, base, email, DEMO_PASSWORD, "/portal/")
        page.goto(f"{base}/portal/chats")
        shot(page, f"chats-portal-list-{suffix}")
        page.get_by_test_id(f"portal-chat-{thread}").click()
        page.locator("#chat-messages [data-testid=video-player]").wait_for()
        shot(page, f"chats-portal-chat-{suffix}")
        page.context.close()
        browser.close()
    server.shutdown()

    with app.app_context():
        from dashboard.notify.outbox import delivery_queue

        try:
            delivery_queue().delete(delete_jobs=True)
        except Exception as error:  # Redis not running: nothing was queued there
            print(f"(queue not deleted: {error})")
    for path in shots:
        print(path.relative_to(out.parent) if out.parent in path.parents else path)


if __name__ == "__main__":
    main()
