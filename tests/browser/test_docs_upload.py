"""The Docs tab's upload control: one labelled control per folder (files, a folder, drag and
drop), the kinds' options beside it, sub-folders to open, access from the folder's ⋯ menu."""

from __future__ import annotations

import io
import zipfile

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from dashboard.accounts.models import Folder
from dashboard.approvals.models import ApprovalRequest
from dashboard.documents.models import Document
from dashboard.extensions import db
from tests.conftest import DEMO_PASSWORD


def _login(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")


def _settled(page) -> None:
    """Let htmx finish a swap: while it settles, a new element with an old id wears the old
    element's attributes (here an open collapse's `show`), so a click then would toggle it."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, "
        ".htmx-added, .collapsing')"
    )


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("2025/bank/march.pdf", b"%PDF-1.4 march")
    return buffer.getvalue()


def test_upload_control_files_drop_and_subfolders(browser: Browser, server_url, world):
    """Choose two files with Request approval ticked, then drop a zip on the zone: are the
    files uploaded with approval requests, the zip's folders navigable, and does the page
    fit a phone?"""
    base, account_id = server_url, world.a.account.id
    folder_id = world.a.folders["view"].id
    email = world.a.staff.email
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    _login(page, base, email)
    page.goto(f"{base}/clients/{account_id}/docs")
    upload = page.locator(f"#upload-{folder_id}")
    expect(upload).to_be_hidden()
    page.get_by_test_id(f"open-upload-{folder_id}").click()
    expect(upload).to_be_visible()
    expect(upload.get_by_text("Choose files")).to_be_visible()
    page.get_by_test_id(f"files-{folder_id}").set_input_files(
        [
            {"name": "one.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 one"},
            {"name": "two.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 two"},
        ]
    )
    expect(page.get_by_test_id(f"dropzone-{folder_id}")).to_contain_text("2")
    page.get_by_test_id(f"description-{folder_id}").fill("Year end")
    page.get_by_test_id(f"request_approval-{folder_id}").check()
    page.get_by_test_id(f"upload-{folder_id}").click()
    expect(page.locator("#docs-messages")).to_contain_text("2 documents uploaded")
    _settled(page)
    db.session.expire_all()
    uploaded = db.session.scalars(select(Document).where(Document.name.in_(["one.pdf", "two.pdf"])))
    uploaded = list(uploaded)
    assert {d.description for d in uploaded} == {"Year end"}
    requests = db.session.scalars(
        select(ApprovalRequest).where(ApprovalRequest.document_id.in_([d.id for d in uploaded]))
    ).all()
    assert len(requests) == 2

    # Drop a zip on the zone (a DataTransfer built in the page, as a browser would hand it).
    page.get_by_test_id(f"open-upload-{folder_id}").click()
    zone = page.get_by_test_id(f"dropzone-{folder_id}")
    expect(zone).to_be_visible()
    _settled(page)
    data = list(_zip_bytes())
    handle = page.evaluate_handle(
        """(bytes) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], "year.zip",
                                        {type: "application/zip"}));
            return transfer;
        }""",
        data,
    )
    zone.dispatch_event("drop", {"dataTransfer": handle})
    expect(zone).to_contain_text("1")
    page.get_by_test_id(f"upload-{folder_id}").click()
    expect(page.locator("#docs-messages")).to_contain_text("1 document uploaded")
    _settled(page)
    db.session.expire_all()
    year = db.session.scalar(select(Folder).where(Folder.parent_id == folder_id))
    assert year is not None and year.name == "2025"
    page.get_by_test_id(f"subfolder-{year.id}").click()
    expect(page.get_by_test_id("folder-trail")).to_contain_text("2025")
    expect(page).to_have_url(f"{base}/clients/{account_id}/docs/folders/{year.id}")

    # Access from the folder's ⋯ menu.
    page.goto(f"{base}/clients/{account_id}/docs")
    private_id = world.a.folders["private"].id
    page.get_by_test_id(f"folder-menu-{private_id}").click()
    page.get_by_test_id(f"access-{private_id}-view").click()
    expect(page.locator("#docs-messages")).to_contain_text("changed")
    db.session.expire_all()
    assert db.session.get(Folder, private_id).access == "view"

    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    _login(phone, base, email)
    phone.goto(f"{base}/clients/{account_id}/docs")
    phone.get_by_test_id(f"open-upload-{folder_id}").click()
    expect(phone.get_by_test_id(f"dropzone-{folder_id}")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the Docs tab overflows a phone: {width}px"


def test_portal_documents_fit_a_phone(browser: Browser, server_url, world):
    """A client on a phone: do the Documents page, with a document awaiting approval and a
    folder they can upload to, fit 390 px, and does the upload control work?"""
    from tests.factories import make_approval

    make_approval(world.a.staff, world.a.documents["view"])
    base, email = server_url, world.a.contact.user.email
    edit_id = world.a.folders["edit"].id
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    _login(page, base, email)
    page.goto(f"{base}/portal/documents")
    expect(page.get_by_test_id(f"review-{world.a.documents['view'].id}")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the portal Documents page overflows a phone: {width}px"
    page.locator(f"#files-{edit_id}").set_input_files(
        [{"name": "receipt.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 r"}]
    )
    expect(page.locator(f"#folder-{edit_id} [data-dropzone-summary]")).to_contain_text("1")
    page.locator(f"#folder-{edit_id} button:not([type=button])").click()
    expect(page.locator(f"#folder-{edit_id}")).to_contain_text("receipt.pdf")
