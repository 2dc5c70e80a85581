"""Account rules: the Clients list, contacts and NOTIFY, folders."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import joinedload

from dashboard.accounts.models import FOLDER_ACCESS, Account, Contact, Folder
from dashboard.audit.service import record_event
from dashboard.auth.models import LANGUAGES, User
from dashboard.documents.models import Document
from dashboard.extensions import db
from dashboard.items.models import ActionItem


class InvalidValue(ValueError):
    pass


#: Clients list filters (A1); each keeps accounts with a pending item of that kind.
CLIENT_FILTERS = {
    "awaiting_approval": "approval",
    "pending_signatures": "signature",
    "unpaid_invoices": "invoice",
}


def clients_select(firm_id: int, search: str = "", only: str = "") -> Select:
    """Accounts of a firm (id, name, created_at) with their contact, document and NOTIFY
    counts, in one query (columns, not ORM objects: the list only reads them)."""
    contact_count = (
        select(func.count(Contact.id)).where(Contact.account_id == Account.id).scalar_subquery()
    )
    document_count = (
        select(func.count(Document.id)).where(Document.account_id == Account.id).scalar_subquery()
    )
    notify_count = (
        select(func.count(Contact.id))
        .where(Contact.account_id == Account.id, Contact.notify.is_(True))
        .scalar_subquery()
    )
    stmt = select(
        Account.id,
        Account.name,
        Account.created_at,
        contact_count.label("contact_count"),
        document_count.label("document_count"),
        notify_count.label("notify_count"),
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


def account_top_folders(account: Account) -> Sequence[Folder]:
    """The account's top-level folders, by name."""
    return db.session.scalars(
        select(Folder)
        .where(Folder.account_id == account.id, Folder.parent_id.is_(None))
        .order_by(func.lower(Folder.name))
    ).all()


def account_folders_with_documents(account: Account) -> list[tuple[Folder, list[Document]]]:
    """Every folder of the account with its documents, in two queries."""
    return group_documents(account_top_folders(account))


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


#: A practical address check (no DNS): something@domain.tld, no spaces.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


@dataclass(frozen=True)
class ContactValues:
    """What staff enter for a contact on the Info tab."""

    name: str
    email: str
    language: str
    time_zone: str | None
    portal_access: bool
    notify: bool


def valid_time_zone(name: str | None) -> bool:
    """Is `name` an IANA time zone this system knows?"""
    if not name or name != name.strip() or "/" not in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _clean(values: ContactValues) -> ContactValues:
    name = values.name.strip()
    email = values.email.strip().lower()
    time_zone = (values.time_zone or "").strip() or None
    if not name or len(name) > 200:
        raise InvalidValue("name")
    if len(email) > 254 or not EMAIL_PATTERN.match(email):
        raise InvalidValue("email")
    if values.language not in LANGUAGES:
        raise InvalidValue("language")
    if time_zone is not None and not valid_time_zone(time_zone):
        raise InvalidValue("time_zone")
    return ContactValues(
        name, email, values.language, time_zone, values.portal_access, values.notify
    )


def _user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def add_contact(actor: User, account: Account, values: ContactValues) -> Contact:
    """Link a person to the account: a new client login, or the firm's existing client with
    that address (one person, several accounts). An address used by staff or by another firm
    is refused (emails are logins, unique across the installation)."""
    values = _clean(values)
    user = _user_by_email(values.email)
    if user is None:
        user = User(
            firm_id=account.firm_id,
            email=values.email,
            name=values.name,
            role="client",
            language=values.language,
            time_zone=values.time_zone,
        )
        db.session.add(user)
        db.session.flush()
    elif user.firm_id != account.firm_id or user.is_staff:
        raise InvalidValue("email_in_use")
    else:
        linked = db.session.scalar(
            select(Contact.id).where(Contact.account_id == account.id, Contact.user_id == user.id)
        )
        if linked:
            raise InvalidValue("email_in_account")
    contact = Contact(
        firm_id=account.firm_id,
        account_id=account.id,
        user_id=user.id,
        portal_access=values.portal_access,
        notify=values.notify,
    )
    contact.user = user
    db.session.add(contact)
    db.session.flush()
    record_event(
        firm_id=account.firm_id,
        account_id=account.id,
        actor=actor,
        subject_type="contact",
        subject_id=contact.id,
        action="contact.added",
        contact=user.name,
    )
    return contact


def update_contact(actor: User, contact: Contact, values: ContactValues) -> Contact:
    """Change a contact; name, email, language and time zone belong to the person (User),
    so they change on every account the person is a contact of."""
    values = _clean(values)
    user = contact.user
    if values.email != user.email:
        other = _user_by_email(values.email)
        if other is not None and other.id != user.id:
            if other.firm_id == contact.firm_id and not other.is_staff:
                linked = db.session.scalar(
                    select(Contact.id).where(
                        Contact.account_id == contact.account_id, Contact.user_id == other.id
                    )
                )
                if linked:
                    raise InvalidValue("email_in_account")
            raise InvalidValue("email_in_use")
    changed = {
        field: getattr(values, field)
        for field in ("name", "email", "language", "time_zone")
        if getattr(user, field) != getattr(values, field)
    }
    for field, value in changed.items():
        setattr(user, field, value)
    for field in ("portal_access", "notify"):
        if getattr(contact, field) != getattr(values, field):
            changed[field] = getattr(values, field)
            setattr(contact, field, getattr(values, field))
    if changed:
        record_event(
            firm_id=contact.firm_id,
            account_id=contact.account_id,
            actor=actor,
            subject_type="contact",
            subject_id=contact.id,
            action="contact.updated",
            contact=user.name,
            fields=sorted(changed),
        )
        db.session.flush()
    return contact
