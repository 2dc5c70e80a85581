"""The client portal's own pages: Pending action and Documents."""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, with_polymorphic

from dashboard.accounts.models import Account, Folder
from dashboard.accounts.service import group_documents
from dashboard.documents import actions
from dashboard.documents.folders import ancestors, children_of
from dashboard.documents.preview import send_inline
from dashboard.documents.responses import send_document, upload_into
from dashboard.documents.service import tell_firm_about_upload
from dashboard.extensions import db
from dashboard.htmx import flash_outcome, is_partial, render_page_or_partial, render_partial
from dashboard.items.kinds import load_items
from dashboard.items.models import ActionItem
from dashboard.portal.blueprint import bp, portal_accounts
from dashboard.tenancy import (
    client_account_ids,
    portal_folders_select,
    portal_get_document,
    portal_get_folder,
    portal_user,
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
        "portal/pending.html", "portal/_pending_list.html", todos=todos, accounts=portal_accounts()
    )


def _documents_context(opened: Folder | None = None, **extra):
    """The client's top-level folders, or one folder opened, with sub-folders and files."""
    accounts = portal_accounts()
    if opened is None:
        folders = db.session.scalars(
            portal_folders_select()
            .options(joinedload(Folder.account))
            .where(Folder.parent_id.is_(None))
            .order_by(Folder.account_id, func.lower(Folder.name))
        ).all()
        trail: list[Folder] = []
    else:
        folders, trail = [opened], ancestors(opened)
    grouped = group_documents(folders)
    document_ids = [document.id for _, documents in grouped for document in documents]
    return {
        "accounts": accounts,
        "folders": grouped,
        "opened": opened,
        "trail": trail,
        "subfolders": children_of([f.id for f in folders]),
        "notes": actions.portal_annotations(document_ids),
        **extra,
    }


@bp.route("/documents")
def documents():
    """Documents: the folders the client may see, with their files."""
    return render_page_or_partial(
        "portal/documents.html", "portal/_documents_panel.html", **_documents_context()
    )


@bp.route("/documents/folders/<int:folder_id>")
def folder(folder_id: int):
    """One folder the client may see, opened: its sub-folders and files."""
    return render_page_or_partial(
        "portal/documents.html",
        "portal/_documents_panel.html",
        **_documents_context(portal_get_folder(folder_id)),
    )


def _answer(account: Account, status: int = 200, **extra):
    opened_id = request.values.get("opened", type=int)
    opened = portal_get_folder(opened_id) if opened_id else None
    if is_partial():
        return render_partial(
            "portal/_documents_panel.html", status, **_documents_context(opened, **extra)
        )
    flash_outcome(**extra)
    if opened is not None:
        return redirect(url_for("portal.folder", folder_id=opened.id))
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


@bp.route("/documents/<int:document_id>/inline")
def inline(document_id: int):
    """A document the client may see (never in a Private folder), shown in their page."""
    return send_inline(_openable(document_id))


@bp.route("/documents/<int:document_id>/download")
def download(document_id: int):
    """Download a document from a folder the client may see."""
    return send_document(_openable(document_id))


def _openable(document_id: int):
    """The document, unless a kind locks it for now (D5: until its invoice is paid): 403."""
    document = portal_get_document(document_id)
    if document.id in actions.portal_locked([document.id]):
        abort(403)
    return document
