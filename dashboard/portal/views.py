"""The client portal, and the read-only view of it that staff open for one contact."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from dashboard.accounts.models import Account, Contact, Folder
from dashboard.accounts.service import group_documents
from dashboard.documents.views import send_document, upload_into
from dashboard.extensions import db
from dashboard.htmx import is_partial, render_page_or_partial, render_partial
from dashboard.tenancy import (
    client_account_ids,
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
    """Pending action: the client's to-do list, most recent on top."""
    return render_page_or_partial(
        "portal/pending.html", "portal/_pending_list.html", items=[], accounts=_accounts()
    )


def _documents_context(**extra):
    accounts = _accounts()
    folders = db.session.scalars(
        portal_folders_select()
        .options(joinedload(Folder.account))
        .order_by(Folder.account_id, func.lower(Folder.name))
    ).all()
    return {"accounts": accounts, "folders": group_documents(folders), **extra}


@bp.route("/documents")
def documents():
    """Documents: the folders the client may see, with their files."""
    return render_page_or_partial(
        "portal/documents.html", "portal/_documents_panel.html", **_documents_context()
    )


def _answer(account: Account, status: int = 200, **extra):
    if is_partial():
        return render_partial("portal/_documents_panel.html", status, **_documents_context(**extra))
    for category in ("error", "success"):
        if extra.get(category):
            flash(extra[category], "danger" if category == "error" else "success")
    return redirect(url_for("portal.documents"))


@bp.route("/folders/<int:folder_id>/documents", methods=["POST"])
def upload(folder_id: int):
    """Upload into a folder the client can view and edit."""
    folder = portal_get_folder(folder_id)
    if not folder.client_can_edit:
        abort(403)
    return upload_into(portal_user(), folder, _answer)


@bp.route("/documents/<int:document_id>/download")
def download(document_id: int):
    """Download a document from a folder the client may see."""
    return send_document(portal_get_document(document_id))
