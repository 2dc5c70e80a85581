"""Tenancy: staff see only their firm; clients see only their accounts, never Private folders."""

from __future__ import annotations

import io

import pytest

from dashboard.accounts.models import Contact, Folder
from dashboard.documents.models import Document
from dashboard.extensions import db
from tests.conftest import uploads_in


def staff_routes(w):
    """Every staff route that takes an id, with firm A's ids: (method, url, form)."""
    account, contact = w.a.account.id, w.a.contact.id
    folder, document = w.a.folders["view"].id, w.a.documents["view"].id
    return [
        ("GET", f"/clients/{account}", None),
        ("GET", f"/clients/{account}/info", None),
        ("GET", f"/clients/{account}/docs", None),
        ("GET", f"/clients/{account}/audit", None),
        ("POST", f"/clients/{account}/contacts/{contact}/notify", {"notify": "off"}),
        ("POST", f"/clients/{account}/contacts/{contact}/portal-view", {}),
        ("POST", f"/clients/{account}/folders", {"name": "Sneaky", "access": "view"}),
        ("POST", f"/clients/{account}/folders/{folder}/access", {"access": "private"}),
        (
            "POST",
            f"/clients/{account}/folders/{folder}/documents",
            {"files": (io.BytesIO(b"x"), "x.pdf")},
        ),
        ("GET", f"/clients/{account}/documents/{document}/download", None),
        ("POST", f"/clients/{account}/documents/{document}/delete", {}),
    ]


def _call(client, method, url, form):
    if method == "GET":
        return client.get(url)
    return client.post(url, data=form, content_type="multipart/form-data")


def test_other_firm_staff_get_404_everywhere(app, client, ctx, world):
    """Does a second firm's staff member get 404 for each of the first firm's ids?"""
    client.login(world.b.staff.email)
    for method, url, form in staff_routes(world):
        response = _call(client, method, url, form)
        assert response.status_code == 404, (method, url)
    db.session.expire_all()
    assert db.session.get(Contact, world.a.contact.id).notify is True
    assert db.session.get(Folder, world.a.folders["view"].id).access == "view"
    assert db.session.get(Document, world.a.documents["view"].id) is not None
    assert db.session.query(Folder).filter_by(name="Sneaky").count() == 0


def test_own_staff_reach_the_same_routes(client, world):
    """Do the same requests succeed for the firm's own staff (so the 404s above mean something)?"""
    client.login(world.a.staff.email)
    for method, url, form in staff_routes(world):
        response = _call(client, method, url, form)
        assert response.status_code in (200, 302), (method, url, response.status_code)


def test_mixed_ids_across_firms_are_404(client, world):
    """Does pairing an own account id with a foreign folder or document id answer 404?"""
    client.login(world.b.staff.email)
    own = world.b.account.id
    assert (
        client.get(f"/clients/{own}/documents/{world.a.documents['view'].id}/download").status_code
        == 404
    )
    assert (
        client.post(
            f"/clients/{own}/folders/{world.a.folders['view'].id}/access",
            data={"access": "private"},
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/clients/{own}/contacts/{world.a.contact.id}/notify", data={"notify": "off"}
        ).status_code
        == 404
    )


def test_client_cannot_use_staff_pages(client, world):
    """Does a client get 404 on staff pages, even for their own account?"""
    client.login(world.a.contact.user.email)
    assert client.get("/clients").status_code == 404
    assert client.get(f"/clients/{world.a.account.id}/docs").status_code == 404


def test_client_sees_only_visible_folders(client, world):
    """Does a client see the view and edit folders, never the Private one?"""
    client.login(world.a.contact.user.email)
    page = client.get("/portal/documents").data.decode()
    assert "Shared" in page and "Uploads" in page
    assert "Private notes" not in page and "private.pdf" not in page
    assert "other.pdf" not in page  # another account of the same firm


def test_client_gets_404_for_private_and_foreign_documents(client, world):
    """Does a client get 404 for a Private file, another account's file and another firm's file?"""
    client.login(world.a.contact.user.email)
    assert (
        client.get(f"/portal/documents/{world.a.documents['view'].id}/download").status_code == 200
    )
    for document in (world.a.documents["private"], world.other_document, world.b.documents["view"]):
        response = client.get(f"/portal/documents/{document.id}/download")
        assert response.status_code == 404, document.name


def test_client_download_is_the_file(client, world):
    """Does a download give back exactly the stored bytes, as an attachment?"""
    client.login(world.a.contact.user.email)
    response = client.get(f"/portal/documents/{world.a.documents['edit'].id}/download")
    assert response.data == b"%PDF-1.4 test"
    assert response.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("access, expected", [("edit", 200), ("view", 403), ("private", 404)])
def test_client_uploads_only_into_edit_folders(app, client, world, access, expected):
    """Can a client upload into a view-and-edit folder, and only there?"""
    client.login(world.a.contact.user.email)
    before = len(uploads_in(app))
    folder = world.a.folders[access]
    response = client.post(
        f"/portal/folders/{folder.id}/documents",
        headers={"HX-Request": "true"},
        data={"files": (io.BytesIO(b"%PDF client"), "mine.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == expected
    assert len(uploads_in(app)) == before + (1 if expected == 200 else 0)


def test_client_cannot_upload_into_other_firm_folder(client, world):
    """Does another firm's edit folder answer 404 to a client?"""
    client.login(world.a.contact.user.email)
    folder = world.b.folders["edit"]
    response = client.post(
        f"/portal/folders/{folder.id}/documents",
        data={"files": (io.BytesIO(b"x"), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 404


def test_client_without_portal_access_on_one_account(client, ctx, world):
    """Does losing portal access on an account hide that account's documents at once?"""
    contact = db.session.get(Contact, world.a.contact.id)
    client.login(contact.user.email)
    contact.portal_access = False
    db.session.commit()
    assert (
        client.get(f"/portal/documents/{world.a.documents['view'].id}/download").status_code == 404
    )


def test_get_requests_change_nothing(app, client, ctx, world):
    """Do GETs of every page leave the database as it was?"""
    from tests.querycount import count_queries

    client.login(world.a.staff.email)
    urls = [f"/clients/{world.a.account.id}/{tab}" for tab in ("info", "docs", "audit")]
    urls += [
        "/clients",
        "/clients?q=a",
        f"/clients/{world.a.account.id}/documents/{world.a.documents['view'].id}/download",
    ]
    with count_queries(app) as statements:
        for url in urls:
            assert client.get(url).status_code == 200
    writes = [
        s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
