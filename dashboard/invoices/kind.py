"""Invoices as a kind of action item: pending until paid in full, emailed with the PDF."""

from __future__ import annotations

from babel.dates import format_date
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from dashboard.i18n import format_money
from dashboard.invoices.files import invoice_pdf_bytes, pdf_name
from dashboard.invoices.models import Invoice
from dashboard.items.kinds import AccountKind, EmailContent, LazyAttachments, register
from dashboard.items.models import ActionItem
from dashboard.notify.emails import register_item_email
from dashboard.reminders.timeline import register_timeline_events


def amount(value, currency: str) -> str:
    """Money in the reader's locale ("1 234,50 €", "1.234,50 €", "€1,234.50")."""
    return format_money(value, currency, str(get_locale() or "en"))


class InvoiceKind(AccountKind):
    name = "invoice"
    topic = "invoices"

    def is_complete(self, item: ActionItem) -> bool:
        """Paid in full (or voided); a partial payment does not complete it (R4)."""
        return not item.is_pending

    def title(self, item: ActionItem) -> str:
        assert isinstance(item, Invoice)
        return item.number or ""

    def todo_label(self, item: ActionItem) -> str:
        assert isinstance(item, Invoice)
        return _(
            "Pay invoice %(number)s (%(amount)s)",
            number=item.number,
            amount=amount(item.amount_due, item.currency),
        )

    def portal_path(self, item: ActionItem) -> str:
        return f"/portal/invoices/{item.id}"

    def staff_path(self, item: ActionItem) -> str:
        return f"/clients/{item.account_id}/invoices/{item.id}"

    def email(self, item: ActionItem, purpose: str, context: dict) -> EmailContent:
        assert isinstance(item, Invoice)
        due = format_date(item.due_date, "long", locale=str(get_locale() or "en"))
        return EmailContent(
            subject=_("Invoice %(number)s from %(firm)s", number=item.number, firm=context["firm"]),
            intro=_(
                "%(firm)s sent you invoice %(number)s: %(amount)s due by %(date)s.",
                firm=context["firm"],
                number=item.number,
                amount=amount(item.amount_due, item.currency),
                date=due,
            ),
            action_label=_("View and pay") if item.is_pending else _("View the invoice"),
            details=context.get("message") or item.notes,
            attachments=LazyAttachments(
                lambda: ((pdf_name(item), "application/pdf", invoice_pdf_bytes(item)),)
            ),
        )


register(InvoiceKind())
register_item_email("invoice_copy")
register_timeline_events(
    {
        "invoice.issued": _l("Invoice issued"),
        "invoice.payment": _l("Payment recorded"),
        "invoice.voided": _l("Invoice voided"),
        "invoice.emailed": _l("Invoice emailed"),
    },
    hidden={"invoice.drafted"},
)
