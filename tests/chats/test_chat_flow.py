"""Chats on the reminder engine: stop on reply, archive, toggle, count; reopen restarts;
reminders concern only the latest message. Real database, Redis, worker and SMTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from dashboard.chats import service
from dashboard.chats.models import ChatThread
from dashboard.extensions import db
from dashboard.notify.models import InboxEntry, OutboxEmail
from dashboard.reminders.models import Reminder
from dashboard.reminders.service import ReminderSettings, update_settings
from dashboard.reminders.sweep import sweep
from tests.conftest import hx

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Paris


def start(world, text="Please send the March receipts.", count=2, days=2):
    thread = service.start_thread(
        world.a.staff, world.a.account, "Receipts", text, ReminderSettings(True, days, count)
    )
    db.session.commit()
    return thread


def subjects(mailbox, address):
    return [m["Subject"] for m in mailbox.to(address)]


def run_days(frozen_clock, run_worker, start_at, days):
    for day in range(1, days + 1):
        frozen_clock(start_at + timedelta(days=day, hours=1))
        sweep()
    run_worker()


def test_client_reply_stops_reminders(ctx, world, mailbox, run_worker, frozen_clock):
    """One notification, then reminders until the client replies, then none."""
    frozen_clock(MONDAY_10)
    thread = start(world, count=3)
    run_worker()
    address = world.a.contact.user.email
    assert subjects(mailbox, address) == ["New message: Receipts"]
    run_days(frozen_clock, run_worker, MONDAY_10, 2)  # Wednesday: first reminder
    assert subjects(mailbox, address)[-1] == "Reminder: Receipts"
    service.post_client_message(world.a.contact.user, thread, "Here they are")
    db.session.commit()
    run_days(frozen_clock, run_worker, MONDAY_10 + timedelta(days=2), 10)
    assert len(mailbox.to(address)) == 2
    staff = mailbox.to(world.a.staff.email)
    assert len(staff) == 1 and "replied" in staff[0]["Subject"]
    assert (
        db.session.scalar(
            select(func.count(InboxEntry.id)).where(InboxEntry.topic == "chat_replied")
        )
        == 1
    )


def test_reminders_concern_only_the_latest_message(ctx, world, mailbox, run_worker, frozen_clock):
    """A new firm message before the reminder: the old reminder never goes, a new round starts."""
    frozen_clock(MONDAY_10)
    thread = start(world, text="First question", count=1, days=2)
    run_worker()
    frozen_clock(MONDAY_10 + timedelta(days=1))
    service.post_firm_message(world.a.staff, thread, "Second question, more urgent")
    db.session.commit()
    run_worker()
    frozen_clock(MONDAY_10 + timedelta(days=2, hours=1))  # when the first would have gone
    sweep()
    run_worker()
    address = world.a.contact.user.email
    assert subjects(mailbox, address) == ["New message: Receipts", "New message: Receipts"]
    frozen_clock(MONDAY_10 + timedelta(days=3, hours=1))
    sweep()
    run_worker()
    reminder = mailbox.to(address)[-1]
    assert reminder["Subject"] == "Reminder: Receipts"
    assert "Second question" in reminder.get_body(("plain",)).get_content()
    assert "First question" not in reminder.get_body(("plain",)).get_content()


def test_archive_stops_and_reopen_restarts(ctx, world, mailbox, run_worker, frozen_clock):
    """Archiving stops reminders; reopening turns them on as if the message were new."""
    frozen_clock(MONDAY_10)
    thread = start(world, count=1, days=2)
    run_worker()
    service.archive(world.a.staff, thread)
    db.session.commit()
    run_days(frozen_clock, run_worker, MONDAY_10, 5)
    address = world.a.contact.user.email
    assert len(mailbox.to(address)) == 1
    reopened_at = MONDAY_10 + timedelta(days=7)  # the next Monday
    frozen_clock(reopened_at)
    service.reopen(world.a.staff, thread)
    db.session.commit()
    run_worker()
    run_days(frozen_clock, run_worker, reopened_at, 4)
    assert subjects(mailbox, address) == [
        "New message: Receipts",
        "New message: Receipts",
        "Reminder: Receipts",
    ]


def test_toggle_off_and_count(ctx, world, mailbox, run_worker, frozen_clock):
    """Toggled off: nothing more; the count is respected."""
    frozen_clock(MONDAY_10)
    thread = start(world, count=2, days=1)
    run_worker()
    run_days(frozen_clock, run_worker, MONDAY_10, 1)
    update_settings(world.a.staff, thread, ReminderSettings(False, 1, 2))
    db.session.commit()
    run_days(frozen_clock, run_worker, MONDAY_10 + timedelta(days=1), 6)
    assert len(mailbox.to(world.a.contact.user.email)) == 2
    db.session.expire_all()
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == thread.id))
    assert reminder.stopped_reason == "disabled"


def test_staff_and_client_pages(client, make_client, ctx, world):
    """Staff create a conversation through the page; the client reads and replies."""
    client.login(world.a.staff.email)
    account = world.a.account.id
    response = client.post(
        f"/clients/{account}/chats/new",
        data={
            "subject": "Payroll",
            "message": "Hi!\n<script>alert(1)</script> see https://youtu.be/dQw4w9WgXcQ",
            "reminders": "on",
            "interval_days": "3",
            "max_count": "1",
        },
    )
    assert response.status_code == 302
    thread = db.session.scalar(select(ChatThread).where(ChatThread.subject == "Payroll"))
    page = client.get(f"/clients/{account}/chats/{thread.id}").data.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ" in page
    portal = make_client()
    portal.login(world.a.contact.user.email)
    assert "Reply to: Payroll" in portal.get("/portal/").data.decode()
    listing = portal.get("/portal/chats").data.decode()
    assert f'data-testid="portal-chat-{thread.id}"' in listing
    reply = portal.post(
        f"/portal/chats/{thread.id}/messages", data={"message": "Thanks"}, headers=hx()
    )
    assert reply.status_code == 200 and b"Thanks" in reply.data
    assert "Reply to: Payroll" not in portal.get("/portal/").data.decode()
    tab = client.get(f"/clients/{account}/communication").data.decode()
    assert f'data-testid="unread-{thread.id}"' in tab
    client.post(f"/clients/{account}/chats/{thread.id}/read")
    tab = client.get(f"/clients/{account}/communication").data.decode()
    assert f'data-testid="unread-{thread.id}"' not in tab


def test_empty_message_and_no_portal_contact_are_refused(client, ctx, world):
    """Is an empty message refused, and a chat to an account without portal contacts?"""
    client.login(world.a.staff.email)
    empty = client.post(
        f"/clients/{world.a.account.id}/chats/new", data={"subject": "x", "message": "  "}
    )
    assert empty.status_code == 422 and b"Write a message." in empty.data
    from dashboard.accounts.models import Contact

    for contact in db.session.scalars(
        select(Contact).where(Contact.account_id == world.a.account.id)
    ):
        contact.portal_access = False
    db.session.commit()
    page = client.get(f"/clients/{world.a.account.id}/chats/new").data.decode()
    assert "cannot be messaged: no portal access" in page
    refused = client.post(
        f"/clients/{world.a.account.id}/chats/new", data={"subject": "x", "message": "hello"}
    )
    assert (
        refused.status_code == 422
        and b"No contact of this account has portal access" in refused.data
    )


def test_chats_are_closed_to_other_firms_and_accounts(client, make_client, ctx, world):
    """404 for another firm's staff and another account's client; 403 in the read-only view."""
    thread = start(world)
    aid, tid = thread.account_id, thread.id
    client.login(world.b.staff.email)
    for method, url in (
        ("GET", f"/clients/{aid}/chats/{tid}"),
        ("GET", f"/clients/{aid}/chats/{tid}/messages"),
        ("POST", f"/clients/{aid}/chats/{tid}/messages"),
        ("POST", f"/clients/{aid}/chats/{tid}/archive"),
        ("POST", f"/clients/{aid}/chats/{tid}/reopen"),
        ("POST", f"/clients/{aid}/chats/{tid}/read"),
        ("GET", f"/clients/{aid}/communication"),
        ("GET", f"/clients/{aid}/chats/new"),
    ):
        assert client.open(url, method=method, data={"message": "x"}).status_code == 404, url
    other = make_client()
    other.login(world.other_contact.user.email)
    assert other.get(f"/portal/chats/{tid}").status_code == 404
    assert other.post(f"/portal/chats/{tid}/messages", data={"message": "x"}).status_code == 404
    staff = make_client()
    staff.login(world.a.staff.email)
    contact = world.a.contact
    staff.post(f"/clients/{contact.account_id}/contacts/{contact.id}/portal-view")
    assert staff.get(f"/portal/chats/{tid}").status_code == 200
    assert staff.post(f"/portal/chats/{tid}/messages", data={"message": "x"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(ChatThread, tid).status == "pending"
    assert (
        db.session.scalar(
            select(func.count(OutboxEmail.id)).where(OutboxEmail.purpose == "chat_replied")
        )
        == 0
    )


def test_all_tasks_ticked_completes_the_chat(
    client, make_client, ctx, world, mailbox, run_worker, frozen_clock
):
    """With client tasks on the latest message, ticking them all stops the reminders (R4, C9)."""
    from dashboard.chats.models import ChatTask

    frozen_clock(MONDAY_10)
    thread = service.start_thread(
        world.a.staff,
        world.a.account,
        "Year end",
        "Two things:",
        ReminderSettings(True, 1, 3),
        service.parse_tasks("Send bank statements\n\nSign the letter"),
    )
    db.session.commit()
    run_worker()
    tasks = db.session.scalars(select(ChatTask).order_by(ChatTask.position)).all()
    assert [t.label for t in tasks] == ["Send bank statements", "Sign the letter"]
    portal = make_client()
    portal.login(world.a.contact.user.email)
    page = portal.get(f"/portal/chats/{thread.id}").data.decode()
    assert f'data-testid="task-{tasks[0].id}"' in page
    first = portal.post(
        f"/portal/chats/{thread.id}/tasks/{tasks[0].id}", data={"done": "on"}, headers=hx()
    )
    assert first.status_code == 200 and b"1/2" in first.data
    db.session.expire_all()
    assert db.session.get(ChatThread, thread.id).status == "pending"
    portal.post(f"/portal/chats/{thread.id}/tasks/{tasks[1].id}", data={"done": "on"})
    db.session.expire_all()
    assert db.session.get(ChatThread, thread.id).status == "completed"
    run_days(frozen_clock, run_worker, MONDAY_10, 5)
    assert len(mailbox.to(world.a.contact.user.email)) == 1  # no reminder after all ticked
    client.login(world.a.staff.email)
    trail = client.get(f"/clients/{thread.account_id}/audit").data.decode()
    assert "Ticked “Send bank statements” in Year end" in trail


def test_template_fills_the_new_chat(client, ctx, world):
    """R7: a template saved with reminder settings fills subject, message and reminders."""
    client.login(world.a.staff.email)
    bad = client.post(
        "/settings/chat-templates/new",
        data={
            "name": "VAT",
            "subject": "VAT return",
            "body": "",
            "reminders": "on",
            "interval_days": "400",
        },
    )
    assert bad.status_code == 422 and b"is-invalid" in bad.data
    saved = client.post(
        "/settings/chat-templates/new",
        data={
            "name": "VAT",
            "subject": "VAT return",
            "body": "Please send your invoices.",
            "reminders": "on",
            "interval_days": "5",
            "max_count": "2",
            "exit": "1",
        },
    )
    assert saved.status_code == 302 and saved.headers["Location"] == "/settings/chat-templates"
    from dashboard.chats.models import MessageTemplate

    template = db.session.scalar(select(MessageTemplate))
    page = client.get(f"/clients/{world.a.account.id}/chats/new?template={template.id}")
    text = page.data.decode()
    assert 'value="VAT return"' in text and "Please send your invoices." in text
    assert 'id="chat-interval" value="5"' in text and 'id="chat-count" value="2"' in text
    other = client.get(f"/settings/chat-templates/{template.id}")
    assert other.status_code == 200
    client.post("/logout")
    client.login(world.b.staff.email)
    assert client.get(f"/settings/chat-templates/{template.id}").status_code == 404


def test_new_chat_from_the_new_menu(client, ctx, world):
    """+ New → Chat asks for the client, then opens that client's new-chat form."""
    client.login(world.a.staff.email)
    page = client.get("/chats/new").data.decode()
    assert "Alpha Client" in page and "Beta Client" not in page
    chosen = client.get(f"/chats/new?account={world.a.account.id}")
    assert chosen.headers["Location"] == f"/clients/{world.a.account.id}/chats/new"
    assert client.get(f"/chats/new?account={world.b.account.id}").status_code == 404


def test_mentions_notify_team_members(ctx, world, mailbox, run_worker):
    """@Full Name notifies that colleague; a client cannot reach staff who are not on the thread."""
    from tests.factories import make_user

    colleague = make_user(world.a.firm, "employee", name="Nora Numbers")
    outsider = make_user(world.a.firm, "employee", name="Oscar Outside")
    db.session.commit()
    thread = service.start_thread(
        world.a.staff,
        world.a.account,
        "Audit",
        "@Nora Numbers can you check this?",
        ReminderSettings(False, 3, 1),
    )
    db.session.commit()
    service.post_client_message(
        world.a.contact.user, thread, "@Oscar Outside and @Nora Numbers, thanks"
    )
    db.session.commit()
    service.post_client_message(world.a.contact.user, thread, f"@{world.a.staff.name} ok?")
    db.session.commit()
    run_worker()
    mentions = db.session.scalars(
        select(InboxEntry.user_id).where(InboxEntry.topic == "chat_mention")
    ).all()
    # The client reaches the sender (on the thread), not Nora or Oscar (not on it).
    assert sorted(mentions) == sorted([colleague.id, world.a.staff.id])
    assert outsider.id not in mentions
    assert any("mentioned you" in m["Subject"] for m in mailbox.to(colleague.email))
    assert not any("mentioned you" in m["Subject"] for m in mailbox.to(outsider.email))


def test_attachments_from_folders_and_from_the_computer(client, make_client, ctx, world):
    """C7: shared documents and new files are attached; Private files never; uploads land in a
    Client can view folder; a client downloads them, another account's client cannot."""
    import io

    from dashboard.chats.models import ChatAttachment
    from dashboard.documents.models import Document

    client.login(world.a.staff.email)
    account = world.a.account.id
    private = world.a.documents["private"].id
    refused = client.post(
        f"/clients/{account}/chats/new",
        data={"subject": "Files", "message": "See attached", "documents": [str(private)]},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422 and b"cannot be shared in a chat" in refused.data
    shared = world.a.documents["view"].id
    created = client.post(
        f"/clients/{account}/chats/new",
        data={
            "subject": "Files",
            "message": "See attached",
            "documents": [str(shared)],
            "files": [(io.BytesIO(b"%PDF new"), "letter.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert created.status_code == 302
    thread = db.session.scalar(select(ChatThread).where(ChatThread.subject == "Files"))
    names = db.session.scalars(
        select(Document.name).join(ChatAttachment, ChatAttachment.document_id == Document.id)
    ).all()
    assert sorted(names) == ["letter.pdf", "view.pdf"]
    letter = db.session.scalar(select(Document).where(Document.name == "letter.pdf"))
    assert letter.folder_id == world.a.folders["view"].id
    portal = make_client()
    portal.login(world.a.contact.user.email)
    page = portal.get(f"/portal/chats/{thread.id}").data.decode()
    assert f'data-testid="attachment-{letter.id}"' in page
    assert portal.get(f"/portal/documents/{letter.id}/download").data == b"%PDF new"
    evil = portal.post(
        f"/portal/chats/{thread.id}/messages",
        data={"message": "mine", "files": [(io.BytesIO(b"MZ"), "run.exe")]},
        content_type="multipart/form-data",
        headers=hx(),
    )
    assert evil.status_code == 422 and b"not accepted" in evil.data
    other = make_client()
    other.login(world.other_contact.user.email)
    assert other.get(f"/portal/documents/{letter.id}/download").status_code == 404


def test_client_starts_a_conversation_unless_the_firm_disallows(client, make_client, ctx, world):
    """C3: a client can start a thread (no reminders, the firm is told); the firm can turn
    that off."""
    portal = make_client()
    portal.login(world.a.contact.user.email)
    assert b'data-testid="portal-new-chat"' in portal.get("/portal/chats").data
    created = portal.post(
        "/portal/chats/new",
        data={"account": str(world.a.account.id), "subject": "Question", "message": "Is it OK?"},
    )
    assert created.status_code == 302
    thread = db.session.scalar(select(ChatThread).where(ChatThread.subject == "Question"))
    assert thread.status == "completed" and thread.outcome == "awaiting_firm"
    assert "Reply to: Question" not in portal.get("/portal/").data.decode()
    assert (
        db.session.scalar(
            select(func.count(InboxEntry.id)).where(InboxEntry.topic == "chat_created")
        )
        == 1
    )
    client.login(world.a.staff.email)
    clients_page = client.get("/clients").data.decode()
    assert f'data-testid="account-unread-{world.a.account.id}"' in clients_page
    assert 'data-testid="nav-chat-unread"' in clients_page
    assert (
        client.post(
            f"/clients/{world.a.account.id}/chats/{thread.id}/messages",
            data={"message": "Yes, all good."},
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(ChatThread, thread.id).status == "pending"  # now waits for the client
    assert client.post("/settings/chats", data={}).status_code == 302
    refused = portal.post(
        "/portal/chats/new",
        data={"account": str(world.a.account.id), "subject": "Again", "message": "Hello?"},
    )
    assert refused.status_code == 422
    assert b"does not accept new conversations" in refused.data
    other_account = portal.post(
        "/portal/chats/new",
        data={"account": str(world.other_account.id), "subject": "x", "message": "y"},
    )
    assert other_account.status_code == 404


def test_firm_is_told_when_a_client_uploads(make_client, ctx, world):
    """C4: a client upload gives staff an Inbox+ entry and an email."""
    import io

    portal = make_client()
    portal.login(world.a.contact.user.email)
    folder = world.a.folders["edit"]
    response = portal.post(
        f"/portal/folders/{folder.id}/documents",
        data={"files": [(io.BytesIO(b"%PDF x"), "scan.pdf")]},
        content_type="multipart/form-data",
        headers=hx(),
    )
    assert response.status_code == 200
    entry = db.session.scalar(select(InboxEntry).where(InboxEntry.topic == "client_uploaded"))
    assert entry.user_id == world.a.staff.id and entry.details["count"] == 1
    assert (
        db.session.scalar(
            select(func.count(OutboxEmail.id)).where(OutboxEmail.purpose == "client_uploaded")
        )
        == 1
    )


def test_timeline_files_each_email_under_its_round(client, ctx, world, frozen_clock):
    """The item's timeline shows each message's notification and reminder under its own
    entry, and explains cancelled emails in words."""
    frozen_clock(MONDAY_10)
    thread = start(world, count=1, days=1)
    frozen_clock(MONDAY_10 + timedelta(days=1, hours=1))
    sweep()  # a reminder email written but not delivered yet
    service.post_firm_message(world.a.staff, thread, "Another question")
    db.session.commit()
    client.login(world.a.staff.email)
    page = client.get(f"/clients/{thread.account_id}/chats/{thread.id}").data.decode()
    assert page.count(world.a.contact.user.email) >= 3
    poll = client.get(f"/clients/{thread.account_id}/chats/{thread.id}/messages").data
    assert b"Another question" in poll and b"item-reminders" not in poll
    assert "a newer message replaced it" in page
    assert "chat." not in page.split('id="item-reminders')[1]


def test_formatted_messages_are_sanitised(client, make_client, ctx, world):
    """Bold, italic, lists and links from the editor are kept; anything executable is not."""
    client.login(world.a.staff.email)
    html = (
        "<p><b>Bold</b> <i>italic</i> 🎉</p><ul><li>one</li></ul><ol><li>two</li></ol>"
        '<a href="https://example.test/doc">doc</a><script>alert(1)</script>'
        '<img src=x onerror=alert(1)><a href="javascript:alert(1)">bad</a>'
    )
    response = client.post(
        f"/clients/{world.a.account.id}/chats/new",
        data={"subject": "Formatted", "message": "fallback text", "message_html": html},
    )
    assert response.status_code == 302
    from dashboard.chats.models import ChatMessage

    stored = db.session.scalar(select(ChatMessage.body_html))
    for kept in (
        "<b>Bold</b>",
        "<i>italic</i>",
        "🎉",
        "<ul><li>one</li></ul>",
        "<ol><li>two</li></ol>",
        'href="https://example.test/doc"',
        'rel="noopener noreferrer"',
    ):
        assert kept in stored
    for gone in ("<script", "onerror", "javascript:", "<img", "fallback text"):
        assert gone not in stored
    empty = client.post(
        f"/clients/{world.a.account.id}/chats/new",
        data={"subject": "Empty", "message": "", "message_html": "<p><br></p>"},
    )
    assert empty.status_code == 422
    portal = make_client()
    portal.login(world.a.contact.user.email)
    thread = db.session.scalar(select(ChatThread).where(ChatThread.subject == "Formatted"))
    reply = portal.post(
        f"/portal/chats/{thread.id}/messages",
        data={"message": "x", "message_html": "<p><strong>Done</strong></p>"},
    )
    assert reply.status_code == 302
    assert (
        db.session.scalar(
            select(func.count(ChatMessage.id)).where(
                ChatMessage.body_html == "<p><strong>Done</strong></p>"
            )
        )
        == 1
    )


def test_the_poll_marks_read_only_when_something_is_unread(client, make_client, ctx, world):
    """Does the polled message list ask to mark the thread read only when the client wrote
    something unseen (not on every poll)?"""
    thread = start(world)
    client.login(world.a.staff.email)
    url = f"/clients/{thread.account_id}/chats/{thread.id}/messages"
    assert b"/read" not in client.get(url).data
    service.post_client_message(world.a.contact.user, thread, "New answer")
    db.session.commit()
    assert f"/chats/{thread.id}/read".encode() in client.get(url).data
    client.post(f"/clients/{thread.account_id}/chats/{thread.id}/read")
    assert b"/read" not in client.get(url).data
