"""Staff pages for client accounts: the Clients list and the account page with its tabs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from dashboard.accounts import service
from dashboard.accounts.models import Account, Contact
from dashboard.audit.service import account_trail_select, describe, record_event
from dashboard.extensions import db
from dashboard.htmx import render_page_or_partial, render_partial
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


@bp.route("/clients/<int:account_id>/info")
def info_tab(account_id: int):
    """The Info tab: the account's contacts with their NOTIFY toggles."""
    account = firm_get(Account, account_id)
    contacts = (
        db.session.scalars(
            select(Contact).where(Contact.account_id == account.id).order_by(Contact.id)
        )
        .unique()
        .all()
    )
    return render_account_tab(account, "info", "accounts/_tab_info.html", contacts=contacts)


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
