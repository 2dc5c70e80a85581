"""The document preview: bytes inline only for safe types, scoped like every other load."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from dashboard.documents.models import Document
from dashboard.documents.preview import TEXT_PREVIEW_BYTES
from dashboard.documents.service import add_document_bytes
from dashboard.extensions import db
from tests.conftest import hx
from tests.factories import make_approval

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def _staff_url(document) -> str:
    return f"/clients/{document.account_id}/documents/{document.id}/inline"


def _portal_url(document) -> str:
    return f"/portal/documents/{document.id}/inline"


def _add(world, name: str, data: bytes, content_type: str, access: str = "view"):
    document = add_document_bytes(world.a.staff, world.a.folders[access], name, data, content_type)
    db.session.commit()
    return document


def _assert_locked_down(response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["Content-Disposition"].startswith("inline")


def test_staff_gets_a_pdf_inline_with_a_locked_down_answer(client, world):
    """Does staff get their firm's PDF inline, as a PDF, under nosniff and a sandbox CSP?"""
    client.login(world.a.staff.email)
    document = world.a.documents["private"]  # staff see every folder, Private included
    response = client.get(_staff_url(document))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data == b"%PDF-1.4 test"
    _assert_locked_down(response)
    assert 'filename="private.pdf"' in response.headers["Content-Disposition"] or (
        "private.pdf" in response.headers["Content-Disposition"]
    )


def test_staff_of_another_firm_gets_404(client, world):
    """Can staff of firm B fetch a document of firm A inline, by its id or under their account?"""
    client.login(world.b.staff.email)
    document = world.a.documents["view"]
    assert client.get(_staff_url(document)).status_code == 404
    assert (
        client.get(f"/clients/{world.b.account.id}/documents/{document.id}/inline").status_code
        == 404
    )


def test_staff_route_refuses_a_document_under_another_account(client, world):
    """Is the account in the URL checked (a document of account 1 under account 2 is 404)?"""
    client.login(world.a.staff.email)
    document = world.a.documents["view"]
    url = f"/clients/{world.other_account.id}/documents/{document.id}/inline"
    assert client.get(url).status_code == 404


def test_client_gets_a_shared_document_but_never_a_private_one(client, world):
    """Can a client see a Shared document inline, and is a Private-folder one 404?"""
    client.login(world.a.contact.user.email)
    shared = client.get(_portal_url(world.a.documents["view"]))
    assert shared.status_code == 200 and shared.mimetype == "application/pdf"
    _assert_locked_down(shared)
    assert client.get(_portal_url(world.a.documents["private"])).status_code == 404


def test_client_of_another_account_or_firm_gets_404(client, world):
    """Can a client fetch another account's document, or another firm's, inline?"""
    client.login(world.a.contact.user.email)
    assert client.get(_portal_url(world.other_document)).status_code == 404
    assert client.get(_portal_url(world.b.documents["view"])).status_code == 404


def test_client_cannot_use_the_staff_route(client, world):
    """Is the staff route closed to a client, even for a document the client may see?"""
    client.login(world.a.contact.user.email)
    assert client.get(_staff_url(world.a.documents["view"])).status_code == 404


def test_read_only_portal_view_serves_what_the_contact_sees(client, world):
    """In staff's read-only portal view, is the contact's document shown, a Private one not?"""
    client.login(world.a.staff.email)
    contact = world.a.contact
    opened = client.post(f"/clients/{contact.account_id}/contacts/{contact.id}/portal-view")
    assert opened.status_code == 302
    assert client.get(_portal_url(world.a.documents["view"])).status_code == 200
    assert client.get(_portal_url(world.a.documents["private"])).status_code == 404
    assert client.get(_portal_url(world.other_document)).status_code == 404


def test_anonymous_gets_nothing(client, world):
    """Does someone not logged in get the bytes from either route?"""
    for url in (_staff_url(world.a.documents["view"]), _portal_url(world.a.documents["view"])):
        response = client.get(url)
        assert response.status_code in (302, 401, 404)
        assert b"%PDF" not in response.data


@pytest.mark.parametrize(
    "name, data, content_type",
    [
        ("page.html", b"<script>alert(1)</script>", "text/html"),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            "image/svg+xml",
        ),
        ("data.xml", b"<?xml version='1.0'?><a/>", "application/xml"),
        ("page.xhtml", b"<html xmlns='http://www.w3.org/1999/xhtml'/>", "application/xhtml+xml"),
        ("run.js", b"alert(1)", "text/javascript"),
        ("blob.bin", b"\x00\x01", "application/octet-stream"),
    ],
)
def test_active_types_are_never_inline(client, world, name, data, content_type):
    """Is HTML, SVG, XML, script or an unknown type refused inline (download only)?"""
    document = _add(world, name, data, content_type)
    client.login(world.a.staff.email)
    assert client.get(_staff_url(document)).status_code == 404
    download = client.get(f"/clients/{document.account_id}/documents/{document.id}/download")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    viewer = client.get(f"/clients/{document.account_id}/documents/{document.id}").data.decode()
    assert 'data-testid="preview-unavailable"' in viewer
    assert _staff_url(document) not in viewer


def _upload(client, world, name: str, data: bytes, declared: str):
    folder = world.a.folders["view"]
    return client.post(
        f"/clients/{folder.account_id}/folders/{folder.id}/documents",
        data={"files": [(io.BytesIO(data), name, declared)]},
        content_type="multipart/form-data",
        headers=hx(),
    )


ACTIVE = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'><script>x</script></svg>"


@pytest.mark.parametrize("name", ["page.html", "logo.svg"])
def test_html_and_svg_uploads_are_refused(client, ctx, world, name):
    """Is an HTML or SVG file refused at upload (so it never even reaches storage)?"""
    client.login(world.a.staff.email)
    assert _upload(client, world, name, ACTIVE, "text/html").status_code == 422
    assert db.session.scalar(select(Document).where(Document.name == name)) is None


@pytest.mark.parametrize(
    "name, declared",
    [("data.xml", "image/png"), ("data.json", "text/plain"), ("readme.md", "text/html")],
)
def test_uploaded_markup_is_not_served_inline(client, make_client, ctx, world, name, declared):
    """Uploaded through the real form with active content, is XML/JSON/Markdown refused
    inline for staff and client, whatever type the browser declared?"""
    client.login(world.a.staff.email)
    assert _upload(client, world, name, ACTIVE, declared).status_code == 200
    document = db.session.scalar(select(Document).where(Document.name == name))
    assert document is not None
    assert client.get(_staff_url(document)).status_code == 404
    client_of_firm = make_client()
    client_of_firm.login(world.a.contact.user.email)
    assert client_of_firm.get(_portal_url(document)).status_code == 404


def test_uploaded_text_with_markup_is_plain_text(client, ctx, world):
    """Is a .txt holding HTML served as plain text under nosniff (never rendered as HTML)?"""
    client.login(world.a.staff.email)
    assert _upload(client, world, "trap.txt", ACTIVE, "text/html").status_code == 200
    document = db.session.scalar(select(Document).where(Document.name == "trap.txt"))
    response = client.get(_staff_url(document))
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.data == ACTIVE
    _assert_locked_down(response)


def test_text_and_csv_are_plain_utf8_text(client, world):
    """Are .txt and .csv served as text/plain; charset=utf-8 (never as HTML), byte for byte?"""
    text = _add(world, "notes.txt", "<b>caf\u00e9</b>".encode(), "text/plain")
    table = _add(world, "bank.csv", b"date;amount\n2025-01-01;<script>\n", "text/csv")
    client.login(world.a.staff.email)
    for document, raw in (
        (text, "<b>caf\u00e9</b>".encode()),
        (table, b"date;amount\n2025-01-01;<script>\n"),
    ):
        response = client.get(_staff_url(document))
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert response.data == raw
        _assert_locked_down(response)


def test_text_is_shown_escaped_by_the_page(client, world):
    """Does the viewer page carry the text only as data for textContent, never as markup?"""
    document = _add(world, "evil.txt", b"<img src=x onerror=alert(1)>", "text/plain")
    client.login(world.a.staff.email)
    page = client.get(f"/clients/{document.account_id}/documents/{document.id}").data.decode()
    assert 'data-preview="text"' in page and 'data-testid="preview-text"' in page
    assert "<img src=x" not in page  # the bytes are fetched by preview.js and set as text


def test_long_text_is_cut_with_a_note_and_ranges_work(client, world):
    """Is a long text announced as cut, and does the inline route answer a byte range?"""
    document = _add(world, "big.txt", b"a" * (TEXT_PREVIEW_BYTES + 10), "text/plain")
    client.login(world.a.staff.email)
    page = client.get(f"/clients/{document.account_id}/documents/{document.id}").data.decode()
    assert f'data-limit="{TEXT_PREVIEW_BYTES}"' in page
    assert "Only the beginning of the file is shown" in page
    part = client.get(_staff_url(document), headers={"Range": f"bytes=0-{TEXT_PREVIEW_BYTES - 1}"})
    assert part.status_code == 206 and len(part.data) == TEXT_PREVIEW_BYTES


def test_images_are_inline_with_their_type(client, world):
    """Is a PNG served inline as image/png, and shown as an <img> in the client's page?"""
    document = _add(world, "scan.png", PNG, "image/png")
    request = make_approval(world.a.staff, document)
    client.login(world.a.contact.user.email)
    response = client.get(_portal_url(document))
    assert response.status_code == 200 and response.mimetype == "image/png"
    _assert_locked_down(response)
    page = client.get(f"/portal/approvals/{request.id}").data.decode()
    assert f'src="{_portal_url(document)}"' in page and 'data-testid="preview-image"' in page


def test_viewer_and_approval_page_load_pdfjs_from_our_origin(client, make_client, world):
    """Do the staff viewer and the client's approval page embed the PDF preview, with pdf.js
    and its worker from /static only, and the app CSP allowing workers from 'self' only?"""
    document = world.a.documents["view"]
    request = make_approval(world.a.staff, document)
    client.login(world.a.staff.email)
    viewer = client.get(f"/clients/{document.account_id}/documents/{document.id}")
    client_of_firm = make_client()
    client_of_firm.login(world.a.contact.user.email)
    approval = client_of_firm.get(f"/portal/approvals/{request.id}")
    for response, inline_url in ((viewer, _staff_url(document)), (approval, _portal_url(document))):
        page = response.data.decode()
        assert 'data-preview="pdf"' in page and f'data-src="{inline_url}"' in page
        assert 'data-pdfjs="/static/vendor/pdfjs-5.7.284.min.mjs"' in page
        assert 'data-pdfjs-worker="/static/vendor/pdfjs-5.7.284.worker.min.mjs"' in page
        assert '<script type="module" src="/static/preview.js"></script>' in page
        assert "worker-src 'self';" in response.headers["Content-Security-Policy"]
    for path in (
        "/static/preview.js",
        "/static/preview.css",
        "/static/vendor/pdfjs-5.7.284.min.mjs",
        "/static/vendor/pdfjs-5.7.284.worker.min.mjs",
    ):
        asset = client.get(path)
        assert asset.status_code == 200, path
        if path.endswith("js"):
            assert asset.mimetype == "text/javascript", path  # nosniff needs a script type


def test_htmx_swap_of_the_viewer_keeps_the_preview(client, world):
    """Does the viewer panel returned to htmx carry the preview too (it replaces the page's)?"""
    document = world.a.documents["view"]
    client.login(world.a.staff.email)
    panel = client.get(
        f"/clients/{document.account_id}/documents/{document.id}", headers=hx()
    ).data.decode()
    assert 'data-testid="document-preview"' in panel
