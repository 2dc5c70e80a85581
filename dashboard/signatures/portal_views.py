"""The client's signature pages: read the document, then sign (typed or drawn) or decline."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from dashboard.documents.models import Document
from dashboard.extensions import db
from dashboard.htmx import render_page_or_partial
from dashboard.portal.blueprint import bp
from dashboard.signatures import evidence, service
from dashboard.signatures.models import SignatureRequest, Signer
from dashboard.tenancy import client_account_ids, portal_documents_select, portal_user


def _portal_signature(request_id: int) -> SignatureRequest:
    """A signature request of the portal user's accounts, about a document they may see."""
    signature = db.session.scalar(
        select(SignatureRequest).where(
            SignatureRequest.id == request_id,
            SignatureRequest.account_id.in_(client_account_ids()),
            SignatureRequest.document_id.in_(
                portal_documents_select().with_only_columns(Document.id)
            ),
        )
    )
    if signature is None:
        abort(404)
    return signature


def _own_signer(signature: SignatureRequest, signer_id: int) -> Signer:
    """The portal user's own place among the signers; anybody else's answers 404."""
    signer = db.session.scalar(
        select(Signer).where(
            Signer.id == signer_id,
            Signer.request_id == signature.id,
            Signer.user_id == portal_user().id,
        )
    )
    if signer is None:
        abort(404)
    return signer


def _page(signature: SignatureRequest, status: int = 200, **extra):
    me = next((s for s in signature.signers if s.user_id == portal_user().id), None)
    return render_page_or_partial(
        "signatures/portal_sign.html",
        "signatures/_portal_sign_panel.html",
        signature=signature,
        me=me,
        my_state=service.signer_state(signature, me) if me else None,
        status=service.status_of(signature),
        signature_labels=service.STATUS_LABELS,
        signature_badges=service.STATUS_BADGES,
        signer_labels=service.SIGNER_LABELS,
        signer_state=service.signer_state,
        consent_text=evidence.CONSENT_TEXT,
        signed_copy_visible=_signed_copy_visible(signature),
        **extra,
    ), status


def _signed_copy_visible(signature: SignatureRequest) -> bool:
    if signature.signed_document_id is None:
        return False
    return (
        db.session.scalar(
            portal_documents_select()
            .where(Document.id == signature.signed_document_id)
            .with_only_columns(Document.id)
        )
        is not None
    )


@bp.route("/signatures/<int:request_id>")
def signature(request_id: int):
    """The document to sign, with who signed so far; the first visit is recorded."""
    signature_ = _portal_signature(request_id)
    me = next((s for s in signature_.signers if s.user_id == portal_user().id), None)
    if me is not None and not g.read_only and signature_.is_pending:
        service.record_view(portal_user(), me)
        db.session.commit()
    return _page(signature_)


@bp.route("/signatures/<int:request_id>/signers/<int:signer_id>/sign", methods=["POST"])
def sign(request_id: int, signer_id: int):
    """Sign: the typed name or the drawing, the consent tick, the hash of what was shown."""
    signature_ = _portal_signature(request_id)
    signer = _own_signer(signature_, signer_id)
    form = request.form
    method = form.get("method", "typed")
    try:
        drawing = evidence.decode_data_url(form.get("drawing", "")) if method == "drawn" else None
        service.sign(
            portal_user(),
            signature_,
            signer,
            method=method,
            typed_name=form.get("typed_name", ""),
            drawing=drawing,
            consent=form.get("consent") == "on",
            shown_sha256=form.get("document_sha256", ""),
            consent_locale=str(get_locale() or "en"),
            facts=evidence.RequestFacts.of(request),
        )
    except (service.SignatureError, evidence.EvidenceError) as refused:
        db.session.rollback()
        return _page(_portal_signature(request_id), 422, error=str(refused), form=form)
    db.session.commit()
    if signature_.seal_state == "queued":
        from dashboard.signatures.signed_copy import enqueue_seal

        enqueue_seal(signature_.id)
    flash(_("Thank you: your signature is recorded."), "success")
    return redirect(url_for("portal.signature", request_id=signature_.id))


@bp.route("/signatures/<int:request_id>/signers/<int:signer_id>/decline", methods=["POST"])
def decline(request_id: int, signer_id: int):
    """Decline to sign, with a reason the firm reads."""
    signature_ = _portal_signature(request_id)
    signer = _own_signer(signature_, signer_id)
    try:
        service.decline(
            portal_user(),
            signature_,
            signer,
            request.form.get("reason", ""),
            evidence.RequestFacts.of(request),
        )
    except service.SignatureError as refused:
        db.session.rollback()
        return _page(_portal_signature(request_id), 422, error=str(refused), form=request.form)
    db.session.commit()
    flash(_("You declined to sign. Your accountant has been told why."), "success")
    return redirect(url_for("portal.signature", request_id=signature_.id))
