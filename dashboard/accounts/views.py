"""Staff pages for client accounts: the Clients list and the account page with its tabs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from sqlalchemy import select

from dashboard.accounts import invites, service
from dashboard.accounts.forms import ContactForm
from dashboard.accounts.models import Account, Contact
from dashboard.audit.models import AuditEvent
from dashboard.audit.service import describe, record_event
from dashboard.auth.models import User
from dashboard.extensions import db
from dashboard.htmx import flash_outcome, is_partial, render_page_or_partial, render_partial
from dashboard.i18n import format_date_once, format_datetime_once, translations
from dashboard.pagination import paginate
from dashboard.tenancy import current_firm_id, firm_get
from dashboard.urls import url_maker

bp = Blueprint("accounts", __name__)


@bp.before_request
@login_required
def require_staff() -> None:
    """Only staff reach these pages."""
    current_firm_id()


def render_account_tab(account: Account, tab: str, template: str, /, **context: Any):
    """The account page with one tab open, or just the tabs block for htmx."""
    context.update(account=account, tab=tab, tab_template=template)
    return render_page_or_partial("accounts/account.html", "accounts/_tabs.html", **context)


@dataclass(slots=True)
class ClientRow:
    """One account of the Clients list, with the strings of its row computed once."""

    id: int
    name: str
    contact_count: int
    document_count: int
    notify_count: int
    info_url: str
    communication_url: str
    contacts_text: str
    documents_text: str
    since: str
    select_label: Markup
    notify_title: Markup


def _client_rows(items: list) -> list[ClientRow]:
    """The page's rows: links from templates built once, each creation date formatted once,
    each "n contacts of m are notified" once per pair (translated as the template would)."""
    catalog = translations()
    number = current_app.jinja_env.filters["numberformat"]
    select_label = Markup(catalog.ugettext("Select %(name)s"))
    info = url_maker("accounts.info_tab", "account_id")
    communication = url_maker("chats.communication_tab", "account_id")
    dates: dict[Any, str] = {}
    titles: dict[tuple[int, int], Markup] = {}
    rows = []
    for account_id, name, created_at, contacts, documents, notified in items:
        if created_at not in dates:
            dates[created_at] = format_date_once(created_at, "medium")
        if contacts and notified and (notified, contacts) not in titles:
            titles[notified, contacts] = Markup(
                catalog.ungettext(
                    "%(num)s contact of %(total)s is notified",
                    "%(num)s contacts of %(total)s are notified",
                    notified,
                )
            ) % {"num": notified, "total": contacts}
        rows.append(
            ClientRow(
                id=account_id,
                name=name,
                contact_count=contacts,
                document_count=documents,
                notify_count=notified,
                info_url=info(account_id),
                communication_url=communication(account_id),
                contacts_text=number(contacts),
                documents_text=number(documents),
                since=dates[created_at],
                select_label=select_label % {"name": name},
                notify_title=titles.get((notified, contacts), Markup()),
            )
        )
    return rows


@bp.route("/clients")
def clients():
    """The Clients list, searchable, 50 a page."""
    search = request.args.get("q", "")
    only = request.args.get("filter", "")
    page = paginate(
        service.clients_select(current_firm_id(), search, only),
        current_app.config["CLIENTS_PER_PAGE"],
        scalars=False,
    )
    page.items = _client_rows(page.items)
    return render_page_or_partial(
        "accounts/clients.html",
        "accounts/_clients_table.html",
        page=page,
        search=search,
        only=only,
    )


def account_options(firm_id: int, limit: int = 2000) -> Markup:
    """The firm's accounts (by name, at most `limit`) as the <option>s of a select (a firm
    page's + New): one string built here, each name escaped, rather than a template loop
    over a thousand accounts."""
    rows = db.session.execute(
        select(Account.id, Account.name)
        .where(Account.firm_id == firm_id)
        .order_by(Account.name)
        .limit(limit)
    )
    return Markup(  # noqa: S704 — the ids are integers and every name is escaped
        "".join(f'<option value="{int(i)}">{escape(name)}</option>' for i, name in rows)
    )


@bp.route("/clients/<int:account_id>")
def account(account_id: int):
    """An account opens on its Info tab."""
    firm_get(Account, account_id)
    return redirect(url_for("accounts.info_tab", account_id=account_id))


def _contact_form(account: Account, contact: Contact | None = None, **kwargs) -> ContactForm:
    """The contact form, its time zones naming the firm's (the default) and the contact's."""
    zone = contact.user.time_zone if contact is not None else None
    return ContactForm(firm_time_zone=current_user.firm.time_zone, current_zone=zone, **kwargs)


def _info_context(account: Account, **extra: Any) -> dict[str, Any]:
    contacts = (
        db.session.scalars(
            select(Contact).where(Contact.account_id == account.id).order_by(Contact.id)
        )
        .unique()
        .all()
    )
    if "add_form" not in extra:
        form = _contact_form(account, formdata=None)
        form.language.data = current_user.firm.default_language
        extra["add_form"] = form
    return {
        "contacts": contacts,
        "open_invites": invites.open_invites([c.user_id for c in contacts]),
        "edit_form": None,
        "editing": None,
        **extra,
    }


def _info_answer(account: Account, status: int = 200, **extra: Any):
    """A contact mutation answers the Info panel (htmx), or the page (plain form)."""
    context = _info_context(account, **extra)
    if is_partial():
        return render_partial("accounts/_tab_info.html", status, account=account, **context)
    if status == 200:
        flash_outcome(**extra)
        return redirect(url_for("accounts.info_tab", account_id=account.id))
    response = render_account_tab(account, "info", "accounts/_tab_info.html", **context)
    response.status_code = status
    return response


def _edit_form_for(account: Account, contact: Contact) -> ContactForm:
    form = _contact_form(account, contact, formdata=None)
    form.name.data = contact.user.name
    form.email.data = contact.user.email
    form.language.data = contact.user.language or current_user.firm.default_language
    form.time_zone.data = contact.user.time_zone or ""
    form.portal_access.data = contact.portal_access
    form.notify.data = contact.notify
    return form


@bp.route("/clients/<int:account_id>/info")
def info_tab(account_id: int):
    """The Info tab: the account's contacts, their NOTIFY toggles, add and edit forms."""
    account = firm_get(Account, account_id)
    extra: dict[str, Any] = {"show_add_form": request.args.get("add") == "1"}
    edit_id = request.args.get("edit", type=int)
    if edit_id:
        contact = firm_get(Contact, edit_id, account_id=account.id)
        extra.update(editing=contact.id, edit_form=_edit_form_for(account, contact))
    return render_account_tab(
        account, "info", "accounts/_tab_info.html", **_info_context(account, **extra)
    )


#: What a refused contact value means, for the person filling in the form.
CONTACT_ERRORS = {
    "email_in_use": (
        "email",
        _l("This email address is already the login of someone outside this firm's clients."),
    ),
    "email_in_account": ("email", _l("This person is already a contact of this account.")),
    "email": ("email", _l("Enter an email address like name@example.com.")),
    "name": ("name", _l("Enter a name.")),
    "language": ("language", _l("Choose a language.")),
    "time_zone": ("time_zone", _l("Choose a time zone from the list.")),
}


def _refused(form: ContactForm, error: service.InvalidValue) -> None:
    field, message = CONTACT_ERRORS.get(str(error), ("email", str(error)))
    getattr(form, field).errors = [str(message)]


@bp.route("/clients/<int:account_id>/contacts", methods=["POST"])
def add_contact(account_id: int):
    """Add a contact to the account (a new client login, or the firm's existing client)."""
    account = firm_get(Account, account_id)
    form = _contact_form(account)
    if form.validate():
        try:
            contact = service.add_contact(current_user, account, form.values())
        except service.InvalidValue as error:
            _refused(form, error)
        else:
            db.session.commit()
            return _info_answer(
                account, success=_("%(name)s was added.", name=contact.user.name)
            )
    db.session.rollback()
    return _info_answer(
        account,
        422,
        add_form=form,
        show_add_form=True,
        error=_("The contact was not added."),
    )


@bp.route("/clients/<int:account_id>/contacts/<int:contact_id>/edit")
def edit_contact_form(account_id: int, contact_id: int):
    """The Info panel with one contact's row opened for editing."""
    account = firm_get(Account, account_id)
    contact = firm_get(Contact, contact_id, account_id=account.id)
    if not is_partial():
        return redirect(url_for("accounts.info_tab", account_id=account.id, edit=contact.id))
    return render_partial(
        "accounts/_tab_info.html",
        account=account,
        **_info_context(
            account, editing=contact.id, edit_form=_edit_form_for(account, contact)
        ),
    )


@bp.route("/clients/<int:account_id>/contacts/<int:contact_id>", methods=["POST"])
def update_contact(account_id: int, contact_id: int):
    """Save a contact's name, email, language, time zone, portal access and NOTIFY."""
    account = firm_get(Account, account_id)
    contact = firm_get(Contact, contact_id, account_id=account.id)
    form = _contact_form(account, contact)
    if form.validate():
        try:
            service.update_contact(current_user, contact, form.values())
        except service.InvalidValue as error:
            _refused(form, error)
        else:
            db.session.commit()
            return _info_answer(
                account, success=_("%(name)s was saved.", name=contact.user.name)
            )
    db.session.rollback()
    return _info_answer(
        account,
        422,
        editing=contact.id,
        edit_form=form,
        error=_("The contact was not saved."),
    )


@bp.route("/clients/<int:account_id>/contacts/<int:contact_id>/invite", methods=["POST"])
def invite_contact(account_id: int, contact_id: int):
    """Email the contact a link to set a portal password (an earlier link stops working)."""
    account = firm_get(Account, account_id)
    contact = firm_get(Contact, contact_id, account_id=account.id)
    try:
        invites.invite_contact(current_user, contact)
    except invites.InviteError:
        db.session.rollback()
        return _info_answer(
            account, 422, error=_("Turn portal access on before inviting this contact.")
        )
    db.session.commit()
    return _info_answer(
        account,
        success=_(
            "Invitation sent to %(email)s; the link works for %(days)s days.",
            email=contact.user.email,
            days=invites.INVITE_VALID_DAYS,
        ),
    )


@dataclass(slots=True)
class AuditRow:
    """An event of the Audit trail tab: when, who (None: the system) and what, as shown."""

    when: str
    actor: str | None
    text: str


@bp.route("/clients/<int:account_id>/audit")
def audit_tab(account_id: int):
    """The Audit trail tab, newest first, paginated: the events' columns and their actors'
    names (one query, not ORM objects), each sentence and time computed once."""
    account = firm_get(Account, account_id)
    page = paginate(
        # account_trail_select's rows as columns (its order: newest first).
        select(AuditEvent.action, AuditEvent.details, AuditEvent.created_at, AuditEvent.actor_id)
        .where(AuditEvent.firm_id == account.firm_id, AuditEvent.account_id == account.id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()),
        current_app.config["AUDIT_PER_PAGE"],
        scalars=False,
    )
    actor_ids = {event.actor_id for event in page.items if event.actor_id is not None}
    names = (
        dict(db.session.execute(select(User.id, User.name).where(User.id.in_(actor_ids))).all())
        if actor_ids
        else {}
    )
    dates: dict[Any, str] = {}
    rows = []
    for event in page.items:
        if event.created_at not in dates:
            dates[event.created_at] = format_datetime_once(event.created_at, "short")
        rows.append(AuditRow(dates[event.created_at], names.get(event.actor_id), describe(event)))
    page.items = rows
    return render_account_tab(account, "audit", "audit/_tab_audit.html", page=page)


@bp.route("/clients/<int:account_id>/contacts/<int:contact_id>/notify", methods=["POST"])
def toggle_notify(account_id: int, contact_id: int):
    """Turn a contact's NOTIFY on or off; answers the re-rendered toggle."""
    contact = firm_get(Contact, contact_id, account_id=account_id)
    wanted = request.form.get("notify")
    if wanted not in ("on", "off"):
        abort(400)
    service.set_notify(current_user, contact, wanted == "on")
    db.session.commit()
    return render_partial("accounts/_notify_toggle.html", contact=contact)


@bp.route("/clients/<int:account_id>/contacts/<int:contact_id>/portal-view", methods=["POST"])
def open_portal_view(account_id: int, contact_id: int):
    """Open the read-only view of this contact's portal."""
    contact = firm_get(Contact, contact_id, account_id=account_id)
    if not contact.portal_access:
        abort(404)
    record_event(
        firm_id=contact.firm_id,
        account_id=contact.account_id,
        actor=current_user,
        subject_type="contact",
        subject_id=contact.id,
        action="portal.viewed_as",
        contact=contact.user.name,
    )
    db.session.commit()
    session["portal_view_contact_id"] = contact.id
    return redirect(url_for("portal.pending"))


@bp.route("/portal-view/exit", methods=["POST"])
def close_portal_view():
    """Leave the read-only portal view and go back to the account."""
    contact_id = session.pop("portal_view_contact_id", None)
    contact = db.session.get(Contact, contact_id) if contact_id else None
    if contact is not None and contact.firm_id == current_user.firm_id:
        return redirect(url_for("accounts.info_tab", account_id=contact.account_id))
    return redirect(url_for("accounts.clients"))
