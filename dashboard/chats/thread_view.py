"""A thread's messages as staff and clients see them: the newest page, *Load earlier*, and the
5-second poll that answers 204 when nothing changed and only what is new otherwise.

The page renders a poller (chats/_poller.html) whose address carries what it shows: `after`
(the newest message id), `v` (the tasks' tick state, PollState.token) and `first` (the oldest
message of the first page, whose tasks the poll keeps current). So a poll with nothing new
costs the login, the thread's tenancy check and one statement, whatever the thread's length.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, abort, request, url_for

from dashboard.chats import service
from dashboard.chats.models import ChatMessage, ChatThread
from dashboard.htmx import render_partial

#: Above any id a 32-bit integer column holds (PostgreSQL): such an id matches nothing.
MAX_ID = 2**31 - 1


@dataclass
class Viewer:
    """Who looks at the thread, and the addresses their page uses."""

    #: The polled endpoint ("chats.messages", "portal.chat_messages") and its path arguments.
    endpoint: str
    url_args: dict[str, int]
    #: The user whose reading is tracked, and the side whose messages they may not have read.
    user_id: int
    unread_side_is_client: bool
    #: Where the page posts "read" when something is unread; None when it never should (the
    #: read-only portal view changes nothing).
    read_endpoint_url: str | None
    #: Extra template variables (e.g. viewer_is_client for the portal).
    extra: dict[str, Any]


def _id_arg(name: str) -> int | None:
    """A message id from the query string; out of range or not a number → 404."""
    raw = request.args.get(name)
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) > MAX_ID:
        abort(404)
    return int(raw)


def _read_url(viewer: Viewer, thread: ChatThread) -> str | None:
    """The read address, only when the other side wrote something this viewer has not seen:
    the page then marks it read once, not on every poll."""
    if viewer.read_endpoint_url is None:
        return None
    unread = service.unread_counts(viewer.user_id, [thread.id], viewer.unread_side_is_client)
    return viewer.read_endpoint_url if unread else None


def _url(viewer: Viewer, **args: Any) -> str:
    return url_for(viewer.endpoint, **viewer.url_args, **args)


def _content(messages: list[ChatMessage]) -> dict[str, Any]:
    ids = [m.id for m in messages]
    return {
        "messages": messages,
        "tasks": service.tasks_by_message(ids),
        "attachments": service.attachments_by_message(ids),
    }


def page_context(thread: ChatThread, viewer: Viewer) -> dict[str, Any]:
    """The newest page with its poller and *Load earlier*: a constant number of queries.

    The poll state is read before the messages, so a tick in between makes the next poll
    refresh the tasks rather than miss them.
    """
    state = service.poll_state(thread)
    page = service.message_page(thread)
    first = page.messages[0].id if page.messages else 0
    after = page.messages[-1].id if page.messages else 0
    return {
        **viewer.extra,
        **_content(page.messages),
        "thread": thread,
        "read_url": _read_url(viewer, thread),
        "earlier_url": _url(viewer, before=first) if page.earlier else None,
        "poll_next_url": _url(viewer, after=after, v=state.token, first=first),
    }


def earlier(thread: ChatThread, viewer: Viewer, before: int) -> Response:
    """*Load earlier*: the page before message `before`, under its own *Load earlier*."""
    page = service.message_page(thread, before)
    first = page.messages[0].id if page.messages else before
    return render_partial(
        "chats/_earlier_page.html",
        **viewer.extra,
        **_content(page.messages),
        thread=thread,
        earlier_url=_url(viewer, before=first) if page.earlier else None,
    )


def poll(thread: ChatThread, viewer: Viewer, after: int) -> Response:
    """204 when nothing changed since the page's state; else the new messages, the shown
    tasks again when a tick changed them, and a new poller."""
    token = request.args.get("v", "")[:32]
    first = _id_arg("first") or 0
    state = service.poll_state(thread)
    if state.last_id <= after and state.token == token:
        return Response(status=204)
    new = service.messages_after(thread, after) if state.last_id > after else []
    changed = service.tasks_between(thread, first, after) if state.token != token else {}
    newest = new[-1].id if new else after
    return render_partial(
        "chats/_poll.html",
        **viewer.extra,
        **_content(new),
        thread=thread,
        changed_tasks=changed,
        read_url=_read_url(viewer, thread) if new else None,
        poll_next_url=_url(viewer, after=newest, v=state.token, first=first),
    )


def messages_answer(thread: ChatThread, viewer: Viewer) -> Response:
    """GET …/messages: `before` → *Load earlier*, `after` → a poll, neither → the list."""
    before, after = _id_arg("before"), _id_arg("after")
    if before is not None:
        return earlier(thread, viewer, before)
    if after is not None:
        return poll(thread, viewer, after)
    return render_partial("chats/_messages.html", **page_context(thread, viewer))
