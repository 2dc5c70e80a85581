"""Responses shared by the staff and portal document routes: storing an upload, sending a file."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from flask import Response, request, send_file
from flask_babel import ngettext

from dashboard.accounts.models import Folder
from dashboard.auth.models import User
from dashboard.documents import service, storage
from dashboard.documents.models import Document
from dashboard.documents.uploads import UploadRefused
from dashboard.extensions import db


def upload_into(
    uploader: User,
    folder: Folder,
    answer: Callable[..., Response],
    after_upload: Callable[[list[Document]], None] | None = None,
) -> Response:
    """Keep everything or nothing, then answer: `after_upload` runs in the same transaction
    (a kind acting on the new documents, the firm told of a client's upload)."""
    account = folder.account
    try:
        result = service.upload_documents(
            uploader,
            folder,
            request.files.getlist("files"),
            description=request.form.get("description", ""),
        )
        if after_upload is not None:
            after_upload(result.documents)
    except UploadRefused as refused:
        db.session.rollback()
        return answer(account, 422, error=str(refused))
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        storage.remove(result.storage_keys)
        raise
    count = len(result.documents)
    return answer(
        account,
        success=ngettext(
            "%(num)d document uploaded to %(folder)s.",
            "%(num)d documents uploaded to %(folder)s.",
            count,
            folder=folder.name,
        ),
    )


def send_document(document: Document):
    """The file as a download (never rendered by the browser)."""
    return send_file(
        storage.path_for(document.storage_key),
        mimetype=document.content_type,
        as_attachment=True,
        download_name=document.name.rsplit("/", 1)[-1],
        etag=document.content_hash,
        max_age=0,
    )


def pdf_response(data: bytes, name: str, download: bool):
    """A PDF made by the app (an invoice, a signed letter): sandboxed, never cached."""
    response = Response(data, mimetype="application/pdf")
    disposition = "attachment" if download else "inline"
    ascii_name = "".join(ch if ch.isascii() and ch not in '"\\' else "_" for ch in name)
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
