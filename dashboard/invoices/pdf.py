"""The invoice PDF: HTML (templates/invoices/pdf.html) printed by WeasyPrint as PDF/A-3b, with
the Factur-X (EN 16931) XML embedded by the factur-x library.

WeasyPrint, because the project already prints its signing certificates with it (Pango for
the text, fonts embedded and subset, CSS paged media for A4 and the page footer) and because
it writes PDF/A-3b itself (sRGB output intent, XMP metadata, embedded fonts): Factur-X is a
PDF/A-3 file with the XML attached, and the factur-x library only attaches the XML and
rewrites the XMP metadata to declare the Factur-X profile, it does not make a PDF PDF/A.
`sealing.render_html` is not reused because it writes plain PDF.

Everything is in the reader's language (`locale`): strings through gettext, dates and money
through Babel. A SEPA payment QR code (EPC069-12) for the amount due is printed when the
firm's IBAN is valid, the invoice is in euros and something is left to pay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib import resources
from io import BytesIO

import facturx
import segno.helpers
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from flask import render_template
from flask_babel import gettext as _
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from dashboard.accounts.models import Account
from dashboard.auth.models import Firm
from dashboard.i18n import format_money, language, normalize_language
from dashboard.invoices.facturx_xml import (
    build_facturx_xml,
    credited_invoice,
    invoice_totals,
    is_credit_note,
    seller_name,
    valid_bic,
    valid_iban,
)
from dashboard.invoices.models import FirmBilling, Invoice
from dashboard.invoices.money import line_amounts

#: EPC069-12: the name is at most 70 characters, the unstructured remittance text 140, and the
#: amount between 0.01 and 999 999 999.99 euros.
EPC_NAME_MAX, EPC_TEXT_MAX = 70, 140
EPC_AMOUNT_MAX = Decimal("999999999.99")

_font_config = None


@dataclass(frozen=True)
class PaymentCode:
    """The SEPA QR code printed on the invoice, and what it says."""

    name: str
    iban: str
    bic: str | None
    amount: Decimal
    text: str
    svg_uri: str


def payment_code(invoice: Invoice, firm: Firm, billing: FirmBilling | None) -> PaymentCode | None:
    """The EPC QR code for the amount due, or None (no valid IBAN, not euros, nothing due,
    a draft, a voided invoice or a credit note)."""
    if billing is None or invoice.state in ("draft", "void") or is_credit_note(invoice):
        return None
    iban = valid_iban(billing.iban)
    due = _amount_due(invoice)
    if iban is None or (invoice.currency or "EUR") != "EUR" or not invoice.number:
        return None
    if not Decimal("0.01") <= due <= EPC_AMOUNT_MAX:
        return None
    name = seller_name(firm, billing)[:EPC_NAME_MAX]
    bic = valid_bic(billing.bic)
    text = invoice.number[:EPC_TEXT_MAX]
    qr = segno.helpers.make_epc_qr(
        name=name, iban=iban.compact, amount=due, text=text, bic=bic, encoding="UTF-8"
    )
    uri = qr.svg_data_uri(scale=4, border=4, dark="#000000", light="#ffffff")
    return PaymentCode(name, iban.compact, bic, due, text, uri)


def _amount_due(invoice: Invoice) -> Decimal:
    gross = invoice_totals(invoice).gross
    return max(gross - (invoice.amount_paid or Decimal("0.00")), Decimal("0.00"))


class _Formats:
    """Babel's formats in one locale."""

    def __init__(self, locale: str, currency: str) -> None:
        self.locale = locale
        self.currency = currency
        pattern = Locale.parse(locale).percent_formats[None].pattern
        head, _zero, tail = pattern.rpartition("0")  # "#,##0 %" → "#,##0.## %": 5,5 %
        self._percent = f"{head}0.##{tail}"

    def money(self, value: Decimal) -> str:
        return format_money(value, self.currency, self.locale)

    def quantity(self, value: Decimal) -> str:
        return format_decimal(value.normalize(), format="#,##0.###", locale=self.locale)

    def rate(self, value: Decimal) -> str:
        return format_percent(value / 100, format=self._percent, locale=self.locale)

    def day(self, value: date | None) -> str:
        return format_date(value, "long", locale=self.locale) if value else ""


def _context(
    invoice: Invoice, firm: Firm, billing: FirmBilling | None, account: Account, locale: str
) -> dict:
    fmt = _Formats(locale, invoice.currency or "EUR")
    figures = invoice_totals(invoice)
    paid = invoice.amount_paid or Decimal("0.00")
    lines = []
    for line in invoice.lines:
        amounts = line_amounts(line.quantity, line.unit_price, line.vat_rate)
        lines.append(
            {
                "description": line.description,
                "quantity": fmt.quantity(line.quantity),
                "unit_price": fmt.money(line.unit_price),
                "vat_rate": fmt.rate(line.vat_rate),
                "net": fmt.money(amounts.net),
            }
        )
    original = credited_invoice(invoice)
    address = [row.strip() for row in (billing.address if billing else "").splitlines()]
    code = payment_code(invoice, firm, billing)
    iban = valid_iban(billing.iban if billing else None)
    due = _amount_due(invoice)
    payable = invoice.state not in ("draft", "void") and not is_credit_note(invoice) and due > 0
    return {
        "lang": locale.replace("_", "-"),
        "credit_note": is_credit_note(invoice),
        "draft": invoice.state == "draft" or not invoice.number,
        "void": invoice.state == "void",
        "number": invoice.number or "",
        "credited_number": original.number if original is not None else "",
        "credited_date": fmt.day(original.issue_date) if original is not None else "",
        "issue_date": fmt.day(invoice.issue_date),
        "due_date": fmt.day(invoice.due_date),
        "seller": seller_name(firm, billing),
        "seller_address": [row for row in address if row],
        "seller_vat": (billing.vat_number if billing else "").strip(),
        "buyer": account.name,
        "lines": lines,
        "by_rate": [
            {"rate": fmt.rate(rate), "net": fmt.money(net), "vat": fmt.money(vat)}
            for rate, (net, vat) in figures.by_rate.items()
        ],
        "total_net": fmt.money(figures.net),
        "total_vat": fmt.money(figures.vat),
        "total_gross": fmt.money(figures.gross),
        "paid": fmt.money(paid) if paid else "",
        "due": fmt.money(due),
        "payable": payable,
        "paid_in_full": invoice.state == "paid" and not is_credit_note(invoice),
        "notes": (invoice.notes or "").strip(),
        "iban": iban.formatted if iban is not None else "",
        "bic": valid_bic(billing.bic if billing else None) or "",
        "qr": code,
        "qr_amount": fmt.money(code.amount) if code else "",
    }


def render_invoice_pdf(
    invoice: Invoice, firm: Firm, billing: FirmBilling | None, account: Account, locale: str
) -> bytes:
    """The invoice as a PDF/A-3b in `locale` (no Factur-X XML yet: see `invoice_pdf`)."""
    locale = normalize_language(locale) or "en"
    with language(locale):
        html = render_template(
            "invoices/pdf.html", **_context(invoice, firm, billing, account, locale)
        )
    return _print(html)


def _print(html: str) -> bytes:
    """HTML to PDF/A-3b. One FontConfiguration per process, as in signatures.sealing.

    WeasyPrint's own sRGB output intent opens its ICC file and never closes it (a
    ResourceWarning, an error under the test suite's warning filters): it is told to use an
    output intent of ours instead, which `_with_srgb_output_intent` adds with the same profile."""
    global _font_config
    from weasyprint import HTML  # imported late: it loads Pango, which web requests never need
    from weasyprint.text.fonts import FontConfiguration

    if _font_config is None:
        _font_config = FontConfiguration()
    rendered = HTML(string=html).write_pdf(
        font_config=_font_config, pdf_variant="pdf/a-3b", output_intent=_OUTPUT_INTENT
    )
    return _with_srgb_output_intent(rendered)


#: Not a profile WeasyPrint knows: it writes device RGB colours and no output intent.
_OUTPUT_INTENT = "relance-srgb"
_srgb_profile: bytes | None = None


def _with_srgb_output_intent(pdf: bytes) -> bytes:
    """Add the PDF/A output intent: device RGB colours are sRGB (WeasyPrint's sRGB2014.icc)."""
    global _srgb_profile
    if _srgb_profile is None:
        _srgb_profile = resources.files("weasyprint.pdf").joinpath("sRGB2014.icc").read_bytes()
    writer = PdfWriter(clone_from=BytesIO(pdf))
    writer.pdf_header = b"%PDF-1.7"  # PDF/A-3 is PDF 1.7 (pypdf would write 1.3)
    profile = DecodedStreamObject()
    profile.set_data(_srgb_profile)
    profile = profile.flate_encode()
    profile[NameObject("/N")] = NumberObject(3)
    intent = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/OutputIntent"),
            NameObject("/S"): NameObject("/GTS_PDFA1"),
            NameObject("/OutputConditionIdentifier"): TextStringObject("sRGB IEC61966-2.1"),
            NameObject("/RegistryName"): TextStringObject("http://www.color.org"),
            NameObject("/Info"): TextStringObject("sRGB2014"),
            NameObject("/DestOutputProfile"): writer._add_object(profile),
        }
    )
    writer.root_object[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def invoice_pdf(
    invoice: Invoice, firm: Firm, billing: FirmBilling | None, account: Account, locale: str
) -> bytes:
    """The invoice PDF with its Factur-X EN 16931 XML embedded (checked against the XSD).

    A draft has no number, so no Factur-X XML: its PDF is the plain rendering, marked draft."""
    rendered = render_invoice_pdf(invoice, firm, billing, account, locale)
    if invoice.state == "draft" or not invoice.number:
        return rendered
    xml = build_facturx_xml(invoice, firm, billing, account)
    locale = normalize_language(locale) or "en"
    with language(locale):
        title = _document_title(invoice)
    seller = seller_name(firm, billing)
    return facturx.generate_from_binary(
        rendered,
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        pdf_metadata={
            "author": seller,
            "keywords": "Factur-X, Invoice",
            "title": f"{seller}: {title}",
            "subject": title,
        },
        lang=locale.replace("_", "-"),
    )


def _document_title(invoice: Invoice) -> str:
    if is_credit_note(invoice):
        return _("Credit note %(number)s", number=invoice.number)
    return _("Invoice %(number)s", number=invoice.number)
