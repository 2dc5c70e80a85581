"""The invoice PDF: Factur-X XML embedded and valid, a SEPA QR code that decodes to the EPC
fields, money and dates in the reader's language, credit notes.

Invoices are built directly (Invoice + InvoiceLine with money.totals), not through the service,
so these tests check only the PDF. The QR code is read for real: the page is rasterised by
PDFium and decoded by zxing-cpp. The EN 16931 schematron that ships with the factur-x library
is run with Saxon-HE (saxonche), since the library itself only runs it through a Saxon server.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from importlib import resources
from io import BytesIO

import facturx
import pypdfium2
import pytest
import zxingcpp
from lxml import etree
from pypdf import PdfReader

from dashboard.extensions import db
from dashboard.invoices import money
from dashboard.invoices.facturx_xml import build_facturx_xml, postal_address, seller_country
from dashboard.invoices.models import FirmBilling, Invoice, InvoiceLine
from dashboard.invoices.pdf import invoice_pdf, payment_code, render_invoice_pdf

IBAN = "FR7630006000011234567890189"
BIC = "AGRIFRPP"
LEGAL_NAME = "Cabinet Dupont & Associés SAS"
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
D = Decimal
#: Three rates, a 0 % line, a quantity above one and per-line VAT rounding (2 × 117.25 at 5.5 %).
LINES = [
    ("Bookkeeping, January", D("1"), D("1000.00"), D("20")),
    ("VAT return", D("2"), D("117.25"), D("5.5")),
    ("Filing fee", D("1"), D("15.00"), D("0")),
    ("Payroll slips", D("3"), D("45.55"), D("20")),
]


@pytest.fixture()
def billing(world) -> FirmBilling:
    billing = FirmBilling(
        firm_id=world.a.firm.id,
        legal_name=LEGAL_NAME,
        address="12 rue de la Paix\n75002 Paris\nFrance",
        vat_number="FR40303265045",
        iban=IBAN,
        bic=BIC,
    )
    db.session.add(billing)
    db.session.commit()
    return billing


def make_invoice(
    world,
    lines=LINES,
    number: str = "2026-0001",
    state: str = "issued",
    paid: Decimal = Decimal("0.00"),  # noqa: B008  (an immutable value)
    credit_for: Invoice | None = None,
    notes: str = "Thank you for your trust.",
) -> Invoice:
    sign = D(-1) if credit_for is not None else D(1)
    rows = [(quantity, sign * price, rate) for _, quantity, price, rate in lines]
    totals = money.totals(rows)
    invoice = Invoice(
        firm_id=world.a.firm.id,
        numbering_firm_id=world.a.firm.id,
        account_id=world.a.account.id,
        title=number or "",
        state=state,
        number=number if state != "draft" else None,
        number_year=2026 if state != "draft" else None,
        number_seq=int(number[-4:]) if state != "draft" else None,
        currency="EUR",
        issue_date=date(2026, 1, 15) if state != "draft" else None,
        due_date=date(2026, 2, 14),
        notes=notes,
        total_net=totals.net,
        total_vat=totals.vat,
        total_gross=totals.gross,
        amount_paid=paid,
        credit_for_id=credit_for.id if credit_for is not None else None,
    )
    for position, ((description, *_), (quantity, price, rate)) in enumerate(
        zip(lines, rows, strict=True), start=1
    ):
        amounts = money.line_amounts(quantity, price, rate)
        invoice.lines.append(
            InvoiceLine(
                position=position,
                description=description,
                quantity=quantity,
                unit_price=price,
                vat_rate=rate,
                net=amounts.net,
                vat=amounts.vat,
            )
        )
    db.session.add(invoice)
    db.session.commit()
    return invoice


def pdf_for(world, billing, invoice, locale="en") -> bytes:
    return invoice_pdf(invoice, world.a.firm, billing, world.a.account, locale)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def embedded_xml(pdf: bytes) -> etree._Element:
    name, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=True)
    assert name == "factur-x.xml", "no valid Factur-X XML in the PDF"
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    return etree.fromstring(xml)


def amount(root: etree._Element, path: str) -> Decimal:
    return Decimal(root.xpath(f"string({path})", namespaces=NS))


def qr_payloads(pdf: bytes) -> list[str]:
    """Every QR code on every page, rasterised at 216 dpi and decoded."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        texts = []
        for index in range(len(document)):
            page = document[index]
            image = page.render(scale=3).to_pil()
            texts += [
                barcode.text
                for barcode in zxingcpp.read_barcodes(image)
                if barcode.format == zxingcpp.BarcodeFormat.QRCode
            ]
            page.close()
        return texts
    finally:
        document.close()


# --- the EN 16931 schematron, run by Saxon-HE -------------------------------------------------


@pytest.fixture(scope="module")
def schematron():
    from saxonche import PySaxonProcessor

    xslt = resources.files("facturx").joinpath(
        "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt"
    )
    processor = PySaxonProcessor(license=False)
    executable = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(xslt))

    def errors(xml: bytes) -> list[str]:
        node = processor.parse_xml(xml_text=xml.decode("utf-8"))
        svrl = etree.fromstring(executable.transform_to_string(xdm_node=node).encode("utf-8"))
        ns = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
        assert svrl.xpath("count(.//svrl:fired-rule)", namespaces=ns) > 50  # it did run
        return [
            f"{report.get('id')}: {' '.join(report.xpath('string(.)').split())}"
            for report in svrl.xpath(
                ".//svrl:failed-assert|.//svrl:successful-report", namespaces=ns
            )
            if report.get("flag") != "warning"
        ]

    return errors


# --- (a) Factur-X ------------------------------------------------------------------------------


def test_the_pdf_carries_factur_x_xml_equal_to_the_decimal_totals(world, billing, schematron):
    invoice = make_invoice(world)
    totals = money.totals([(q, p, r) for _, q, p, r in LINES])
    pdf = pdf_for(world, billing, invoice, "fr")
    root = embedded_xml(pdf)

    assert root.xpath("string(//rsm:ExchangedDocument/ram:ID)", namespaces=NS) == "2026-0001"
    assert root.xpath("string(//rsm:ExchangedDocument/ram:TypeCode)", namespaces=NS) == "380"
    assert root.xpath("string(//ram:IssueDateTime/udt:DateTimeString)", namespaces=NS) == "20260115"
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert amount(root, f"{summation}/ram:LineTotalAmount") == totals.net == invoice.total_net
    assert amount(root, f"{summation}/ram:TaxBasisTotalAmount") == totals.net
    assert amount(root, f"{summation}/ram:TaxTotalAmount") == totals.vat == invoice.total_vat
    assert amount(root, f"{summation}/ram:GrandTotalAmount") == totals.gross == invoice.total_gross
    assert amount(root, f"{summation}/ram:DuePayableAmount") == totals.gross
    assert root.xpath(f"string({summation}/ram:TaxTotalAmount/@currencyID)", namespaces=NS) == "EUR"

    header_taxes = root.xpath(
        "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS
    )
    by_rate = {
        Decimal(tax.xpath("string(ram:RateApplicablePercent)", namespaces=NS)): (
            Decimal(tax.xpath("string(ram:BasisAmount)", namespaces=NS)),
            Decimal(tax.xpath("string(ram:CalculatedAmount)", namespaces=NS)),
            tax.xpath("string(ram:CategoryCode)", namespaces=NS),
        )
        for tax in header_taxes
    }
    assert {rate: values[:2] for rate, values in by_rate.items()} == totals.by_rate
    assert {rate: values[2] for rate, values in by_rate.items()} == {
        D("0"): "E",
        D("5.5"): "S",
        D("20"): "S",
    }
    # 2 × 117.25 at 5.5 %: the line's VAT is 12.8975 → 12.90, the breakdown keeps the cents
    assert totals.by_rate[D("5.5")] == (D("234.50"), D("12.90"))

    line_totals = [
        Decimal(text)
        for text in root.xpath(
            "//ram:IncludedSupplyChainTradeLineItem//ram:LineTotalAmount/text()", namespaces=NS
        )
    ]
    assert line_totals == [line.net for line in invoice.lines]
    assert root.xpath("string(//ram:SellerTradeParty/ram:Name)", namespaces=NS) == LEGAL_NAME
    assert (
        root.xpath("string(//ram:SellerTradeParty//ram:ID[@schemeID='VA'])", namespaces=NS)
        == "FR40303265045"
    )
    assert root.xpath("string(//ram:SellerTradeParty//ram:CountryID)", namespaces=NS) == "FR"
    assert root.xpath("string(//ram:BuyerTradeParty/ram:Name)", namespaces=NS) == "Alpha Client"
    assert (
        root.xpath("string(//ram:DueDateDateTime/udt:DateTimeString)", namespaces=NS) == "20260214"
    )
    means = "//ram:SpecifiedTradeSettlementPaymentMeans"
    assert root.xpath(f"string({means}/ram:TypeCode)", namespaces=NS) == "58"
    assert root.xpath(f"string({means}//ram:IBANID)", namespaces=NS) == IBAN
    assert root.xpath(f"string({means}//ram:BICID)", namespaces=NS) == BIC

    assert schematron(etree.tostring(root)) == []


def test_the_pdf_is_declared_pdf_a_3b_with_the_factur_x_profile(world, billing):
    pdf = pdf_for(world, billing, make_invoice(world))
    reader = PdfReader(BytesIO(pdf))
    catalog = reader.trailer["/Root"]
    assert catalog["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"  # sRGB intent
    xmp = catalog["/Metadata"].get_object().get_data().decode("utf-8")
    assert "<pdfaid:part>3</pdfaid:part>" in xmp and "<pdfaid:conformance>B" in xmp
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    assert [attachment.name for attachment in reader.attachment_list] == ["factur-x.xml"]
    assert catalog["/AF"][0].get_object()["/AFRelationship"] == "/Data"


def test_a_partly_paid_invoice_says_what_was_paid_and_what_is_due(world, billing, schematron):
    invoice = make_invoice(world, paid=D("500.00"))
    pdf = pdf_for(world, billing, invoice)
    root = embedded_xml(pdf)
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert amount(root, f"{summation}/ram:TotalPrepaidAmount") == D("500.00")
    assert amount(root, f"{summation}/ram:DuePayableAmount") == invoice.total_gross - D("500")
    assert schematron(etree.tostring(root)) == []

    text = pdf_text(pdf)
    due = invoice.total_gross - D("500")
    assert "Already paid €500.00" in text
    assert f"Amount due €{due:,.2f}" in text


# --- (b) the SEPA payment QR code ----------------------------------------------------------------


def test_the_qr_code_decodes_to_the_epc_credit_transfer(world, billing):
    invoice = make_invoice(world)
    payloads = qr_payloads(pdf_for(world, billing, invoice, "fr"))
    assert len(payloads) == 1
    fields = payloads[0].split("\n")
    assert fields[:8] == [
        "BCD",  # service tag
        "002",  # version
        "1",  # character set: UTF-8
        "SCT",  # SEPA credit transfer
        BIC,
        LEGAL_NAME,
        IBAN,
        f"EUR{invoice.total_gross}",
    ]
    assert fields[8:] == ["", "", "2026-0001"]  # no purpose, no structured reference, the text
    assert "Scan this code with your banking app" in pdf_text(pdf_for(world, billing, invoice))


def test_the_qr_code_asks_for_the_amount_still_due(world, billing):
    invoice = make_invoice(world, paid=D("1000.00"))
    (payload,) = qr_payloads(pdf_for(world, billing, invoice))
    assert payload.split("\n")[7] == f"EUR{invoice.total_gross - D('1000.00')}"


# --- (c) money and dates in the reader's language ------------------------------------------------

ROUND_LINES = [("Annual accounts", D("1"), D("1234.50"), D("20"))]


@pytest.mark.parametrize(
    ("locale", "net", "gross", "rate", "issued"),
    [
        # Babel's French: narrow no-break space between thousands, no-break space before €
        ("fr", "1\u202f234,50\xa0€", "1\u202f481,40\xa0€", "20\xa0%", "15 janvier 2026"),
        # Dutch and Portuguese as the issue writes them: "1.234,50 €" (i18n.MONEY_FORMATS)
        ("nl", "1.234,50\xa0€", "1.481,40\xa0€", "20%", "15 januari 2026"),
        ("en", "€1,234.50", "€1,481.40", "20%", "January 15, 2026"),
        ("pt_PT", "1.234,50\xa0€", "1.481,40\xa0€", "20%", "15 de janeiro de 2026"),
    ],
)
def test_money_dates_and_rates_are_formatted_by_babel(
    world, billing, locale, net, gross, rate, issued
):
    invoice = make_invoice(world, lines=ROUND_LINES)
    text = pdf_text(pdf_for(world, billing, invoice, locale))
    assert net in text and gross in text
    assert rate in text
    assert issued in text


def test_fractional_rates_and_quantities_keep_their_decimals(world, billing):
    lines = [("Books", D("2.5"), D("12.00"), D("5.5"))]
    text = pdf_text(pdf_for(world, billing, make_invoice(world, lines=lines), "fr"))
    assert "2,5" in text and "5,5\xa0%" in text and "30,00\xa0€" in text


def test_the_pdf_names_the_firm_the_client_and_the_invoice(world, billing):
    text = pdf_text(pdf_for(world, billing, make_invoice(world)))
    for expected in (
        LEGAL_NAME,
        "12 rue de la Paix",
        "75002 Paris",
        "FR40303265045",
        "Alpha Client",
        "2026-0001",
        "February 14, 2026",
        "Bookkeeping, January",
        "VAT BREAKDOWN",  # headings are in capitals (text-transform)
        "Thank you for your trust.",
    ):
        assert expected in text


# --- (d) no QR code without a valid IBAN ----------------------------------------------------------


@pytest.mark.parametrize("iban", ["", "FR7630006000011234567890188", "not an IBAN"])
def test_no_qr_code_without_a_valid_iban(world, billing, iban):
    billing.iban = iban
    db.session.commit()
    invoice = make_invoice(world)
    pdf = pdf_for(world, billing, invoice)
    assert qr_payloads(pdf) == []
    assert "IBAN" not in pdf_text(pdf)
    root = embedded_xml(pdf)  # still a valid Factur-X invoice, without payment means
    assert root.xpath("//ram:SpecifiedTradeSettlementPaymentMeans", namespaces=NS) == []


def test_no_qr_code_on_a_paid_invoice_or_in_another_currency(world, billing):
    paid = make_invoice(
        world, state="paid", paid=money.totals([(q, p, r) for _, q, p, r in LINES]).gross
    )
    assert payment_code(paid, world.a.firm, billing) is None
    assert qr_payloads(pdf_for(world, billing, paid)) == []
    assert "\nPAID\n" in pdf_text(pdf_for(world, billing, paid))  # the stamp
    francs = make_invoice(world, number="2026-0002")
    francs.currency = "CHF"
    db.session.commit()
    assert payment_code(francs, world.a.firm, billing) is None


# --- (e) credit notes -------------------------------------------------------------------------


def test_a_credit_note_says_so_and_names_the_invoice_it_credits(world, billing, schematron):
    original = make_invoice(world, state="void")
    credit = make_invoice(world, number="2026-0002", state="paid", credit_for=original, notes="")
    assert credit.total_gross == -original.total_gross

    pdf = pdf_for(world, billing, credit, "en")
    text = pdf_text(pdf)
    assert "CREDIT NOTE" in text and "INVOICE\n" not in text  # the title, in capitals
    assert "Credit note 2026-0002" in text  # the page footer
    assert "This credit note cancels invoice 2026-0001 of January 15, 2026." in text
    assert f"-€{original.total_gross:,.2f}" in text
    assert qr_payloads(pdf) == []

    root = embedded_xml(pdf)
    assert root.xpath("string(//rsm:ExchangedDocument/ram:TypeCode)", namespaces=NS) == "381"
    assert root.xpath("string(//rsm:ExchangedDocument/ram:ID)", namespaces=NS) == "2026-0002"
    assert (
        root.xpath("string(//ram:InvoiceReferencedDocument/ram:IssuerAssignedID)", namespaces=NS)
        == "2026-0001"
    )
    # EN 16931 credit notes carry positive amounts and prices
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert amount(root, f"{summation}/ram:GrandTotalAmount") == original.total_gross
    prices = root.xpath("//ram:NetPriceProductTradePrice/ram:ChargeAmount/text()", namespaces=NS)
    assert all(Decimal(price) >= 0 for price in prices)
    assert schematron(etree.tostring(root)) == []


def test_a_credit_note_in_french(world, billing):
    original = make_invoice(world, state="void")
    credit = make_invoice(world, number="2026-0002", state="paid", credit_for=original)
    text = pdf_text(pdf_for(world, billing, credit, "fr"))
    assert "2026-0001" in text and "15 janvier 2026" in text
    assert f"-{original.total_gross:,.2f}".replace(",", "\u202f").replace(".", ",") in text


def test_a_voided_invoice_is_stamped_and_asks_for_nothing(world, billing):
    pdf = pdf_for(world, billing, make_invoice(world, state="void"))
    assert "\nVOID\n" in pdf_text(pdf)
    assert qr_payloads(pdf) == []


# --- drafts and details -----------------------------------------------------------------------


def test_a_draft_is_a_plain_preview_without_factur_x(world, billing):
    draft = make_invoice(world, state="draft", number="")
    pdf = pdf_for(world, billing, draft)
    assert facturx.get_facturx_xml_from_pdf(pdf, check_xsd=False) == (False, False)
    assert "DRAFT INVOICE" in pdf_text(pdf)
    assert qr_payloads(pdf) == []
    with pytest.raises(ValueError):
        build_facturx_xml(draft, world.a.firm, billing, world.a.account)


def test_without_billing_details_the_firm_name_is_the_seller(world):
    invoice = make_invoice(world)
    pdf = render_invoice_pdf(invoice, world.a.firm, None, world.a.account, "nl")
    assert "Alpha" in pdf_text(pdf)
    root = etree.fromstring(build_facturx_xml(invoice, world.a.firm, None, world.a.account))
    assert root.xpath("string(//ram:SellerTradeParty/ram:Name)", namespaces=NS) == "Alpha"
    # the firm's time zone (Europe/Paris) gives the country
    assert root.xpath("string(//ram:SellerTradeParty//ram:CountryID)", namespaces=NS) == "FR"


@pytest.mark.parametrize(
    ("address", "parts"),
    [
        (
            "12 rue de la Paix\n75002 Paris\nFrance",
            {"PostcodeCode": "75002", "LineOne": "12 rue de la Paix", "CityName": "Paris"},
        ),
        (
            "Keizersgracht 1\n1015 CJ Amsterdam",
            {"PostcodeCode": "1015 CJ", "LineOne": "Keizersgracht 1", "CityName": "Amsterdam"},
        ),
        (
            "Avenida da Liberdade 10\n1250-001 Lisboa",
            {
                "PostcodeCode": "1250-001",
                "LineOne": "Avenida da Liberdade 10",
                "CityName": "Lisboa",
            },
        ),
        ("", {}),
    ],
)
def test_postal_addresses_are_split_for_the_xml(address, parts):
    assert postal_address(address) == parts


def test_the_seller_country_comes_from_the_address_then_the_vat_number(world, billing):
    billing.address = "Rue Neuve 1\n1000 Bruxelles\nBelgique"
    assert seller_country(world.a.firm, billing) == "BE"
    billing.address, billing.vat_number = "Keizersgracht 1", "NL123456789B01"
    assert seller_country(world.a.firm, billing) == "NL"
    billing.vat_number = ""
    assert seller_country(world.a.firm, billing) == "FR"  # the IBAN's country
