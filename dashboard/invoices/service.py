"""Invoice rules: drafts, issuing (numbered), payments, void and credit notes, Email invoice.

Reminders are the engine's: an issued invoice is a pending action item until it is paid in
full; a partial payment leaves its reminders going (R4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from dashboard.accounts.models import Account
from dashboard.audit.service import record_item_event
from dashboard.auth.models import Firm, User
from dashboard.clock import now
from dashboard.extensions import db
from dashboard.invoices import money
from dashboard.invoices.models import FirmBilling, Invoice, InvoiceLine, InvoiceTemplate, Payment
from dashboard.invoices.numbering import format_number, take_number
from dashboard.items.kinds import notify_recipients
from dashboard.notify.outbox import queue_email
from dashboard.reminders.cascade import resolve
from dashboard.reminders.service import (
    ReminderSettings,
    complete_item,
    lock_pending,
    resend_item,
    send_item,
)

#: What staff and clients read for an invoice's state.
STATE_LABELS = {
    "draft": _l("Draft"),
    "issued": _l("Unpaid"),
    "partial": _l("Partially paid"),
    "paid": _l("Paid"),
    "void": _l("Void"),
}
STATE_BADGES = {
    "draft": "text-bg-light border",
    "issued": "text-bg-warning",
    "partial": "text-bg-info",
    "paid": "text-bg-success",
    "void": "text-bg-secondary",
}
PAYMENT_METHODS = {
    "transfer": _l("Bank transfer"),
    "card": _l("Card"),
    "cash": _l("Cash"),
    "cheque": _l("Cheque"),
    "provider": _l("Online payment"),
}
MAX_LINES = 100


class InvoiceError(ValueError):
    """An invoice change that cannot be made; the message is shown to the user."""


@dataclass(frozen=True)
class LineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal


def billing_of(firm_id: int) -> FirmBilling:
    """The firm's billing details, created with defaults at first use."""
    billing = db.session.scalar(select(FirmBilling).where(FirmBilling.firm_id == firm_id))
    if billing is None:
        firm = db.session.get(Firm, firm_id)
        assert firm is not None
        billing = FirmBilling(firm_id=firm_id, legal_name=firm.name)
        db.session.add(billing)
        db.session.flush()
    return billing


def local_today(firm_id: int) -> date:
    firm = db.session.get(Firm, firm_id)
    assert firm is not None
    return now().astimezone(ZoneInfo(firm.time_zone)).date()


def _set_lines(invoice: Invoice, lines: list[LineInput], sign: int = 1) -> None:
    if not lines:
        raise InvoiceError(str(_l("Add at least one line.")))
    if len(lines) > MAX_LINES:
        raise InvoiceError(str(_l("An invoice can have at most 100 lines.")))
    invoice.lines.clear()
    rows = []
    for position, line in enumerate(lines, start=1):
        description = " ".join(line.description.split())[:500]
        if not description:
            raise InvoiceError(str(_l("Every line needs a description.")))
        if not Decimal(0) <= line.vat_rate <= Decimal(100):
            raise InvoiceError(str(_l("A VAT rate is between 0 and 100 %.")))
        unit_price = line.unit_price * sign
        amounts = money.line_amounts(line.quantity, unit_price, line.vat_rate)
        invoice.lines.append(
            InvoiceLine(
                position=position,
                description=description,
                quantity=line.quantity,
                unit_price=unit_price,
                vat_rate=line.vat_rate,
                net=amounts.net,
                vat=amounts.vat,
            )
        )
        rows.append((line.quantity, unit_price, line.vat_rate))
    totals = money.totals(rows)
    invoice.total_net, invoice.total_vat, invoice.total_gross = totals.net, totals.vat, totals.gross


def _apply_settings(invoice: Invoice, settings: ReminderSettings) -> None:
    invoice.reminders_enabled = settings.enabled
    invoice.reminder_interval_days = settings.interval_days
    invoice.reminder_max_count = settings.max_count
    invoice.reminders_origin = settings.origin


def create_invoice(
    actor: User,
    account: Account,
    lines: list[LineInput],
    *,
    notes: str = "",
    due_date: date | None = None,
    settings: ReminderSettings,
    template: InvoiceTemplate | None = None,
) -> Invoice:
    """A draft: no number yet, nobody told."""
    billing = billing_of(account.firm_id)
    invoice = Invoice(
        firm_id=account.firm_id,
        numbering_firm_id=account.firm_id,
        account_id=account.id,
        status="draft",
        state="draft",
        currency=billing.currency,
        notes=notes.strip()[:5000],
        due_date=due_date,
        template_id=template.id if template else None,
        sent_by_id=actor.id,
        title="",
    )
    _set_lines(invoice, lines)
    _apply_settings(invoice, settings)
    db.session.add(invoice)
    db.session.flush()
    record_item_event(
        invoice, actor=actor, action="invoice.drafted", title=str(_l("Draft invoice"))
    )
    return invoice


def update_draft(
    actor: User,
    invoice: Invoice,
    lines: list[LineInput],
    *,
    notes: str,
    due_date: date | None,
    settings: ReminderSettings,
) -> None:
    if invoice.state != "draft":
        raise InvoiceError(str(_l("An issued invoice cannot be changed; void it or credit it.")))
    _set_lines(invoice, lines)
    invoice.notes, invoice.due_date = notes.strip()[:5000], due_date
    _apply_settings(invoice, settings)
    db.session.flush()


def delete_draft(actor: User, invoice: Invoice) -> None:
    """Only a draft can be deleted (it has no number, so no gap appears)."""
    if invoice.state != "draft":
        raise InvoiceError(str(_l("An issued invoice is never deleted; void it instead.")))
    db.session.delete(invoice)
    db.session.flush()


def issue_invoice(actor: User, invoice: Invoice) -> Invoice:
    """Give the draft its number and send it: the client is told, reminders start."""
    if invoice.state != "draft":
        raise InvoiceError(str(_l("This invoice was already issued.")))
    billing = billing_of(invoice.firm_id)
    today = local_today(invoice.firm_id)
    sequence = take_number(invoice.firm_id, today.year)
    invoice.number_year, invoice.number_seq = today.year, sequence
    invoice.number = format_number(billing, today.year, sequence)
    invoice.state = "issued"
    invoice.issue_date = today
    if invoice.due_date is None or invoice.due_date < today:
        invoice.due_date = today + timedelta(days=billing.payment_days)
    settings = ReminderSettings(
        invoice.reminders_enabled,
        invoice.reminder_interval_days,
        invoice.reminder_max_count,
        invoice.reminders_origin,
    )
    if invoice.credit_for_id is not None or invoice.total_gross <= 0:
        settings = ReminderSettings(False, settings.interval_days, settings.max_count)
    record_item_event(  # before the send, so the timeline reads issued, then sent
        invoice,
        actor=actor,
        action="invoice.issued",
        title=invoice.number,
        total=str(invoice.total_gross),
        currency=invoice.currency,
    )
    send_item(actor, invoice, settings)
    if invoice.total_gross <= 0:  # a credit note asks nothing of the client
        complete_item(invoice, "credit", actor)
        invoice.state = "paid"
    return invoice


def record_payment(
    actor: User | None,
    invoice: Invoice,
    amount: Decimal,
    paid_on: date,
    method: str,
    provider_payment_id: str | None = None,
) -> Payment | None:
    """Record money received. Paid in full completes the item (reminders stop); a partial
    payment leaves them going. A provider payment already recorded is not recorded again."""
    if method not in PAYMENT_METHODS:
        raise InvoiceError(str(_l("Choose how it was paid.")))
    if amount <= 0:
        raise InvoiceError(str(_l("Enter an amount above zero.")))
    if provider_payment_id is not None:
        seen = db.session.scalar(
            select(Payment.id).where(Payment.provider_payment_id == provider_payment_id)
        )
        if seen is not None:
            return None
    if invoice.state not in ("issued", "partial") or not lock_pending(invoice):
        raise InvoiceError(str(_l("Only an unpaid invoice can receive a payment.")))
    db.session.refresh(invoice)
    payment = Payment(
        amount=money.cents(amount),
        paid_on=paid_on,
        method=method,
        provider_payment_id=provider_payment_id,
        recorded_by_id=actor.id if actor else None,
    )
    invoice.payments.append(payment)
    invoice.amount_paid = money.cents(invoice.amount_paid + payment.amount)
    invoice.pdf_storage_key = None  # the next PDF shows the payment and its QR what is left
    paid = invoice.amount_paid >= invoice.total_gross
    invoice.state = "paid" if paid else "partial"
    record_item_event(
        invoice,
        actor=actor,
        action="invoice.payment",
        title=invoice.number or "",
        amount=str(payment.amount),
        method=method,
        paid=paid,
    )
    if paid:
        complete_item(invoice, "paid", actor)
    db.session.flush()
    return payment


def void_invoice(actor: User, invoice: Invoice) -> None:
    """Void an unpaid invoice: it keeps its number, reminders stop, the client owes nothing."""
    if invoice.state not in ("issued",):
        raise InvoiceError(str(_l("Only an unpaid invoice without payments can be voided.")))
    invoice.state, invoice.voided_at = "void", now()
    complete_item(invoice, "void", actor, status="cancelled")
    record_item_event(invoice, actor=actor, action="invoice.voided", title=invoice.number or "")
    db.session.flush()


def create_credit_note(actor: User, invoice: Invoice) -> Invoice:
    """A new, negative invoice that refers to `invoice` (issued at once)."""
    if invoice.state in ("draft",) or invoice.credit_for_id is not None:
        raise InvoiceError(str(_l("Only an issued invoice can be credited.")))
    account = db.session.get(Account, invoice.account_id)
    assert account is not None
    credit = Invoice(
        firm_id=invoice.firm_id,
        numbering_firm_id=invoice.firm_id,
        account_id=invoice.account_id,
        status="draft",
        state="draft",
        currency=invoice.currency,
        credit_for_id=invoice.id,
        notes="",
        sent_by_id=actor.id,
        title="",
    )
    _set_lines(
        credit,
        [
            LineInput(li.description, li.quantity, li.unit_price, li.vat_rate)
            for li in invoice.lines
        ],
        sign=-1,
    )
    db.session.add(credit)
    db.session.flush()
    issue_invoice(actor, credit)
    if invoice.state == "issued":
        void_invoice(actor, invoice)
    return credit


def email_invoice(actor: User, invoice: Invoice, message: str = "") -> bool:
    """Email invoice (paid or unpaid): an unpaid one is a resend (R2, B7: the timer restarts);
    a paid one is a copy with no reminder. Returns False when nothing could go."""
    if invoice.state in ("draft", "void"):
        return False
    if invoice.is_pending:
        return resend_item(actor, invoice, message.strip()[:5000])
    recipients = notify_recipients(invoice.account_id)
    event = record_item_event(
        invoice, actor=actor, action="invoice.emailed", title=invoice.number or ""
    )
    db.session.flush()
    for user in recipients:
        queue_email(
            firm_id=invoice.firm_id,
            key=f"invoice_copy:{event.id}:{user.id}",
            purpose="invoice_copy",
            to=user,
            item=invoice,
            context={"message": message.strip()[:5000]},
        )
    return bool(recipients)


def template_lines(template: InvoiceTemplate) -> list[LineInput]:
    return [
        LineInput(
            str(line.get("description", "")),
            money.parse_decimal(line.get("quantity", "1"), places=3),
            money.parse_decimal(line.get("unit_price", "0")),
            money.parse_decimal(line.get("vat_rate", "0")),
        )
        for line in template.lines
    ]


def invoice_from_template(actor: User, account: Account, template: InvoiceTemplate) -> Invoice:
    """A draft with the template's lines, notes and reminder settings (R7)."""
    return create_invoice(
        actor,
        account,
        template_lines(template),
        notes=template.notes,
        settings=resolve(db.session.get(Firm, account.firm_id), template, "template"),
        template=template,
    )


def update_billing(billing: FirmBilling, form) -> None:
    """Save the firm's billing details; the IBAN and BIC are checked (schwifty)."""
    from schwifty import BIC, IBAN
    from schwifty.exceptions import SchwiftyException

    billing.legal_name = " ".join(form.get("legal_name", "").split())[:200]
    billing.address = form.get("address", "").strip()[:1000]
    billing.vat_number = form.get("vat_number", "").replace(" ", "").upper()[:32]
    iban, bic = form.get("iban", "").strip(), form.get("bic", "").strip()
    try:
        billing.iban = IBAN(iban).compact if iban else ""
        billing.bic = str(BIC(bic)) if bic else ""
    except (SchwiftyException, ValueError) as error:
        raise InvoiceError(str(_l("Check the IBAN and the BIC."))) from error
    prefix = form.get("number_prefix", "{year}-").strip()[:20]
    if any(ch in prefix for ch in "\r\n/\\"):
        raise InvoiceError(str(_l("The number prefix may not contain slashes or line breaks.")))
    billing.number_prefix = prefix
    try:
        billing.payment_days = max(0, min(365, int(form.get("payment_days", "30"))))
        billing.default_vat_rate = money.parse_decimal(form.get("default_vat_rate", "20"), low="0")
    except (ValueError, money.MoneyError) as error:
        raise InvoiceError(str(_l("Enter whole days and a VAT rate."))) from error
    currency = form.get("currency", "EUR").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise InvoiceError(str(_l("Enter a three-letter currency code, such as EUR.")))
    billing.currency = currency


def lock_document(actor: User, document, invoice: Invoice) -> None:
    """The client may open the document only once `invoice` is paid in full (D5)."""
    from dashboard.accounts.models import Folder
    from dashboard.invoices.models import DocumentLock

    if invoice.account_id != document.account_id or invoice.state not in ("issued", "partial"):
        raise InvoiceError(str(_l("Choose an unpaid invoice of this client.")))
    folder = db.session.get(Folder, document.folder_id)
    if folder is None or not folder.client_can_view:
        raise InvoiceError(str(_l("Move the document to a folder the client can view first.")))
    lock = db.session.scalar(select(DocumentLock).where(DocumentLock.document_id == document.id))
    if lock is None:
        db.session.add(DocumentLock(document_id=document.id, invoice_id=invoice.id))
    else:
        lock.invoice_id = invoice.id
    record_item_event(
        invoice,
        actor=actor,
        action="invoice.locked",
        title=invoice.number or "",
        document=document.name,
    )
    db.session.flush()


def unlock_document(actor: User, document) -> None:
    from dashboard.invoices.models import DocumentLock

    lock = db.session.scalar(select(DocumentLock).where(DocumentLock.document_id == document.id))
    if lock is not None:
        db.session.delete(lock)
        db.session.flush()
