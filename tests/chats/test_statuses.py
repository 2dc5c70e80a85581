"""What staff read about a thread: no "the client acted" after an archive, no "Replied" for a
conversation the client started."""

from __future__ import annotations

from sqlalchemy import select

from dashboard.chats import service
from dashboard.chats.models import ChatMessage, ChatThread
from dashboard.extensions import db
from dashboard.reminders.service import ReminderSettings


def test_archived_thread_does_not_say_the_client_acted(client, ctx, world):
    thread = service.start_thread(
        world.a.staff, world.a.account, "Receipts", "Please.", ReminderSettings(True, 2, 2)
    )
    db.session.commit()
    client.login(world.a.staff.email)
    url = f"/clients/{world.a.account.id}/chats/{thread.id}"
    assert client.post(f"{url}/archive").status_code == 302
    page = client.get(url).data.decode()
    assert "the client acted" not in page
    assert "No further reminder: the conversation was archived." in page
    tab = client.get(f"/clients/{world.a.account.id}/communication").data.decode()
    assert "Archived" in tab and "Replied" not in tab


def test_client_started_chat_is_not_shown_as_replied(client, make_client, ctx, world):
    portal = make_client()
    portal.login(world.a.contact.user.email)
    portal.post(
        "/portal/chats/new",
        data={"account": str(world.a.account.id), "subject": "Question", "message": "Is it OK?"},
    )
    thread = db.session.scalar(select(ChatThread).where(ChatThread.subject == "Question"))
    client.login(world.a.staff.email)
    tab = client.get(f"/clients/{world.a.account.id}/communication").data.decode()
    assert f'data-testid="chat-status-{thread.id}">New from the client<' in tab
    assert "Replied" not in tab
    page = client.get(f"/clients/{world.a.account.id}/chats/{thread.id}").data.decode()
    assert "the client acted" not in page


def test_a_real_reply_is_shown_as_replied(client, ctx, world):
    thread = service.start_thread(
        world.a.staff, world.a.account, "Receipts", "Please.", ReminderSettings(True, 2, 2)
    )
    service.post_client_message(world.a.contact.user, thread, "Here")
    db.session.commit()
    client.login(world.a.staff.email)
    tab = client.get(f"/clients/{world.a.account.id}/communication").data.decode()
    assert f'data-testid="chat-status-{thread.id}">Replied<' in tab


def test_new_chat_offers_the_client_visible_documents(client, ctx, world):
    """C7 on New chat: the account's documents with client access, never Private ones."""
    client.login(world.a.staff.email)
    url = f"/clients/{world.a.account.id}/chats/new"
    page = client.get(url).data.decode()
    shared, uploads = world.a.documents["view"].id, world.a.documents["edit"].id
    assert f'data-testid="chat-doc-{shared}"' in page
    assert f'data-testid="chat-doc-{uploads}"' in page
    assert f'data-testid="chat-doc-{world.a.documents["private"].id}"' not in page
    assert f'data-testid="chat-doc-{world.other_document.id}"' not in page
    refused = client.post(url, data={"subject": "x", "message": " ", "documents": [str(shared)]})
    assert refused.status_code == 422
    assert f'data-testid="chat-doc-{shared}" checked' in refused.data.decode()
    created = client.post(
        url, data={"subject": "Docs", "message": "Here", "documents": [str(shared)]}
    )
    assert created.status_code == 302
    thread = db.session.scalar(select(ChatThread).where(ChatThread.subject == "Docs"))
    message_id = db.session.scalar(select(ChatMessage.id).where(ChatMessage.thread_id == thread.id))
    attached = service.attachments_by_message([message_id])[message_id]
    assert [d.id for d in attached] == [shared]
