"""A document shown in the page: its bytes served inline, only for types that cannot run code.

The viewer (staff) and the client's pages show PDFs (pdf.js), images and plain text in place.
Any other type (HTML, SVG, XML, …) is never served inline, whatever its name or declared type:
only as a download. The inline answer carries its own strict CSP (`sandbox`) and nosniff, so a
user's file is never rendered as an active page of our origin even when opened directly.
"""

from __future__ import annotations

import mimetypes

from flask import Blueprint, abort, send_file
from flask_login import login_required

from dashboard.documents import storage
from dashboard.documents.models import Document
from dashboard.portal.blueprint import resolve_portal_user
from dashboard.tenancy import current_firm_id, firm_get, portal_get_document

# The vendored pdf.js is .mjs: with nosniff a module script must come as JavaScript, and not
# every system's MIME table knows the extension.
mimetypes.add_type("text/javascript", ".mjs")

#: Declared type → (how the page shows it, the type the bytes are served with).
INLINE_TYPES: dict[str, tuple[str, str]] = {
    "application/pdf": ("pdf", "application/pdf"),
    "image/png": ("image", "image/png"),
    "image/jpeg": ("image", "image/jpeg"),
    "image/gif": ("image", "image/gif"),
    "image/webp": ("image", "image/webp"),
    "text/plain": ("text", "text/plain; charset=utf-8"),
    "text/csv": ("text", "text/plain; charset=utf-8"),
}

#: Text longer than this is shown cut, with a note (the rest is in the download).
TEXT_PREVIEW_BYTES = 200 * 1024

#: The byte response may do nothing at all, even when opened as a page of its own.
INLINE_CSP = "default-src 'none'; sandbox"

bp = Blueprint("document_preview", __name__)
portal_bp = Blueprint("portal_preview", __name__, url_prefix="/portal")
portal_bp.before_request(resolve_portal_user)


def _inline(document: Document) -> tuple[str, str] | None:
    declared = (document.content_type or "").split(";", 1)[0].strip().lower()
    return INLINE_TYPES.get(declared)


@bp.app_template_global()
def preview_kind(document: Document) -> str:
    """The way the page shows it: pdf, image, text, or other (a message and Download)."""
    found = _inline(document)
    return found[0] if found else "other"


@bp.app_template_global()
def text_preview_limit() -> int:
    return TEXT_PREVIEW_BYTES


def send_inline(document: Document):
    """The bytes with their real (safe) type, inline, under a CSP that lets nothing run."""
    found = _inline(document)
    if found is None:
        abort(404)
    response = send_file(
        storage.path_for(document.storage_key),
        mimetype=found[1],
        as_attachment=False,
        download_name=document.name.rsplit("/", 1)[-1],
        etag=document.content_hash,
        max_age=0,
    )
    response.headers["Content-Type"] = found[1]  # exactly this, charset included
    response.headers["Content-Security-Policy"] = INLINE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@bp.before_request
@login_required
def require_staff() -> None:
    """Only staff reach the staff route."""
    current_firm_id()


@bp.route("/clients/<int:account_id>/documents/<int:document_id>/inline")
def staff_inline(account_id: int, document_id: int):
    """A document of the firm, shown in the viewer."""
    return send_inline(firm_get(Document, document_id, account_id=account_id))


@portal_bp.route("/documents/<int:document_id>/inline")
def inline(document_id: int):
    """A document the client may see (never in a Private folder), shown in their page."""
    return send_inline(portal_get_document(document_id))
