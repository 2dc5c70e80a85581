"""Paying invoices while the sweep writes their reminders: none goes after the payment."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from dashboard.auth.models import User
from dashboard.extensions import db
from dashboard.invoices import service
from dashboard.invoices.models import Invoice
from dashboard.notify.models import OutboxEmail
from dashboard.reminders.service import ReminderSettings
from dashboard.reminders.sweep import sweep

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LINE = [service.LineInput("Bookkeeping", Decimal("1"), Decimal("100.00"), Decimal("20"))]


def _invoices(world, count: int) -> list[int]:
    ids = []
    for _ in range(count):
        invoice = service.create_invoice(
            world.a.staff, world.a.account, LINE, settings=ReminderSettings(True, 3, 1)
        )
        service.issue_invoice(world.a.staff, invoice)
        ids.append(invoice.id)
    db.session.commit()
    return ids


def _reminder_rows(ids) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxEmail).where(
                OutboxEmail.purpose == "reminder", OutboxEmail.item_id.in_(ids)
            )
        )
    )


def test_paying_while_the_sweep_writes_reminders(app, ctx, world, sink, run_worker, frozen_clock):
    """Half the invoices are paid in full (after a partial payment) while the sweep runs: no
    reminder reaches a paid invoice; the partially paid ones still got theirs."""
    frozen_clock(MONDAY_10)
    world.a.firm.digest_enabled = False  # one email per reminder (digests: test_digest_faults)
    ids = _invoices(world, 30)
    partial = ids[1::2]
    for invoice_id in ids:  # everyone pays a part first: reminders keep going (R4)
        service.record_payment(
            world.a.staff,
            db.session.get(Invoice, invoice_id),
            Decimal("20"),
            date(2026, 11, 23),
            "transfer",
        )
    db.session.commit()
    run_worker()
    sink.reset()
    moment = MONDAY_10 + timedelta(days=3, hours=1)
    frozen_clock(moment)
    paid = ids[::2]
    outcome, errors = {}, []
    staff_id = world.a.staff.id

    def run_sweep() -> None:
        with app.app_context():
            outcome["result"] = sweep(moment, batch_size=3)

    def pay_rest() -> None:
        try:
            with app.app_context():
                sweeper.start()
                for invoice_id in paid:
                    invoice = db.session.get(Invoice, invoice_id)
                    service.record_payment(
                        db.session.get(User, staff_id),
                        invoice,
                        invoice.amount_due,
                        date(2026, 11, 26),
                        "card",
                    )
                    db.session.commit()
        except BaseException as error:
            errors.append(error)

    sweeper = threading.Thread(target=run_sweep)
    payer = threading.Thread(target=pay_rest)
    payer.start()
    payer.join(60)
    sweeper.join(60)
    assert not errors, errors
    run_worker()
    item_of = {row.message_id: row.item_id for row in _reminder_rows(ids)}
    received = [
        item_of[a.message_id]
        for a in sink.to(world.a.contact.user.email)
        if a.message_id in item_of
    ]
    assert sorted(received) == sorted(partial)
    assert {row.state for row in _reminder_rows(paid)} <= {"cancelled"}
