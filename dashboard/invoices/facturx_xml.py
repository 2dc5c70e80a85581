"""The invoice as Factur-X (EN 16931 profile) XML: UN/CEFACT Cross Industry Invoice D16B.

`build_facturx_xml` writes what EN 16931 makes mandatory from what Relance knows: the document
(number, type 380 or 381, issue date, notes), the seller (legal name, postal address, VAT
number), the buyer (the client account's name), each line (net price, quantity, VAT category
and rate, line total), the VAT breakdown per rate, the totals, the due date and the firm's IBAN
as a SEPA credit transfer. `pdf.invoice_pdf` embeds it with the factur-x library.

A credit note is type 381 with positive amounts, as EN 16931 expects: Relance stores it as a
negative invoice, so every amount changes sign here. Item net prices are never negative
(BR-27): a line with a negative unit price (a discount) carries a negative quantity instead.

Relance has no postal address for a client account: the buyer's country (mandatory, BT-55) is
taken to be the seller's.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from babel import Locale
from babel.core import get_global
from lxml import etree
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from dashboard.accounts.models import Account
from dashboard.auth.models import Firm
from dashboard.clock import now
from dashboard.extensions import db
from dashboard.invoices.models import FirmBilling, Invoice
from dashboard.invoices.money import Totals, line_amounts, totals

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "qdt": QDT, "udt": UDT}

#: GuidelineSpecifiedDocumentContextParameter of the Factur-X EN 16931 profile.
EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"
INVOICE, CREDIT_NOTE = "380", "381"
#: UN/ECE Recommendation 20 "one" (a unit), the usual code for services.
UNIT_CODE = "C62"
#: UNTDID 4461: 58 is a SEPA credit transfer, 30 any other credit transfer.
SEPA_CREDIT_TRANSFER, CREDIT_TRANSFER = "58", "30"
#: A 0 % line is VAT-exempt (category E), which EN 16931 wants explained (BR-E-10).
EXEMPT_CATEGORY = "E"
EXEMPTION_REASON = "Exempt from VAT"
#: A line "75002 Paris", "1000 Bruxelles", "1012 AB Amsterdam", "1000-001 Lisboa".
_POSTCODE_CITY = re.compile(r"^(\d{4,5}(?:-\d{3}|\s?[A-Z]{2}(?=\s))?)\s+(.+)$")


def valid_iban(raw: str | None) -> IBAN | None:
    """The IBAN when `raw` is one (checksum, length and bank code checked), else None."""
    if not raw or not raw.strip():
        return None
    try:
        return IBAN(raw.strip())
    except (SchwiftyException, ValueError):
        return None


def valid_bic(raw: str | None) -> str | None:
    if not raw or not raw.strip():
        return None
    try:
        return str(BIC(raw.strip()))
    except (SchwiftyException, ValueError):
        return None


def seller_name(firm: Firm, billing: FirmBilling | None) -> str:
    return ((billing.legal_name if billing else "") or firm.name).strip()


def invoice_totals(invoice: Invoice) -> Totals:
    """Net, VAT, gross and the per-rate breakdown, from the lines (money.totals)."""
    return totals([(line.quantity, line.unit_price, line.vat_rate) for line in invoice.lines])


def credited_invoice(invoice: Invoice) -> Invoice | None:
    """The invoice a credit note cancels."""
    if invoice.credit_for_id is None:
        return None
    return db.session.get(Invoice, invoice.credit_for_id)


def is_credit_note(invoice: Invoice) -> bool:
    return invoice.credit_for_id is not None


# --- the seller's postal address -------------------------------------------------------------


def _country_names() -> dict[str, str]:
    """Country names in the four languages (and ISO codes) → ISO 3166 alpha-2 code."""
    names: dict[str, str] = {}
    for tag in ("en", "fr", "nl", "pt_PT"):
        for code, name in Locale.parse(tag).territories.items():
            if len(code) == 2 and code.isalpha():
                names[name.casefold()] = code
    return names


_COUNTRIES: dict[str, str] | None = None


def _country_of_line(line: str) -> str | None:
    global _COUNTRIES
    if _COUNTRIES is None:
        _COUNTRIES = _country_names()
    return _COUNTRIES.get(line.strip().rstrip(".").casefold())


def seller_country(firm: Firm, billing: FirmBilling | None) -> str:
    """ISO 3166 code: the address's last line when it names a country, else the VAT number's
    prefix, else the IBAN's country, else the firm's time zone's country."""
    lines = [line.strip() for line in (billing.address if billing else "").splitlines()]
    lines = [line for line in lines if line]
    if lines and (code := _country_of_line(lines[-1])):
        return code
    vat = re.sub(r"[\s.-]", "", (billing.vat_number if billing else "") or "").upper()
    if re.match(r"^[A-Z]{2}[0-9A-Z]{2,13}$", vat):
        prefix = "GR" if vat[:2] == "EL" else vat[:2]
        if prefix in Locale.parse("en").territories:
            return prefix
    iban = valid_iban(billing.iban if billing else None)
    if iban is not None:
        return iban.country_code
    return get_global("zone_territories").get(firm.time_zone, "FR")


def postal_address(address: str) -> dict[str, str]:
    """Free text ("12 rue de la Paix\\n75002 Paris\\nFrance") as CII address parts."""
    lines = [line.strip() for line in (address or "").splitlines() if line.strip()]
    if lines and _country_of_line(lines[-1]):
        lines = lines[:-1]
    parts: dict[str, str] = {}
    for index in range(len(lines) - 1, -1, -1):
        match = _POSTCODE_CITY.match(lines[index])
        if match:
            parts["PostcodeCode"], parts["CityName"] = match.group(1), match.group(2)
            del lines[index]
            break
    if len(lines) > 3:  # CII has three street lines: keep the rest on the third
        lines = [*lines[:2], ", ".join(lines[2:])]
    ordered = {"PostcodeCode": parts.pop("PostcodeCode")} if "PostcodeCode" in parts else {}
    ordered.update(zip(("LineOne", "LineTwo", "LineThree"), lines, strict=False))
    return ordered | parts  # the XSD's order: postcode, street lines, city


# --- XML ------------------------------------------------------------------------------------


def _amount(value: Decimal) -> str:
    return f"{value + 0:.2f}"  # + 0: no "-0.00" (a credit note's 0 % VAT)


def _number(value: Decimal) -> str:
    """A quantity or a rate without trailing zeros: 2, 1.5, 5.5."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def _date(value: date) -> str:
    return value.strftime("%Y%m%d")


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str):
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", attrs)
    if text is not None:
        element.text = text
    return element


def _date_time(parent: etree._Element, tag: str, value: date, kind: str = "udt") -> None:
    _sub(_sub(parent, tag), f"{kind}:DateTimeString", _date(value), format="102")


def _category(rate: Decimal) -> str:
    return "S" if rate > 0 else EXEMPT_CATEGORY


def build_facturx_xml(
    invoice: Invoice, firm: Firm, billing: FirmBilling | None, account: Account
) -> bytes:
    """The Factur-X EN 16931 XML of an issued invoice or credit note (UTF-8 bytes)."""
    if not invoice.number:
        raise ValueError("a draft invoice has no number: it has no Factur-X XML")
    credit = is_credit_note(invoice)
    sign = Decimal(-1) if credit else Decimal(1)
    currency = invoice.currency or "EUR"
    issue = invoice.issue_date or now().date()

    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _sub(root, "rsm:ExchangedDocumentContext")
    _sub(
        _sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931_GUIDELINE
    )

    document = _sub(root, "rsm:ExchangedDocument")
    _sub(document, "ram:ID", invoice.number)
    _sub(document, "ram:TypeCode", CREDIT_NOTE if credit else INVOICE)
    _date_time(document, "ram:IssueDateTime", issue)
    if invoice.notes and invoice.notes.strip():
        _sub(_sub(document, "ram:IncludedNote"), "ram:Content", invoice.notes.strip())

    transaction = _sub(root, "rsm:SupplyChainTradeTransaction")
    for position, line in enumerate(invoice.lines, start=1):
        item = _sub(transaction, "ram:IncludedSupplyChainTradeLineItem")
        _sub(_sub(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(position))
        _sub(_sub(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.description or "-")
        price_sign = Decimal(-1) if line.unit_price < 0 else Decimal(1)
        agreement = _sub(item, "ram:SpecifiedLineTradeAgreement")
        _sub(
            _sub(agreement, "ram:NetPriceProductTradePrice"),
            "ram:ChargeAmount",
            _amount(abs(line.unit_price)),
        )
        _sub(
            _sub(item, "ram:SpecifiedLineTradeDelivery"),
            "ram:BilledQuantity",
            _number(sign * price_sign * line.quantity),
            unitCode=UNIT_CODE,
        )
        settlement = _sub(item, "ram:SpecifiedLineTradeSettlement")
        tax = _sub(settlement, "ram:ApplicableTradeTax")
        _sub(tax, "ram:TypeCode", "VAT")
        _sub(tax, "ram:CategoryCode", _category(line.vat_rate))
        _sub(tax, "ram:RateApplicablePercent", _number(line.vat_rate))
        _sub(
            _sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"),
            "ram:LineTotalAmount",
            _amount(sign * line_amounts(line.quantity, line.unit_price, line.vat_rate).net),
        )

    agreement = _sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    country = seller_country(firm, billing)
    seller = _sub(agreement, "ram:SellerTradeParty")
    _sub(seller, "ram:Name", seller_name(firm, billing))
    address = _sub(seller, "ram:PostalTradeAddress")
    for name, value in postal_address(billing.address if billing else "").items():
        _sub(address, f"ram:{name}", value)
    _sub(address, "ram:CountryID", country)
    vat_number = re.sub(r"[\s.-]", "", (billing.vat_number if billing else "") or "").upper()
    if vat_number:
        _sub(_sub(seller, "ram:SpecifiedTaxRegistration"), "ram:ID", vat_number, schemeID="VA")
    buyer = _sub(agreement, "ram:BuyerTradeParty")
    _sub(buyer, "ram:Name", account.name)
    _sub(_sub(buyer, "ram:PostalTradeAddress"), "ram:CountryID", country)

    _sub(transaction, "ram:ApplicableHeaderTradeDelivery")

    settlement = _sub(transaction, "ram:ApplicableHeaderTradeSettlement")
    _sub(settlement, "ram:PaymentReference", invoice.number)
    _sub(settlement, "ram:InvoiceCurrencyCode", currency)
    iban = valid_iban(billing.iban if billing else None)
    if iban is not None and not credit:
        means = _sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        sepa = iban.in_sepa_zone and currency == "EUR"
        _sub(means, "ram:TypeCode", SEPA_CREDIT_TRANSFER if sepa else CREDIT_TRANSFER)
        _sub(_sub(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", iban.compact)
        bic = valid_bic(billing.bic if billing else None)
        if bic:
            _sub(_sub(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", bic)

    figures = invoice_totals(invoice)
    for rate, (net, vat) in figures.by_rate.items():
        tax = _sub(settlement, "ram:ApplicableTradeTax")
        _sub(tax, "ram:CalculatedAmount", _amount(sign * vat))
        _sub(tax, "ram:TypeCode", "VAT")
        if _category(rate) == EXEMPT_CATEGORY:
            _sub(tax, "ram:ExemptionReason", EXEMPTION_REASON)
        _sub(tax, "ram:BasisAmount", _amount(sign * net))
        _sub(tax, "ram:CategoryCode", _category(rate))
        _sub(tax, "ram:RateApplicablePercent", _number(rate))

    gross, paid = figures.gross, invoice.amount_paid or Decimal("0.00")
    due_payable = sign * (gross - paid)
    if invoice.due_date or due_payable > 0:
        terms = _sub(settlement, "ram:SpecifiedTradePaymentTerms")
        if invoice.due_date:
            _date_time(terms, "ram:DueDateDateTime", invoice.due_date)
        else:
            _sub(terms, "ram:Description", "Payable on receipt")

    summation = _sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _sub(summation, "ram:LineTotalAmount", _amount(sign * figures.net))
    _sub(summation, "ram:TaxBasisTotalAmount", _amount(sign * figures.net))
    _sub(summation, "ram:TaxTotalAmount", _amount(sign * figures.vat), currencyID=currency)
    _sub(summation, "ram:GrandTotalAmount", _amount(sign * gross))
    if paid:
        _sub(summation, "ram:TotalPrepaidAmount", _amount(sign * paid))
    _sub(summation, "ram:DuePayableAmount", _amount(due_payable))

    original = credited_invoice(invoice)
    if original is not None and original.number:
        referenced = _sub(settlement, "ram:InvoiceReferencedDocument")
        _sub(referenced, "ram:IssuerAssignedID", original.number)
        if original.issue_date:
            _date_time(referenced, "ram:FormattedIssueDateTime", original.issue_date, "qdt")

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
