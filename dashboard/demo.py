"""Demo data for `make run`: one firm, staff in four languages, 25 client accounts."""

from __future__ import annotations

import random
from datetime import timedelta

from dashboard.accounts.models import Account, Contact, Folder
from dashboard.auth.models import Firm, User
from dashboard.auth.passwords import hash_password
from dashboard.clock import now
from dashboard.documents.models import Document
from dashboard.documents.service import add_document_bytes
from dashboard.extensions import db

DEMO_PASSWORD = "relance-demo"

STAFF = [
    ("owner", "Olivia Owner", "owner@demo.relance.test", "en"),
    ("admin", "Amélie Durand", "amelie@demo.relance.test", "fr"),
    ("employee", "João Silva", "joao@demo.relance.test", "pt_PT"),
    ("employee", "Daan de Vries", "daan@demo.relance.test", "nl"),
]

ACCOUNT_NAMES = [
    "Boulangerie Martin",
    "Café Lisboa Lda",
    "De Groene Fiets BV",
    "Atelier Moreau",
    "Bakkerij Jansen",
    "Costa & Filhos",
    "Dupont Conseil",
    "Van Dijk Installaties",
    "Ferreira Arquitetos",
    "Librairie Lefèvre",
    "Hoekstra Transport",
    "Pereira Têxteis",
    "Garage Bernard",
    "Smit Advocaten",
    "Oliveira Imobiliária",
    "Fleuriste Girard",
    "Visser Bouw",
    "Santos Restauração",
    "Pharmacie Roux",
    "Mulder Design",
    "Rodrigues Viagens",
    "Menuiserie Fournier",
    "Bakker Logistiek",
    "Almeida Consultores",
    "Chen Family Trust",
]

CONTACT_NAMES = [
    ("Claire Martin", "fr"),
    ("Rui Lopes", "pt_PT"),
    ("Sanne de Boer", "nl"),
    ("Hugo Moreau", "fr"),
    ("Pieter Jansen", "nl"),
    ("Ana Costa", "pt_PT"),
    ("Julien Dupont", "fr"),
    ("Eva van Dijk", "nl"),
    ("Marta Ferreira", "pt_PT"),
    ("Louis Lefèvre", "fr"),
    ("Bram Hoekstra", "nl"),
    ("Inês Pereira", "pt_PT"),
    ("Camille Bernard", "fr"),
    ("Lotte Smit", "nl"),
    ("Tiago Oliveira", "pt_PT"),
    ("Chloé Girard", "fr"),
    ("Thijs Visser", "nl"),
    ("Beatriz Santos", "pt_PT"),
    ("Léa Roux", "fr"),
    ("Femke Mulder", "nl"),
    ("Diogo Rodrigues", "pt_PT"),
    ("Nathan Fournier", "fr"),
    ("Jesse Bakker", "nl"),
    ("Carolina Almeida", "pt_PT"),
    ("Emily Chen", "en"),
]

FOLDERS = [("Private notes", "private"), ("Tax returns", "view"), ("From the client", "edit")]

SAMPLE_FILES = [
    ("Tax returns", "Tax return 2025.pdf"),
    ("Tax returns", "Engagement letter.pdf"),
    ("Private notes", "Working papers.xlsx"),
    ("From the client", "Bank statement March.pdf"),
    ("From the client", "Receipts.csv"),
]


def _pdf(title: str) -> bytes:
    """A small, valid one-page PDF that shows its title."""
    text = title.encode("latin-1", "replace")
    stream = b"BT /F1 18 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _content(name: str, account: str) -> tuple[bytes, str]:
    if name.endswith(".pdf"):
        return _pdf(f"{account} - {name}"), "application/pdf"
    if name.endswith(".csv"):
        return b"date,description,amount\n2025-03-02,Office supplies,42.50\n", "text/csv"
    return (
        f"{account}: {name}\n".encode(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def seed_demo() -> list[tuple[str, str, str]]:
    """Create the demo firm; returns (role, email, language) of the logins it made."""
    rng = random.Random(2026)
    password_hash = hash_password(DEMO_PASSWORD)
    firm = Firm(name="Cabinet Relance Démo", default_language="fr", time_zone="Europe/Paris")
    db.session.add(firm)
    db.session.flush()
    logins: list[tuple[str, str, str]] = []
    staff: list[User] = []
    for role, name, email, language in STAFF:
        user = User(
            firm_id=firm.id,
            email=email,
            name=name,
            role=role,
            language=language,
            password_hash=password_hash,
        )
        db.session.add(user)
        staff.append(user)
        logins.append((role, email, language))
    db.session.flush()
    started = now() - timedelta(days=40)
    approvals: list[tuple[Account, Document, User]] = []
    for index, account_name in enumerate(ACCOUNT_NAMES):
        account = Account(
            firm_id=firm.id, name=account_name, created_at=started + timedelta(hours=index)
        )
        db.session.add(account)
        db.session.flush()
        people = [CONTACT_NAMES[index]]
        if index % 3 == 0:
            people.append(CONTACT_NAMES[(index + 7) % len(CONTACT_NAMES)])
        for position, (person, language) in enumerate(people):
            slug = person.lower().replace(" ", ".").encode("ascii", "ignore").decode()
            email = f"{slug}.{index}@client.relance.test"
            portal = not (position == 1 and index % 2 == 0)
            user = User(
                firm_id=firm.id,
                email=email,
                name=person,
                role="client",
                language=language,
                password_hash=password_hash if portal else None,
            )
            db.session.add(user)
            db.session.flush()
            db.session.add(
                Contact(
                    firm_id=firm.id,
                    account_id=account.id,
                    user_id=user.id,
                    portal_access=portal,
                    notify=index % 5 != 4,
                )
            )
            if position == 0 and index < 3:
                logins.append(("client", email, language))
        folders = {}
        for folder_name, access in FOLDERS:
            folder = Folder(firm_id=firm.id, account_id=account.id, name=folder_name, access=access)
            db.session.add(folder)
            folders[folder_name] = folder
        db.session.flush()
        for folder_name, file_name in SAMPLE_FILES:
            data, content_type = _content(file_name, account_name)
            moment = started + timedelta(days=rng.randint(1, 39), minutes=rng.randint(0, 600))
            uploader = staff[rng.randrange(len(staff))]
            document = add_document_bytes(
                uploader, folders[folder_name], file_name, data, content_type, moment
            )
            if file_name == "Tax return 2025.pdf" and index < 9:
                approvals.append((account, document, staff[index % len(staff)]))
    db.session.flush()
    _demo_approvals(approvals)
    db.session.commit()
    return logins


def _demo_approvals(approvals: list) -> None:
    """Approval requests in every state, so the demo shows the engine at work."""
    from sqlalchemy import select

    from dashboard.approvals.service import decide, request_approval
    from dashboard.reminders.service import ReminderSettings

    for number, (account, document, sender) in enumerate(approvals):
        request = request_approval(
            sender,
            document,
            "Please check the figures before we file.",
            ReminderSettings(True, 3, 2),
        )
        client = db.session.scalar(
            select(User)
            .join(Contact, Contact.user_id == User.id)
            .where(Contact.account_id == account.id, Contact.portal_access.is_(True))
            .order_by(Contact.id)
        )
        if client is not None and number % 3 == 1:
            decide(client, request, True, [], "")
        elif client is not None and number % 3 == 2:
            decide(
                client,
                request,
                False,
                ["incorrect", "questions"],
                "The turnover on page 2 looks wrong.",
            )
