"""Demo data for `make run`: one firm, staff in four languages, 65 client accounts, and a
twelve-day story (approvals, chats, reminders already sent) played through the services."""

from __future__ import annotations

import random
from contextlib import contextmanager
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

#: More accounts, so the Clients list has a second page (CLIENTS_PER_PAGE is 50).
EXTRA_ACCOUNTS = {
    "fr": (
        ["Boucherie", "Plomberie", "Cabinet", "Traiteur", "Studio"],
        ["Lambert", "Bonnet", "Mercier", "Faure", "Chevalier", "Robin", "Gauthier", "Perrin"],
        ["Manon", "Théo", "Inès", "Lucas", "Zoé", "Arthur", "Jade", "Paul"],
    ),
    "pt_PT": (
        ["Padaria", "Oficina", "Clínica", "Mercearia", "Atelier"],
        ["Carvalho", "Gomes", "Martins", "Sousa", "Fernandes", "Ribeiro", "Pinto", "Nunes"],
        ["Joana", "Miguel", "Sofia", "André", "Rita", "Pedro", "Catarina", "Nuno"],
    ),
    "nl": (
        ["Bakkerij", "Schilderwerken", "Tandartspraktijk", "Bloemen", "Fietsen"],
        ["de Jong", "Peters", "Hendriks", "Dekker", "Brouwer", "de Wit", "Vos", "Meijer"],
        ["Anouk", "Lars", "Noor", "Sem", "Julia", "Daan", "Fleur", "Ruben"],
    ),
    "en": (
        ["Bakery", "Consulting", "Joinery", "Print Shop", "Dental"],
        ["Taylor", "Walsh", "Murphy", "Evans", "Clarke", "Byrne", "Hughes", "Price"],
        ["Grace", "Oliver", "Amelia", "Jack", "Isla", "Harry", "Ava", "Noah"],
    ),
}
EXTRA_PER_LANGUAGE = 10

#: The three folders of every account and the sample files, named in the firm's language.
FOLDER_NAMES = {
    "en": {"private": "Private notes", "view": "Tax returns", "edit": "From the client"},
    "fr": {"private": "Notes internes", "view": "Déclarations", "edit": "Envoyés par le client"},
    "pt_PT": {"private": "Notas internas", "view": "Declarações", "edit": "Enviados pelo cliente"},
    "nl": {"private": "Interne notities", "view": "Aangiften", "edit": "Van de klant"},
}
FOLDERS = [("private", "private"), ("view", "view"), ("edit", "edit")]
FILE_NAMES = {
    "en": {
        "tax_return": "Tax return 2025.pdf",
        "engagement": "Engagement letter.pdf",
        "working": "Working papers.xlsx",
        "bank": "Bank statement March.pdf",
        "receipts": "Receipts.csv",
    },
    "fr": {
        "tax_return": "Liasse fiscale 2025.pdf",
        "engagement": "Lettre de mission.pdf",
        "working": "Feuilles de travail.xlsx",
        "bank": "Relevé bancaire mars.pdf",
        "receipts": "Justificatifs.csv",
    },
    "pt_PT": {
        "tax_return": "Declaração IRC 2025.pdf",
        "engagement": "Carta de compromisso.pdf",
        "working": "Papéis de trabalho.xlsx",
        "bank": "Extrato bancário março.pdf",
        "receipts": "Recibos.csv",
    },
    "nl": {
        "tax_return": "Aangifte 2025.pdf",
        "engagement": "Opdrachtbevestiging.pdf",
        "working": "Werkdocumenten.xlsx",
        "bank": "Bankafschrift maart.pdf",
        "receipts": "Bonnetjes.csv",
    },
}
SAMPLE_FILES = [
    ("view", "tax_return"),
    ("view", "engagement"),
    ("private", "working"),
    ("edit", "bank"),
    ("edit", "receipts"),
]

#: Chat templates (R7), one per language the firm's clients speak.
CHAT_TEMPLATES = [
    (
        "Pièces manquantes",
        "Pièces manquantes pour votre bilan",
        "Bonjour,\nPour terminer votre bilan, il nous manque quelques pièces. Merci de les "
        "déposer dans le portail.",
    ),
    (
        "Missing documents (EN)",
        "Missing documents for your accounts",
        "Hello,\nTo finish your accounts we still need a few documents. Please upload them in "
        "the portal.",
    ),
    (
        "Documentos em falta (PT)",
        "Documentos em falta para as suas contas",
        "Olá,\nPara concluir as suas contas faltam-nos alguns documentos. Carregue-os no portal, "
        "por favor.",
    ),
    (
        "Ontbrekende stukken (NL)",
        "Ontbrekende stukken voor uw jaarrekening",
        "Hallo,\nOm uw jaarrekening af te ronden missen we nog enkele stukken. Wilt u ze in het "
        "portaal zetten?",
    ),
]
#: A chat per language, started from the matching template.
CHAT_TEMPLATE_BY_LANGUAGE = {"fr": 0, "en": 1, "pt_PT": 2, "nl": 3}
CHAT_TASKS = {
    "fr": ["Relevés bancaires de décembre", "Factures fournisseurs du T4"],
    "en": ["December bank statements", "Q4 supplier invoices"],
    "pt_PT": ["Extratos bancários de dezembro", "Faturas de fornecedores do T4"],
    "nl": ["Bankafschriften december", "Inkoopfacturen Q4"],
}
CLIENT_REPLIES = {
    "fr": "Merci, je dépose les relevés ce soir.",
    "en": "Thanks, I will upload the statements tonight.",
    "pt_PT": "Obrigado, envio os extratos hoje à noite.",
    "nl": "Dank u, ik zet de afschriften vanavond in het portaal.",
}
APPROVAL_MESSAGES = {
    "fr": "Merci de vérifier les chiffres avant le dépôt.",
    "en": "Please check the figures before we file.",
    "pt_PT": "Verifique os valores antes da entrega, por favor.",
    "nl": "Wilt u de cijfers controleren voordat we indienen?",
}
#: The demo's story starts this long ago, so reminders have already gone out.
STORY_DAYS = 12


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


def _all_accounts() -> list[tuple[str, list[tuple[str, str]]]]:
    """(account name, [(contact name, language)…]) for every demo account."""
    accounts = []
    for index, account_name in enumerate(ACCOUNT_NAMES):
        people = [CONTACT_NAMES[index]]
        if index % 3 == 0:
            people.append(CONTACT_NAMES[(index + 7) % len(CONTACT_NAMES)])
        accounts.append((account_name, people))
    for number in range(EXTRA_PER_LANGUAGE):
        for language, (trades, surnames, first_names) in EXTRA_ACCOUNTS.items():
            surname = surnames[number % len(surnames)]
            trade = trades[(number + number // len(surnames)) % len(trades)]
            first = first_names[(number * 3) % len(first_names)]
            people = [(f"{first} {surname}", language)]
            if number % 4 == 1:
                people.append(
                    (f"{first_names[(number * 3 + 1) % len(first_names)]} {surname}", language)
                )
            accounts.append((f"{trade} {surname}", people))
    return accounts


@contextmanager
def _story_clock(moment):
    """Run the demo's past at `moment` (the one clock); emails are recorded, not queued."""
    from dashboard import clock
    from dashboard.notify import outbox

    original = outbox.enqueue_delivery
    outbox.enqueue_delivery = lambda ids: True  # the demo's emails are marked delivered
    clock.set_now(moment)
    try:
        yield
    finally:
        clock.set_now(None)
        outbox.enqueue_delivery = original


def seed_demo() -> list[tuple[str, str, str]]:
    """Create the demo firm; returns (role, email, language) of the logins it made."""
    present = now()
    with _story_clock(present - timedelta(days=STORY_DAYS)):
        logins = _seed(present)
    return logins


def _seed(present) -> list[tuple[str, str, str]]:
    from dashboard import clock

    rng = random.Random(2026)
    password_hash = hash_password(DEMO_PASSWORD)
    firm = Firm(name="Cabinet Relance Démo", default_language="fr", time_zone="Europe/Paris")
    db.session.add(firm)
    db.session.flush()
    folder_names = FOLDER_NAMES[firm.default_language]
    file_names = FILE_NAMES[firm.default_language]
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
    signatures: list[tuple[Account, Document, User]] = []
    chats: list[tuple[Account, str]] = []
    chat_languages: set[str] = set()
    for index, (account_name, people) in enumerate(_all_accounts()):
        account = Account(
            firm_id=firm.id, name=account_name, created_at=started + timedelta(hours=index)
        )
        db.session.add(account)
        db.session.flush()
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
        for key, access in FOLDERS:
            folder = Folder(
                firm_id=firm.id, account_id=account.id, name=folder_names[key], access=access
            )
            db.session.add(folder)
            folders[key] = folder
        db.session.flush()
        # The first accounts get every sample file; the others two, to keep seeding fast.
        samples = (
            SAMPLE_FILES if index < len(ACCOUNT_NAMES) else SAMPLE_FILES[:1] + SAMPLE_FILES[3:4]
        )
        for folder_key, file_key in samples:
            file_name = file_names[file_key]
            data, content_type = _content(file_name, account_name)
            moment = started + timedelta(days=rng.randint(1, 27), minutes=rng.randint(0, 600))
            uploader = staff[rng.randrange(len(staff))]
            document = add_document_bytes(
                uploader, folders[folder_key], file_name, data, content_type, moment
            )
            if file_key == "tax_return" and index < 9:
                approvals.append((account, document, staff[index % len(staff)]))
            if file_key == "engagement" and (index < 6 or index == 9):
                signatures.append((account, document, staff[index % len(staff)]))
        language = people[0][1]
        if index % 5 != 4 and language not in chat_languages:
            chat_languages.add(language)
            chats.append((account, language))
        elif index in (5, 31, 44):
            chats.append((account, language))
    db.session.flush()
    templates = _demo_templates(firm)
    _demo_approvals(approvals)
    _demo_signatures(signatures)
    _demo_invoices(firm, [account for account, _, _ in approvals], staff)
    _demo_proposals(firm, [account for account, _, _ in approvals], staff)
    _demo_organizers(firm, [account for account, _, _ in approvals], staff)
    from dashboard.pipelines import demo as pipelines_demo

    pipelines_demo.seed(firm, [account for account, _, _ in approvals], staff)
    _demo_chats(chats, templates, staff)
    db.session.commit()
    _send_due_reminders(present)
    clock.set_now(None)
    _mark_delivered()
    db.session.commit()
    return logins


def _demo_templates(firm: Firm) -> list:
    from dashboard.chats.models import MessageTemplate

    templates = [
        MessageTemplate(
            firm_id=firm.id,
            name=name,
            subject=subject,
            body=body,
            reminders_enabled=True,
            interval_days=2,
            max_count=3,
        )
        for name, subject, body in CHAT_TEMPLATES
    ]
    db.session.add_all(templates)
    db.session.flush()
    return templates


def _first_client(account: Account) -> User | None:
    from sqlalchemy import select

    return db.session.scalar(
        select(User)
        .join(Contact, Contact.user_id == User.id)
        .where(Contact.account_id == account.id, Contact.portal_access.is_(True))
        .order_by(Contact.id)
    )


def _demo_chats(chats: list, templates: list, staff: list[User]) -> None:
    """Conversations from the templates, in each client's language; some answered."""
    from dashboard import clock
    from dashboard.chats.service import post_client_message, start_thread
    from dashboard.reminders.service import ReminderSettings

    base = now()
    for number, (account, language) in enumerate(chats):
        template = templates[CHAT_TEMPLATE_BY_LANGUAGE[language]]
        clock.set_now(base + timedelta(hours=2, minutes=7 * number))
        thread = start_thread(
            staff[number % len(staff)],
            account,
            template.subject,
            template.body,
            ReminderSettings(
                template.reminders_enabled, template.interval_days, template.max_count
            ),
            tasks=CHAT_TASKS[language],
        )
        client = _first_client(account)
        _mark_delivered()
        if client is not None and number % 3 == 2:
            clock.set_now(base + timedelta(days=1, hours=5, minutes=number))
            post_client_message(client, thread, CLIENT_REPLIES[language])
    clock.set_now(base)


def _send_due_reminders(present) -> None:
    """Let the story's days pass: the sweep sends each reminder when it falls due."""
    from sqlalchemy import func, select

    from dashboard import clock
    from dashboard.reminders.models import Reminder
    from dashboard.reminders.sweep import sweep

    while True:
        due = db.session.scalar(
            select(func.min(Reminder.next_at)).where(
                Reminder.next_at.is_not(None), Reminder.next_at <= present
            )
        )
        if due is None:
            return
        clock.set_now(due)
        sweep(due)
        _mark_delivered()
        db.session.commit()


def _mark_delivered() -> None:
    """The demo's past emails count as delivered a minute after they were written."""
    from sqlalchemy import select

    from dashboard.notify.emails import render
    from dashboard.notify.models import OutboxEmail

    for row in db.session.scalars(select(OutboxEmail).where(OutboxEmail.state == "queued")):
        row.subject = render(row).subject[:300]
        row.state, row.attempts = "sent", 1
        row.sent_at = row.created_at + timedelta(minutes=1)
    db.session.flush()


def _demo_approvals(approvals: list) -> None:
    """Approval requests in every state, so the demo shows the engine at work."""
    from dashboard import clock
    from dashboard.approvals.service import decide, request_approval
    from dashboard.reminders.service import ReminderSettings

    base = now()
    for number, (account, document, sender) in enumerate(approvals):
        clock.set_now(base + timedelta(minutes=5 * number))
        client = _first_client(account)
        language = (client.language if client else None) or "fr"
        request = request_approval(
            sender,
            document,
            APPROVAL_MESSAGES[language],
            ReminderSettings(True, 3, 2 if number % 2 else 4),
        )
        _mark_delivered()  # the request's emails went out before the client answered
        clock.set_now(base + timedelta(days=1, hours=number))
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
    clock.set_now(base)


def _demo_signatures(requests: list) -> None:
    """Signature requests awaiting, partially signed, signed (sealed) and declined."""
    from dashboard import clock
    from dashboard.reminders.service import ReminderSettings
    from dashboard.signatures import service
    from dashboard.signatures.evidence import RequestFacts
    from dashboard.signatures.signed_copy import enqueue_seal

    base = now()
    facts = RequestFacts("192.0.2.10", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Safari/604.1")
    for number, (account, document, sender) in enumerate(requests):
        signers = [c.user for c, reason in service.signable_contacts(account.id) if not reason]
        if not signers:
            continue
        clock.set_now(base + timedelta(minutes=3 * number))
        request = service.request_signatures(
            sender,
            document,
            [service.SignerSpec(user.id, 1, 0.55, 0.72) for user in signers],
            in_order=len(signers) > 1,
            message=APPROVAL_MESSAGES.get(signers[0].language or "fr", ""),
            settings=ReminderSettings(True, 3, 2),
        )
        _mark_delivered()
        clock.set_now(base + timedelta(days=2, hours=number))
        # Two signers in order: the first signs (Partially signed); otherwise by turns:
        # awaiting, signed (and sealed), declined.
        outcome = 1 if len(signers) > 1 else (0, 2, 3)[number % 3]
        if outcome == 3:
            service.decline(
                signers[0],
                request,
                request.signers[0],
                "Le montant des honoraires ne correspond pas à notre accord.",
                facts,
            )
            continue
        for signer in request.signers[: len(request.signers) if outcome == 2 else outcome]:
            service.sign(
                signer.user,
                request,
                signer,
                method="typed",
                typed_name=signer.user.name,
                drawing=None,
                consent=True,
                shown_sha256=request.document_sha256,
                consent_locale=signer.user.language or "fr",
                facts=facts,
            )
        db.session.flush()
        if request.seal_state == "queued":
            db.session.commit()
            enqueue_seal(request.id)  # the worker seals it, as in production
    clock.set_now(base)


def _demo_invoices(firm: Firm, accounts: list[Account], staff: list[User]) -> None:
    """Billing details with an IBAN, a template, and invoices unpaid, partly paid and paid."""
    from decimal import Decimal

    from dashboard import clock
    from dashboard.invoices import service
    from dashboard.invoices.models import InvoiceTemplate

    billing = service.billing_of(firm.id)
    billing.legal_name = "Cabinet Relance Démo SARL"
    billing.address = "12 rue de la Paix\n75002 Paris\nFrance"
    billing.vat_number = "FR32123456789"
    billing.iban, billing.bic = "FR7630006000011234567890189", "AGRIFRPP"
    template = InvoiceTemplate(
        firm_id=firm.id,
        name="Tenue de comptabilité mensuelle",
        lines=[
            {
                "description": "Tenue de comptabilité",
                "quantity": "1",
                "unit_price": "350.00",
                "vat_rate": "20",
            },
            {
                "description": "Bulletins de paie",
                "quantity": "4",
                "unit_price": "25.00",
                "vat_rate": "20",
            },
        ],
        notes="Merci de votre confiance.",
        reminders_enabled=True,
        interval_days=7,
        max_count=2,
    )
    db.session.add(template)
    db.session.flush()
    base = now()
    for number, account in enumerate(accounts[:6]):
        clock.set_now(base + timedelta(minutes=number))
        invoice = service.invoice_from_template(staff[number % len(staff)], account, template)
        service.issue_invoice(staff[number % len(staff)], invoice)
        _mark_delivered()
        today = service.local_today(firm.id)
        if number % 3 == 1:
            service.record_payment(None, invoice, Decimal("200.00"), today, "transfer")
        elif number % 3 == 2:
            service.record_payment(None, invoice, invoice.total_gross, today, "transfer")
    clock.set_now(base)


PROPOSAL_BODY = (
    "<p>Madame, Monsieur,</p><p>Nous vous remercions de la confiance que vous accordez à "
    "{{ firm_name }}. La présente lettre de mission, établie le {{ date }} pour "
    "<strong>{{ client_name }}</strong>, précise nos travaux et nos honoraires :</p>"
    "<ul><li>établissement des comptes annuels et de la liasse fiscale ;</li>"
    "<li>tenue de la comptabilité et déclarations de TVA ;</li>"
    "<li>conseil courant par téléphone et par le portail.</li></ul>"
    "{{ fee_table }}<p>La mission prend effet à la signature et se renouvelle chaque année.</p>"
    "<p>Veuillez agréer nos salutations distinguées.</p>"
)


def _demo_proposals(firm: Firm, accounts: list[Account], staff: list[User]) -> None:
    """A template (invoice when signed), and proposals sent, viewed, signed (sealed), declined
    and a draft."""
    from dashboard import clock
    from dashboard.proposals import letter, service
    from dashboard.proposals.signed_pdf import enqueue_seal
    from dashboard.reminders.service import ReminderSettings
    from dashboard.signatures.evidence import RequestFacts

    lines = letter.fee_lines(
        [
            {"description": "Comptes annuels 2026", "unit_price": "1800.00", "vat_rate": "20"},
            {
                "description": "Tenue comptable",
                "unit_price": "250.00",
                "vat_rate": "20",
                "recurrence": "month",
            },
        ]
    )
    template = service.save_template(
        firm,
        None,
        service.ProposalInput(
            "Lettre de mission 2027",
            PROPOSAL_BODY,
            lines,
            True,
            ReminderSettings(True, 5, 3),
            valid_days=30,
        ),
    )
    facts = RequestFacts("192.0.2.10", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Safari/604.1")
    base = now()
    for number, account in enumerate(accounts[:5]):
        clock.set_now(base + timedelta(minutes=10 + number))
        sender = staff[number % len(staff)]
        proposal = service.create_draft(sender, account, service.template_input(template), template)
        client = _first_client(account)
        if number == 4 or client is None:
            continue  # a draft
        service.send_proposal(sender, proposal)
        _mark_delivered()
        clock.set_now(base + timedelta(days=1, hours=number))
        if number >= 1:
            service.record_view(client, proposal)
        if number == 2:
            service.sign(
                client,
                proposal,
                method="typed",
                typed_name=client.name,
                drawing=None,
                consent=True,
                shown_sha256=proposal.content_sha256,
                consent_locale=client.language or "fr",
                facts=facts,
            )
            _mark_delivered()
            db.session.commit()
            enqueue_seal(proposal.id)  # the worker seals it, as in production
        elif number == 3:
            service.decline(
                client, proposal, "Nous préférons attendre la fin de l'exercice.", facts
            )
    clock.set_now(base)


ORGANIZER_QUESTIONS = [
    ("name", "Vous", "short_text", "Nom et prénom", True, [], None),
    (
        "situation",
        "Vous",
        "single",
        "Situation familiale",
        True,
        ["Célibataire", "Marié(e) ou pacsé(e)", "Divorcé(e)", "Veuf ou veuve"],
        None,
    ),
    ("children", "Foyer", "yes_no", "Avez-vous des enfants à charge ?", True, [], None),
    ("children_count", "Foyer", "number", "Combien ?", True, [], ("children", ["yes"])),
    (
        "income",
        "Revenus",
        "multiple",
        "Vos revenus en 2026",
        True,
        ["Salaires", "Revenus fonciers", "Dividendes", "Pensions"],
        None,
    ),
    ("rent", "Revenus", "amount", "Loyers perçus (€)", False, [], ("income", ["Revenus fonciers"])),
    ("moved", "Revenus", "date", "Date de déménagement, s'il y a lieu", False, [], None),
    ("notes", "Revenus", "long_text", "Autre chose à nous signaler ?", False, [], None),
    ("payslip", "Justificatifs", "file", "Votre dernier bulletin de salaire", True, [], None),
]


def _demo_organizers(firm: Firm, accounts: list[Account], staff: list[User]) -> None:
    """A tax organizer template, and organizers in progress and submitted (sealing renders and
    seals a PDF: staff do it in the demo, which stays free of PDF work for a quick start)."""
    from dashboard import clock
    from dashboard.organizers import service
    from dashboard.organizers.models import OrganizerTemplate
    from dashboard.reminders.service import ReminderSettings

    template = OrganizerTemplate(
        firm_id=firm.id,
        name="Questionnaire impôt sur le revenu 2026",
        intro="Quelques questions pour préparer votre déclaration.",
        folder_name="Questionnaire 2026",
        questions=[
            {
                "key": key,
                "section": section,
                "type": kind,
                "label": label,
                "help": "",
                "required": required,
                "options": options,
                "show_if": {"key": rule[0], "values": rule[1]} if rule else None,
            }
            for key, section, kind, label, required, options, rule in ORGANIZER_QUESTIONS
        ],
        reminders_enabled=True,
        interval_days=4,
        max_count=3,
    )
    db.session.add(template)
    db.session.flush()
    base = now()
    for number, account in enumerate(accounts[:4]):
        client = _first_client(account)
        if client is None:
            continue
        clock.set_now(base + timedelta(minutes=20 + number))
        organizer = service.send_organizer(
            staff[number % len(staff)], account, template, "", ReminderSettings(True, 4, 3)
        )
        _mark_delivered()
        clock.set_now(base + timedelta(days=1, hours=number))
        service.save_answer(client, organizer, "name", [client.name])
        service.save_answer(client, organizer, "situation", ["Marié(e) ou pacsé(e)"])
        if number >= 1:
            service.save_answer(client, organizer, "children", ["no"])
            service.save_answer(client, organizer, "income", ["Salaires"])
        if number >= 2:
            from io import BytesIO

            from werkzeug.datastructures import FileStorage

            pdf = FileStorage(
                BytesIO(_pdf("Bulletin de salaire")), "bulletin.pdf", content_type="application/pdf"
            )
            service.save_file(client, organizer, "payslip", pdf)
            service.submit(client, organizer)
    clock.set_now(base)
