"""Long threads stay cheap: the page shows the newest messages with *Load earlier*, the 5-second
poll answers 204 when nothing changed and only what is new otherwise, the timeline is paged,
and unread counts visit only unread messages (issue 12 §2)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select

from dashboard.chats import service
from dashboard.chats.models import ChatMessage, ChatRead, ChatTask, ChatThread
from dashboard.clock import now
from dashboard.extensions import db
from dashboard.reminders.service import ReminderSettings
from tests.conftest import hx
from tests.querycount import count_queries

PAGE = service.MESSAGE_PAGE
POLLER = re.compile(r'id="chat-poll"[^>]*hx-get="([^"]+)"')
EARLIER = re.compile(r'hx-get="([^"]+)"[^>]*data-testid="chat-load-earlier"')
SHOWN = re.compile(r'id="message-(\d+)"')


def long_thread(world, messages: int, subject: str = "Long") -> ChatThread:
    """A thread started by staff, then `messages` in all, every third from the client."""
    thread = service.start_thread(
        world.a.staff, world.a.account, subject, "Message 1", ReminderSettings(True, 3, 1)
    )
    start = now()
    db.session.add_all(
        ChatMessage(
            firm_id=thread.firm_id,
            thread_id=thread.id,
            author_id=(world.a.contact.user if n % 3 == 1 else world.a.staff).id,
            from_client=n % 3 == 1,
            body_html=f"<p>Message {n + 1}</p>",
            created_at=start + timedelta(seconds=n),
        )
        for n in range(1, messages)
    )
    db.session.commit()
    return thread


def ids(thread: ChatThread) -> list[int]:
    return list(
        db.session.scalars(
            select(ChatMessage.id)
            .where(ChatMessage.thread_id == thread.id)
            .order_by(ChatMessage.id)
        )
    )


def poller(body: str) -> str:
    match = POLLER.search(body)
    assert match, "the page has no poller"
    return html.unescape(match.group(1))


def earlier_url(body: str) -> str | None:
    match = EARLIER.search(body)
    return html.unescape(match.group(1)) if match else None


def shown(body: str) -> list[int]:
    return [int(n) for n in SHOWN.findall(body)]


def staff_url(thread: ChatThread) -> str:
    return f"/clients/{thread.account_id}/chats/{thread.id}"


def test_the_page_shows_the_newest_messages_and_load_earlier_the_previous_ones(client, world):
    """75 messages: the page shows the newest 30; Load earlier gives 30 more, then the last 15
    without a button; together every message once, in order."""
    thread = long_thread(world, 75)
    all_ids = ids(thread)
    client.login(world.a.staff.email)
    page = client.get(staff_url(thread)).data.decode()
    seen = shown(page)
    assert seen == all_ids[-PAGE:]
    url = earlier_url(page)
    pages = [seen]
    while url is not None:
        response = client.get(url, headers=hx())
        assert response.status_code == 200
        body = response.data.decode()
        assert 'id="chat-poll"' not in body  # one poller: the page's
        pages.insert(0, shown(body))
        url = earlier_url(body)
    assert [len(p) for p in pages] == [15, PAGE, PAGE]
    assert [n for p in pages for n in p] == all_ids


def test_portal_load_earlier(make_client, world):
    thread = long_thread(world, PAGE + 5)
    portal = make_client()
    portal.login(world.a.contact.user.email)
    page = portal.get(f"/portal/chats/{thread.id}").data.decode()
    assert shown(page) == ids(thread)[-PAGE:]
    older = portal.get(earlier_url(page), headers=hx()).data.decode()
    assert shown(older) == ids(thread)[:5] and earlier_url(older) is None


def test_thread_pages_do_not_grow_with_the_thread(app, client, make_client, world):
    """Same statements and the same number of rendered messages for 40 and 400 messages."""
    short, long = long_thread(world, 40, "Short"), long_thread(world, 400, "Long")
    client.login(world.a.staff.email)
    portal = make_client()
    portal.login(world.a.contact.user.email)
    for who, url in (
        (client, staff_url),
        (portal, lambda t: f"/portal/chats/{t.id}"),
        (client, lambda t: f"{staff_url(t)}/messages"),
    ):
        counts, rendered = [], []
        for thread in (short, long):
            who.get(url(thread))  # warm: the session, the templates
            with count_queries(app) as statements:
                body = who.get(url(thread)).data.decode()
            counts.append(len(statements))
            rendered.append(len(shown(body)))
        assert counts[0] == counts[1], url(long)
        assert rendered == [PAGE, PAGE]


def test_a_poll_with_nothing_new_is_an_empty_204_in_three_statements(
    app, client, make_client, world
):
    """Nothing new: 204 with no body, three statements (the login, the thread, the state),
    for a short and a long thread, staff and client alike."""
    short, long = long_thread(world, 5, "Short"), long_thread(world, 300, "Long")
    client.login(world.a.staff.email)
    portal = make_client()
    portal.login(world.a.contact.user.email)
    for who, page in ((client, staff_url), (portal, lambda t: f"/portal/chats/{t.id}")):
        for thread in (short, long):
            url = poller(who.get(page(thread)).data.decode())
            with count_queries(app) as statements:
                response = who.get(url, headers=hx())
            assert response.status_code == 204 and response.data == b""
            assert len(statements) == 3, statements


def test_a_poll_after_a_new_message_returns_just_that_message(client, make_client, world):
    """The client replies: the staff poll returns that message alone, a poller after it and
    the read call; the next poll is 204 again. The client's poll gets the firm's answer."""
    thread = long_thread(world, 50)
    client.login(world.a.staff.email)
    portal = make_client()
    portal.login(world.a.contact.user.email)
    url = poller(client.get(staff_url(thread)).data.decode())
    portal_url = poller(portal.get(f"/portal/chats/{thread.id}").data.decode())
    reply = service.post_client_message(world.a.contact.user, thread, "Here they are")
    db.session.commit()
    answer = client.get(url, headers=hx())
    assert answer.status_code == 200
    body = answer.data.decode()
    assert shown(body) == [reply.id] and "Here they are" in body
    assert f"{staff_url(thread)}/read" in body
    assert f"after={reply.id}" in poller(body)
    assert client.get(poller(body), headers=hx()).status_code == 204
    # The client's own reply is new for the client's page too; then the firm answers.
    mine = portal.get(portal_url, headers=hx()).data.decode()
    assert shown(mine) == [reply.id] and "/read" not in mine
    answer_ = service.post_firm_message(world.a.staff, thread, "Thanks!")
    db.session.commit()
    theirs = portal.get(poller(mine), headers=hx()).data.decode()
    assert shown(theirs) == [answer_.id]
    assert f"/portal/chats/{thread.id}/read" in theirs


def test_a_poll_refreshes_the_tasks_the_client_ticked(client, world):
    """A tick changes no message: the staff poll sends the ticked tasks out of band (no
    message), then 204 again."""
    thread = service.start_thread(
        world.a.staff,
        world.a.account,
        "Tasks",
        "Two things",
        ReminderSettings(True, 3, 1),
        ["Receipts", "Letter"],
    )
    db.session.commit()
    message_id = ids(thread)[0]
    client.login(world.a.staff.email)
    url = poller(client.get(staff_url(thread)).data.decode())
    assert client.get(url, headers=hx()).status_code == 204
    task = db.session.scalar(select(ChatTask).where(ChatTask.thread_id == thread.id))
    service.tick_task(world.a.contact.user, thread, task, True)
    db.session.commit()
    answer = client.get(url, headers=hx())
    body = answer.data.decode()
    assert answer.status_code == 200 and shown(body) == []
    assert f'id="chat-tasks-{message_id}" hx-swap-oob="true"' in body
    assert f'data-testid="tasks-progress-{message_id}">1/2<' in body
    assert client.get(poller(body), headers=hx()).status_code == 204


def test_polling_in_the_read_only_view_marks_nothing_read(client, world):
    """Staff viewing the contact's portal: the page and its polls never ask to mark read."""
    thread = long_thread(world, 40)
    contact = world.a.contact
    client.login(world.a.staff.email)
    response = client.post(f"/clients/{contact.account_id}/contacts/{contact.id}/portal-view")
    assert response.status_code == 302
    page = client.get(f"/portal/chats/{thread.id}").data.decode()
    assert "/read" not in page
    url = poller(page)
    service.post_firm_message(world.a.staff, thread, "Unread by the client")
    db.session.commit()
    body = client.get(url, headers=hx()).data.decode()
    assert "Unread by the client" in body and "/read" not in body
    read = db.session.scalar(
        select(ChatRead).where(ChatRead.thread_id == thread.id, ChatRead.user_id == contact.user_id)
    )
    assert read is None


def test_polls_and_load_earlier_of_others_threads_are_404(client, make_client, world):
    thread = long_thread(world, PAGE + 2)
    other = make_client()
    other.login(world.b.staff.email)
    base = f"{staff_url(thread)}/messages"
    for query in ("?after=1&v=x", f"?before={ids(thread)[-1]}", ""):
        assert other.get(base + query).status_code == 404
    client.login(world.a.staff.email)
    for query in ("?after=9223372036854775808", "?before=-1", "?after=abc"):
        assert client.get(base + query).status_code == 404
    stranger = make_client()
    stranger.login(world.other_contact.user.email)
    assert stranger.get(f"/portal/chats/{thread.id}/messages?after=1").status_code == 404


@contextmanager
def plans(app) -> Iterator[list[str]]:
    """The SQLite query plan of each statement run meanwhile, as one line each."""
    captured: list[tuple[str, Any]] = []
    engine = db.engine

    def before(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    found: list[str] = []
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", before)
    # PostgreSQL's planner picks a sequential scan on a few test rows: the plans are only read
    # (and asserted) on SQLite; the statement count and the results are asserted everywhere.
    sqlite = engine.dialect.name == "sqlite"
    cursor = db.session.connection().connection.driver_connection if sqlite else None
    for statement, parameters in captured:
        if cursor is None:
            found.append("")
            continue
        rows = cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
        found.append(" | ".join(row[3] for row in rows))


def test_unread_counts_are_right_per_thread_in_one_indexed_statement(app, world):
    """Threads read up to different points (one never opened): the per-thread, per-account
    and sidebar counts match a count over every message, each in one statement that reaches
    the unread messages through ix_chat_message_thread_side, never scanning chat_message."""
    staff = world.a.staff
    threads = [long_thread(world, 12 + n, f"T{n}") for n in range(4)]
    for n, thread in enumerate(threads):
        row = db.session.scalar(
            select(ChatRead).where(ChatRead.thread_id == thread.id, ChatRead.user_id == staff.id)
        )
        if n == 3:
            db.session.delete(row)
        else:
            row.last_read_message_id = ids(thread)[n * 3]
    db.session.commit()
    read = {
        r.thread_id: r.last_read_message_id
        for r in db.session.scalars(select(ChatRead).where(ChatRead.user_id == staff.id))
    }
    expected = {}
    for message in db.session.scalars(select(ChatMessage)):
        if message.from_client and message.id > read.get(message.thread_id, 0):
            expected[message.thread_id] = expected.get(message.thread_id, 0) + 1
    assert len(set(expected.values())) >= 3  # the threads differ: a mix-up would show
    staff_id, firm_id, account_id = staff.id, world.a.firm.id, world.a.account.id
    thread_ids = [t.id for t in threads]
    with plans(app) as found:
        assert service.unread_counts(staff_id, thread_ids, True) == expected
        total = service.unread_for_staff(staff_id, firm_id)
        per_account = service.unread_for_staff(staff_id, firm_id, [account_id])
    assert total == sum(expected.values())
    assert per_account == {account_id: total}
    assert len(found) == 3
    for plan in found if db.engine.dialect.name == "sqlite" else []:
        assert "ix_chat_message_thread_side" in plan and "SCAN chat_message" not in plan, plan
    assert service.unread_for_staff(world.b.staff.id, world.b.firm.id) == 0


def test_the_sidebar_count_is_one_statement_whatever_the_volume(app, world):
    staff_id, firm_id = world.a.staff.id, world.a.firm.id
    long_thread(world, 20)
    with count_queries(app) as before:
        service.unread_for_staff(staff_id, firm_id)
    long_thread(world, 300, "More")
    with count_queries(app) as after:
        count = service.unread_for_staff(staff_id, firm_id)
    assert before == after and len(after) == 1
    assert count == 7 + 100  # every client message (n % 3 == 1) after the first message


def test_the_timeline_of_a_long_thread_is_paged(client, world):
    """25 firm messages: the timeline shows its newest 20 events and Load earlier the rest;
    every notification email is shown once, under its own round."""
    thread = service.start_thread(
        world.a.staff, world.a.account, "Rounds", "Round 1", ReminderSettings(True, 3, 1)
    )
    for n in range(2, 26):
        service.post_firm_message(world.a.staff, thread, f"Round {n}")
    db.session.commit()
    client.login(world.a.staff.email)
    page = client.get(staff_url(thread)).data.decode()
    timeline = page.split('id="item-reminders')[1]
    match = re.search(r'hx-get="([^"]+)"[^>]*data-testid="timeline-load-earlier-\d+"', timeline)
    assert match, "no Load earlier in the timeline"
    older = client.get(html.unescape(match.group(1)), headers=hx()).data.decode()
    assert "timeline-load-earlier" not in older
    entries = timeline.count('class="timeline-entry ') + older.count('class="timeline-entry ')
    planned = timeline.count('class="timeline-entry planned')
    assert timeline.count('class="timeline-entry ') - planned == 20
    assert entries - planned == 25
    address = world.a.contact.user.email
    assert timeline.count(address) + older.count(address) == 25
    assert older.count(address) == 5


def test_documents_to_attach_come_when_attach_documents_opens(client, make_client, world):
    """The thread page does not list the account's documents (they grow with it); the
    reply's *Attach documents* asks for them: the client-visible ones, never Private."""
    thread = long_thread(world, 3)
    client.login(world.a.staff.email)
    page = client.get(staff_url(thread)).data.decode()
    assert 'id="reply-doc-' not in page
    url = f"{staff_url(thread)}/shareable"
    assert f'hx-get="{url}"' in page
    listing = client.get(url, headers=hx()).data.decode()
    for access, listed in (("view", True), ("edit", True), ("private", False)):
        document = world.a.documents[access]
        assert (f'id="reply-doc-{document.id}"' in listing) is listed, access
    other = make_client()
    other.login(world.b.staff.email)
    assert other.get(url).status_code == 404
