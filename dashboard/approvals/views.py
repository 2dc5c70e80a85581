"""Staff routes for approvals: the viewer's ✓, the Approvals sub-tab, resend and cancel."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from dashboard.accounts.models import Account
from dashboard.accounts.views import render_account_tab
from dashboard.approvals import service
from dashboard.approvals.models import ApprovalRequest
from dashboard.approvals.service import approvals_select
from dashboard.auth.models import Firm
from dashboard.documents.models import Document
from dashboard.documents.viewer import answer_viewer
from dashboard.extensions import db
from dashboard.htmx import flash_outcome, is_partial, render_partial
from dashboard.pagination import paginate
from dashboard.reminders.service import (
    ReminderSettings,
    SettingsError,
    resend_refusal,
    update_settings,
)
from dashboard.tenancy import current_firm_id, firm_get

bp = Blueprint("approvals", __name__)


@bp.before_request
@login_required
def require_staff() -> None:
    """Only staff reach these routes."""
    current_firm_id()


def _firm() -> Firm:
    firm = db.session.get(Firm, current_firm_id())
    assert firm is not None
    return firm


@bp.route("/clients/<int:account_id>/docs/approvals")
def approvals_tab(account_id: int):
    """The Approvals sub-tab (D6): every request of the account, pending first."""
    account = firm_get(Account, account_id)
    page = paginate(
        approvals_select(account.firm_id, account.id), current_app.config["CLIENTS_PER_PAGE"]
    )
    return render_account_tab(
        account, "docs", "approvals/_subtab_approvals.html", page=page, subtab="approvals"
    )


def _viewer_answer(document: Document, status: int = 200, **extra):
    """Answer a viewer form with the re-rendered viewer (htmx) or a redirect to it."""
    return answer_viewer(document, status, **extra)


@bp.route("/clients/<int:account_id>/documents/<int:document_id>/approval", methods=["POST"])
def request_approval(account_id: int, document_id: int):
    """Request approval of the document, with an optional message and reminders (D1)."""
    document = firm_get(Document, document_id, account_id=account_id)
    try:
        settings = ReminderSettings.parse(request.form, ReminderSettings.defaults_for(_firm()))
        service.request_approval(current_user, document, request.form.get("message", ""), settings)
    except SettingsError as invalid:
        db.session.rollback()
        return _viewer_answer(
            document,
            422,
            errors=invalid.errors,
            form=request.form,
            error=_("Check the reminder settings."),
        )
    except service.ApprovalError as refused:
        db.session.rollback()
        return _viewer_answer(document, 422, error=str(refused))
    db.session.commit()
    return _viewer_answer(document, success=_("Approval requested."))


@bp.route("/clients/<int:account_id>/approvals/<int:request_id>/resend", methods=["POST"])
def resend(account_id: int, request_id: int):
    """Resend approval request (D3), with an optional message."""
    approval = firm_get(ApprovalRequest, request_id, account_id=account_id)
    if "interval_days" in request.form:  # the viewer's form also carries the reminders
        try:
            settings = ReminderSettings.parse(request.form, ReminderSettings.defaults_for(_firm()))
        except SettingsError:
            return _after_list_action(approval, 422, error=_("Check the reminder settings."))
        update_settings(current_user, approval, settings)
    sent = service.resend_request(current_user, approval, request.form.get("message", ""))
    db.session.commit()
    if sent:
        return _after_list_action(approval, success=_("Approval request sent again."))
    return _after_list_action(approval, 422, error=not_sent_reason(approval))


@bp.route("/clients/<int:account_id>/approvals/<int:request_id>/cancel", methods=["POST"])
def cancel(account_id: int, request_id: int):
    """Cancel approval request (D7)."""
    approval = firm_get(ApprovalRequest, request_id, account_id=account_id)
    service.cancel_request(current_user, approval)
    db.session.commit()
    return _after_list_action(approval, success=_("Approval request cancelled."))


def not_sent_reason(approval: ApprovalRequest) -> str:
    """Why a resend did nothing, and when it can go (R2's 10-minute guard)."""
    return resend_refusal(
        approval,
        _("Not sent: nobody can receive it (no contact with NOTIFY and portal access)."),
    )


def _after_list_action(approval: ApprovalRequest, status: int = 200, **extra):
    """From the viewer, answer the viewer panel; from the list, the Approvals sub-tab."""
    if request.form.get("from") == "viewer":
        return _viewer_answer(approval.document, status, **extra)
    account = db.session.get(Account, approval.account_id)
    assert account is not None
    if not is_partial():
        flash_outcome(**extra)
        return redirect(url_for("approvals.approvals_tab", account_id=account.id))
    page = paginate(
        approvals_select(account.firm_id, account.id), current_app.config["CLIENTS_PER_PAGE"]
    )
    return render_partial(
        "accounts/_tabs.html",
        status,
        account=account,
        tab="docs",
        tab_template="approvals/_subtab_approvals.html",
        page=page,
        subtab="approvals",
        **extra,
    )


@bp.route("/clients/<int:account_id>/approvals/resend-pending", methods=["POST"])
def resend_pending(account_id: int):
    """Request approval for pending (D6): resend every pending request with one message."""
    account = firm_get(Account, account_id)
    outcome = service.resend_all_pending(
        current_user, account.id, account.firm_id, request.form.get("message", "")
    )
    db.session.commit()
    if outcome.sent:
        category = "success"
        message = ngettext(
            "%(num)d approval request sent again.",
            "%(num)d approval requests sent again.",
            outcome.sent,
        )
        if outcome.too_soon:
            message += " " + ngettext(
                "%(num)d was not: it was sent less than 10 minutes ago.",
                "%(num)d were not: they were sent less than 10 minutes ago.",
                outcome.too_soon,
            )
    elif outcome.too_soon:
        category = "error"
        message = ngettext(
            "Nothing was sent: the pending request was sent less than 10 minutes ago.",
            "Nothing was sent: the %(num)d pending requests were sent less than 10 minutes ago.",
            outcome.too_soon,
        )
    else:
        category = "error"
        message = _("Nothing was sent: no approval request is pending.")
    if not is_partial():
        flash(message, category)
        return redirect(url_for("approvals.approvals_tab", account_id=account.id))
    page = paginate(
        approvals_select(account.firm_id, account.id), current_app.config["CLIENTS_PER_PAGE"]
    )
    return render_partial(
        "accounts/_tabs.html",
        account=account,
        tab="docs",
        tab_template="approvals/_subtab_approvals.html",
        page=page,
        subtab="approvals",
        **{category: message},
    )
