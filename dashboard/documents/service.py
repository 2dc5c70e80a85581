"""Document rules: upload into a folder, delete."""

from __future__ import annotations

from dataclasses import dataclass, field

from werkzeug.datastructures import FileStorage

from dashboard.accounts.models import Folder
from dashboard.audit.service import record_event
from dashboard.auth.models import User
from dashboard.clock import now
from dashboard.documents import storage
from dashboard.documents.models import Document
from dashboard.documents.uploads import stage_upload
from dashboard.extensions import db


@dataclass
class UploadResult:
    documents: list[Document]
    #: Storage keys written; the caller removes them if its commit fails.
    storage_keys: list[str] = field(default_factory=list)


def upload_documents(actor: User, folder: Folder, files: list[FileStorage]) -> UploadResult:
    """Check every file, then keep them all in `folder`; raises UploadRefused with nothing kept."""
    staging = storage.new_staging_dir()
    try:
        staged = stage_upload(files, staging)
        result = UploadResult(documents=[])
        moment = now()
        for item in staged:
            key = storage.keep(item.path, folder.firm_id)
            result.storage_keys.append(key)
            document = Document(
                firm_id=folder.firm_id,
                account_id=folder.account_id,
                folder_id=folder.id,
                name=item.name,
                storage_key=key,
                content_hash=item.sha256,
                size=item.size,
                content_type=item.content_type,
                description="",
                uploaded_by_id=actor.id,
                created_at=moment,
                last_activity_at=moment,
            )
            db.session.add(document)
            result.documents.append(document)
        db.session.flush()
        for document in result.documents:
            record_event(
                firm_id=folder.firm_id,
                account_id=folder.account_id,
                actor=actor,
                subject_type="document",
                subject_id=document.id,
                action="document.uploaded",
                name=document.name,
                folder=folder.name,
            )
        return result
    except BaseException:
        if "result" in locals():
            storage.remove(result.storage_keys)
        raise
    finally:
        storage.remove_staging(staging)


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
