"""The issued invoice's PDF: made once (in the account's language), then kept as issued."""

from __future__ import annotations

from sqlalchemy import select

from dashboard.accounts.models import Account, Contact
from dashboard.auth.models import Firm, User
from dashboard.documents import storage
from dashboard.extensions import db
from dashboard.invoices.models import Invoice


def account_locale(account_id: int, firm: Firm) -> str:
    """The language of the account's first notified contact, else of its first contact with
    portal access, else the firm's."""
    language = db.session.scalar(
        select(User.language)
        .join(Contact, Contact.user_id == User.id)
        .where(Contact.account_id == account_id, User.language.is_not(None))
        .order_by(Contact.notify.desc(), Contact.portal_access.desc(), Contact.id)
        .limit(1)
    )
    return language or firm.default_language


def pdf_name(invoice: Invoice) -> str:
    return f"{invoice.number or 'draft'}.pdf"


def invoice_pdf_bytes(invoice: Invoice) -> bytes:
    """The stored PDF, made on first use. A draft's PDF is made fresh each time (a preview)."""
    if invoice.pdf_storage_key:
        return storage.path_for(invoice.pdf_storage_key).read_bytes()
    from dashboard.invoices.pdf import invoice_pdf
    from dashboard.invoices.service import billing_of

    firm = db.session.get(Firm, invoice.firm_id)
    account = db.session.get(Account, invoice.account_id)
    assert firm is not None and account is not None
    data = invoice_pdf(
        invoice, firm, billing_of(firm.id), account, account_locale(account.id, firm)
    )
    if invoice.state != "draft":
        invoice.pdf_storage_key = storage.keep_bytes(data, invoice.firm_id).key
        db.session.flush()
    return data
