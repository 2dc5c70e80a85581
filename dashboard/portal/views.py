"""The client portal, and the read-only view of it that staff open for one contact."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, with_polymorphic

from dashboard.accounts.models import Account, Contact, Folder
from dashboard.accounts.service import group_documents
from dashboard.approvals import service as approvals_service
from dashboard.approvals.models import ApprovalRequest
from dashboard.approvals.service import document_statuses
from dashboard.chats import service as chat_service
from dashboard.chats.models import ChatMessage, ChatTask, ChatThread
from dashboard.documents.models import Document
from dashboard.documents.service import tell_firm_about_upload
from dashboard.documents.uploads import UploadRefused
from dashboard.documents.views import send_document, upload_into
from dashboard.extensions import db
from dashboard.htmx import flash_outcome, is_partial, render_page_or_partial, render_partial
from dashboard.items.kinds import load_items
from dashboard.items.models import ActionItem
from dashboard.tenancy import (
    client_account_ids,
    portal_documents_select,
    portal_folders_select,
    portal_get_document,
    portal_get_folder,
    portal_user,
)

bp = Blueprint("portal", __name__, url_prefix="/portal")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@bp.before_request
def resolve_portal_user():
    """Decide whose portal this is; in the read-only view refuse every change, whatever it is."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    g.read_only = False
    if current_user.is_staff:
        contact_id = session.get("portal_view_contact_id")
        contact = db.session.scalar(
            select(Contact).where(
                Contact.id == (contact_id or 0),
                Contact.firm_id == current_user.firm_id,
                Contact.portal_access.is_(True),
            )
        )
        if contact is None:
            return redirect(url_for("accounts.clients"))
        g.read_only = True
        g.viewed_contact = contact
        g.portal_user = contact.user
        if request.method not in SAFE_METHODS:
            abort(403)
    else:
        g.portal_user = current_user._get_current_object()
    return None


def _accounts() -> list[Account]:
    return list(
        db.session.scalars(
            select(Account)
            .where(Account.id.in_(client_account_ids()))
            .order_by(func.lower(Account.name))
        )
    )


@bp.route("/")
def pending():
    """Pending action: the client's to-do list, most recently sent or resent on top."""
    every_kind = with_polymorphic(ActionItem, "*")
    items = db.session.scalars(
        select(every_kind)
        .options(joinedload(every_kind.account))
        .where(every_kind.account_id.in_(client_account_ids()), every_kind.status == "pending")
        .order_by(every_kind.bumped_at.desc(), every_kind.id.desc())
        .limit(200)
    ).all()
    todos = load_items(list(items))
    return render_page_or_partial(
        "portal/pending.html", "portal/_pending_list.html", todos=todos, accounts=_accounts()
    )


def _documents_context(**extra):
    accounts = _accounts()
    folders = db.session.scalars(
        portal_folders_select()
        .options(joinedload(Folder.account))
        .order_by(Folder.account_id, func.lower(Folder.name))
    ).all()
    grouped = group_documents(folders)
    document_ids = [document.id for _, documents in grouped for document in documents]
    pending = (
        {
            request.document_id: request.id
            for request in db.session.scalars(
                select(ApprovalRequest).where(
                    ApprovalRequest.document_id.in_(document_ids),
                    ApprovalRequest.status == "pending",
                )
            )
        }
        if document_ids
        else {}
    )
    return {
        "accounts": accounts,
        "folders": grouped,
        "approval_statuses": document_statuses(document_ids),
        "pending_approvals": pending,
        **extra,
    }


@bp.route("/documents")
def documents():
    """Documents: the folders the client may see, with their files."""
    return render_page_or_partial(
        "portal/documents.html", "portal/_documents_panel.html", **_documents_context()
    )


def _answer(account: Account, status: int = 200, **extra):
    if is_partial():
        return render_partial("portal/_documents_panel.html", status, **_documents_context(**extra))
    flash_outcome(**extra)
    return redirect(url_for("portal.documents"))


@bp.route("/folders/<int:folder_id>/documents", methods=["POST"])
def upload(folder_id: int):
    """Upload into a folder the client can view and edit."""
    folder = portal_get_folder(folder_id)
    if not folder.client_can_edit:
        abort(403)
    client = portal_user()
    return upload_into(
        client,
        folder,
        _answer,
        after_upload=lambda documents: tell_firm_about_upload(client, folder, documents),
    )


@bp.route("/documents/<int:document_id>/download")
def download(document_id: int):
    """Download a document from a folder the client may see."""
    return send_document(portal_get_document(document_id))


def _portal_approval(request_id: int) -> ApprovalRequest:
    """An approval request of the portal user's accounts, about a document they may see."""
    approval = db.session.scalar(
        select(ApprovalRequest).where(
            ApprovalRequest.id == request_id,
            ApprovalRequest.account_id.in_(client_account_ids()),
            ApprovalRequest.document_id.in_(
                portal_documents_select().with_only_columns(Document.id)
            ),
        )
    )
    if approval is None:
        abort(404)
    return approval


def _approval_page(approval: ApprovalRequest, status: int = 200, **extra):
    return render_page_or_partial(
        "portal/approval.html",
        "portal/_approval_panel.html",
        approval=approval,
        **extra,
    ), status


@bp.route("/approvals/<int:request_id>")
def approval(request_id: int):
    """The document to approve or disapprove (D2)."""
    return _approval_page(_portal_approval(request_id))


@bp.route("/approvals/<int:request_id>/approve", methods=["POST"])
def approve(request_id: int):
    """Approve the document."""
    request_ = _portal_approval(request_id)
    return _decide(request_, approve=True)


@bp.route("/approvals/<int:request_id>/disapprove", methods=["POST"])
def disapprove(request_id: int):
    """Disapprove, with one or more reasons and a comment."""
    return _decide(_portal_approval(request_id), approve=False)


def _decide(approval_request: ApprovalRequest, approve: bool):
    try:
        approvals_service.decide(
            portal_user(),
            approval_request,
            approve,
            request.form.getlist("reasons"),
            request.form.get("comment", ""),
        )
    except approvals_service.ApprovalError as refused:
        db.session.rollback()
        return _approval_page(approval_request, 422, error=str(refused), form=request.form)
    db.session.commit()
    message = (
        _("Thank you: the document is approved.")
        if approve
        else _("Thank you: your accountant will see your reasons.")
    )
    if is_partial():
        return _approval_page(approval_request, success=message)
    flash(message, "success")
    return redirect(url_for("portal.pending"))


def _portal_thread(thread_id: int) -> ChatThread:
    thread = db.session.scalar(
        select(ChatThread).where(
            ChatThread.id == thread_id, ChatThread.account_id.in_(client_account_ids())
        )
    )
    if thread is None:
        abort(404)
    return thread


def _chat_context(thread: ChatThread, **extra):
    messages = db.session.scalars(
        select(ChatMessage)
        .options(joinedload(ChatMessage.author))
        .where(ChatMessage.thread_id == thread.id)
        .order_by(ChatMessage.id)
    ).all()
    unread = chat_service.unread_counts(portal_user().id, [thread.id], False)
    read_url = (
        url_for("portal.chat_read", thread_id=thread.id) if unread and not g.read_only else None
    )
    return {
        "thread": thread,
        "messages": messages,
        "viewer_is_client": True,
        "tasks": chat_service.tasks_by_message([m.id for m in messages]),
        "attachments": chat_service.attachments_by_message([m.id for m in messages]),
        "poll_url": url_for("portal.chat_messages", thread_id=thread.id),
        "read_url": read_url,
        **extra,
    }


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
        accounts=_accounts(),
    )


@bp.route("/chats/<int:thread_id>")
def chat(thread_id: int):
    """One conversation, with the reply box."""
    return render_page_or_partial(
        "portal/chat.html", "portal/_chat_panel.html", **_chat_context(_portal_thread(thread_id))
    )


@bp.route("/chats/<int:thread_id>/messages")
def chat_messages(thread_id: int):
    """The messages alone, polled so the firm's answers appear without reloading."""
    return render_partial("chats/_messages.html", **_chat_context(_portal_thread(thread_id)))


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
        db.session.rollback()
        return render_partial(
            "portal/_chat_panel.html", 422, **_chat_context(thread, error=str(refused))
        )
    db.session.commit()
    if is_partial():
        return render_partial("portal/_chat_panel.html", **_chat_context(thread))
    return redirect(url_for("portal.chat", thread_id=thread.id))


@bp.route("/chats/new", methods=["GET", "POST"])
def new_chat():
    """A client starts a conversation with the firm (C3), unless the firm turned that off."""
    accounts = _accounts()
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
