"""Making the signed copy once everyone signed: stamp, certificate page, seal, store.

Run by a worker (jobs/signatures.py). Exactly once: the request's row is taken with a
conditional UPDATE (only a request whose copy is still `queued` can be taken), and the new
document, the `sealed` state and the audit entry commit together; a second run finds nothing
to take. The database says which requests still wait, so a lost job is re-enqueued by the
sweep (requeue_unsealed).
"""

from __future__ import annotations

import base64
import logging
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import select, update

from dashboard.accounts.models import Folder
from dashboard.audit.service import record_item_event
from dashboard.auth.models import Firm
from dashboard.clock import now
from dashboard.documents import storage
from dashboard.documents.service import add_document_bytes
from dashboard.extensions import db
from dashboard.i18n import language, normalize_language
from dashboard.notify.inbox import add_entry, staff_wanting
from dashboard.signatures import certificates, evidence, sealing
from dashboard.signatures.models import SignatureRequest, Signer

log = logging.getLogger(__name__)
SEAL_JOB = "jobs.signatures.make_signed_copy"


def _take(request_id: int) -> bool:
    return bool(
        db.session.execute(
            update(SignatureRequest)
            .where(SignatureRequest.id == request_id, SignatureRequest.seal_state == "queued")
            .values(seal_state="queued")
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def make_signed_copy(request_id: int) -> bool:
    """Seal the request's signed copy; False when there was nothing (left) to do."""
    if not _take(request_id):
        db.session.rollback()
        return False
    request = db.session.get(SignatureRequest, request_id, populate_existing=True)
    assert request is not None
    firm = db.session.get(Firm, request.firm_id)
    assert firm is not None
    try:
        data = build_signed_pdf(request, firm)
    except (sealing.SealError, OSError) as error:  # OSError: the file, or an image
        log.warning("signature request %s could not be sealed: %s", request_id, error)
        _failed(request, str(error))
        db.session.commit()
        return False
    folder = db.session.get(Folder, request.document.folder_id)
    assert folder is not None
    with language(firm.default_language):
        name = signed_name(request.document.name)
    copy = add_document_bytes(None, folder, name, data, "application/pdf")
    copy.description = request.document.description
    request.signed_document_id = copy.id
    request.seal_state, request.sealed_at, request.seal_error = "sealed", now(), None
    record_item_event(
        request, actor=None, action="signature.sealed", title=request.title, document=copy.name
    )
    db.session.commit()
    return True


def signed_name(original: str) -> str:
    stem = original[:-4] if original.lower().endswith(".pdf") else original
    return _("%(name)s (signed).pdf", name=stem)[:255]


def _failed(request: SignatureRequest, error: str) -> None:
    request.seal_state, request.seal_error = "failed", error[:1000]
    for staff in staff_wanting(request.firm_id, "signatures"):
        add_entry(
            staff.id,
            request.firm_id,
            "signature_seal_failed",
            account_id=request.account_id,
            item_id=request.id,
            document=request.title,
            error=error[:200],
        )


def build_signed_pdf(request: SignatureRequest, firm: Firm) -> bytes:
    """The original with every signature stamped, the certificate page, and the seal."""
    original = storage.path_for(request.document.storage_key).read_bytes()
    if sealing.sha256(original) != request.document_sha256:
        raise sealing.SealError("the original changed after it was signed")
    reader = sealing.open_pdf(original)
    signed = [s for s in request.signers if s.state == "signed"]
    boxes = sealing.page_boxes(reader, [_mark(s, firm) for s in signed if s.page])
    with language(firm.default_language):
        html = render_template(
            "signatures/pdf_pages.html",
            boxes=boxes,
            request=request,
            firm=firm,
            signers=[_certificate_row(s, firm) for s in signed],
            original_sha256=request.document_sha256,
            pages=len(reader.pages),
            generated=firm_time(now(), firm),
            request_sent=firm_time(request.sent_at, firm),
        )
    rendered = sealing.render_html(html, base_url=static_base())
    assembled = sealing.assemble(original, boxes, rendered)
    key = certificates.material(certificates.seal_key_for(firm))
    with language(firm.default_language):
        reason = _("Signed electronically through %(firm)s's client portal", firm=firm.name)
    return sealing.seal(assembled, key.certificate_pem, key.key_pem, reason, firm.name)


def static_base() -> str:
    return Path(current_app.static_folder or "static").resolve().as_uri() + "/"


def firm_time(moment, firm: Firm) -> str:
    """A moment in the firm's time zone and language, zone named: how certificates date."""
    locale = normalize_language(firm.default_language) or "en"
    local = format_datetime(moment, "medium", tzinfo=ZoneInfo(firm.time_zone), locale=locale)
    return f"{local} ({firm.time_zone})"


def _mark(signer: Signer, firm: Firm) -> dict:
    return {
        "page": signer.page,
        "x": signer.x,
        "y": signer.y,
        "name": signer.user.name,
        "typed_name": signer.typed_name or signer.user.name,
        # A long name gets a smaller script size so it stays inside the 170 pt stamp.
        "typed_size": round(min(22.0, max(9.0, 300 / max(len(signer.typed_name or ""), 1))), 1),
        "drawing": drawing_uri(signer.drawing_png),
        "when": firm_time(signer.decided_at, firm) if signer.decided_at else "",
    }


def _certificate_row(signer: Signer, firm: Firm) -> dict:
    return certificate_row(signer, signer.user, signer.viewed_at, firm)


def drawing_uri(png: bytes | None) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode() if png else ""


def certificate_row(signed: evidence.Evidence, person, viewed_at, firm: Firm) -> dict:
    """One signer's block of the signing certificate (signatures/_certificate.html)."""
    consent = signed.consent_text
    if not consent:
        with language(signed.consent_locale):
            consent = str(evidence.CONSENT_TEXT)
    return {
        "name": person.name,
        "typed_name": signed.typed_name or person.name,
        "drawing": drawing_uri(signed.drawing_png),
        "when": firm_time(signed.decided_at, firm) if signed.decided_at else "",
        "email": person.email,
        "method": signed.method,
        "utc": signed.decided_at.strftime("%Y-%m-%d %H:%M:%S UTC") if signed.decided_at else "",
        "viewed": firm_time(viewed_at, firm) if viewed_at else "",
        "ip": signed.ip or "",
        "user_agent": signed.user_agent or "",
        "sha256": signed.document_sha256 or "",
        "consent": consent,
        "consent_version": signed.consent_version or "",
    }


def requeue_unsealed(older_than: timedelta = timedelta(minutes=2)) -> int:
    """Re-enqueue copies still waiting (a lost job, Redis flushed); the sweep calls this."""
    from dashboard.notify.outbox import delivery_queue

    ids = list(
        db.session.scalars(
            select(SignatureRequest.id).where(
                SignatureRequest.seal_state == "queued",
                SignatureRequest.completed_at <= now() - older_than,
            )
        )
    )
    for request_id in ids:
        enqueue_seal(request_id, delivery_queue())
    return len(ids)


def enqueue_seal(request_id: int, queue=None) -> bool:
    from dashboard.notify.outbox import delivery_queue

    try:
        (queue or delivery_queue()).enqueue(SEAL_JOB, request_id, job_timeout=300)
    except Exception as error:  # Redis down: requeue_unsealed picks it up later
        log.warning("could not enqueue sealing of request %s: %s", request_id, error)
        return False
    return True
