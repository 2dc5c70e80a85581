"""Invoice (an action item), its lines and payments, templates, numbering and document locks.

Money is `Numeric` in the database and `Decimal` in Python, never float.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.clock import now
from dashboard.dbtypes import UTCDateTime
from dashboard.extensions import db
from dashboard.items.models import ActionItem
from dashboard.reminders.cascade import TemplateReminders

MONEY = Numeric(14, 2)
INVOICE_STATES = ("draft", "issued", "partial", "paid", "void")


class FirmBilling(db.Model):
    """What a firm's invoices say about it, and how they are numbered and paid."""

    __tablename__ = "firm_billing"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), unique=True)
    legal_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    vat_number: Mapped[str] = mapped_column(String(32), default="")
    #: Validated with schwifty; the SEPA QR code appears only when set.
    iban: Mapped[str] = mapped_column(String(34), default="")
    bic: Mapped[str] = mapped_column(String(11), default="")
    #: Number prefix; {year} is replaced by the issue year ("2026-" gives 2026-0001).
    number_prefix: Mapped[str] = mapped_column(String(20), default="{year}-")
    number_digits: Mapped[int] = mapped_column(Integer, default=4)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    payment_days: Mapped[int] = mapped_column(Integer, default=30)
    default_vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("20.00"))


class InvoiceCounter(db.Model):
    """The last number issued per firm and prefix year: taken in the issuing transaction, so a
    number is used exactly when its invoice is issued (no gaps, no duplicates)."""

    __tablename__ = "invoice_counter"

    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Invoice(ActionItem):
    __tablename__ = "invoice"
    __table_args__ = (
        CheckConstraint("state IN ('draft', 'issued', 'partial', 'paid', 'void')", name="state"),
        CheckConstraint("(state = 'draft') = (number IS NULL)", name="numbered_when_issued"),
        UniqueConstraint("numbering_firm_id", "number", name="uq_invoice_firm_number"),
    )

    id: Mapped[int] = mapped_column(ForeignKey("action_item.id"), primary_key=True)
    #: The firm again, so the number is unique per firm in this table.
    numbering_firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"))
    state: Mapped[str] = mapped_column(String(8), default="draft")
    #: "2026-0001"; NULL while a draft.
    number: Mapped[str | None] = mapped_column(String(40))
    number_year: Mapped[int | None] = mapped_column(Integer)
    number_seq: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    issue_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    total_net: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    total_vat: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    total_gross: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    amount_paid: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    #: A credit note refers to the invoice it cancels (its totals are negative).
    credit_for_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_template.id"))
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The PDF as issued (made once, then kept: an issued invoice never changes).
    pdf_storage_key: Mapped[str | None] = mapped_column(String(255))
    #: The Reminders settings chosen for a draft, applied when it is issued.
    reminders_enabled: Mapped[bool] = mapped_column(default=True)
    reminder_interval_days: Mapped[int] = mapped_column(Integer, default=7)
    reminder_max_count: Mapped[int] = mapped_column(Integer, default=2)
    #: Where they came from (B8: "firm", "template", "automation", "item"), for the reminder.
    reminders_origin: Mapped[str] = mapped_column(String(16), default="item")

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan"
    )
    payments: Mapped[list[Payment]] = relationship(
        back_populates="invoice", order_by="Payment.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"polymorphic_identity": "invoice"}

    @property
    def amount_due(self) -> Decimal:
        return max(self.total_gross - self.amount_paid, Decimal("0.00"))


class InvoiceLine(db.Model):
    __tablename__ = "invoice_line"
    __table_args__ = (CheckConstraint("vat_rate >= 0 AND vat_rate <= 100", name="vat_rate"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    #: Percent, e.g. 20.00.
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    #: quantity × unit price and its VAT, each rounded to the cent (per-line VAT).
    net: Mapped[Decimal] = mapped_column(MONEY)
    vat: Mapped[Decimal] = mapped_column(MONEY)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class Payment(db.Model):
    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint(
            "method IN ('transfer', 'card', 'cash', 'cheque', 'provider')", name="method"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    paid_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(10))
    #: The provider's payment id (Mollie "tr_…"): a payment reported twice is recorded once.
    provider_payment_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    invoice: Mapped[Invoice] = relationship(back_populates="payments")


class InvoiceTemplate(TemplateReminders, db.Model):
    """Lines, notes and reminder settings an invoice starts from (R7)."""

    __tablename__ = "invoice_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: [{"description", "quantity", "unit_price", "vat_rate"}] as strings (Decimal-exact).
    lines: Mapped[list[dict]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    reminders_enabled: Mapped[bool] = mapped_column(default=True)
    interval_days: Mapped[int] = mapped_column(Integer, default=7)
    max_count: Mapped[int] = mapped_column(Integer, default=2)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class DocumentLock(db.Model):
    """A document the client sees listed but cannot open until the invoice is paid (D5)."""

    __tablename__ = "document_lock"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
