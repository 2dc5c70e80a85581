"""Staff pages for client accounts: the Clients list and the account page with its tabs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from dashboard.accounts import invites, service
from dashboard.accounts.forms import ContactForm
from dashboard.accounts.models import Account, Contact
from dashboard.audit.service import account_trail_select, describe, record_event
from dashboard.extensions import db
from dashboard.htmx import flash_outcome, is_partial, render_page_or_partial, render_partial
from dashboard.pagination import paginate
from dashboard.tenancy import current_firm_id, firm_get

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
    return render_page_or_partial(
        "accounts/clients.html",
        "accounts/_clients_table.html",
        page=page,
        search=search,
        only=only,
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


@bp.route("/clients/<int:account_id>/audit")
def audit_tab(account_id: int):
    """The Audit trail tab, newest first, paginated."""
    account = firm_get(Account, account_id)
    page = paginate(
        account_trail_select(account.firm_id, account.id), current_app.config["AUDIT_PER_PAGE"]
    )
    return render_account_tab(
        account, "audit", "audit/_tab_audit.html", page=page, describe=describe
    )


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
