"""Staff routes for an account's documents: the Docs tab, folders, uploads, downloads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from dashboard.accounts import service as accounts_service
from dashboard.accounts.forms import FolderAccessForm, FolderForm
from dashboard.accounts.models import Account, Folder
from dashboard.accounts.views import render_account_tab
from dashboard.approvals import service as approvals_service
from dashboard.approvals.models import ApprovalRequest
from dashboard.approvals.service import document_statuses
from dashboard.auth.models import Firm, User
from dashboard.clock import now
from dashboard.documents import service, storage
from dashboard.documents.models import Document
from dashboard.documents.uploads import UploadRefused
from dashboard.extensions import db
from dashboard.htmx import flash_outcome, is_partial, render_page_or_partial, render_partial
from dashboard.pagination import paginate
from dashboard.reminders.service import ReminderSettings
from dashboard.tenancy import current_firm_id, firm_get

bp = Blueprint("documents", __name__)


@bp.before_request
@login_required
def require_staff() -> None:
    """Only staff reach these routes."""
    current_firm_id()


def _docs_context(account: Account, **extra):
    folders = accounts_service.account_folders_with_documents(account)
    document_ids = [document.id for _, documents in folders for document in documents]
    return {
        "account": account,
        "folders": folders,
        "approval_statuses": document_statuses(document_ids),
        "folder_form": extra.pop("folder_form", None) or FolderForm(formdata=None),
        **extra,
    }


def _answer(account: Account, status: int = 200, **extra):
    """A mutation answers the re-rendered Docs panel (htmx) or redirects to the tab."""
    if is_partial():
        return render_partial("documents/_tab_docs.html", status, **_docs_context(account, **extra))
    flash_outcome(**extra)
    return redirect(url_for("documents.docs_tab", account_id=account.id))


@bp.route("/clients/<int:account_id>/docs")
def docs_tab(account_id: int):
    """The Docs tab: folders with their access level and documents."""
    account = firm_get(Account, account_id)
    return render_account_tab(account, "docs", "documents/_tab_docs.html", **_docs_context(account))


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
    form = FolderAccessForm()
    if not form.validate():
        return _answer(folder.account, 422, error=_("Choose an access level."))
    accounts_service.change_folder_access(current_user, folder, form.access.data or "")
    db.session.commit()
    return _answer(folder.account, success=_("Access of %(folder)s changed.", folder=folder.name))


@bp.route("/clients/<int:account_id>/folders/<int:folder_id>/documents", methods=["POST"])
def upload(account_id: int, folder_id: int):
    """Upload one or several files, or a zip that is unpacked, into a folder."""
    folder = firm_get(Folder, folder_id, account_id=account_id)
    ask = request.form.get("request_approval") == "on" and folder.client_can_view
    return upload_into(current_user, folder, _answer, request_approval=ask)


def upload_into(
    uploader: User,
    folder: Folder,
    answer: Callable[..., Response],
    request_approval: bool = False,
    after_upload: Callable[[list[Document]], None] | None = None,
) -> Response:
    """Shared by staff and portal uploads: keep everything or nothing, then answer.

    Staff can ask for approval of the uploaded documents at once (D1), with the firm's
    default reminders.
    """
    account = folder.account
    try:
        result = service.upload_documents(uploader, folder, request.files.getlist("files"))
        if request_approval:
            firm = db.session.get(Firm, folder.firm_id)
            assert firm is not None
            for document in result.documents:
                approvals_service.request_approval(
                    uploader,
                    document,
                    request.form.get("message", ""),
                    ReminderSettings.defaults_for(firm),
                )
    except UploadRefused as refused:
        db.session.rollback()
        return answer(account, 422, error=str(refused))
    if after_upload is not None:
        after_upload(result.documents)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        storage.remove(result.storage_keys)
        raise
    count = len(result.documents)
    return answer(
        account,
        success=ngettext(
            "%(num)d document uploaded to %(folder)s.",
            "%(num)d documents uploaded to %(folder)s.",
            count,
            folder=folder.name,
        ),
    )


@bp.route("/clients/<int:account_id>/documents/<int:document_id>/download")
def download(account_id: int, document_id: int):
    """Download a document as an attachment."""
    document = firm_get(Document, document_id, account_id=account_id)
    return send_document(document)


def send_document(document: Document):
    return send_file(
        storage.path_for(document.storage_key),
        mimetype=document.content_type,
        as_attachment=True,
        download_name=document.name.rsplit("/", 1)[-1],
        etag=document.content_hash,
        max_age=0,
    )


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


#: Filters of the Documents page (D5). "Pending payment" needs invoices (I1), not built yet.
DOCUMENT_FILTERS = ("all", "awaiting", "approved", "rejected")


def _approval_filter(stmt, status: str):
    """Keep documents whose latest request that was not cancelled has this status."""
    if status == "all":
        return stmt
    latest = (
        select(
            case((ApprovalRequest.status == "pending", "awaiting"), else_=ApprovalRequest.decision)
        )
        .where(ApprovalRequest.document_id == Document.id, ApprovalRequest.status != "cancelled")
        .order_by(ApprovalRequest.sent_at.desc(), ApprovalRequest.id.desc())
        .limit(1)
        .correlate(Document)
        .scalar_subquery()
    )
    return stmt.where(latest == status)


@bp.route("/documents")
def documents_page():
    """The firm's Documents page (D5): Recent (last 30 days) and Approvals, with filters."""
    firm_id = current_firm_id()
    tab = request.args.get("tab", "recent")
    status = request.args.get("status", "all")
    if tab not in ("recent", "approvals"):
        tab = "recent"
    if status not in DOCUMENT_FILTERS:
        status = "all"
    per_page = current_app.config["CLIENTS_PER_PAGE"]
    if tab == "recent":
        stmt = (
            select(Document)
            .options(joinedload(Document.uploaded_by), joinedload(Document.folder))
            .where(
                Document.firm_id == firm_id, Document.last_activity_at >= now() - timedelta(days=30)
            )
            .order_by(Document.last_activity_at.desc(), Document.id.desc())
        )
        page = paginate(_approval_filter(stmt, status), per_page)
        statuses = document_statuses([d.id for d in page.items])
        accounts = _account_names({d.account_id for d in page.items})
    else:
        from dashboard.approvals.views import approvals_select

        stmt = approvals_select(firm_id)
        if status == "awaiting":
            stmt = stmt.where(ApprovalRequest.status == "pending")
        elif status in ("approved", "rejected"):
            stmt = stmt.where(ApprovalRequest.decision == status)
        page = paginate(stmt, per_page)
        statuses, accounts = {}, {}
    return render_page_or_partial(
        "documents/documents_page.html",
        "documents/_documents_page_panel.html",
        tab=tab,
        status=status,
        page=page,
        statuses=statuses,
        accounts=accounts,
    )


def _account_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(
        db.session.execute(select(Account.id, Account.name).where(Account.id.in_(ids))).all()
    )
