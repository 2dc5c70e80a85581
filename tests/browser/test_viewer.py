"""The document viewer draws a real PDF with pdf.js: staff at 1366 px, the client on a phone."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from dashboard.documents.service import add_document_bytes
from dashboard.extensions import db
from tests.conftest import DEMO_PASSWORD
from tests.factories import make_approval

SHOTS = Path("/tmp/shots")


def two_page_pdf() -> bytes:
    """A small hand-written PDF: two Letter pages, a coloured band and a title on each."""
    pages = ["Page one", "Page two"]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(len(pages))), len(pages)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, title in enumerate(pages):
        content = (
            b"0.05 0.43 0.99 rg 50 640 512 100 re f "
            b"BT /F1 40 Tf 0 0 0 rg 72 560 Td (%s) Tj ET "
            b"BT /F1 12 Tf 72 520 Td (Relance viewer test, sheet %d of 2) Tj ET"
        ) % (title.encode(), i + 1)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (5 + 2 * i)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _login(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login"))


def _watch_console(page: Page) -> list[str]:
    """Errors the page logs or requests that fail (a CSP refusal of the worker shows here)."""
    problems: list[str] = []

    def on_console(message) -> None:
        if message.type == "error" and "favicon" not in message.location.get("url", ""):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and "favicon" not in r.url
            else None
        ),
    )
    return problems


def _first_page_width(page: Page) -> float:
    box = page.locator(".doc-preview-page").first.bounding_box()
    assert box is not None
    return box["width"]


def _canvas_pixels(page: Page) -> int:
    return page.locator(".doc-preview-page canvas").first.evaluate("c => c.width")


def _check_pdf_preview(page: Page) -> None:
    preview = page.get_by_test_id("document-preview")
    expect(preview.locator(".doc-preview-page")).to_have_count(2)
    expect(preview.locator(".doc-preview-page").first.locator("canvas")).to_be_visible(
        timeout=15_000
    )
    expect(page.get_by_test_id("preview-page-count")).to_have_text(re.compile(r"^Page 1 of 2$"))
    # Fit width: the page fills the preview box (less its padding).
    box = page.locator("[data-pages]").bounding_box()
    assert box is not None
    assert box["width"] - 20 <= _first_page_width(page) <= box["width"]


def _zoom_in_changes_the_canvas(page: Page) -> None:
    width, pixels = _first_page_width(page), _canvas_pixels(page)
    page.get_by_test_id("preview-zoom-in").click()
    expect(page.get_by_test_id("document-preview")).to_have_attribute("data-zoom", "1.25")
    assert _first_page_width(page) > width * 1.2
    page.wait_for_function(
        "pixels => document.querySelector('.doc-preview-page canvas').width > pixels", arg=pixels
    )
    page.get_by_test_id("preview-zoom-out").click()
    page.get_by_test_id("preview-zoom-out").click()
    expect(page.get_by_test_id("document-preview")).to_have_attribute("data-zoom", "0.75")
    assert _first_page_width(page) < width * 0.8
    page.get_by_test_id("preview-zoom-fit").click()
    expect(page.get_by_test_id("document-preview")).to_have_attribute("data-zoom", "1")
    assert abs(_first_page_width(page) - width) < 1


def test_staff_and_client_see_every_page_and_zoom(browser: Browser, server_url, world):
    """Does a two-page PDF draw in the staff viewer (1366 px) and in the client's approval page
    (390 px): both pages, "Page 1 of 2", zoom that resizes the canvas, no sideways scroll on the
    phone, and no console error (pdf.js and its worker load under our CSP)?"""
    base = server_url
    world.a.staff.language = "en"
    world.a.contact.user.language = "en"
    document = add_document_bytes(
        world.a.staff, world.a.folders["view"], "statement.pdf", two_page_pdf(), "application/pdf"
    )
    approval = make_approval(world.a.staff, document)
    account_id, document_id, approval_id = document.account_id, document.id, approval.id
    staff_email, client_email = world.a.staff.email, world.a.contact.user.email
    db.session.commit()
    SHOTS.mkdir(parents=True, exist_ok=True)

    # --- staff, desktop ---------------------------------------------------------------------
    staff = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    _login(staff, base, staff_email)
    staff_problems = _watch_console(staff)
    staff.goto(f"{base}/clients/{account_id}/documents/{document_id}")
    _check_pdf_preview(staff)
    staff.screenshot(path=str(SHOTS / "viewer-staff-1366.png"), full_page=True)
    _zoom_in_changes_the_canvas(staff)
    staff.locator("[data-pages]").hover()
    staff.mouse.wheel(0, 1500)  # the pages scroll in their own box on a wide screen
    expect(staff.get_by_test_id("preview-page-count")).to_have_text("Page 2 of 2")
    expect(staff.locator(".doc-preview-page").nth(1).locator("canvas")).to_be_visible()  # lazily
    staff.screenshot(path=str(SHOTS / "viewer-staff-1366-page2.png"))
    # A form in the viewer answers with the panel re-rendered by htmx: the preview draws again.
    staff.evaluate(
        "document.getElementById('viewer-panel').dataset.old = '1';"
        "htmx.ajax('GET', location.pathname, {target: '#viewer-panel', swap: 'outerHTML'})"
    )
    expect(staff.locator("#viewer-panel[data-old]")).to_have_count(0)
    expect(staff.locator("[data-preview-ready]")).to_have_count(1)
    expect(staff.locator(".doc-preview-page").first.locator("canvas")).to_be_visible()
    expect(staff.get_by_test_id("preview-page-count")).to_have_text("Page 1 of 2")
    assert staff_problems == []

    # --- client, phone ----------------------------------------------------------------------
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    ).new_page()
    _login(phone, base, client_email)
    phone_problems = _watch_console(phone)
    phone.goto(f"{base}/portal/approvals/{approval_id}")
    _check_pdf_preview(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(SHOTS / "viewer-client-390.png"), full_page=True)
    _zoom_in_changes_the_canvas(phone)
    phone.get_by_test_id("preview-zoom-in").click()
    phone.get_by_test_id("preview-zoom-in").click()  # 1.5×: wider than the phone
    expect(phone.get_by_test_id("document-preview")).to_have_attribute("data-zoom", "1.5")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # the box scrolls
    phone.screenshot(path=str(SHOTS / "viewer-client-390-zoomed.png"), full_page=False)
    assert phone_problems == []


def test_client_sees_text_as_text_on_a_phone(browser: Browser, server_url, world):
    """Is a CSV holding markup shown in the client's page as plain text (no element made from
    it), wrapped to the phone's width?"""
    world.a.contact.user.language = "en"
    data = "date;label\n2025-01-02;<b>bold</b><img src=x onerror=alert(1)>\n" + "x" * 300
    document = add_document_bytes(
        world.a.staff, world.a.folders["view"], "bank.csv", data.encode(), "text/csv"
    )
    approval = make_approval(world.a.staff, document)
    approval_id, client_email = approval.id, world.a.contact.user.email
    db.session.commit()

    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    _login(phone, server_url, client_email)
    problems = _watch_console(phone)
    phone.goto(f"{server_url}/portal/approvals/{approval_id}")
    text = phone.get_by_test_id("preview-text")
    expect(text).to_have_text(data)
    assert text.locator("b, img").count() == 0
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(SHOTS / "viewer-client-390-csv.png"), full_page=True)
    assert problems == []
