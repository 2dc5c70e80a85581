"""Tenancy in one place: every load of firm data goes through these helpers.

Staff see rows of their own firm; a client (or staff in the read-only portal view) sees rows
of the accounts where the portal user is a contact with portal access, and never anything in
a Private folder. Anything else answers 404, so a guessed id reveals nothing.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import abort, g
from flask_login import current_user
from sqlalchemy import Select, select

from dashboard.accounts.models import Contact, Folder
from dashboard.auth.models import Firm, User
from dashboard.documents.models import Document
from dashboard.extensions import db

M = TypeVar("M")


def current_firm_id() -> int:
    if not (current_user.is_authenticated and current_user.is_staff):
        abort(404)
    return current_user.firm_id


def current_firm() -> Firm:
    """The current staff user's firm (404 for anybody else)."""
    firm = db.session.get(Firm, current_firm_id())
    assert firm is not None
    return firm


def firm_select(model: type[M]) -> Select[tuple[M]]:
    """SELECT of `model` limited to the current staff user's firm."""
    return select(model).where(model.firm_id == current_firm_id())  # type: ignore[attr-defined]


def firm_get(model: type[M], ident: Any, **filters: Any) -> M:
    """Load one row of the current firm by id (and optional column filters), or 404."""
    stmt = firm_select(model).where(model.id == ident)  # type: ignore[attr-defined]
    for column, value in filters.items():
        stmt = stmt.where(getattr(model, column) == value)
    row = db.session.scalars(stmt).first()
    if row is None:
        abort(404)
    return row


def portal_user() -> User:
    """The person whose portal is shown: the client, or the contact staff are viewing as."""
    user = g.get("portal_user")
    if user is None:
        abort(404)
    return user


def client_account_ids(user: User | None = None) -> Select[tuple[int]]:
    """Ids of the accounts the portal user may open (a contact with portal access)."""
    user = user or portal_user()
    return select(Contact.account_id).where(
        Contact.user_id == user.id, Contact.portal_access.is_(True)
    )


def portal_folders_select() -> Select[tuple[Folder]]:
    return select(Folder).where(
        Folder.account_id.in_(client_account_ids()), Folder.access != "private"
    )


def portal_get_folder(folder_id: int) -> Folder:
    folder = db.session.scalars(portal_folders_select().where(Folder.id == folder_id)).first()
    if folder is None:
        abort(404)
    return folder


def portal_documents_select() -> Select[tuple[Document]]:
    visible_folders = select(Folder.id).where(
        Folder.account_id.in_(client_account_ids()), Folder.access != "private"
    )
    return select(Document).where(Document.folder_id.in_(visible_folders))


def portal_get_document(document_id: int) -> Document:
    stmt = portal_documents_select().where(Document.id == document_id)
    document = db.session.scalars(stmt).first()
    if document is None:
        abort(404)
    return document
