"""The signed letter as a sealed PDF: the letter, the signature, the signing certificate.

Made by a worker (jobs/proposals.py), exactly once, like a signature request's signed copy:
the proposal's row is taken with a conditional UPDATE (only a `queued` one), and the stored
file, the `sealed` state and the audit entry commit together. The rendering, the certificate
and the seal are the signatures module's (sealing, evidence, signed_copy.certificate_row):
one implementation of evidence for every kind.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import render_template
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select, update

from dashboard.accounts.models import Account
from dashboard.audit.service import record_item_event
from dashboard.auth.models import Firm
from dashboard.clock import now
from dashboard.documents import storage
from dashboard.extensions import db
from dashboard.i18n import language
from dashboard.notify.inbox import add_entry, staff_wanting
from dashboard.proposals import letter
from dashboard.proposals.models import Proposal
from dashboard.signatures import certificates, sealing
from dashboard.signatures.signed_copy import certificate_row, firm_time, static_base

log = logging.getLogger(__name__)
SEAL_JOB = "jobs.proposals.make_signed_pdf"


def _take(proposal_id: int) -> bool:
    return bool(
        db.session.execute(
            update(Proposal)
            .where(Proposal.id == proposal_id, Proposal.seal_state == "queued")
            .values(seal_state="queued")
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def make_signed_pdf(proposal_id: int) -> bool:
    """Seal the signed letter; False when there was nothing (left) to do."""
    if not _take(proposal_id):
        db.session.rollback()
        return False
    proposal = db.session.get(Proposal, proposal_id, populate_existing=True)
    assert proposal is not None
    firm = db.session.get(Firm, proposal.firm_id)
    assert firm is not None
    try:
        data = build_signed_pdf(proposal, firm)
    except (sealing.SealError, OSError) as error:
        log.warning("proposal %s could not be sealed: %s", proposal_id, error)
        proposal.seal_state, proposal.seal_error = "failed", str(error)[:1000]
        for staff in staff_wanting(proposal.firm_id, "proposals"):
            add_entry(
                staff.id,
                proposal.firm_id,
                "proposal_seal_failed",
                account_id=proposal.account_id,
                item_id=proposal.id,
                title=proposal.title,
                error=str(error)[:200],
            )
        db.session.commit()
        return False
    proposal.signed_pdf_key = storage.keep_bytes(data, proposal.firm_id).key
    proposal.seal_state, proposal.sealed_at, proposal.seal_error = "sealed", now(), None
    record_item_event(proposal, action="proposal.sealed", title=proposal.title)
    db.session.commit()
    return True


def pdf_name(proposal: Proposal) -> str:
    """A safe file name from the title, "(signed)" in the current language."""
    stem = "".join(ch for ch in proposal.title if ch.isalnum() or ch in " -_").strip() or "proposal"
    return f"{stem[:120]} ({_('signed')}).pdf"


def build_signed_pdf(proposal: Proposal, firm: Firm) -> bytes:
    """The letter exactly as signed (its fingerprint checked), then the certificate; sealed."""
    content = proposal.content_html or ""
    if letter.fingerprint(content) != proposal.content_sha256:
        raise sealing.SealError("the letter changed after it was signed")
    account = db.session.get(Account, proposal.account_id)
    assert account is not None and proposal.decided_by is not None
    with language(firm.default_language):
        html = render_template(
            "proposals/pdf.html",
            proposal=proposal,
            firm=firm,
            account=account,
            content=Markup(content),  # noqa: S704 — sanitized when saved, our own fee table
            signers=[certificate_row(proposal, proposal.decided_by, proposal.viewed_at, firm)],
            generated=firm_time(now(), firm),
            sent=firm_time(proposal.sent_at, firm),
        )
        reason = _("Signed electronically through %(firm)s's client portal", firm=firm.name)
    rendered = sealing.render_html(html, base_url=static_base())
    key = certificates.material(certificates.seal_key_for(firm))
    return sealing.seal(rendered, key.certificate_pem, key.key_pem, reason, firm.name)


def signed_pdf_bytes(proposal: Proposal) -> bytes | None:
    if not proposal.signed_pdf_key:
        return None
    return storage.path_for(proposal.signed_pdf_key).read_bytes()


def requeue_unsealed(older_than: timedelta = timedelta(minutes=2)) -> int:
    """Re-enqueue signed letters still waiting (a lost job, Redis flushed); the cron calls it."""
    ids = list(
        db.session.scalars(
            select(Proposal.id).where(
                Proposal.seal_state == "queued", Proposal.completed_at <= now() - older_than
            )
        )
    )
    for proposal_id in ids:
        enqueue_seal(proposal_id)
    return len(ids)


def enqueue_seal(proposal_id: int) -> bool:
    from dashboard.notify.outbox import delivery_queue

    try:
        delivery_queue().enqueue(SEAL_JOB, proposal_id, job_timeout=300)
    except Exception as error:  # Redis down: requeue_unsealed picks it up later
        log.warning("could not enqueue sealing of proposal %s: %s", proposal_id, error)
        return False
    return True
