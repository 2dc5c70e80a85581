"""Account rules: the Clients list, NOTIFY, folders."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import joinedload

from dashboard.accounts.models import FOLDER_ACCESS, Account, Contact, Folder
from dashboard.audit.service import record_event
from dashboard.auth.models import User
from dashboard.documents.models import Document
from dashboard.extensions import db
from dashboard.items.models import ActionItem


class InvalidValue(ValueError):
    pass


#: Clients list filters (A1); each keeps accounts with a pending item of that kind.
CLIENT_FILTERS = {"awaiting_approval": "approval"}


def clients_select(firm_id: int, search: str = "", only: str = "") -> Select:
    """Accounts of a firm with their contact and document counts, in one query."""
    contact_count = (
        select(func.count(Contact.id)).where(Contact.account_id == Account.id).scalar_subquery()
    )
    document_count = (
        select(func.count(Document.id)).where(Document.account_id == Account.id).scalar_subquery()
    )
    stmt = select(
        Account, contact_count.label("contact_count"), document_count.label("document_count")
    ).where(Account.firm_id == firm_id)
    search = search.strip()
    if search:
        pattern = f"%{search.lower()}%"
        matching_contacts = (
            select(Contact.account_id)
            .join(User, User.id == Contact.user_id)
            .where(
                Contact.firm_id == firm_id,
                or_(func.lower(User.name).like(pattern), func.lower(User.email).like(pattern)),
            )
        )
        stmt = stmt.where(
            or_(func.lower(Account.name).like(pattern), Account.id.in_(matching_contacts))
        )
    if only in CLIENT_FILTERS:
        pending = select(ActionItem.account_id).where(
            ActionItem.firm_id == firm_id,
            ActionItem.kind == CLIENT_FILTERS[only],
            ActionItem.status == "pending",
        )
        stmt = stmt.where(Account.id.in_(pending))
    return stmt.order_by(func.lower(Account.name), Account.id)


def set_notify(actor: User, contact: Contact, notify: bool) -> Contact:
    if contact.notify != notify:
        contact.notify = notify
        record_event(
            firm_id=contact.firm_id,
            account_id=contact.account_id,
            actor=actor,
            subject_type="contact",
            subject_id=contact.id,
            action="contact.notify_on" if notify else "contact.notify_off",
            contact=contact.user.name,
        )
        db.session.flush()
    return contact


def create_folder(actor: User, account: Account, name: str, access: str) -> Folder:
    name = name.strip()
    if access not in FOLDER_ACCESS:
        raise InvalidValue("access")
    exists = db.session.scalar(
        select(Folder.id).where(
            Folder.account_id == account.id, Folder.parent_id.is_(None), Folder.name == name
        )
    )
    if exists:
        raise InvalidValue("name")
    folder = Folder(firm_id=account.firm_id, account_id=account.id, name=name, access=access)
    db.session.add(folder)
    db.session.flush()
    record_event(
        firm_id=account.firm_id,
        account_id=account.id,
        actor=actor,
        subject_type="folder",
        subject_id=folder.id,
        action="folder.created",
        folder=name,
    )
    return folder


def change_folder_access(actor: User, folder: Folder, access: str) -> Folder:
    if access not in FOLDER_ACCESS:
        raise InvalidValue("access")
    if folder.access != access:
        record_event(
            firm_id=folder.firm_id,
            account_id=folder.account_id,
            actor=actor,
            subject_type="folder",
            subject_id=folder.id,
            action="folder.access_changed",
            folder=folder.name,
            old=folder.access,
            new=access,
        )
        folder.access = access
        # Sub-folders inherit their top-level folder's access.
        db.session.execute(
            update(Folder)
            .where(Folder.id.in_(descendant_ids(folder)))
            .values(access=access)
            .execution_options(synchronize_session="fetch")
        )
        db.session.flush()
    return folder


def descendant_ids(folder: Folder) -> list[int]:
    """Every folder below `folder`, at any depth (one query per level; trees are shallow)."""
    found: list[int] = []
    level = [folder.id]
    while level:
        level = list(db.session.scalars(select(Folder.id).where(Folder.parent_id.in_(level))))
        found.extend(level)
    return found


def account_folders_with_documents(account: Account) -> list[tuple[Folder, list[Document]]]:
    """Every folder of the account with its documents, in two queries."""
    folders = db.session.scalars(
        select(Folder)
        .where(Folder.account_id == account.id, Folder.parent_id.is_(None))
        .order_by(func.lower(Folder.name))
    ).all()
    return group_documents(folders)


def group_documents(folders: Sequence[Folder]) -> list[tuple[Folder, list[Document]]]:
    """Pair each folder with its documents (newest activity first) in one query."""
    ids = [f.id for f in folders]
    documents = (
        db.session.scalars(
            select(Document)
            .options(joinedload(Document.uploaded_by))
            .where(Document.folder_id.in_(ids))
            .order_by(Document.last_activity_at.desc(), Document.id.desc())
        ).all()
        if ids
        else []
    )
    by_folder: dict[int, list[Document]] = {i: [] for i in ids}
    for document in documents:
        by_folder[document.folder_id].append(document)
    return [(folder, by_folder[folder.id]) for folder in folders]
