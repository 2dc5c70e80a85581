"""A document shown in the page: its bytes served inline, only for types that cannot run code.

The viewer (staff) and the client's pages show PDFs (pdf.js), images and plain text in place.
Any other type (HTML, SVG, XML, …) is never served inline, whatever its name or declared type:
only as a download. The routes (staff: `documents.inline`, client: `portal.inline`) load the
document through the tenancy helpers and answer with `send_inline`. The inline answer carries
its own strict CSP (`sandbox`) and nosniff, so a user's file is never rendered as an active
page of our origin, even when opened directly.
"""

from __future__ import annotations

import mimetypes

from flask import abort, send_file

from dashboard.documents import storage
from dashboard.documents.models import Document

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


def _inline(document: Document) -> tuple[str, str] | None:
    declared = (document.content_type or "").split(";", 1)[0].strip().lower()
    return INLINE_TYPES.get(declared)


def preview_kind(document: Document) -> str:
    """The way the page shows it: pdf, image, text, or other (a message and Download)."""
    found = _inline(document)
    return found[0] if found else "other"


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
