"""Invoice rules: gapless numbers, Decimal totals, payments and the reminders they stop."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from dashboard.extensions import db
from dashboard.invoices import money, service
from dashboard.invoices.models import Invoice
from dashboard.reminders.models import Reminder
from dashboard.reminders.service import ReminderSettings
from dashboard.reminders.sweep import sweep
from tests.invoices.helpers import LINES, issued_invoice

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_totals_and_vat_per_line_and_rate():
    totals = money.totals([(line.quantity, line.unit_price, line.vat_rate) for line in LINES])
    assert totals.net == Decimal("1234.50")
    assert totals.vat == Decimal("227.30")  # 200.00 + 27.30 + 0
    assert totals.gross == Decimal("1461.80")
    assert totals.by_rate == {
        Decimal("0"): (Decimal("98.00"), Decimal("0.00")),
        Decimal("20"): (Decimal("1136.50"), Decimal("227.30")),
    }


amounts = st.decimals(min_value=Decimal("-10000"), max_value=Decimal("10000"), places=2)
quantities = st.decimals(min_value=Decimal("0"), max_value=Decimal("1000"), places=3)
rates = st.sampled_from(
    [
        Decimal("0"),
        Decimal("5.5"),
        Decimal("6"),
        Decimal("10"),
        Decimal("20"),
        Decimal("21"),
        Decimal("23"),
    ]
)


@given(st.lists(st.tuples(quantities, amounts, rates), min_size=1, max_size=20))
def test_totals_equal_an_independent_computation(lines):
    """Do totals and per-rate VAT equal a straightforward Decimal computation, to the cent?"""
    from decimal import ROUND_HALF_UP

    def cent(x):
        return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    nets = [cent(q * p) for q, p, _ in lines]
    vats = [cent(n * r / 100) for n, (_, _, r) in zip(nets, lines, strict=True)]
    totals = money.totals(lines)
    assert totals.net == sum(nets, Decimal(0))
    assert totals.vat == sum(vats, Decimal(0))
    assert totals.gross == totals.net + totals.vat
    for rate, (net, vat) in totals.by_rate.items():
        assert net == sum(
            (n for n, (_, _, r) in zip(nets, lines, strict=True) if r == rate), Decimal(0)
        )
        assert vat == sum(
            (v for v, (_, _, r) in zip(vats, lines, strict=True) if r == rate), Decimal(0)
        )


@pytest.mark.parametrize(
    "text, value",
    [
        ("1 234,50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("1,234.50", "1234.50"),
        ("12", "12"),
        ("0,5", "0.5"),
        ("1\u202f234,50", "1234.50"),
    ],
)
def test_amounts_as_people_type_them(text, value):
    assert money.parse_decimal(text) == Decimal(value)


def test_numbers_are_consecutive_and_a_deleted_draft_leaves_no_gap(ctx, world):
    a = world.a
    first = issued_invoice(a.staff, a.account)
    draft = service.create_invoice(a.staff, a.account, LINES, settings=ReminderSettings(True, 3, 1))
    db.session.commit()
    service.delete_draft(a.staff, draft)
    second = issued_invoice(a.staff, a.account)
    year = first.issue_date.year
    assert (first.number, second.number) == (f"{year}-0001", f"{year}-0002")
    service.void_invoice(a.staff, second)
    db.session.commit()
    assert second.number == f"{year}-0002" and second.state == "void"
    other_firm = issued_invoice(world.b.staff, world.b.account)
    assert other_firm.number == f"{year}-0001"  # numbering is per firm


def test_fifty_invoices_issued_at_once_get_fifty_consecutive_numbers(app, ctx, world):
    """Threads issue 50 drafts at the same time: 50 distinct numbers 1..50, no gap."""
    a = world.a
    ids = []
    for _ in range(50):
        ids.append(
            service.create_invoice(
                a.staff, a.account, LINES[:1], settings=ReminderSettings(False, 3, 1)
            ).id
        )
    db.session.commit()
    staff_id, errors = a.staff.id, []

    def issue(chunk):
        try:
            with app.app_context():
                from dashboard.auth.models import User

                for invoice_id in chunk:
                    for attempt in range(20):
                        try:
                            service.issue_invoice(
                                db.session.get(User, staff_id), db.session.get(Invoice, invoice_id)
                            )
                            db.session.commit()
                            break
                        except Exception as error:  # SQLite: database is locked → try again
                            db.session.rollback()
                            if "locked" not in str(error) or attempt == 19:
                                raise
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=issue, args=(ids[n::5],)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    db.session.expire_all()
    sequences = sorted(db.session.scalars(select(Invoice.number_seq).where(Invoice.id.in_(ids))))
    assert sequences == list(range(1, 51))


def test_partial_payment_keeps_reminders_full_payment_stops_them(ctx, world, frozen_clock):
    frozen_clock(MONDAY_10)
    a = world.a
    invoice = issued_invoice(a.staff, a.account)
    service.record_payment(a.staff, invoice, Decimal("400"), date(2026, 11, 24), "transfer")
    db.session.commit()
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == invoice.id))
    assert invoice.state == "partial" and invoice.is_pending and reminder.next_at is not None
    assert invoice.amount_due == Decimal("1061.80")
    service.record_payment(a.staff, invoice, invoice.amount_due, date(2026, 11, 25), "card")
    db.session.commit()
    db.session.refresh(reminder)
    assert invoice.state == "paid" and not invoice.is_pending and reminder.next_at is None
    with pytest.raises(service.InvoiceError):
        service.record_payment(a.staff, invoice, Decimal("1"), date(2026, 11, 25), "card")


def test_reminders_go_while_unpaid(ctx, world, mailbox, run_worker, frozen_clock):
    frozen_clock(MONDAY_10)
    a = world.a
    invoice = issued_invoice(a.staff, a.account, interval=3, count=1)
    run_worker()
    frozen_clock(MONDAY_10 + timedelta(days=3, hours=1))
    sweep()
    run_worker()
    subjects = [m["Subject"] for m in mailbox.to(a.contact.user.email)]
    assert subjects == [f"Invoice {invoice.number} from Alpha", f"Reminder: {invoice.number}"]


def test_email_invoice_on_a_paid_invoice_sends_a_copy_without_reminders(
    ctx, world, mailbox, run_worker, frozen_clock
):
    frozen_clock(MONDAY_10)
    a = world.a
    invoice = issued_invoice(a.staff, a.account)
    run_worker()
    service.record_payment(a.staff, invoice, invoice.total_gross, date(2026, 11, 23), "transfer")
    db.session.commit()
    assert service.email_invoice(a.staff, invoice, "Your copy")
    db.session.commit()
    run_worker()
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == invoice.id))
    assert reminder.next_at is None
    messages = mailbox.to(a.contact.user.email)
    assert [m["Subject"] for m in messages] == [f"Invoice {invoice.number} from Alpha"] * 2
    assert "Your copy" in messages[1].get_body(("plain",)).get_content()
    for message in messages:  # each carries the PDF, and the link to the portal
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_filename() == f"{invoice.number}.pdf"
        assert attachment.get_content().startswith(b"%PDF")
        assert f"/portal/invoices/{invoice.id}" in message.get_body(("plain",)).get_content()


def test_credit_note_is_negative_and_refers_to_the_invoice(ctx, world):
    a = world.a
    invoice = issued_invoice(a.staff, a.account)
    credit = service.create_credit_note(a.staff, invoice)
    db.session.commit()
    assert credit.credit_for_id == invoice.id and credit.total_gross == -invoice.total_gross
    assert credit.number_seq == invoice.number_seq + 1
    assert invoice.state == "void" and credit.status == "completed"


def test_the_prefix_and_the_year_make_the_number(ctx, world, frozen_clock):
    """With the prefix "F{year}-" and four digits, is the first invoice of 2026 F2026-0001,
    and does the sequence start again at F2027-0001 in the firm's new year (Paris), while a
    2026 invoice voided meanwhile keeps its number?"""
    a = world.a
    billing = service.billing_of(a.firm.id)
    billing.number_prefix = "F{year}-"
    frozen_clock(datetime(2026, 12, 31, 12, 0, tzinfo=UTC))
    first = issued_invoice(a.staff, a.account)
    second = issued_invoice(a.staff, a.account)
    assert (first.number, second.number) == ("F2026-0001", "F2026-0002")
    frozen_clock(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))  # 00:30 on 1 January in Paris
    new_year = issued_invoice(a.staff, a.account)
    assert (new_year.number, new_year.number_year, new_year.issue_date) == (
        "F2027-0001",
        2027,
        date(2027, 1, 1),
    )
    service.void_invoice(a.staff, second)
    db.session.commit()
    assert issued_invoice(a.staff, a.account).number == "F2027-0002"
    assert second.number == "F2026-0002"


def test_reminders_can_be_changed_on_an_unpaid_invoice(client, world, frozen_clock):
    """Can staff change the toggle, days and number of an issued, partially paid invoice's
    reminders with Save, and switch them off; and are a paid invoice's left alone?"""
    frozen_clock(MONDAY_10)
    a = world.a
    invoice = issued_invoice(a.staff, a.account, interval=3, count=1)
    service.record_payment(a.staff, invoice, Decimal("100"), date(2026, 11, 23), "transfer")
    db.session.commit()
    client.login(a.staff.email)
    page = client.get(f"/clients/{a.account.id}/invoices/{invoice.id}").data.decode()
    assert f'data-testid="save-reminders-{invoice.id}"' in page
    url = f"/clients/{a.account.id}/items/{invoice.id}/reminders"
    response = client.post(url, data={"reminders": "on", "interval_days": "7", "max_count": "4"})
    assert response.status_code == 200
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == invoice.id))
    db.session.refresh(reminder)
    assert (reminder.enabled, reminder.interval_days, reminder.max_count) == (True, 7, 4)
    assert reminder.next_at is not None
    client.post(url, data={"interval_days": "7", "max_count": "4"})  # the toggle off
    db.session.refresh(reminder)
    assert not reminder.enabled and reminder.next_at is None

    service.record_payment(a.staff, invoice, invoice.amount_due, date(2026, 11, 24), "card")
    db.session.commit()
    page = client.get(f"/clients/{a.account.id}/invoices/{invoice.id}").data.decode()
    assert f'data-testid="save-reminders-{invoice.id}"' not in page
    refused = client.post(url, data={"reminders": "on", "interval_days": "2", "max_count": "1"})
    assert refused.status_code == 422
    db.session.refresh(reminder)
    assert (reminder.enabled, reminder.interval_days, reminder.next_at) == (False, 7, None)
