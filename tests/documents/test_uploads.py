"""Uploads: several files, zips unpacked, and every refusal leaves nothing behind."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from dashboard.accounts.models import Folder
from dashboard.audit.models import AuditEvent
from dashboard.documents.models import Document
from dashboard.extensions import db
from tests.conftest import hx, uploads_in


def _zip(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def _upload(client, world, files, htmx=True):
    folder = world.a.folders["view"]
    return client.post(
        f"/clients/{folder.account_id}/folders/{folder.id}/documents",
        data={"files": files},
        content_type="multipart/form-data",
        headers=hx() if htmx else {},
    )


def _document_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Document.id)))


def test_several_files_at_once(app, client, ctx, world):
    """Are several files uploaded at once, each with hash, size, type and uploader?"""
    client.login(world.a.staff.email)
    before = _document_count()
    response = _upload(
        client,
        world,
        [(io.BytesIO(b"%PDF one"), "one.pdf"), (io.BytesIO(b"a,b\n1,2\n"), "two.csv")],
    )
    assert response.status_code == 200
    assert b"2 documents uploaded to Shared." in response.data
    assert response.data.lstrip().startswith(b'<section id="docs-panel">')
    assert _document_count() == before + 2
    two = db.session.scalar(select(Document).where(Document.name == "two.csv"))
    assert two.size == 8 and two.content_type == "text/csv"
    assert two.uploaded_by_id == world.a.staff.id
    assert len(two.content_hash) == 64
    events = db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "document.uploaded",
            AuditEvent.actor_id == world.a.staff.id,
            AuditEvent.subject_id.in_(
                select(Document.id).where(Document.name.in_(["one.pdf", "two.csv"]))
            ),
        )
    )
    assert events == 2


def test_plain_form_post_redirects_with_flash(client, world):
    """Without htmx, does an upload redirect to the Docs tab and flash the result?"""
    client.login(world.a.staff.email)
    response = _upload(client, world, [(io.BytesIO(b"%PDF"), "plain.pdf")], htmx=False)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).data
    assert b"1 document uploaded to Shared." in page


def test_zip_is_unpacked_into_the_folder(client, ctx, world):
    """Is a zip unpacked into the folder, its inner folders becoming sub-folders?"""
    client.login(world.a.staff.email)
    archive = _zip(
        {
            "2025/bank.pdf": b"%PDF bank",
            "notes.txt": b"hello",
            "__MACOSX/._bank.pdf": b"junk",
            "empty/": b"",
        }
    )
    response = _upload(client, world, [(archive, "papers.zip")])
    assert response.status_code == 200, response.data
    names = set(db.session.scalars(select(Document.name)))
    assert {"bank.pdf", "notes.txt"} <= names
    assert db.session.scalar(select(Folder.name).where(Folder.parent_id.is_not(None))) == "2025"
    assert "papers.zip" not in names and not any("MACOSX" in n for n in names)


@pytest.mark.parametrize(
    "evil", ["../x.pdf", "/etc/x.pdf", "a/../../x.pdf", "C:/x.pdf", "..\\x.pdf"]
)
def test_zip_slip_is_refused(app, client, ctx, world, evil):
    """Is a zip with an absolute or climbing path refused, with nothing written?"""
    client.login(world.a.staff.email)
    before, files_before = _document_count(), len(uploads_in(app))
    archive = _zip({"fine.pdf": b"%PDF ok", evil: b"%PDF evil"})
    response = _upload(client, world, [(archive, "slip.zip")])
    assert response.status_code == 422
    assert b"unsafe path" in response.data
    assert _document_count() == before
    assert len(uploads_in(app)) == files_before


def test_zip_bomb_is_refused(app, client, ctx, world):
    """Is a tiny zip that expands past the cap refused, with nothing written?"""
    app.config["ZIP_MAX_TOTAL_BYTES"] = 5 * 1024 * 1024
    try:
        client.login(world.a.staff.email)
        before, files_before = _document_count(), len(uploads_in(app))
        archive = _zip({f"part{n}.txt": b"\0" * (2 * 1024 * 1024) for n in range(4)})
        assert archive.getbuffer().nbytes < 100 * 1024
        response = _upload(client, world, [(archive, "bomb.zip")])
        assert response.status_code == 422
        assert b"expands to more than the allowed size" in response.data
        assert _document_count() == before
        assert len(uploads_in(app)) == files_before
    finally:
        app.config["ZIP_MAX_TOTAL_BYTES"] = 200 * 1024 * 1024


def test_zip_bomb_with_lying_headers_is_refused(app, client, ctx, world):
    """Is a zip whose headers understate the size stopped by the bytes that really come out?"""
    buffer = _zip({"big.txt": b"A" * (3 * 1024 * 1024)})
    raw = bytearray(buffer.getvalue())
    size = (3 * 1024 * 1024).to_bytes(4, "little")
    fake = (1000).to_bytes(4, "little")
    raw = raw.replace(size, fake)  # local header and central directory both claim 1000 bytes
    app.config["UPLOAD_MAX_FILE_BYTES"] = 1024 * 1024
    try:
        client.login(world.a.staff.email)
        before = _document_count()
        response = _upload(client, world, [(io.BytesIO(bytes(raw)), "liar.zip")])
        assert response.status_code == 422
        assert _document_count() == before
    finally:
        app.config["UPLOAD_MAX_FILE_BYTES"] = 25 * 1024 * 1024


def test_oversize_file_is_refused(app, client, ctx, world):
    """Is a file over the per-file cap refused with a message, nothing written?"""
    app.config["UPLOAD_MAX_FILE_BYTES"] = 1024
    try:
        client.login(world.a.staff.email)
        before, files_before = _document_count(), len(uploads_in(app))
        response = _upload(
            client,
            world,
            [(io.BytesIO(b"%PDF ok"), "small.pdf"), (io.BytesIO(b"x" * 2048), "big.pdf")],
        )
        assert response.status_code == 422
        assert b"big.pdf is larger than the limit" in response.data
        assert _document_count() == before
        assert len(uploads_in(app)) == files_before
    finally:
        app.config["UPLOAD_MAX_FILE_BYTES"] = 25 * 1024 * 1024


def test_request_over_the_total_cap_is_refused(app, client, world):
    """Is a request larger than MAX_CONTENT_LENGTH refused with 413 and a message?"""
    app.config["MAX_CONTENT_LENGTH"] = 4096
    try:
        client.login(world.a.staff.email)
        response = _upload(client, world, [(io.BytesIO(b"x" * 8192), "huge.pdf")])
        assert response.status_code == 413
        assert b"nothing was uploaded" in response.data
        assert response.headers["HX-Retarget"] == "#flash-area"
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 100 * 1024 * 1024


@pytest.mark.parametrize("name", ["run.exe", "page.html", "script.js", "noextension"])
def test_disallowed_types_are_refused(client, ctx, world, name):
    """Are executables, web pages and unknown types refused?"""
    client.login(world.a.staff.email)
    before = _document_count()
    response = _upload(client, world, [(io.BytesIO(b"data"), name)])
    assert response.status_code == 422
    assert b"this file type is not accepted" in response.data
    assert _document_count() == before


def test_empty_upload_asks_for_a_file(client, world):
    """Does an upload with no file say so?"""
    client.login(world.a.staff.email)
    response = _upload(client, world, [])
    assert response.status_code == 422
    assert b"Choose at least one file." in response.data


def test_delete_removes_row_and_file(app, client, ctx, world):
    """Does Delete remove the document, its file, and leave an audit entry?"""
    client.login(world.a.staff.email)
    document = world.a.documents["view"]
    document_id, account_id = document.id, document.account_id
    files_before = len(uploads_in(app))
    response = client.post(f"/clients/{account_id}/documents/{document_id}/delete", headers=hx())
    assert response.status_code == 200
    assert b"view.pdf deleted." in response.data
    db.session.expire_all()
    assert db.session.scalar(select(Document.id).where(Document.id == document_id)) is None
    assert len(uploads_in(app)) == files_before - 1
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "document.deleted")
        )
        == 1
    )


def test_folder_create_and_access_change(client, ctx, world):
    """Can staff add a folder and change its access, with errors next to the field?"""
    client.login(world.a.staff.email)
    account = world.a.account
    created = client.post(
        f"/clients/{account.id}/folders",
        data={"name": "Payroll", "access": "private"},
        headers=hx(),
    )
    assert created.status_code == 200 and b"Payroll" in created.data
    duplicate = client.post(
        f"/clients/{account.id}/folders", data={"name": "Payroll", "access": "view"}, headers=hx()
    )
    assert duplicate.status_code == 422
    assert b"A folder with this name already exists." in duplicate.data
    assert b"invalid-feedback" in duplicate.data
    blank = client.post(
        f"/clients/{account.id}/folders", data={"name": "", "access": "view"}, headers=hx()
    )
    assert blank.status_code == 422
    folder = world.a.folders["private"]
    changed = client.post(
        f"/clients/{account.id}/folders/{folder.id}/access", data={"access": "edit"}, headers=hx()
    )
    assert changed.status_code == 200
    bad = client.post(
        f"/clients/{account.id}/folders/{folder.id}/access", data={"access": "public"}, headers=hx()
    )
    assert bad.status_code == 422
    trail = client.get(f"/clients/{account.id}/audit").data.decode()
    assert "Created folder Payroll" in trail
    assert "Changed access of Private notes from Private to Client can view and edit" in trail


def test_docs_tab_constant_queries(app, client, ctx, world):
    """Does the Docs tab cost the same queries for 3 or 30 documents?"""
    from tests.factories import make_document
    from tests.querycount import count_queries

    client.login(world.a.staff.email)
    url = f"/clients/{world.a.account.id}/docs"
    with count_queries(app) as few:
        client.get(url)
    for n in range(27):
        make_document(world.a.folders["view"], f"more{n}.pdf", uploaded_by=world.a.staff)
    db.session.commit()
    with count_queries(app) as many:
        client.get(url)
    assert len(many) == len(few)


def test_a_folder_upload_keeps_its_inner_paths(client, ctx, world):
    """A folder chosen in the browser arrives as files named with their relative paths:
    do the paths become sub-folders (and nothing climbs out)?"""
    client.login(world.a.staff.email)
    response = _upload(
        client,
        world,
        [
            (io.BytesIO(b"%PDF a"), "Taxes/2025/bank.pdf"),
            (io.BytesIO(b"%PDF b"), "Taxes/../../evil.pdf"),
        ],
    )
    assert response.status_code == 200
    names = set(db.session.scalars(select(Document.name)))
    assert {"bank.pdf", "evil.pdf"} <= names
    folders = dict(db.session.execute(select(Folder.name, Folder.parent_id)).all())
    assert folders["2025"] == db.session.scalar(select(Folder.id).where(Folder.name == "Taxes"))
    evil = db.session.scalar(select(Document.folder_id).where(Document.name == "evil.pdf"))
    assert evil == db.session.scalar(select(Folder.id).where(Folder.name == "Taxes"))


def test_bidirectional_controls_are_dropped_from_names():
    """Does "invoice\\u202excod.pdf" (shown as "invoicefdp.docx") keep its real order?"""
    from dashboard.documents.uploads import clean_name

    assert clean_name("invoice\u202excod.pdf") == "invoicexcod.pdf"
    assert clean_name("a\u2066b\u2069\u200fc.pdf") == "abc.pdf"
