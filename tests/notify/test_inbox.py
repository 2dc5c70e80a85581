"""Inbox+ (F3, C4): opening an entry reads it, Mark all as read, chat events for the firm."""

from __future__ import annotations

import io

from sqlalchemy import select

from dashboard.chats import service
from dashboard.chats.models import ChatTask
from dashboard.extensions import db
from dashboard.notify.inbox import add_entry
from dashboard.notify.models import InboxEntry, OutboxEmail
from dashboard.reminders.service import ReminderSettings
from tests.conftest import hx
from tests.factories import make_user


def _thread(world, tasks=""):
    thread = service.start_thread(
        world.a.staff,
        world.a.account,
        "Year end",
        "Two things:",
        ReminderSettings(True, 2, 1),
        service.parse_tasks(tasks),
    )
    db.session.commit()
    return thread


def _entries(user_id):
    db.session.expire_all()
    return db.session.scalars(select(InboxEntry).where(InboxEntry.user_id == user_id)).all()


def test_opening_an_entry_marks_it_read(client, ctx, world):
    thread = _thread(world)
    entry = add_entry(
        world.a.staff.id,
        world.a.firm.id,
        "chat_replied",
        account_id=world.a.account.id,
        item_id=thread.id,
        client="Claire",
        subject="Year end",
    )
    db.session.commit()
    client.login(world.a.staff.email)
    page = client.get("/inbox").data.decode()
    assert f'href="/inbox/{entry.id}/open"' in page and 'data-testid="inbox-unread"' in page
    opened = client.get(f"/inbox/{entry.id}/open")
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(
        f"/clients/{world.a.account.id}/items/{thread.id}/open"
    )
    assert _entries(world.a.staff.id)[0].read_at is not None
    assert 'data-testid="inbox-unread"' not in client.get("/inbox").data.decode()


def test_nobody_opens_someone_elses_entry(client, ctx, world):
    colleague = make_user(world.a.firm, "employee")
    entry = add_entry(colleague.id, world.a.firm.id, "chat_replied", client="C", subject="S")
    other_firm = add_entry(
        world.b.staff.id, world.b.firm.id, "chat_replied", client="C", subject="S"
    )
    db.session.commit()
    client.login(world.a.staff.email)
    assert client.get(f"/inbox/{entry.id}/open").status_code == 404
    assert client.get(f"/inbox/{other_firm.id}/open").status_code == 404
    assert all(e.read_at is None for e in _entries(colleague.id))


def test_mark_all_as_read_with_htmx_and_csrf(client, ctx, world):
    for n in range(3):
        add_entry(world.a.staff.id, world.a.firm.id, "chat_replied", client="C", subject=str(n))
    colleague = make_user(world.a.firm, "employee")
    add_entry(colleague.id, world.a.firm.id, "chat_replied", client="C", subject="x")
    db.session.commit()
    client.login(world.a.staff.email)
    page = client.get("/inbox").data.decode()
    assert 'data-testid="mark-all-read"' in page and 'hx-post="/inbox/read"' in page
    refused = client.post("/inbox/read", headers=hx(), without_csrf=True)
    assert refused.status_code == 400
    assert all(e.read_at is None for e in _entries(world.a.staff.id))
    answer = client.post("/inbox/read", headers=hx())
    assert answer.status_code == 200
    body = answer.data.decode()
    assert 'id="inbox-list"' in body
    assert 'id="inbox-unread-badge" hx-swap-oob="true"' in body
    assert 'data-testid="inbox-unread"' not in body
    assert all(e.read_at is not None for e in _entries(world.a.staff.id))
    assert all(e.read_at is None for e in _entries(colleague.id))  # only one's own


def test_client_ticking_a_task_tells_the_firm(make_client, ctx, world):
    thread = _thread(world, "Send bank statements\nSign the letter")
    task = db.session.scalars(select(ChatTask).order_by(ChatTask.position)).first()
    portal = make_client()
    portal.login(world.a.contact.user.email)
    ticked = portal.post(
        f"/portal/chats/{thread.id}/tasks/{task.id}", data={"done": "on"}, headers=hx()
    )
    assert ticked.status_code == 200
    (entry,) = _entries(world.a.staff.id)
    assert entry.topic == "chat_task" and entry.item_id == thread.id and entry.read_at is None
    assert db.session.scalar(
        select(OutboxEmail).where(
            OutboxEmail.purpose == "chat_task", OutboxEmail.to_email == world.a.staff.email
        )
    )


def test_client_attachment_in_a_chat_tells_the_firm(client, make_client, ctx, world):
    thread = _thread(world)
    portal = make_client()
    portal.login(world.a.contact.user.email)
    sent = portal.post(
        f"/portal/chats/{thread.id}/messages",
        data={
            "message": "Here they are",
            "files": [
                (io.BytesIO(b"%PDF one"), "march.pdf"),
                (io.BytesIO(b"%PDF two"), "april.pdf"),
            ],
        },
        content_type="multipart/form-data",
        headers=hx(),
    )
    assert sent.status_code == 200
    (entry,) = _entries(world.a.staff.id)
    assert entry.topic == "chat_attachment" and entry.details["count"] == 2
    assert db.session.scalar(
        select(OutboxEmail).where(
            OutboxEmail.purpose == "chat_attachment", OutboxEmail.to_email == world.a.staff.email
        )
    )
    client.login(world.a.staff.email)
    name = world.a.contact.user.name
    assert f"{name} attached 2 files in “Year end”" in client.get("/inbox").data.decode()
    entry.details = {**entry.details, "count": 1}
    db.session.commit()
    assert f"{name} attached 1 file in “Year end”" in client.get("/inbox").data.decode()
