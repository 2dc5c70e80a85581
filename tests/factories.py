"""Plain factory functions: make_firm(...), make_account(...), ... and make_world()."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from dashboard.accounts.models import Account, Contact, Folder
from dashboard.auth.models import Firm, User
from dashboard.auth.passwords import hash_password
from dashboard.documents.models import Document
from dashboard.documents.service import add_document_bytes
from dashboard.extensions import db
from tests.conftest import DEMO_PASSWORD

_sequence = itertools.count(1)
_password_hash: str | None = None


def _hash() -> str:
    """Hashing once keeps the suite fast; every user still has a real Argon2id hash."""
    global _password_hash
    if _password_hash is None:
        _password_hash = hash_password(DEMO_PASSWORD)
    return _password_hash


def make_firm(name: str = "Firm", language: str = "en", time_zone: str = "Europe/Paris") -> Firm:
    firm = Firm(name=name, default_language=language, time_zone=time_zone)
    db.session.add(firm)
    db.session.flush()
    return firm


def make_user(
    firm: Firm,
    role: str = "owner",
    name: str | None = None,
    email: str | None = None,
    language: str | None = None,
    password: bool = True,
) -> User:
    n = next(_sequence)
    user = User(
        firm_id=firm.id,
        role=role,
        name=name or f"{role.title()} {n}",
        email=(email or f"{role}{n}@example.test").lower(),
        language=language,
        password_hash=_hash() if password else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_account(firm: Firm, name: str | None = None) -> Account:
    account = Account(firm_id=firm.id, name=name or f"Account {next(_sequence)}")
    db.session.add(account)
    db.session.flush()
    return account


def make_contact(
    account: Account,
    user: User | None = None,
    portal_access: bool = True,
    notify: bool = True,
    language: str | None = None,
    name: str | None = None,
) -> Contact:
    firm = db.session.get(Firm, account.firm_id)
    assert firm is not None
    user = user or make_user(
        firm, role="client", language=language, name=name, password=portal_access
    )
    contact = Contact(
        firm_id=account.firm_id,
        account_id=account.id,
        user_id=user.id,
        portal_access=portal_access,
        notify=notify,
    )
    db.session.add(contact)
    db.session.flush()
    return contact


def make_folder(account: Account, name: str = "Folder", access: str = "view") -> Folder:
    folder = Folder(firm_id=account.firm_id, account_id=account.id, name=name, access=access)
    db.session.add(folder)
    db.session.flush()
    return folder


def make_document(
    folder: Folder,
    name: str = "file.pdf",
    data: bytes = b"%PDF-1.4 test",
    uploaded_by: User | None = None,
) -> Document:
    return add_document_bytes(uploaded_by, folder, name, data, "application/pdf")


@dataclass
class FirmWorld:
    firm: Firm
    staff: User
    account: Account
    contact: Contact
    silent_contact: Contact
    folders: dict[str, Folder] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)


@dataclass
class World:
    a: FirmWorld
    b: FirmWorld
    #: A second account of firm A with its own client, to test client-to-client isolation.
    other_account: Account
    other_contact: Contact
    other_document: Document


def make_firm_world(name: str) -> FirmWorld:
    firm = make_firm(name)
    staff = make_user(firm, "owner", name=f"{name} Owner")
    account = make_account(firm, f"{name} Client")
    contact = make_contact(account, name=f"{name} Contact")
    silent = make_contact(account, portal_access=False, notify=False, name=f"{name} Silent")
    world = FirmWorld(firm, staff, account, contact, silent)
    for access, folder_name in (
        ("private", "Private notes"),
        ("view", "Shared"),
        ("edit", "Uploads"),
    ):
        folder = make_folder(account, folder_name, access)
        world.folders[access] = folder
        world.documents[access] = make_document(folder, f"{access}.pdf", uploaded_by=staff)
    return world


def make_world() -> World:
    a = make_firm_world("Alpha")
    b = make_firm_world("Beta")
    other_account = make_account(a.firm, "Alpha Other")
    other_contact = make_contact(other_account, name="Other Client")
    other_document = make_document(make_folder(other_account, "Shared", "view"), "other.pdf")
    db.session.commit()
    return World(a, b, other_account, other_contact, other_document)


def make_approval(
    staff: User,
    document: Document,
    enabled: bool = True,
    interval_days: int = 3,
    max_count: int = 1,
    message: str = "",
):
    """Request approval of `document` through the real service, and commit."""
    from dashboard.approvals.service import request_approval
    from dashboard.reminders.service import ReminderSettings

    request = request_approval(
        staff, document, message, ReminderSettings(enabled, interval_days, max_count)
    )
    db.session.commit()
    return request
