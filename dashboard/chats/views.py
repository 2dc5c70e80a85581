"""Staff routes for chats: the Communication tab, new conversation, the thread."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from dashboard.accounts.models import Account, Contact
from dashboard.accounts.views import render_account_tab
from dashboard.auth.models import Firm
from dashboard.chats import service, thread_view
from dashboard.chats.models import ChatThread, MessageTemplate
from dashboard.documents.uploads import UploadRefused
from dashboard.extensions import db
from dashboard.htmx import flash_outcome, is_partial, render_partial
from dashboard.pagination import paginate
from dashboard.reminders.cascade import own_settings, parse_choice, resolve, template_choice
from dashboard.reminders.service import ReminderSettings, SettingsError
from dashboard.reminders.timeline import build_timeline
from dashboard.tenancy import current_firm_id, firm_get

bp = Blueprint("chats", __name__)


@bp.before_request
@login_required
def require_staff() -> None:
    """Only staff reach these routes."""
    current_firm_id()


def _firm() -> Firm:
    firm = db.session.get(Firm, current_firm_id())
    assert firm is not None
    return firm


def _defaults() -> ReminderSettings:
    return ReminderSettings.defaults_for(_firm())


def _prefill(form) -> ReminderSettings:
    """What the new chat's Reminders were filled with: the chosen template's settings as they
    resolve now, or the firm default. A post with these values keeps their origin (B8)."""
    chosen = form.get("template", type=int)
    template = firm_get(MessageTemplate, chosen) if chosen else None
    return resolve(_firm(), template, "template")


@bp.route("/clients/<int:account_id>/communication")
def communication_tab(account_id: int):
    """The Communication tab: the account's conversations, latest first, with unread counts."""
    account = firm_get(Account, account_id)
    page = paginate(
        select(ChatThread)
        .where(ChatThread.firm_id == account.firm_id, ChatThread.account_id == account.id)
        .order_by(ChatThread.last_message_at.desc(), ChatThread.id.desc()),
        current_app.config["CLIENTS_PER_PAGE"],
    )
    unread = service.unread_counts(current_user.id, [t.id for t in page.items], True)
    return render_account_tab(
        account, "communication", "chats/_tab_communication.html", page=page, unread=unread
    )


def _recipients(account: Account) -> tuple[list[Contact], list[Contact]]:
    """Contacts who can be messaged, and those who cannot (no portal access: C10)."""
    contacts = (
        db.session.scalars(
            select(Contact).where(Contact.account_id == account.id).order_by(Contact.id)
        )
        .unique()
        .all()
    )
    return ([c for c in contacts if c.portal_access], [c for c in contacts if not c.portal_access])


@bp.route("/clients/<int:account_id>/chats/new", methods=["GET", "POST"])
def new_chat(account_id: int):
    """New chat (C1): template, subject, message, tasks, reminders; Create conversation."""
    account = firm_get(Account, account_id)
    reachable, unreachable = _recipients(account)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            settings = ReminderSettings.parse(request.form, _prefill(request.form))
            if not reachable:
                raise service.ChatError(_("No contact of this account has portal access."))
            thread = service.start_thread(
                current_user,
                account,
                request.form.get("subject", ""),
                request.form.get("message", ""),
                settings,
                service.parse_tasks(request.form.get("tasks")),
                request.form.getlist("documents", type=int),
                request.files.getlist("files"),
                html=request.form.get("message_html"),
            )
        except SettingsError as invalid:
            errors.update(invalid.errors)
        except (service.ChatError, UploadRefused) as refused:
            errors["message"] = str(refused)
        else:
            db.session.commit()
            return redirect(url_for("chats.thread", account_id=account.id, thread_id=thread.id))
        db.session.rollback()
    templates = db.session.scalars(
        select(MessageTemplate)
        .where(MessageTemplate.firm_id == account.firm_id)
        .order_by(MessageTemplate.name)
    ).all()
    form = request.form if errors else None
    chosen = request.args.get("template", type=int)
    if form is None and chosen is not None:
        template = firm_get(MessageTemplate, chosen)
        prefill = resolve(_firm(), template, "template")
        form = {
            "subject": template.subject,
            "message": template.body,
            "reminders": "on" if prefill.enabled else "",
            "interval_days": prefill.interval_days,
            "max_count": prefill.max_count,
            "template": template.id,
        }
    return render_account_tab(
        account,
        "communication",
        "chats/_new_chat.html",
        reachable=reachable,
        unreachable=unreachable,
        errors=errors,
        form=form,
        defaults=_defaults(),
        templates=templates,
        # C7: documents from the account's folders with client access (never Private).
        shareable=service.shareable_documents(account.id),
        chosen_documents=request.form.getlist("documents", type=int) if errors else [],
    ), (422 if errors else 200)


#: Timeline entries a thread shows at first, and per *Load earlier*.
TIMELINE_PAGE = 20


def _viewer(thread: ChatThread) -> thread_view.Viewer:
    args = {"account_id": thread.account_id, "thread_id": thread.id}
    return thread_view.Viewer(
        endpoint="chats.messages",
        url_args=args,
        user_id=current_user.id,
        unread_side_is_client=True,
        read_endpoint_url=url_for("chats.read", **args),
        extra={},
    )


def _timeline(thread: ChatThread, before: datetime | None = None):
    """The newest entries of the reminder timeline (before `before`); older ones come with
    *Load earlier*, so a long thread's page does not grow with its history."""
    timeline = build_timeline(thread, limit=TIMELINE_PAGE, before=before)
    if timeline.earlier_before is not None:
        timeline.earlier_url = url_for(
            "chats.timeline",
            account_id=thread.account_id,
            thread_id=thread.id,
            before=timeline.earlier_before.isoformat(),
        )
    return timeline


def _thread_context(thread: ChatThread, **extra):
    """The newest page of messages with their authors, tasks and attachments, and the start
    of the timeline, in a constant number of queries whatever the thread's length (the
    documents to attach come when the reply's *Attach documents* opens)."""
    return {
        **thread_view.page_context(thread, _viewer(thread)),
        "item": thread,
        "timeline": _timeline(thread),
        **extra,
    }


@bp.route("/clients/<int:account_id>/chats/<int:thread_id>")
def thread(account_id: int, thread_id: int):
    """A conversation: messages, reply, reminders and the ⋯ menu."""
    account = firm_get(Account, account_id)
    chat = firm_get(ChatThread, thread_id, account_id=account_id)
    return render_account_tab(
        account, "communication", "chats/_thread.html", **_thread_context(chat)
    )


@bp.route("/clients/<int:account_id>/chats/<int:thread_id>/messages")
def messages(account_id: int, thread_id: int):
    """The message list: polled every 5 s for what is new (C3), and *Load earlier*."""
    chat = firm_get(ChatThread, thread_id, account_id=account_id)
    return thread_view.messages_answer(chat, _viewer(chat))


@bp.route("/clients/<int:account_id>/chats/<int:thread_id>/shareable")
def shareable(account_id: int, thread_id: int):
    """The documents a reply can attach, asked when *Attach documents* opens."""
    chat = firm_get(ChatThread, thread_id, account_id=account_id)
    return render_partial(
        "chats/_shareable.html", shareable=service.shareable_documents(chat.account_id)
    )


@bp.route("/clients/<int:account_id>/chats/<int:thread_id>/timeline")
def timeline(account_id: int, thread_id: int):
    """*Load earlier* of the reminder timeline: the entries before `before`."""
    chat = firm_get(ChatThread, thread_id, account_id=account_id)
    try:
        before = datetime.fromisoformat(request.args.get("before", ""))
    except ValueError:
        abort(404)
    if before.tzinfo is None:
        abort(404)
    return render_partial(
        "reminders/_timeline_entries.html", item=chat, timeline=_timeline(chat, before)
    )


@bp.route("/clients/<int:account_id>/chats/<int:thread_id>/read", methods=["POST"])
def read(account_id: int, thread_id: int):
    """Mark the conversation read (the page calls this when it shows new messages)."""
    chat = firm_get(ChatThread, thread_id, account_id=account_id)
    service.mark_read(current_user, chat)
    db.session.commit()
    # The badges in the sidebar and the tab bar change: send them out of band.
    account = db.session.get(Account, chat.account_id)
    return render_partial("chats/_unread_oob.html", account=account)


@bp.route("/clients/<int:account_id>/chats/<int:thread_id>/messages", methods=["POST"])
def post(account_id: int, thread_id: int):
    """Send a message in the conversation; reminders restart from it."""
    chat = firm_get(ChatThread, thread_id, account_id=account_id)
    try:
        settings = (
            ReminderSettings.parse(request.form, service.current_settings(chat))
            if "interval_days" in request.form
            else None
        )
        service.post_firm_message(
            current_user,
            chat,
            request.form.get("message", ""),
            settings,
            service.parse_tasks(request.form.get("tasks")),
            request.form.getlist("documents", type=int),
            request.files.getlist("files"),
            html=request.form.get("message_html"),
        )
    except SettingsError as invalid:
        db.session.rollback()
        return _answer(chat, 422, errors=invalid.errors, error=_("Check the reminder settings."))
    except (service.ChatError, UploadRefused) as refused:
        db.session.rollback()
        return _answer(chat, 422, error=str(refused))
    db.session.commit()
    return _answer(chat)


@bp.route("/clients/<int:account_id>/chats/<int:thread_id>/archive", methods=["POST"])
def archive(account_id: int, thread_id: int):
    """Archive the conversation: reminders stop."""
    chat = firm_get(ChatThread, thread_id, account_id=account_id)
    service.archive(current_user, chat)
    db.session.commit()
    return _answer(chat, success=_("Conversation archived."))


@bp.route("/clients/<int:account_id>/chats/<int:thread_id>/reopen", methods=["POST"])
def reopen(account_id: int, thread_id: int):
    """Reopen: reminders start again as if the latest message were new."""
    chat = firm_get(ChatThread, thread_id, account_id=account_id)
    service.reopen(current_user, chat)
    db.session.commit()
    return _answer(chat, success=_("Conversation reopened."))


def _answer(chat: ChatThread, status: int = 200, **extra):
    if is_partial():
        return render_partial("chats/_thread_panel.html", status, **_thread_context(chat, **extra))
    flash_outcome(**extra)
    return redirect(url_for("chats.thread", account_id=chat.account_id, thread_id=chat.id))


# --- templates (R7) ----------------------------------------------------------------------


@bp.route("/settings/chat-templates")
def templates():
    """The firm's chat templates."""
    rows = db.session.scalars(
        select(MessageTemplate)
        .where(MessageTemplate.firm_id == current_firm_id())
        .order_by(MessageTemplate.name)
    ).all()
    return render_template("chats/templates.html", templates=rows)


@bp.route("/settings/chat-templates/new", methods=["GET", "POST"])
@bp.route("/settings/chat-templates/<int:template_id>", methods=["GET", "POST"])
def edit_template(template_id: int | None = None):
    """Create or edit a template: subject, message, reminders; Save or Save & exit."""
    template = firm_get(MessageTemplate, template_id) if template_id else None
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        try:
            own = own_settings(template) if template else _defaults()
            inherit, settings = parse_choice(form, _firm(), own)
        except SettingsError as invalid:
            errors.update(invalid.errors)
            inherit, settings = False, None
        values = {key: (form.get(key) or "").strip() for key in ("name", "subject", "body")}
        for key in ("name", "subject", "body"):
            if not values[key]:
                errors[key] = _("This field is required.")
        duplicate = db.session.scalar(
            select(MessageTemplate.id).where(
                MessageTemplate.firm_id == current_firm_id(),
                MessageTemplate.name == values["name"],
                MessageTemplate.id != (template.id if template else 0),
            )
        )
        if duplicate:
            errors["name"] = _("A template with this name already exists.")
        if not errors and settings is not None:
            if template is None:
                template = MessageTemplate(firm_id=current_firm_id())
                db.session.add(template)
            template.name, template.subject = values["name"][:120], values["subject"][:200]
            template.body = values["body"][:20000]
            template.set_reminders(inherit, settings)
            db.session.commit()
            flash(_("Template saved."), "success")
            if form.get("exit"):
                return redirect(url_for("chats.templates"))
            return redirect(url_for("chats.edit_template", template_id=template.id))
    return render_template(
        "chats/template_form.html",
        template=template,
        errors=errors,
        form=request.form if errors else None,
        reminders=template_choice(_firm(), template, request.form if errors else None),
    ), (422 if errors else 200)


@bp.route("/settings/chat-templates/<int:template_id>/delete", methods=["POST"])
def delete_template(template_id: int):
    """Delete a template (chats made from it keep their text)."""
    db.session.delete(firm_get(MessageTemplate, template_id))
    db.session.commit()
    flash(_("Template deleted."), "success")
    return redirect(url_for("chats.templates"))


@bp.route("/chats/new")
def choose_account():
    """+ New → Chat: pick the client, then write the conversation."""
    account_id = request.args.get("account", type=int)
    if account_id is not None:
        account = firm_get(Account, account_id)
        return redirect(url_for("chats.new_chat", account_id=account.id))
    accounts = db.session.execute(
        select(Account.id, Account.name)
        .where(Account.firm_id == current_firm_id())
        .order_by(Account.name)
        .limit(2000)
    ).all()
    return render_template("chats/choose_account.html", accounts=accounts)


@bp.route("/settings/chats", methods=["GET", "POST"])
def firm_chat_settings():
    """Whether clients may start conversations (owners and admins decide)."""
    firm = db.session.get(Firm, current_firm_id())
    assert firm is not None
    can_edit = current_user.role in ("owner", "admin")
    if request.method == "POST":
        if not can_edit:
            abort(403)
        firm.clients_can_start_chats = request.form.get("clients_can_start") == "on"
        db.session.commit()
        flash(_("Chat settings saved."), "success")
        return redirect(url_for("chats.firm_chat_settings"))
    return render_template("chats/settings.html", firm=firm, can_edit=can_edit)
