"""Chat rules: start a thread, post as the firm or as the client, archive and reopen.

A thread is an action item: pending while the firm's latest message waits for the client.
Every firm message sends the thread again (a new reminder round about that message); a client
reply, or archiving, completes it. The engine does the emails, reminders and audit trail.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from dashboard.accounts.models import Account, Folder
from dashboard.audit.service import record_item_event
from dashboard.auth.models import STAFF_ROLES, Firm, User
from dashboard.chats.models import ChatAttachment, ChatMessage, ChatRead, ChatTask, ChatThread
from dashboard.chats.richtext import plain_to_html, sanitize, to_text
from dashboard.clock import now
from dashboard.documents.models import Document
from dashboard.documents.service import upload_documents
from dashboard.extensions import db
from dashboard.items.models import ActionItem
from dashboard.notify.inbox import add_entry, staff_wanting
from dashboard.notify.outbox import queue_email
from dashboard.reminders.models import Reminder
from dashboard.reminders.service import ReminderSettings, complete_item, send_item

MAX_MESSAGE = 20_000


class ChatError(ValueError):
    """The message is shown to the user."""


def _body(text: str, html: str | None = None) -> str:
    """The stored HTML of a message: the editor's HTML sanitised, or the plain text."""
    if html and html.strip():
        try:
            cleaned = sanitize(html)
        except ValueError:
            raise ChatError(str(_l("The message is too long."))) from None
        if not to_text(cleaned).strip():
            raise ChatError(str(_l("Write a message.")))
        return cleaned
    return _plain_body(text)


def _plain_body(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ChatError(str(_l("Write a message.")))
    if len(text) > MAX_MESSAGE:
        raise ChatError(str(_l("The message is too long.")))
    return linkify(plain_to_html(text))


_URL = re.compile(r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


def linkify(html: str) -> str:
    """Turn the web addresses of escaped message text into links (nh3 adds rel/target).

    Escaping can make a long text's HTML exceed the sanitizer's cap: such a message keeps
    its addresses as plain text rather than failing.
    """
    try:
        return sanitize(_URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', html))
    except ValueError:
        return html


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


def parse_tasks(text: str | None) -> list[str]:
    """Client tasks typed one per line (C9); blank lines ignored, at most 20."""
    tasks = [line.strip()[:300] for line in (text or "").splitlines() if line.strip()]
    if len(tasks) > 20:
        raise ChatError(str(_l("Add at most 20 client tasks.")))
    return tasks


def shareable_documents(account_id: int) -> list[Document]:
    """Documents of the account in folders the client can view (never Private): C7."""
    return list(
        db.session.scalars(
            select(Document)
            .join(Folder, Folder.id == Document.folder_id)
            .where(Document.account_id == account_id, Folder.access != "private")
            .order_by(Folder.name, Document.name)
        )
    )


def chat_upload_folder(account_id: int) -> Folder:
    """Where files uploaded in a chat land: a top-level folder the client can view."""
    folder = db.session.scalar(
        select(Folder)
        .where(Folder.account_id == account_id, Folder.access == "view")
        .order_by(Folder.id)
        .limit(1)
    )
    if folder is None:
        raise ChatError(
            str(
                _l(
                    "Files added in a chat go to a folder the client can view; "
                    "this account has none. Add one in the Docs tab."
                )
            )
        )
    return folder


def attach(
    author: User, thread: ChatThread, message: ChatMessage, document_ids: list[int], files: list
) -> list[Document]:
    """Attach shared documents (checked against the account's visible folders) and new files
    (checked like every upload, kept in the chat folder). Raises ChatError or UploadRefused."""
    allowed = {d.id: d for d in shareable_documents(thread.account_id)}
    chosen = []
    for document_id in document_ids:
        if document_id not in allowed:
            raise ChatError(str(_l("That document cannot be shared in a chat.")))
        chosen.append(allowed[document_id])
    files = [f for f in files if f and f.filename]
    if files:
        result = upload_documents(author, chat_upload_folder(thread.account_id), files)
        db.session.info.setdefault("chat_storage_keys", []).extend(result.storage_keys)
        chosen.extend(result.documents)
    for document in chosen:
        db.session.add(ChatAttachment(message_id=message.id, document_id=document.id))
    db.session.flush()
    return chosen


def attachments_by_message(message_ids: list[int]) -> dict[int, list[Document]]:
    if not message_ids:
        return {}
    grouped: dict[int, list[Document]] = {}
    rows = db.session.execute(
        select(ChatAttachment.message_id, Document)
        .join(Document, Document.id == ChatAttachment.document_id)
        .where(ChatAttachment.message_id.in_(message_ids))
        .order_by(ChatAttachment.id)
    ).all()
    for message_id, document in rows:
        grouped.setdefault(message_id, []).append(document)
    return grouped


def _add_tasks(thread: ChatThread, message: ChatMessage, tasks: list[str]) -> None:
    for position, label in enumerate(tasks):
        db.session.add(
            ChatTask(thread_id=thread.id, message_id=message.id, position=position, label=label)
        )


def clean_subject(subject: str | None) -> str:
    """A subject becomes an email header: no line breaks (nor other controls) get through."""
    subject = (subject or "").strip()[:200]
    if not subject:
        raise ChatError(str(_l("Write a subject.")))
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in subject):
        raise ChatError(str(_l("A subject fits on one line.")))
    return subject


def start_thread(
    actor: User,
    account: Account,
    subject: str,
    text: str,
    settings: ReminderSettings,
    tasks: list[str] | None = None,
    document_ids: list[int] | None = None,
    files: list | None = None,
    html: str | None = None,
) -> ChatThread:
    """Create conversation (C1): the first message is sent like any action item."""
    subject = clean_subject(subject)
    body = _body(text, html)
    thread = ChatThread(firm_id=account.firm_id, account_id=account.id, subject=subject)
    db.session.add(thread)
    db.session.flush()
    message = _add_message(thread, actor, body, from_client=False)
    _add_tasks(thread, message, tasks or [])
    attach(actor, thread, message, document_ids or [], files or [])
    send_item(actor, thread, settings)
    _notify_mentions(actor, thread, message, text)
    return thread


def post_firm_message(
    actor: User,
    thread: ChatThread,
    text: str,
    settings: ReminderSettings | None = None,
    tasks: list[str] | None = None,
    document_ids: list[int] | None = None,
    files: list | None = None,
    html: str | None = None,
) -> ChatMessage:
    """A firm message: the thread is sent again, reminders now concern this message (R5)."""
    if thread.archived_at is not None:
        raise ChatError(str(_l("Reopen the conversation to write in it.")))
    message = _add_message(thread, actor, _body(text, html), from_client=False)
    _add_tasks(thread, message, tasks or [])
    attach(actor, thread, message, document_ids or [], files or [])
    send_item(actor, thread, settings or current_settings(thread))
    _notify_mentions(actor, thread, message, text)
    return message


def latest_firm_message_id(thread: ChatThread) -> int | None:
    return db.session.scalar(
        select(func.max(ChatMessage.id)).where(
            ChatMessage.thread_id == thread.id, ChatMessage.from_client.is_(False)
        )
    )


def tick_task(client: User, thread: ChatThread, task: ChatTask, done: bool) -> None:
    """The client ticks (or unticks) a task; when every task of the latest firm message is
    ticked, the thread is complete and its reminders stop (R4)."""
    if thread.archived_at is not None:
        raise ChatError(str(_l("This conversation is archived.")))
    if (task.done_at is not None) == done:
        return
    task.done_at, task.done_by_id = (now(), client.id) if done else (None, None)
    record_item_event(
        thread,
        actor=client,
        action="chat.task_ticked" if done else "chat.task_unticked",
        title=thread.subject,
        task=task.label,
    )
    db.session.flush()
    if not done:
        return
    assert task.done_at is not None
    _tell_firm(
        thread, client, "chat_task", f"task-{task.id}-{task.done_at.timestamp()}", task=task.label
    )
    latest = latest_firm_message_id(thread)
    counts = db.session.execute(
        select(func.count(ChatTask.id), func.count(ChatTask.done_at)).where(
            ChatTask.message_id == latest
        )
    ).one()
    if task.message_id == latest and counts[0] and counts[0] == counts[1]:
        complete_item(thread, "tasks_done", client)


def tasks_by_message(message_ids: list[int]) -> dict[int, list[ChatTask]]:
    """The tasks of these messages, in order, in one query."""
    if not message_ids:
        return {}
    grouped: dict[int, list[ChatTask]] = {}
    for task in db.session.scalars(
        select(ChatTask)
        .where(ChatTask.message_id.in_(message_ids))
        .order_by(ChatTask.message_id, ChatTask.position)
    ):
        grouped.setdefault(task.message_id, []).append(task)
    return grouped


def start_client_thread(
    client: User,
    account: Account,
    subject: str,
    text: str,
    files: list | None = None,
    html: str | None = None,
) -> ChatThread:
    """A client starts a conversation (C3): nothing is pending for the client, so no
    reminders; the firm is told, and its answer sends the thread like any other."""
    firm = db.session.get(Firm, account.firm_id)
    assert firm is not None
    if not firm.clients_can_start_chats:
        raise ChatError(str(_l("Your accountant does not accept new conversations here.")))
    subject = clean_subject(subject)
    body = _body(text, html)
    moment = now()
    thread = ChatThread(
        firm_id=account.firm_id,
        account_id=account.id,
        subject=subject,
        title=subject,
        status="completed",
        outcome="awaiting_firm",
        sent_at=moment,
        bumped_at=moment,
        completed_at=moment,
    )
    db.session.add(thread)
    db.session.flush()
    message = _add_message(thread, client, body, from_client=True)
    attach(client, thread, message, [], files or [])
    record_item_event(
        thread,
        actor=client,
        action="chat.started",
        title=subject,
    )
    _tell_firm(thread, client, "chat_created", f"message-{message.id}")
    return thread


def post_client_message(
    client: User,
    thread: ChatThread,
    text: str,
    files: list | None = None,
    html: str | None = None,
) -> ChatMessage:
    """The client replies: reminders stop, and the firm is told (C4)."""
    if thread.archived_at is not None:
        raise ChatError(str(_l("This conversation is archived.")))
    message = _add_message(thread, client, _body(text, html), from_client=True)
    attached = attach(client, thread, message, [], files or [])
    thread.bumped_at = message.created_at
    complete_item(thread, "replied", client)
    record_item_event(
        thread,
        actor=client,
        action="chat.replied",
        title=thread.subject,
    )
    if attached:  # C4: the firm is told what the client attached
        _tell_firm(thread, client, "chat_attachment", f"message-{message.id}", count=len(attached))
    else:
        _tell_firm(thread, client, "chat_replied", f"message-{message.id}")
    _notify_mentions(client, thread, message, text)
    return message


#: One Inbox+ entry per thread and staff member carries the latest of these events.
CHAT_TOPICS = ("chat_replied", "chat_task", "chat_created", "chat_attachment")


def _tell_firm(
    thread: ChatThread, client: User, topic: str, event_key: str, **extra: str | int
) -> None:
    """One Inbox+ entry per thread and staff member, moved to the top; and an email (C4)."""
    from dashboard.notify.models import InboxEntry

    details = {"client": client.name, "subject": thread.subject, **extra}
    for staff in staff_wanting(thread.firm_id, "chats"):
        entry = db.session.scalar(
            select(InboxEntry).where(
                InboxEntry.user_id == staff.id,
                InboxEntry.item_id == thread.id,
                InboxEntry.topic.in_(CHAT_TOPICS),
            )
        )
        if entry is None:
            add_entry(
                staff.id,
                thread.firm_id,
                topic,
                account_id=thread.account_id,
                item_id=thread.id,
                **details,
            )
        else:
            entry.topic, entry.bumped_at, entry.read_at = topic, now(), None
            entry.details = details
        queue_email(
            firm_id=thread.firm_id,
            key=f"{topic}:{thread.id}:{event_key}:{staff.id}",
            purpose=topic,
            to=staff,
            item=thread,
            context={**details, "path": f"/clients/{thread.account_id}/chats/{thread.id}"},
        )


def mentioned_staff(author: User, thread: ChatThread, text: str) -> list[User]:
    """Team members written as @Full Name (C6). Staff may mention anyone in the firm; a client
    only the staff already on the thread (who wrote in it or sent it)."""
    if "@" not in text:
        return []
    candidates = db.session.scalars(
        select(User).where(User.firm_id == thread.firm_id, User.role.in_(STAFF_ROLES))
    ).all()
    if not author.is_staff:
        on_thread = set(
            db.session.scalars(
                select(ChatMessage.author_id).where(ChatMessage.thread_id == thread.id)
            )
        )
        on_thread.add(thread.sent_by_id or 0)
        candidates = [user for user in candidates if user.id in on_thread]
    lowered = text.lower()
    return [
        user for user in candidates if f"@{user.name.lower()}" in lowered and user.id != author.id
    ]


def _notify_mentions(author: User, thread: ChatThread, message: ChatMessage, text: str) -> None:
    for staff in mentioned_staff(author, thread, text):
        add_entry(
            staff.id,
            thread.firm_id,
            "chat_mention",
            account_id=thread.account_id,
            item_id=thread.id,
            author=author.name,
            subject=thread.subject,
        )
        queue_email(
            firm_id=thread.firm_id,
            key=f"chat_mention:{message.id}:{staff.id}",
            purpose="chat_mention",
            to=staff,
            item=thread,
            context={
                "author": author.name,
                "subject": thread.subject,
                "path": f"/clients/{thread.account_id}/chats/{thread.id}",
            },
        )


def archive(actor: User, thread: ChatThread) -> None:
    """Archiving stops the reminders (R4, C5)."""
    if thread.archived_at is not None:
        return
    thread.archived_at = now()
    complete_item(thread, "archived", actor)
    record_item_event(
        thread,
        actor=actor,
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
    record_item_event(
        thread,
        actor=actor,
        action="chat.reopened",
        title=thread.subject,
    )


def current_settings(thread: ChatThread) -> ReminderSettings:
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == thread.id))
    if reminder is not None:
        return ReminderSettings(
            reminder.enabled, reminder.interval_days, reminder.max_count, reminder.origin
        )
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


def _unread_in(user_id: int, threads: Any, from_client: bool) -> Any:
    """Unread messages of one side in each row of `threads` (a table whose `id` is a thread's),
    as a scalar subquery. How far the user has read is a constant bound per thread, so only
    the unread messages are visited (ix_chat_message_thread_side), whatever the thread's length.
    """
    last_read = (
        select(ChatRead.last_read_message_id)
        .where(ChatRead.thread_id == threads.c.id, ChatRead.user_id == user_id)
        .correlate(threads)
        .scalar_subquery()
    )
    return (
        select(func.count(ChatMessage.id))
        .where(
            ChatMessage.thread_id == threads.c.id,
            ChatMessage.from_client == from_client,
            ChatMessage.id > func.coalesce(last_read, 0),
        )
        .correlate(threads)
        .scalar_subquery()
    )


def unread_counts(user_id: int, thread_ids: list[int], from_client: bool) -> dict[int, int]:
    """Unread messages written by the other side, per thread, in one query."""
    if not thread_ids:
        return {}
    threads = ChatThread.__table__
    rows = db.session.execute(
        select(threads.c.id, _unread_in(user_id, threads, from_client)).where(
            threads.c.id.in_(thread_ids)
        )
    ).all()
    return {thread_id: count for thread_id, count in rows if count}


def unread_for_staff(user_id: int, firm_id: int, account_ids: list[int] | None = None):
    """Unread client messages for a staff member: the firm total (sidebar), or per account
    (one query). Driven by the firm's chat threads, each costing one index probe plus its
    unread messages: the read messages of the firm are never visited."""
    total, per_account = _staff_unread_statements()
    params = {"unread_user_id": user_id, "unread_firm_id": firm_id}
    if account_ids is None:
        return db.session.scalar(total, params)
    if not account_ids:
        return {}
    rows = db.session.execute(per_account, {**params, "unread_account_ids": account_ids}).all()
    return {account_id: count for account_id, count in rows if count}


@cache
def _staff_unread_statements() -> tuple[Any, Any]:
    """unread_for_staff's two statements, built once: the sidebar and every account tab ask
    on each page, and building this correlated SELECT cost more than running it. The staff
    member, the firm and the accounts are bound parameters."""
    items = ActionItem.__table__
    unread = _unread_in(bindparam("unread_user_id"), items, True)
    where = [items.c.firm_id == bindparam("unread_firm_id"), items.c.kind == "chat"]
    total = select(func.coalesce(func.sum(unread), 0)).where(*where)
    per_account = (
        select(items.c.account_id, func.sum(unread))
        .where(*where, items.c.account_id.in_(bindparam("unread_account_ids", expanding=True)))
        .group_by(items.c.account_id)
    )
    return total, per_account


# --- pages and polls of a thread -------------------------------------------------------------

#: Messages a thread shows at first, and per *Load earlier*.
MESSAGE_PAGE = 30


@dataclass
class MessagePage:
    """Messages in display order (oldest first); `earlier` when older ones exist."""

    messages: list[ChatMessage]
    earlier: bool


def message_page(thread: ChatThread, before: int | None = None) -> MessagePage:
    """The newest MESSAGE_PAGE messages (older than `before`), authors loaded: one query
    whose cost does not depend on the thread's length (ix_chat_message_thread_id)."""
    stmt = (
        select(ChatMessage)
        .options(joinedload(ChatMessage.author))
        .where(ChatMessage.thread_id == thread.id)
        .order_by(ChatMessage.id.desc())
        .limit(MESSAGE_PAGE + 1)
    )
    if before is not None:
        stmt = stmt.where(ChatMessage.id < before)
    rows = list(db.session.scalars(stmt))
    return MessagePage(rows[:MESSAGE_PAGE][::-1], len(rows) > MESSAGE_PAGE)


def messages_after(thread: ChatThread, after: int) -> list[ChatMessage]:
    """The messages newer than `after`, oldest first, authors loaded: what a poll adds."""
    return list(
        db.session.scalars(
            select(ChatMessage)
            .options(joinedload(ChatMessage.author))
            .where(ChatMessage.thread_id == thread.id, ChatMessage.id > after)
            .order_by(ChatMessage.id)
        )
    )


@dataclass(frozen=True)
class PollState:
    """What a poll compares with what the page shows: the newest message, and a token of
    the tasks' ticks and of archiving (both change how the shown messages look)."""

    last_id: int
    token: str


def poll_state(thread: ChatThread) -> PollState:
    """One statement: the newest message id (an index probe) and the tasks' tick state.

    A tick sets done_at to now and an untick clears it, so (ticked count, latest tick)
    changes with every tick or untick in between two polls.
    """
    newest = (
        select(ChatMessage.id)
        .where(ChatMessage.thread_id == thread.id)
        .order_by(ChatMessage.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    ticked, latest, last_id = db.session.execute(
        select(func.count(ChatTask.done_at), func.max(ChatTask.done_at), newest).where(
            ChatTask.thread_id == thread.id
        )
    ).one()
    raw = f"{ticked}|{latest}|{thread.archived_at is not None}"
    return PollState(last_id or 0, hashlib.blake2s(raw.encode(), digest_size=6).hexdigest())


def tasks_between(thread: ChatThread, first: int, last: int) -> dict[int, list[ChatTask]]:
    """The tasks of the messages `first`..`last` of the thread, grouped and in order."""
    grouped: dict[int, list[ChatTask]] = {}
    for task in db.session.scalars(
        select(ChatTask)
        .where(
            ChatTask.thread_id == thread.id,
            ChatTask.message_id >= first,
            ChatTask.message_id <= last,
        )
        .order_by(ChatTask.message_id, ChatTask.position)
    ):
        grouped.setdefault(task.message_id, []).append(task)
    return grouped
