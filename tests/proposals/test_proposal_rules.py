"""Proposal rules: the frozen letter, signing (evidence, seal, invoice), declining, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from dashboard.extensions import db
from dashboard.invoices.models import Invoice
from dashboard.notify.models import InboxEntry, OutboxEmail
from dashboard.proposals import letter, service
from dashboard.proposals.models import Proposal, ProposalTemplate
from dashboard.proposals.signed_pdf import make_signed_pdf, signed_pdf_bytes
from dashboard.reminders.models import Reminder
from dashboard.reminders.service import ReminderSettings
from dashboard.reminders.sweep import sweep
from dashboard.signatures import sealing
from dashboard.signatures.models import FirmSealKey
from tests.proposals.helpers import FACTS, proposal_input, sent_proposal, sign_proposal


def _reminder(proposal):
    return db.session.scalar(select(Reminder).where(Reminder.item_id == proposal.id))


def test_sending_freezes_the_letter_with_merge_fields_and_fee_table(world):
    """Is the letter sent with the client's and firm's names, the date and the fee table filled
    in (escaped), fingerprinted, and are the reminders started?"""
    a = world.a
    a.account.name = "Dupont <b>& fils</b>"
    proposal = sent_proposal(a.staff, a.account)
    assert proposal.state == "sent" and proposal.is_pending
    content = proposal.content_html
    assert "Dupont &lt;b&gt;&amp; fils&lt;/b&gt;" in content and a.firm.name in content
    assert "{{" not in content and content.index("fee-table") < content.index("Kind regards")
    assert "Annual accounts 2026" in content and "Bookkeeping" in content
    assert proposal.content_sha256 == letter.fingerprint(content)
    reminder = _reminder(proposal)
    assert reminder.enabled and reminder.interval_days == 3 and reminder.next_at is not None


def test_letter_without_the_field_gets_the_table_after_it(world):
    html = letter.render_content(
        "<p>Hello {{client_name}}</p>",
        list(proposal_input().lines),
        client_name="Ana",
        firm_name="F",
        sent_on=datetime(2026, 12, 2).date(),
        currency="EUR",
        locale="pt_PT",
    )
    assert html.startswith("<p>Hello Ana</p>") and html.index("fee-table") > 10
    assert "1.800,00\xa0€" in html  # pt_PT money, from the reader's locale


def test_editing_the_template_later_changes_nothing_sent(world):
    """The signed text's hash matches what was shown, whatever happens to the template."""
    a = world.a
    template = service.save_template(a.firm, None, proposal_input(title="Standard EL"))
    proposal = service.create_draft(a.staff, a.account, service.template_input(template), template)
    service.send_proposal(a.staff, proposal)
    db.session.commit()
    shown = proposal.content_html
    service.save_template(
        a.firm, template, proposal_input(title="Standard EL", body_html="<p>New text</p>")
    )
    db.session.commit()
    db.session.refresh(proposal)
    assert proposal.content_html == shown
    sign_proposal(proposal, a.contact.user)
    assert proposal.document_sha256 == letter.fingerprint(shown) == proposal.content_sha256


def test_sign_completes_seals_and_issues_the_first_invoice(world):
    """Signing stops reminders, records the evidence, issues an invoice from the fee lines
    (the monthly fee once, named so), and the sealed PDF verifies."""
    a = world.a
    proposal = sent_proposal(a.staff, a.account)
    sign_proposal(proposal, a.contact.user, method="drawn")
    assert proposal.state == "signed" and proposal.status == "completed"
    assert _reminder(proposal).next_at is None
    assert proposal.ip == FACTS.ip and proposal.method == "drawn" and proposal.drawing_png
    assert proposal.consent_text and proposal.consent_version
    invoice = db.session.get(Invoice, proposal.invoice_id)
    assert invoice.state == "issued" and invoice.number
    assert [line.description for line in invoice.lines] == [
        "Annual accounts 2026",
        "Bookkeeping (Per month)",
    ]
    assert invoice.total_net == Decimal("2050.00") and invoice.total_gross == Decimal("2480.50")
    assert db.session.scalar(
        select(InboxEntry).where(
            InboxEntry.topic == "proposal_signed", InboxEntry.item_id == proposal.id
        )
    )
    assert make_signed_pdf(proposal.id) is True
    assert make_signed_pdf(proposal.id) is False  # exactly once
    db.session.refresh(proposal)
    data = signed_pdf_bytes(proposal)
    key = db.session.scalar(select(FirmSealKey).where(FirmSealKey.firm_id == a.firm.id))
    result = sealing.verify(data, [key.certificate_pem])
    assert result.valid, result.findings
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)
    assert "Engagement letter 2027" in text and "Signing certificate" in text
    assert proposal.content_sha256[:16] in text.replace("\n", "")


def test_without_the_option_no_invoice_is_issued(world):
    a = world.a
    proposal = sent_proposal(a.staff, a.account, create_invoice=False)
    sign_proposal(proposal, a.contact.user)
    assert proposal.invoice_id is None
    assert db.session.scalar(select(Invoice.id)) is None


def test_a_different_hash_is_refused(world):
    a = world.a
    proposal = sent_proposal(a.staff, a.account)
    with pytest.raises(service.ProposalError):
        sign_proposal(proposal, a.contact.user, shown="0" * 64)
    db.session.rollback()
    proposal.content_html += "<p>added later</p>"  # the stored text changed: refused too
    db.session.commit()
    with pytest.raises(service.ProposalError):
        sign_proposal(proposal, a.contact.user)


def test_decline_stops_reminders_and_tells_the_firm(world):
    a = world.a
    proposal = sent_proposal(a.staff, a.account)
    service.decline(a.contact.user, proposal, "The fee is too high.", FACTS)
    db.session.commit()
    assert proposal.state == "declined" and proposal.status == "completed"
    assert _reminder(proposal).next_at is None
    entry = db.session.scalar(select(InboxEntry).where(InboxEntry.topic == "proposal_declined"))
    assert entry.details["reason"] == "The fee is too high."
    assert db.session.scalar(
        select(OutboxEmail).where(
            OutboxEmail.purpose == "proposal_declined", OutboxEmail.to_email == a.staff.email
        )
    )
    with pytest.raises(service.ProposalError):  # one decision only
        sign_proposal(proposal, a.contact.user)


def test_an_expired_proposal_cannot_be_signed_and_sends_no_reminder(world, frozen_clock):
    """Past its last day: refused at signing even before the cron runs; the sweep sends no
    reminder; the cron marks it Expired."""
    a = world.a
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    frozen_clock(start)
    proposal = sent_proposal(a.staff, a.account, expires_on=start.date() + timedelta(days=1))
    frozen_clock(start + timedelta(days=3, hours=1))  # the reminder (3 days) is due, expired
    with pytest.raises(service.ProposalError, match="expired"):
        sign_proposal(proposal, a.contact.user)
    db.session.rollback()
    sweep()
    assert (
        db.session.scalar(
            select(OutboxEmail.id).where(
                OutboxEmail.item_id == proposal.id, OutboxEmail.purpose == "reminder"
            )
        )
        is None
    )
    assert service.expire_due() == 1
    db.session.refresh(proposal)
    assert proposal.state == "expired" and proposal.status == "cancelled"
    assert service.expire_due() == 0


def test_cancel_stops_it(world):
    a = world.a
    proposal = sent_proposal(a.staff, a.account)
    service.cancel(a.staff, proposal)
    db.session.commit()
    assert proposal.state == "cancelled" and _reminder(proposal).next_at is None
    with pytest.raises(service.ProposalError):
        sign_proposal(proposal, a.contact.user)


def test_template_reminders_come_with_the_proposal(world):
    """R7: a proposal from a template starts with the template's reminder settings."""
    a = world.a
    template = service.save_template(
        a.firm, None, proposal_input(title="T", settings=ReminderSettings(False, 9, 4))
    )
    data = service.template_input(template)
    assert data.settings == ReminderSettings(False, 9, 4)
    proposal = service.create_draft(a.staff, a.account, data, template)
    service.send_proposal(a.staff, proposal)
    db.session.commit()
    reminder = _reminder(proposal)
    assert (reminder.enabled, reminder.interval_days, reminder.max_count) == (False, 9, 4)
    assert db.session.get(ProposalTemplate, template.id).max_count == 4
    assert isinstance(db.session.get(Proposal, proposal.id), Proposal)


def test_sending_needs_someone_to_receive_it(world):
    a = world.a
    a.contact.portal_access = False
    db.session.commit()
    proposal = service.create_draft(a.staff, a.account, proposal_input())
    with pytest.raises(service.ProposalError):
        service.send_proposal(a.staff, proposal)
