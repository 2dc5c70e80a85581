"""Real PDFs and signature requests for the signature tests."""

from __future__ import annotations

from functools import cache

from dashboard.documents.service import add_document_bytes
from dashboard.extensions import db
from dashboard.reminders.service import ReminderSettings
from dashboard.signatures import service
from dashboard.signatures.evidence import RequestFacts


def _drawing() -> bytes:
    """A drawn signature as the pad sends it: a transparent PNG with a stroke."""
    from io import BytesIO

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 80), (80, 20), (150, 70), (290, 15)], fill="black", width=4)
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


TINY_PNG = _drawing()
FACTS = RequestFacts("203.0.113.7", "Mozilla/5.0 (test)")


@cache
def sample_pdf(pages: int = 2) -> bytes:
    """A real PDF of `pages` A4 pages with text (WeasyPrint)."""
    from weasyprint import HTML

    body = "".join(
        f'<section style="break-after: page"><h1>Engagement letter</h1><p>Page {n}.</p></section>'
        for n in range(1, pages + 1)
    )
    return HTML(string=f"<html><body>{body}</body></html>").write_pdf()


def add_pdf(folder, staff, name: str = "contract.pdf", pages: int = 2):
    document = add_document_bytes(staff, folder, name, sample_pdf(pages), "application/pdf")
    db.session.commit()
    return document


def make_request(
    staff, document, users, *, in_order=False, enabled=True, interval=3, count=1, places=None
):
    places = places or {}
    specs = [service.SignerSpec(u.id, *places.get(u.id, (None, None, None))) for u in users]
    request = service.request_signatures(
        staff,
        document,
        specs,
        in_order=in_order,
        message="Please sign",
        settings=ReminderSettings(enabled, interval, count),
    )
    db.session.commit()
    return request


def signer_of(request, user):
    return next(s for s in request.signers if s.user_id == user.id)


def sign_as(request, user, method="typed", drawing=None):
    service.sign(
        user,
        request,
        signer_of(request, user),
        method=method,
        typed_name=user.name,
        drawing=drawing if drawing is not None else (TINY_PNG if method == "drawn" else None),
        consent=True,
        shown_sha256=request.document_sha256,
        consent_locale=user.language or "en",
        facts=FACTS,
    )
    db.session.commit()
