"""Staff routes for signatures: request from the viewer, the Signatures sub-tab, resend, cancel."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from dashboard.accounts.models import Account
from dashboard.accounts.views import render_account_tab
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
from dashboard.signatures import service
from dashboard.signatures.models import SignatureRequest
from dashboard.tenancy import current_firm_id, firm_get

bp = Blueprint("signatures", __name__)
SUBTAB = "signatures/_subtab_signatures.html"


@bp.before_request
@login_required
def require_staff() -> None:
    """Only staff reach these routes."""
    current_firm_id()


def _firm() -> Firm:
    firm = db.session.get(Firm, current_firm_id())
    assert firm is not None
    return firm


def _subtab_context(account: Account) -> dict:
    page = paginate(
        service.signatures_select(account.firm_id, account.id),
        current_app.config["CLIENTS_PER_PAGE"],
    )
    return {
        "page": page,
        "subtab": "signatures",
        "signature_labels": service.STATUS_LABELS,
        "signature_badges": service.STATUS_BADGES,
        "signer_labels": service.SIGNER_LABELS,
        "signature_status": service.status_of,
        "signer_state": service.signer_state,
    }


@bp.route("/clients/<int:account_id>/docs/signatures")
def signatures_tab(account_id: int):
    """The Signatures sub-tab: every request of the account with each signer's state."""
    account = firm_get(Account, account_id)
    return render_account_tab(account, "docs", SUBTAB, **_subtab_context(account))


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def parse_signers(form: MultiDict) -> list[service.SignerSpec]:
    """The ticked signers in the order shown, each with the place dragged on the preview."""
    specs = []
    for raw in form.getlist("signer"):
        user_id = _int(raw)
        if user_id is None:
            continue
        specs.append(
            service.SignerSpec(
                user_id,
                _int(form.get(f"page_{user_id}")),
                _float(form.get(f"x_{user_id}")),
                _float(form.get(f"y_{user_id}")),
            )
        )
    return specs


@bp.route("/clients/<int:account_id>/documents/<int:document_id>/signature", methods=["POST"])
def request_signature(account_id: int, document_id: int):
    """Request signatures on the document: signers, order, places, message, reminders (S1)."""
    document = firm_get(Document, document_id, account_id=account_id)
    form = request.form
    try:
        settings = ReminderSettings.parse(form, ReminderSettings.defaults_for(_firm()))
        service.request_signatures(
            current_user,
            document,
            parse_signers(form),
            in_order=form.get("in_order") == "on",
            message=form.get("message", ""),
            settings=settings,
        )
    except SettingsError as invalid:
        db.session.rollback()
        return answer_viewer(
            document,
            422,
            signature_errors=invalid.errors,
            signature_form=form,
            error=_("Check the reminder settings."),
        )
    except service.SignatureError as refused:
        db.session.rollback()
        return answer_viewer(document, 422, signature_form=form, error=str(refused))
    db.session.commit()
    return answer_viewer(document, success=_("Signature requested."))


@bp.route("/clients/<int:account_id>/signatures/<int:request_id>/resend", methods=["POST"])
def resend(account_id: int, request_id: int):
    """Resend signature request (R2, B7): to the signers who have not signed yet."""
    signature = firm_get(SignatureRequest, request_id, account_id=account_id)
    if "interval_days" in request.form:  # the viewer's form also carries the reminders
        try:
            settings = ReminderSettings.parse(request.form, ReminderSettings.defaults_for(_firm()))
        except SettingsError:
            return _after_action(signature, 422, error=_("Check the reminder settings."))
        update_settings(current_user, signature, settings)
    sent = service.resend_request(current_user, signature, request.form.get("message", ""))
    db.session.commit()
    if sent:
        return _after_action(signature, success=_("Signature request sent again."))
    return _after_action(signature, 422, error=_not_sent_reason(signature))


@bp.route("/clients/<int:account_id>/signatures/<int:request_id>/cancel", methods=["POST"])
def cancel(account_id: int, request_id: int):
    """Cancel signature request: nobody can sign any more, reminders stop."""
    signature = firm_get(SignatureRequest, request_id, account_id=account_id)
    if not service.cancel_request(current_user, signature):
        db.session.rollback()
        return _after_action(signature, 422, error=_("This request is no longer pending."))
    db.session.commit()
    return _after_action(signature, success=_("Signature request cancelled."))


def _not_sent_reason(signature: SignatureRequest) -> str:
    return resend_refusal(signature, _("Not sent: no signer can receive it."))


def _after_action(signature: SignatureRequest, status: int = 200, **extra):
    """From the viewer, answer the viewer panel; from the list, the Signatures sub-tab."""
    if request.form.get("from") == "viewer":
        return answer_viewer(signature.document, status, **extra)
    account = db.session.get(Account, signature.account_id)
    assert account is not None
    if not is_partial():
        flash_outcome(**extra)
        return redirect(url_for("signatures.signatures_tab", account_id=account.id))
    return render_partial(
        "accounts/_tabs.html",
        status,
        account=account,
        tab="docs",
        tab_template=SUBTAB,
        **_subtab_context(account),
        **extra,
    )
