"""A chat from a template: staff in French, the client in Dutch on a phone.

Staff makes a template, starts a conversation from it with two client tasks and a YouTube
link; the client sees the video player, ticks one task and replies; the staff page, left
open, shows the reply through its 5-second polling (never reloaded) and the Communication
tab counts what staff has not read yet. Texts are checked through the app's own catalogs
(`_shown`), selectors never depend on wording. The player is only checked by its address:
there is no internet, so requests to the video host are aborted.
"""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask_babel import force_locale, gettext
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from dashboard.chats.models import ChatMessage, ChatRead, ChatTask, ChatThread
from dashboard.extensions import db
from tests.conftest import DEMO_PASSWORD

VIDEO = "https://youtu.be/dQw4w9WgXcQ"
PLAYER = re.compile(r"^https://www\.youtube-nocookie\.com/embed/dQw4w9WgXcQ")
TEMPLATE_NAME = "Pièces de clôture"
SUBJECT = "Clôture 2025 : pièces à fournir"
BODY = "Bonjour,\nmerci de nous envoyer les pièces de clôture."
TASKS = ["Envoyer les relevés bancaires", "Signer la lettre de mission"]
REPLY = "Dag, de relevés zijn verstuurd; de brief volgt morgen."
SECOND = "Nog een vraag over de lettre de mission."
POLL_WAIT = 12_000  # ms: the thread polls every 5 s


def _shown(app: Flask, locale: str, msgid: str, **variables: str) -> str:
    """What the app displays for `msgid` to a reader of `locale`, with today's catalogs."""
    with app.test_request_context(), force_locale(locale):
        return gettext(msgid, **variables)


def _login(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")


def _staff_has_read(page: Page, user_id: int, thread_id: int, timeout_ms: int = 5000) -> None:
    """Wait until the thread page's own "read" call for what it shows has been committed, so
    the Communication tab is not asked before it (the call follows each swap of messages)."""
    newest = select(ChatMessage.id).where(ChatMessage.thread_id == thread_id)
    seen = select(ChatRead.last_read_message_id).where(
        ChatRead.thread_id == thread_id, ChatRead.user_id == user_id
    )
    for _ in range(timeout_ms // 100):
        latest = max(db.session.scalars(newest), default=0)
        read = db.session.scalar(seen) or 0
        db.session.rollback()  # hold no read transaction while the server writes
        if read >= latest:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the thread page did not mark message {latest} read")


def _offline_video(context: BrowserContext) -> None:
    """No internet here: the players' requests fail at once instead of waiting on DNS."""
    context.route(
        re.compile(r"^https://[^/]*(youtube|youtube-nocookie)\.com/"), lambda r: r.abort()
    )


def test_chat_from_template_client_ticks_and_replies(browser: Browser, server_url, world, app):
    """Template → chat with tasks and a video; the client (nl, phone) sees the player, ticks
    1/2 and replies; staff (fr) sees the reply by polling and the unread count come and go."""
    base = server_url
    account_id = world.a.account.id
    world.a.staff.language = "fr"
    world.a.contact.user.language = "nl"
    staff_id, staff_email = world.a.staff.id, world.a.staff.email
    client_email = world.a.contact.user.email
    client_name = world.a.contact.user.name
    db.session.commit()

    staff_context = browser.new_context(viewport={"width": 1366, "height": 900})
    client_context = browser.new_context(viewport={"width": 390, "height": 844})
    for context in (staff_context, client_context):
        _offline_video(context)
    staff, client = staff_context.new_page(), client_context.new_page()

    # --- Staff writes a template ---------------------------------------------------------
    _login(staff, base, staff_email)
    expect(staff).to_have_url(f"{base}/clients")
    expect(staff.locator("html")).to_have_attribute("lang", "fr")
    staff.goto(f"{base}/settings/chat-templates")
    staff.get_by_test_id("new-template").click()
    expect(staff).to_have_url(f"{base}/settings/chat-templates/new")
    staff.locator("#template-name").fill(TEMPLATE_NAME)
    staff.locator("#template-subject").fill(SUBJECT)
    staff.locator("#template-body").fill(BODY)
    # A new template uses the firm default (B8): its fields are greyed until Custom.
    expect(staff.get_by_test_id("template-interval")).to_be_disabled()
    staff.get_by_test_id("template-custom").check()
    expect(staff.get_by_test_id("template-interval")).to_be_enabled()
    staff.get_by_test_id("template-reminders").check()
    staff.get_by_test_id("template-interval").fill("2")
    staff.get_by_test_id("template-count").fill("3")
    staff.get_by_test_id("template-save-exit").click()
    expect(staff).to_have_url(f"{base}/settings/chat-templates")
    expect(staff.get_by_text(_shown(app, "fr", "Template saved."))).to_be_visible()
    expect(staff.locator(".list-group")).to_contain_text(TEMPLATE_NAME)

    # --- ... and starts a chat from it on the account --------------------------------------
    staff.goto(f"{base}/clients/{account_id}/communication")
    expect(staff.get_by_test_id("tab-communication")).to_have_class(re.compile("active"))
    staff.get_by_test_id("new-chat").click()
    expect(staff).to_have_url(f"{base}/clients/{account_id}/chats/new")
    expect(staff.get_by_test_id("chat-subject")).to_have_value("")
    expect(staff.get_by_test_id("chat-reminders")).to_be_enabled()
    # Let htmx finish the swap (and wire the new select) before using the form.
    staff.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
        " && htmx.find('[data-testid=chat-template]') !== null"
    )
    with staff.expect_response(re.compile(r"/chats/new\?template=\d+$")) as answer:
        staff.get_by_test_id("chat-template").select_option(label=TEMPLATE_NAME)
    assert answer.value.status == 200
    expect(staff.get_by_test_id("chat-subject")).to_have_value(SUBJECT)
    expect(staff.get_by_test_id("chat-message")).to_have_value(BODY)
    expect(staff.get_by_test_id("chat-reminders")).to_be_checked()
    expect(staff.get_by_test_id("chat-interval")).to_have_value("2")
    expect(staff.get_by_test_id("chat-count")).to_have_value("3")
    expect(staff.get_by_test_id("chat-template").locator("option:checked")).to_have_text(
        TEMPLATE_NAME
    )
    message = f"{BODY}\nUne courte vidéo pour vous guider : {VIDEO}"
    staff.get_by_test_id("chat-message").fill(message)
    staff.get_by_test_id("chat-tasks").fill("\n".join(TASKS))
    expect(staff.get_by_test_id("create-conversation")).to_have_text(
        _shown(app, "fr", "Create conversation")
    )
    staff.get_by_test_id("create-conversation").click()
    expect(staff).to_have_url(re.compile(rf"{re.escape(base)}/clients/{account_id}/chats/\d+$"))
    thread_id = int(staff.url.rsplit("/", 1)[1])
    expect(staff.get_by_role("heading", name=SUBJECT)).to_be_visible()
    expect(staff.locator("#chat-messages")).to_contain_text("merci de nous envoyer")
    expect(staff.locator(f"#chat-messages a[href='{VIDEO}']")).to_have_count(1)

    first_message_id = db.session.scalar(
        select(ChatMessage.id).where(ChatMessage.thread_id == thread_id)
    )
    task_ids = list(
        db.session.scalars(
            select(ChatTask.id).where(ChatTask.thread_id == thread_id).order_by(ChatTask.position)
        )
    )
    db.session.rollback()  # hold no read transaction while the server writes
    assert first_message_id is not None and len(task_ids) == 2
    staff_progress = staff.get_by_test_id(f"tasks-progress-{first_message_id}")
    expect(staff_progress).to_have_text("0/2")
    # The staff page is now left alone: a marker that a reload would wipe out.
    staff.evaluate("window.__neverReloaded = true")

    # --- The client, in Dutch on a phone, opens the conversation -----------------------------
    _login(client, base, client_email)
    expect(client).to_have_url(f"{base}/portal/")
    expect(client.locator("html")).to_have_attribute("lang", "nl")
    client.goto(f"{base}/portal/chats")
    link = client.get_by_test_id(f"portal-chat-{thread_id}")
    expect(link).to_contain_text(SUBJECT)
    expect(link.locator(".badge")).to_have_text("1")  # the firm's message, unread
    link.click()
    expect(client).to_have_url(f"{base}/portal/chats/{thread_id}")
    expect(client.get_by_role("heading", level=1)).to_have_text(SUBJECT)

    player = client.get_by_test_id("video-player")
    expect(player).to_have_count(1)
    expect(player).to_have_attribute("src", PLAYER)
    expect(player).to_be_visible()
    box = player.bounding_box()
    assert box is not None and box["width"] > 200 and box["x"] + box["width"] <= 390
    assert client.evaluate("document.documentElement.scrollWidth") <= 390, "page scrolls sideways"

    progress = client.get_by_test_id(f"tasks-progress-{first_message_id}")
    expect(progress).to_have_text("0/2")
    first, second = (client.get_by_test_id(f"task-{task_id}") for task_id in task_ids)
    expect(client.locator(f"label[for=task-{task_ids[0]}]")).to_have_text(TASKS[0])
    expect(first).not_to_be_checked()
    with client.expect_response(re.compile(rf"/tasks/{task_ids[0]}$")) as answer:
        first.click()
    assert answer.value.status == 200
    expect(progress).to_have_text("1/2")
    expect(client.get_by_test_id(f"task-{task_ids[0]}")).to_be_checked()
    expect(second).not_to_be_checked()

    expect(client.get_by_test_id("client-send")).to_have_text(_shown(app, "nl", "Reply"))
    client.get_by_test_id("client-reply").fill(REPLY)
    with client.expect_response(re.compile(rf"/portal/chats/{thread_id}/messages$")) as answer:
        client.get_by_test_id("client-send").click()
    assert answer.value.status == 200
    expect(client.locator("#chat-messages .chat-bubble.mine")).to_contain_text(REPLY)
    expect(client.get_by_test_id("client-reply")).to_have_value("")
    expect(progress).to_have_text("1/2")

    # --- Staff, never reloaded, sees the reply come in through the polling ----------------
    reply_bubble = staff.locator("#chat-messages .chat-bubble.theirs").filter(has_text=REPLY)
    expect(reply_bubble).to_be_visible(timeout=POLL_WAIT)
    expect(reply_bubble).to_contain_text(client_name)
    expect(staff_progress).to_have_text("1/2")
    expect(staff.locator(f"#staff-task-{task_ids[0]}")).to_be_checked()
    expect(staff.locator(f"#staff-task-{task_ids[1]}")).not_to_be_checked()
    assert staff.evaluate("window.__neverReloaded") is True
    _staff_has_read(staff, staff_id, thread_id)

    # --- Unread counts on the Communication tab (htmx tab link, no reload) ------------------
    # The thread page marks what it shows as read, so the reply seen above is not unread.
    staff.get_by_test_id("tab-communication").click()
    expect(staff).to_have_url(f"{base}/clients/{account_id}/communication")
    row = staff.get_by_test_id(f"chat-{thread_id}")
    expect(row).to_contain_text(SUBJECT)
    expect(row).to_contain_text(_shown(app, "fr", "Replied"))
    expect(staff.get_by_test_id(f"unread-{thread_id}")).to_have_count(0)

    # The client writes again while staff is away from the thread: one unread message.
    client.get_by_test_id("client-reply").fill(SECOND)
    with client.expect_response(re.compile(rf"/portal/chats/{thread_id}/messages$")) as answer:
        client.get_by_test_id("client-send").click()
    assert answer.value.status == 200
    expect(client.locator("#chat-messages .chat-bubble.mine")).to_have_count(2)

    with staff.expect_response(re.compile(r"/communication$")):
        staff.get_by_test_id("tab-communication").click()
    expect(staff.get_by_test_id(f"unread-{thread_id}")).to_have_text("1")

    # Opening the thread reads it; back on the tab the badge is gone.
    with staff.expect_response(re.compile(rf"/chats/{thread_id}/read$")) as read:
        staff.get_by_test_id(f"chat-{thread_id}").click()
    assert read.value.status == 200
    expect(staff).to_have_url(f"{base}/clients/{account_id}/chats/{thread_id}")
    # The read answer refreshes the tab and sidebar badges out of band, without a reload.
    expect(staff.get_by_test_id("tab-communication-unread")).to_have_count(0)
    expect(staff.get_by_test_id("nav-chat-unread")).to_have_count(0)
    expect(staff.locator("#chat-messages")).to_contain_text(SECOND)
    with staff.expect_response(re.compile(r"/communication$")):
        staff.get_by_test_id("tab-communication").click()
    expect(staff.get_by_test_id(f"chat-{thread_id}")).to_be_visible()
    expect(staff.get_by_test_id(f"unread-{thread_id}")).to_have_count(0)
    assert staff.evaluate("window.__neverReloaded") is True

    staff_context.close()
    client_context.close()


def test_long_thread_loads_earlier_and_polls_only_what_is_new(browser: Browser, server_url, world):
    """A thread longer than a page: staff sees the newest page, *Load earlier* brings the rest
    (no reload), the idle polls answer 204, a client reply still comes in through the poll,
    and the documents to attach are listed when *Attach documents* opens."""
    from dashboard.chats import service
    from dashboard.clock import now
    from dashboard.reminders.service import ReminderSettings

    page_size = service.MESSAGE_PAGE
    thread = service.start_thread(
        world.a.staff, world.a.account, "Long one", "Message 1", ReminderSettings(True, 3, 1)
    )
    start = now()
    db.session.add_all(
        ChatMessage(
            firm_id=thread.firm_id,
            thread_id=thread.id,
            author_id=world.a.staff.id,
            body_html=f"<p>Message {n + 1}</p>",
            created_at=start + timedelta(seconds=n),
        )
        for n in range(1, page_size + 5)
    )
    db.session.commit()
    thread_id, account_id = thread.id, thread.account_id
    client_user, shared = world.a.contact.user, world.a.documents["view"].name
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    staff = context.new_page()
    polls: list[int] = []
    staff.on(
        "response",
        lambda r: polls.append(r.status) if "/messages?after=" in r.url else None,
    )
    _login(staff, server_url, world.a.staff.email)
    expect(staff).to_have_url(f"{server_url}/clients")
    staff.goto(f"{server_url}/clients/{account_id}/chats/{thread_id}")
    bubbles = staff.locator("#chat-messages .chat-bubble")
    expect(bubbles).to_have_count(page_size)
    expect(bubbles.first).to_contain_text("Message 6")
    staff.evaluate("window.__neverReloaded = true")
    with staff.expect_response(re.compile(rf"/chats/{thread_id}/messages\?before=\d+$")) as more:
        staff.get_by_test_id("chat-load-earlier").click()
    assert more.value.status == 200
    expect(bubbles).to_have_count(page_size + 5)
    expect(bubbles.first).to_contain_text("Message 1")
    expect(staff.get_by_test_id("chat-load-earlier")).to_have_count(0)

    staff.get_by_test_id("reply-attach").locator("summary").click()
    expect(staff.locator(".chat-shareable")).to_contain_text(shared)

    staff.wait_for_timeout(5_500)  # one poll with nothing new
    assert polls and set(polls) == {204}, polls
    service.post_client_message(client_user, db.session.get(ChatThread, thread_id), "Fresh reply")
    db.session.commit()
    fresh = bubbles.filter(has_text="Fresh reply")
    expect(fresh).to_be_visible(timeout=POLL_WAIT)
    expect(bubbles).to_have_count(page_size + 6)
    expect(fresh).to_have_class(re.compile("theirs"))
    assert 200 in polls
    assert staff.evaluate("window.__neverReloaded") is True
    context.close()
