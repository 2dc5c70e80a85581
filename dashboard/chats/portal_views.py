"""The client's conversations (C3): list, thread, reply, tasks, and starting a chat."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for
from sqlalchemy import select

from dashboard.chats import service as chat_service
from dashboard.chats import thread_view
from dashboard.chats.models import ChatTask, ChatThread
from dashboard.documents.uploads import UploadRefused
from dashboard.extensions import db
from dashboard.htmx import is_partial, render_page_or_partial, render_partial
from dashboard.portal.blueprint import bp, portal_accounts
from dashboard.tenancy import client_account_ids, portal_user


def _portal_thread(thread_id: int) -> ChatThread:
    thread = db.session.scalar(
        select(ChatThread).where(
            ChatThread.id == thread_id, ChatThread.account_id.in_(client_account_ids())
        )
    )
    if thread is None:
        abort(404)
    return thread


def _viewer(thread: ChatThread) -> thread_view.Viewer:
    """The client; in the read-only view (staff looking as the client) nothing is marked read."""
    return thread_view.Viewer(
        endpoint="portal.chat_messages",
        url_args={"thread_id": thread.id},
        user_id=portal_user().id,
        unread_side_is_client=False,
        read_endpoint_url=None if g.read_only else url_for("portal.chat_read", thread_id=thread.id),
        extra={"viewer_is_client": True},
    )


def _chat_context(thread: ChatThread, **extra):
    """The newest page of messages, its poller and *Load earlier* (constant queries)."""
    return {**thread_view.page_context(thread, _viewer(thread)), **extra}


@bp.route("/chats")
def chats():
    """Communication: the client's conversations, latest first, with unread counts."""
    threads = db.session.scalars(
        select(ChatThread)
        .where(ChatThread.account_id.in_(client_account_ids()))
        .order_by(ChatThread.last_message_at.desc())
        .limit(200)
    ).all()
    unread = chat_service.unread_counts(portal_user().id, [t.id for t in threads], False)
    return render_page_or_partial(
        "portal/chats.html",
        "portal/chats.html",
        threads=threads,
        unread=unread,
        accounts=portal_accounts(),
    )


@bp.route("/chats/<int:thread_id>")
def chat(thread_id: int):
    """One conversation, with the reply box."""
    return render_page_or_partial(
        "portal/chat.html", "portal/_chat_panel.html", **_chat_context(_portal_thread(thread_id))
    )


@bp.route("/chats/<int:thread_id>/messages")
def chat_messages(thread_id: int):
    """The messages: polled so the firm's answers appear without reloading, and *Load
    earlier*."""
    thread = _portal_thread(thread_id)
    return thread_view.messages_answer(thread, _viewer(thread))


@bp.route("/chats/<int:thread_id>/read", methods=["POST"])
def chat_read(thread_id: int):
    """Remember what the client has seen."""
    chat_service.mark_read(portal_user(), _portal_thread(thread_id))
    db.session.commit()
    return "", 204


@bp.route("/chats/<int:thread_id>/messages", methods=["POST"])
def chat_reply(thread_id: int):
    """The client replies; reminders about the firm's message stop."""
    thread = _portal_thread(thread_id)
    try:
        chat_service.post_client_message(
            portal_user(),
            thread,
            request.form.get("message", ""),
            request.files.getlist("files"),
            html=request.form.get("message_html"),
        )
    except (chat_service.ChatError, UploadRefused) as refused:
        return _thread_answer(thread, refused)
    return _thread_answer(thread)


def _thread_answer(thread: ChatThread, refused: Exception | None = None):
    """After a client's change: commit and answer the thread (or roll back and say why)."""
    if refused is not None:
        db.session.rollback()
        return render_partial(
            "portal/_chat_panel.html", 422, **_chat_context(thread, error=str(refused))
        )
    db.session.commit()
    if is_partial():
        return render_partial("portal/_chat_panel.html", **_chat_context(thread))
    return redirect(url_for("portal.chat", thread_id=thread.id))


@bp.route("/chats/<int:thread_id>/tasks/<int:task_id>", methods=["POST"])
def chat_task(thread_id: int, task_id: int):
    """Tick or untick a client task (C9)."""
    thread = _portal_thread(thread_id)
    task = db.session.scalar(
        select(ChatTask).where(ChatTask.id == task_id, ChatTask.thread_id == thread.id)
    )
    if task is None:
        abort(404)
    try:
        chat_service.tick_task(portal_user(), thread, task, request.form.get("done") == "on")
    except chat_service.ChatError as refused:
        return _thread_answer(thread, refused)
    return _thread_answer(thread)


@bp.route("/chats/new", methods=["GET", "POST"])
def new_chat():
    """A client starts a conversation with the firm (C3), unless the firm turned that off."""
    accounts = portal_accounts()
    error = None
    if request.method == "POST":
        account_id = request.form.get("account", type=int)
        account = next((a for a in accounts if a.id == account_id), None)
        if account is None:
            abort(404)
        try:
            thread = chat_service.start_client_thread(
                portal_user(),
                account,
                request.form.get("subject", ""),
                request.form.get("message", ""),
                request.files.getlist("files"),
                html=request.form.get("message_html"),
            )
        except (chat_service.ChatError, UploadRefused) as refused:
            db.session.rollback()
            error = str(refused)
        else:
            db.session.commit()
            return redirect(url_for("portal.chat", thread_id=thread.id))
    firm = portal_user().firm
    return render_template(
        "portal/new_chat.html",
        accounts=accounts,
        error=error,
        allowed=firm.clients_can_start_chats,
        form=request.form if error else None,
    ), (422 if error else 200)
