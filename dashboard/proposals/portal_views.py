"""The client's Proposals & ELs: read the letter, then sign (typed or drawn) or decline."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import case, select

from dashboard.documents.responses import pdf_response
from dashboard.extensions import db
from dashboard.portal.blueprint import bp, portal_accounts
from dashboard.proposals import service, signed_pdf
from dashboard.proposals.models import Proposal
from dashboard.signatures import evidence
from dashboard.tenancy import client_account_ids, portal_user

#: What a client sees of proposals: sent ones (drafts are the firm's own).
VISIBLE = ("sent", "viewed", "signed", "declined", "expired", "cancelled")


def _portal_proposal(proposal_id: int) -> Proposal:
    proposal = db.session.scalar(
        select(Proposal).where(
            Proposal.id == proposal_id,
            Proposal.account_id.in_(client_account_ids()),
            Proposal.state.in_(VISIBLE),
        )
    )
    if proposal is None:
        abort(404)
    return proposal


@bp.route("/proposals")
def proposals():
    """Open proposals first, then answered ones."""
    rows = db.session.scalars(
        select(Proposal)
        .where(Proposal.account_id.in_(client_account_ids()), Proposal.state.in_(VISIBLE))
        .order_by(
            case((Proposal.state.in_(service.OPEN_STATES), 0), else_=1),
            Proposal.sent_at.desc(),
            Proposal.id.desc(),
        )
        .limit(200)
    ).all()
    return render_template(
        "proposals/portal_list.html",
        proposals=rows,
        accounts=portal_accounts(),
        state_labels=service.STATE_LABELS,
        state_badges=service.STATE_BADGES,
        expired=service.is_expired,
    )


def _page(proposal: Proposal, status: int = 200, **extra):
    expired = service.is_expired(proposal)
    return render_template(
        "proposals/portal_proposal.html",
        proposal=proposal,
        content=Markup(proposal.content_html or ""),  # noqa: S704 — frozen sanitized letter
        expired=expired,
        can_sign=proposal.is_pending and not expired,
        state=("expired" if expired else proposal.state),
        state_labels=service.STATE_LABELS,
        state_badges=service.STATE_BADGES,
        consent_text=evidence.CONSENT_TEXT,
        **extra,
    ), status


@bp.route("/proposals/<int:proposal_id>")
def proposal(proposal_id: int):
    """The letter to sign; the first visit turns Sent into Viewed."""
    proposal_ = _portal_proposal(proposal_id)
    if not g.read_only and proposal_.is_pending:
        service.record_view(portal_user(), proposal_)
        db.session.commit()
    return _page(proposal_)


@bp.route("/proposals/<int:proposal_id>/sign", methods=["POST"])
def sign_proposal(proposal_id: int):
    """Sign: the typed name or the drawing, the consent tick, the hash of the letter shown."""
    proposal_ = _portal_proposal(proposal_id)
    form = request.form
    method = form.get("method", "typed")
    try:
        drawing = evidence.decode_data_url(form.get("drawing", "")) if method == "drawn" else None
        service.sign(
            portal_user(),
            proposal_,
            method=method,
            typed_name=form.get("typed_name", ""),
            drawing=drawing,
            consent=form.get("consent") == "on",
            shown_sha256=form.get("document_sha256", ""),
            consent_locale=str(get_locale() or "en"),
            facts=evidence.RequestFacts.of(request),
        )
    except (service.ProposalError, evidence.EvidenceError) as refused:
        db.session.rollback()
        return _page(_portal_proposal(proposal_id), 422, error=str(refused), form=form)
    db.session.commit()
    signed_pdf.enqueue_seal(proposal_.id)
    flash(_("Thank you: your signature is recorded."), "success")
    return redirect(url_for("portal.proposal", proposal_id=proposal_.id))


@bp.route("/proposals/<int:proposal_id>/decline", methods=["POST"])
def decline_proposal(proposal_id: int):
    """Decline, with a reason the firm reads."""
    proposal_ = _portal_proposal(proposal_id)
    try:
        service.decline(
            portal_user(),
            proposal_,
            request.form.get("reason", ""),
            evidence.RequestFacts.of(request),
        )
    except service.ProposalError as refused:
        db.session.rollback()
        return _page(_portal_proposal(proposal_id), 422, error=str(refused), form=request.form)
    db.session.commit()
    flash(_("You declined the proposal. Your accountant has been told why."), "success")
    return redirect(url_for("portal.proposal", proposal_id=proposal_.id))


@bp.route("/proposals/<int:proposal_id>/pdf")
def proposal_pdf(proposal_id: int):
    """The sealed PDF of the signed letter."""
    proposal_ = _portal_proposal(proposal_id)
    data = signed_pdf.signed_pdf_bytes(proposal_)
    if data is None:
        abort(404)
    return pdf_response(data, signed_pdf.pdf_name(proposal_), bool(request.args.get("download")))
