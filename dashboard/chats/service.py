"""Chat rules: start a thread, post as the firm or as the client, archive and reopen.

A thread is an action item: pending while the firm's latest message waits for the client.
Every firm message sends the thread again (a new reminder round about that message); a client
reply, or archiving, completes it. The engine does the emails, reminders and audit trail.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from dashboard.accounts.models import Account
from dashboard.audit.service import record_event
from dashboard.auth.models import Firm, User
from dashboard.chats.models import ChatMessage, ChatRead, ChatThread
from dashboard.chats.richtext import plain_to_html, sanitize
from dashboard.clock import now
from dashboard.extensions import db
from dashboard.notify.inbox import add_entry, staff_wanting
from dashboard.notify.outbox import queue_email
from dashboard.reminders.models import Reminder
from dashboard.reminders.service import ReminderSettings, complete_item, send_item

MAX_MESSAGE = 20_000


class ChatError(ValueError):
    """The message is shown to the user."""


def _body(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ChatError(str(_l("Write a message.")))
    if len(text) > MAX_MESSAGE:
        raise ChatError(str(_l("The message is too long.")))
    return linkify(plain_to_html(text))


_URL = re.compile(r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


def linkify(html: str) -> str:
    """Turn the web addresses of escaped message text into links (nh3 adds rel/target)."""
    return sanitize(_URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', html))


def _add_message(thread: ChatThread, author: User, body_html: str, from_client: bool):
    moment = now()
    message = ChatMessage(
        firm_id=thread.firm_id,
        thread_id=thread.id,
        author_id=author.id,
        from_client=from_client,
        body_html=body_html,
        created_at=moment,
    )
    db.session.add(message)
    thread.last_message_at = moment
    db.session.flush()
    mark_read(author, thread, message.id)
    return message


def start_thread(
    actor: User, account: Account, subject: str, text: str, settings: ReminderSettings
) -> ChatThread:
    """Create conversation (C1): the first message is sent like any action item."""
    subject = (subject or "").strip()[:200]
    if not subject:
        raise ChatError(str(_l("Write a subject.")))
    body = _body(text)
    thread = ChatThread(firm_id=account.firm_id, account_id=account.id, subject=subject)
    db.session.add(thread)
    db.session.flush()
    _add_message(thread, actor, body, from_client=False)
    send_item(actor, thread, settings)
    return thread


def post_firm_message(
    actor: User, thread: ChatThread, text: str, settings: ReminderSettings | None = None
) -> ChatMessage:
    """A firm message: the thread is sent again, reminders now concern this message (R5)."""
    if thread.archived_at is not None:
        raise ChatError(str(_l("Reopen the conversation to write in it.")))
    message = _add_message(thread, actor, _body(text), from_client=False)
    send_item(actor, thread, settings or current_settings(thread))
    return message


def post_client_message(client: User, thread: ChatThread, text: str) -> ChatMessage:
    """The client replies: reminders stop, and the firm is told (C4)."""
    if thread.archived_at is not None:
        raise ChatError(str(_l("This conversation is archived.")))
    message = _add_message(thread, client, _body(text), from_client=True)
    thread.bumped_at = message.created_at
    complete_item(thread, "replied", client)
    record_event(
        firm_id=thread.firm_id,
        account_id=thread.account_id,
        actor=client,
        subject_type="chat",
        subject_id=thread.id,
        action="chat.replied",
        title=thread.subject,
    )
    _tell_firm(thread, client)
    return message


def _tell_firm(thread: ChatThread, client: User) -> None:
    """One Inbox+ entry per thread and staff member, moved to the top; and an email."""
    from dashboard.notify.models import InboxEntry

    details = {"client": client.name, "subject": thread.subject}
    for staff in staff_wanting(thread.firm_id, "chats"):
        entry = db.session.scalar(
            select(InboxEntry).where(
                InboxEntry.user_id == staff.id,
                InboxEntry.item_id == thread.id,
                InboxEntry.topic == "chat_replied",
            )
        )
        if entry is None:
            add_entry(
                staff.id,
                thread.firm_id,
                "chat_replied",
                account_id=thread.account_id,
                item_id=thread.id,
                **details,
            )
        else:
            entry.bumped_at, entry.read_at, entry.details = now(), None, details
        queue_email(
            firm_id=thread.firm_id,
            key=f"chat_replied:{thread.id}:{thread.last_message_at.timestamp()}:{staff.id}",
            purpose="chat_replied",
            to=staff,
            item=thread,
            context={**details, "path": f"/clients/{thread.account_id}/chats/{thread.id}"},
        )


def archive(actor: User, thread: ChatThread) -> None:
    """Archiving stops the reminders (R4, C5)."""
    if thread.archived_at is not None:
        return
    thread.archived_at = now()
    complete_item(thread, "archived", actor)
    record_event(
        firm_id=thread.firm_id,
        account_id=thread.account_id,
        actor=actor,
        subject_type="chat",
        subject_id=thread.id,
        action="chat.archived",
        title=thread.subject,
    )


def reopen(actor: User, thread: ChatThread) -> None:
    """Reopening turns reminders on as if the latest message were new (R5)."""
    if thread.archived_at is None:
        return
    thread.archived_at = None
    settings = current_settings(thread)
    send_item(
        actor, thread, ReminderSettings(True, settings.interval_days, max(settings.max_count, 1))
    )
    record_event(
        firm_id=thread.firm_id,
        account_id=thread.account_id,
        actor=actor,
        subject_type="chat",
        subject_id=thread.id,
        action="chat.reopened",
        title=thread.subject,
    )


def current_settings(thread: ChatThread) -> ReminderSettings:
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == thread.id))
    if reminder is not None:
        return ReminderSettings(reminder.enabled, reminder.interval_days, reminder.max_count)
    firm = db.session.get(Firm, thread.firm_id)
    assert firm is not None
    return ReminderSettings.defaults_for(firm)


def mark_read(user: User, thread: ChatThread, message_id: int | None = None) -> None:
    """Remember that `user` has seen the thread up to `message_id` (default: the latest)."""
    if message_id is None:
        message_id = (
            db.session.scalar(
                select(func.max(ChatMessage.id)).where(ChatMessage.thread_id == thread.id)
            )
            or 0
        )
    row = db.session.scalar(
        select(ChatRead).where(ChatRead.thread_id == thread.id, ChatRead.user_id == user.id)
    )
    if row is None:
        db.session.add(
            ChatRead(thread_id=thread.id, user_id=user.id, last_read_message_id=message_id)
        )
    elif message_id > row.last_read_message_id:
        row.last_read_message_id = message_id


def unread_counts(user_id: int, thread_ids: list[int], from_client: bool) -> dict[int, int]:
    """Unread messages written by the other side, per thread, in one query."""
    if not thread_ids:
        return {}
    last_read = (
        select(ChatRead.last_read_message_id)
        .where(ChatRead.thread_id == ChatMessage.thread_id, ChatRead.user_id == user_id)
        .correlate(ChatMessage)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(ChatMessage.thread_id, func.count(ChatMessage.id))
        .where(
            ChatMessage.thread_id.in_(thread_ids),
            ChatMessage.from_client.is_(from_client),
            ChatMessage.id > func.coalesce(last_read, 0),
        )
        .group_by(ChatMessage.thread_id)
    ).all()
    return dict(rows)
