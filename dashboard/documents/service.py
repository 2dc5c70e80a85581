"""Document rules: upload into a folder, delete."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from werkzeug.datastructures import FileStorage

from dashboard.accounts.models import Folder
from dashboard.audit.service import record_event
from dashboard.auth.models import User
from dashboard.clock import now
from dashboard.documents import storage
from dashboard.documents.folders import split_path, subfolder_for
from dashboard.documents.models import Document
from dashboard.documents.uploads import stage_upload
from dashboard.extensions import db


@dataclass
class UploadResult:
    documents: list[Document]
    #: Storage keys written; the caller removes them if its commit fails.
    storage_keys: list[str] = field(default_factory=list)


def add_document(
    uploader: User | None,
    folder: Folder,
    name: str,
    stored: storage.Stored,
    content_type: str,
    moment: datetime | None = None,
    description: str = "",
) -> Document:
    """Record a file already moved into storage, with its audit entry."""
    moment = moment or now()
    document = Document(
        firm_id=folder.firm_id,
        account_id=folder.account_id,
        folder_id=folder.id,
        name=name,
        storage_key=stored.key,
        content_hash=stored.sha256,
        size=stored.size,
        content_type=content_type,
        description=clean_description(description),
        uploaded_by_id=uploader.id if uploader else None,
        created_at=moment,
        last_activity_at=moment,
    )
    db.session.add(document)
    db.session.flush()
    record_event(
        firm_id=folder.firm_id,
        account_id=folder.account_id,
        actor=uploader,
        subject_type="document",
        subject_id=document.id,
        action="document.uploaded",
        name=document.name,
        folder=folder.name,
    )
    return document


def add_document_bytes(
    uploader: User | None,
    folder: Folder,
    name: str,
    data: bytes,
    content_type: str,
    moment: datetime | None = None,
) -> Document:
    """Store `data` as a new document (demo data, and later generated files)."""
    return add_document(
        uploader, folder, name, storage.keep_bytes(data, folder.firm_id), content_type, moment
    )


def upload_documents(
    actor: User, folder: Folder, files: list[FileStorage], description: str = ""
) -> UploadResult:
    """Check every file, then keep them all in `folder`; raises UploadRefused with nothing kept.

    `description` (A5) is given to every file of the upload."""
    staging = storage.new_staging_dir()
    result = UploadResult(documents=[])
    try:
        staged = stage_upload(files, staging)
        moment = now()
        subfolders: dict[tuple, Folder] = {}
        for item in staged:
            path, leaf = split_path(item.name)
            target = subfolder_for(folder, path, subfolders) if path else folder
            stored = storage.Stored(storage.keep(item.path, folder.firm_id), item.sha256, item.size)
            result.storage_keys.append(stored.key)
            result.documents.append(
                add_document(actor, target, leaf, stored, item.content_type, moment, description)
            )
        return result
    except BaseException:
        storage.remove(result.storage_keys)
        raise
    finally:
        storage.remove_staging(staging)


#: Longest description kept; the lists show it on one line.
DESCRIPTION_LIMIT = 500


def clean_description(text: str | None) -> str:
    """One line of plain text (it is escaped when shown), at most DESCRIPTION_LIMIT long."""
    return " ".join((text or "").split())[:DESCRIPTION_LIMIT]


def update_description(actor: User, document: Document, text: str) -> None:
    """Change a document's description (A5), with an audit entry."""
    document.description = clean_description(text)
    document.last_activity_at = now()
    record_event(
        firm_id=document.firm_id,
        account_id=document.account_id,
        actor=actor,
        subject_type="document",
        subject_id=document.id,
        action="document.described",
        name=document.name,
    )
    db.session.flush()


def delete_document(actor: User, document: Document) -> str:
    """Remove the row (and record it); returns the storage key to unlink after commit."""
    record_event(
        firm_id=document.firm_id,
        account_id=document.account_id,
        actor=actor,
        subject_type="document",
        subject_id=document.id,
        action="document.deleted",
        name=document.name,
        folder=document.folder.name,
    )
    key = document.storage_key
    db.session.delete(document)
    db.session.flush()
    return key


def tell_firm_about_upload(client: User, folder: Folder, documents: list[Document]) -> None:
    """C4: staff who want it get an Inbox+ entry and an email when a client uploads."""
    from dashboard.notify.inbox import add_entry, staff_wanting
    from dashboard.notify.outbox import queue_email

    if not documents:
        return
    details = {"client": client.name, "count": len(documents), "folder": folder.name}
    for staff in staff_wanting(folder.firm_id, "documents"):
        add_entry(
            staff.id, folder.firm_id, "client_uploaded", account_id=folder.account_id, **details
        )
        queue_email(
            firm_id=folder.firm_id,
            key=f"client_uploaded:{documents[0].id}:{staff.id}",
            purpose="client_uploaded",
            to=staff,
            context={**details, "path": f"/clients/{folder.account_id}/docs"},
        )
