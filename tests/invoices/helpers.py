"""Invoices for tests, through the real service."""

from __future__ import annotations

from decimal import Decimal

from dashboard.extensions import db
from dashboard.invoices import service
from dashboard.reminders.service import ReminderSettings

LINES = [
    service.LineInput("Bookkeeping, March", Decimal("1"), Decimal("1000.00"), Decimal("20")),
    service.LineInput("Payroll slips", Decimal("3"), Decimal("45.50"), Decimal("20")),
    service.LineInput("Filing fee", Decimal("1"), Decimal("98.00"), Decimal("0")),
]


def issued_invoice(staff, account, lines=LINES, enabled=True, interval=3, count=2):
    invoice = service.create_invoice(
        staff, account, list(lines), settings=ReminderSettings(enabled, interval, count)
    )
    service.issue_invoice(staff, invoice)
    db.session.commit()
    return invoice
