"""Staff routes for an account's documents: the Docs tab, folders, uploads, downloads."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    redirect,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dashboard.accounts import service as accounts_service
from dashboard.accounts.forms import FolderAccessForm, FolderForm
from dashboard.accounts.models import Account, Folder
from dashboard.accounts.views import render_account_tab
from dashboard.clock import now
from dashboard.documents import actions, listing, service, storage
from dashboard.documents.folders import ancestors, children_of
from dashboard.documents.models import Document
from dashboard.documents.preview import send_inline
from dashboard.documents.responses import send_document, upload_into
from dashboard.documents.viewer import answer_viewer, render_viewer
from dashboard.extensions import db
from dashboard.htmx import flash_outcome, is_partial, render_page_or_partial, render_partial
from dashboard.pagination import paginate
from dashboard.tenancy import current_firm_id, firm_get
from dashboard.urls import url_maker

bp = Blueprint("documents", __name__)


@bp.before_request
@login_required
def require_staff() -> None:
    """Only staff reach these routes."""
    current_firm_id()


def _docs_context(account: Account, folder: Folder | None = None, **extra):
    """The top-level folders, or one folder opened (with the way back up), with contents."""
    if folder is None:
        folders = listing.folder_rows(accounts_service.account_top_folders(account))
        trail: list[Folder] = []
    else:
        folders = listing.folder_rows([folder])
        trail = ancestors(folder)
    pairs = [(f, document) for f, documents in folders for document in documents]
    notes = actions.staff_annotations(pairs)
    csrf = generate_csrf()
    for _folder, document in pairs:
        document.menu = listing.menu_html(notes.menus.get(document.id, ()), csrf)
    return {
        "account": account,
        "folders": folders,
        "opened": folder,
        "trail": trail,
        "subfolders": children_of([f.id for f, _ in folders]),
        "notes": notes,
        "upload_options": {f.id: actions.upload_options(f) for f, _ in folders},
        "folder_form": extra.pop("folder_form", None) or FolderForm(formdata=None),
        **extra,
    }


def _opened_folder(account: Account) -> Folder | None:
    """The folder a Docs form was sent from (hidden `opened`), to answer with it open."""
    opened = request.values.get("opened", type=int)
    return firm_get(Folder, opened, account_id=account.id) if opened else None


def _answer(account: Account, status: int = 200, **extra):
    """A mutation answers the re-rendered Docs panel (htmx) or redirects to the tab."""
    folder = _opened_folder(account)
    if is_partial():
        context = _docs_context(account, folder, **extra)
        return render_partial("documents/_tab_docs.html", status, **context)
    flash_outcome(**extra)
    if folder is not None:
        return redirect(url_for("documents.folder", account_id=account.id, folder_id=folder.id))
    return redirect(url_for("documents.docs_tab", account_id=account.id))


@bp.route("/clients/<int:account_id>/docs")
def docs_tab(account_id: int):
    """The Docs tab: folders with their access level and documents."""
    account = firm_get(Account, account_id)
    return render_account_tab(account, "docs", "documents/_tab_docs.html", **_docs_context(account))


@bp.route("/clients/<int:account_id>/docs/folders/<int:folder_id>")
def folder(account_id: int, folder_id: int):
    """One folder opened in the Docs tab: its sub-folders and documents, the way back up."""
    account = firm_get(Account, account_id)
    opened = firm_get(Folder, folder_id, account_id=account.id)
    return render_account_tab(
        account, "docs", "documents/_tab_docs.html", **_docs_context(account, opened)
    )


@bp.route("/clients/<int:account_id>/folders", methods=["POST"])
def create_folder(account_id: int):
    """Add a top-level folder with an access level."""
    account = firm_get(Account, account_id)
    form = FolderForm()
    if form.validate():
        try:
            accounts_service.create_folder(
                current_user, account, form.name.data or "", form.access.data or "private"
            )
        except accounts_service.InvalidValue:
            form.name.errors = [_("A folder with this name already exists.")]
        else:
            db.session.commit()
            return _answer(account, success=_("Folder created."))
    db.session.rollback()
    return _answer(
        account,
        422,
        folder_form=form,
        show_folder_form=True,
        error=_("The folder was not created."),
    )


@bp.route("/clients/<int:account_id>/folders/<int:folder_id>/access", methods=["POST"])
def change_access(account_id: int, folder_id: int):
    """Change who may see a folder."""
    folder = firm_get(Folder, folder_id, account_id=account_id)
    if folder.parent_id is not None:
        return _answer(
            folder.account, 422, error=_("A sub-folder has the access of its top-level folder.")
        )
    form = FolderAccessForm()
    if not form.validate():
        return _answer(folder.account, 422, error=_("Choose an access level."))
    accounts_service.change_folder_access(current_user, folder, form.access.data or "")
    db.session.commit()
    return _answer(folder.account, success=_("Access of %(folder)s changed.", folder=folder.name))


@bp.route("/clients/<int:account_id>/folders/<int:folder_id>/documents", methods=["POST"])
def upload(account_id: int, folder_id: int):
    """Upload one or several files, or a zip that is unpacked, into a folder; the kinds act
    on the options ticked in the form (Request approval, …)."""
    folder = firm_get(Folder, folder_id, account_id=account_id)
    return upload_into(
        current_user,
        folder,
        _answer,
        after_upload=lambda documents: actions.after_upload(
            current_user, folder, documents, request.form
        ),
    )


@bp.route("/clients/<int:account_id>/documents/<int:document_id>")
def viewer(account_id: int, document_id: int):
    """The document viewer: the document, its details, and what each kind offers on it."""
    return render_viewer(firm_get(Document, document_id, account_id=account_id))


@bp.route("/clients/<int:account_id>/documents/<int:document_id>/description", methods=["POST"])
def describe(account_id: int, document_id: int):
    """Edit a document's description (A5) from the viewer."""
    document = firm_get(Document, document_id, account_id=account_id)
    service.update_description(current_user, document, request.form.get("description", ""))
    db.session.commit()
    return answer_viewer(document, success=_("Description saved."))


@bp.route("/clients/<int:account_id>/documents/<int:document_id>/inline")
def inline(account_id: int, document_id: int):
    """A document of the firm, shown in the viewer (safe types only)."""
    return send_inline(firm_get(Document, document_id, account_id=account_id))


@bp.route("/clients/<int:account_id>/documents/<int:document_id>/download")
def download(account_id: int, document_id: int):
    """Download a document as an attachment."""
    document = firm_get(Document, document_id, account_id=account_id)
    return send_document(document)


@bp.route("/clients/<int:account_id>/documents/<int:document_id>/delete", methods=["POST"])
def delete(account_id: int, document_id: int):
    """Delete a document and its file."""
    document = firm_get(Document, document_id, account_id=account_id)
    account = db.session.get(Account, document.account_id)
    name = document.name
    try:
        key = service.delete_document(current_user, document)
        db.session.commit()
    except IntegrityError:
        # Approval requests and chat messages keep pointing at it: it is part of the record.
        db.session.rollback()
        return _answer(
            account,
            422,
            error=_(
                "%(name)s is kept: an approval request or a conversation refers to it.", name=name
            ),
        )
    storage.remove([key])
    return _answer(account, success=_("%(name)s deleted.", name=name))


@bp.route("/documents")
def documents_page():
    """The firm's Documents page (D5): Recent (last 30 days) with the kinds' filters, and the
    kinds' tabs (Approvals, …)."""
    firm_id = current_firm_id()
    tabs = {tab.key: tab for tab in actions.page_tabs()}
    filters = {item.key: item for item in actions.filters()}
    tab = request.args.get("tab", "recent")
    tab = tab if tab in tabs else "recent"
    status = request.args.get("status", "all")
    status = status if status in filters else "all"
    per_page = current_app.config["CLIENTS_PER_PAGE"]
    context: dict = {
        "tab": tab,
        "status": status,
        "tabs": tabs,
        "tab_choices": [(key, item.label) for key, item in tabs.items()],
        "filter_choices": [(key, item.label) for key, item in filters.items()],
    }
    if tab == "recent":
        # Columns only (listing.py): the COUNT reads the firm's activity index, nothing joined.
        stmt = (
            listing.columns_select()
            .where(
                Document.firm_id == firm_id, Document.last_activity_at >= now() - timedelta(days=30)
            )
            .order_by(Document.last_activity_at.desc(), Document.id.desc())
        )
        if status != "all":
            stmt = stmt.where(filters[status].where())
        page = paginate(stmt, per_page, scalars=False)
        page.items = listing.rows_of(page.items, with_actions=False)
        names = _account_names({d.account_id for d in page.items})
        docs_tab = url_maker("documents.docs_tab", "account_id")
        for row in page.items:
            row.account_name = names.get(row.account_id) or ""
            row.account_url = docs_tab(row.account_id)
        context.update(page=page, notes=actions.staff_badges([d.id for d in page.items]))
    else:
        context.update(tabs[tab].load(firm_id, status, per_page))
    return render_page_or_partial(
        "documents/documents_page.html", "documents/_documents_page_panel.html", **context
    )


def _account_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(
        db.session.execute(select(Account.id, Account.name).where(Account.id.in_(ids))).all()
    )
