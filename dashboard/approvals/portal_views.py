"""The client's approval pages (D2): see the document, approve or disapprove."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from dashboard.approvals import service as approvals_service
from dashboard.approvals.models import ApprovalRequest
from dashboard.documents.models import Document
from dashboard.extensions import db
from dashboard.htmx import is_partial, render_page_or_partial
from dashboard.portal.blueprint import bp
from dashboard.tenancy import client_account_ids, portal_documents_select, portal_user


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
