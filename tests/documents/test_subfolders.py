"""A zip's inner folders become sub-folders, navigable by staff and clients, with the access
of their top-level folder."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import select

from dashboard.accounts.models import Folder
from dashboard.documents.models import Document
from dashboard.extensions import db
from tests.conftest import hx


def _zip(entries: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def _upload_zip(client, folder, entries):
    return client.post(
        f"/clients/{folder.account_id}/folders/{folder.id}/documents",
        data={"files": [(_zip(entries), "year.zip")]},
        headers=hx(),
        content_type="multipart/form-data",
    )


def _child(parent_id: int, name: str) -> Folder:
    folder = db.session.scalar(
        select(Folder).where(Folder.parent_id == parent_id, Folder.name == name)
    )
    assert folder is not None, f"no sub-folder {name}"
    return folder


def test_zip_inner_folders_become_subfolders(client, ctx, world):
    """Does a zip with 2025/bank/… make the sub-folders 2025 and 2025/bank, files by name?"""
    client.login(world.a.staff.email)
    top = world.a.folders["view"]
    response = _upload_zip(
        client,
        top,
        {"2025/bank/march.pdf": b"%PDF m", "2025/notes.txt": b"hi", "root.csv": b"a,b\n"},
    )
    assert response.status_code == 200
    year = _child(top.id, "2025")
    bank = _child(year.id, "bank")
    assert (year.access, bank.access) == ("view", "view")
    names = dict(db.session.execute(select(Document.name, Document.folder_id)).all())
    assert names["march.pdf"] == bank.id
    assert names["notes.txt"] == year.id
    assert names["root.csv"] == top.id
    assert not any("/" in name for name in names)
    # The same zip again reuses the sub-folders.
    _upload_zip(client, top, {"2025/bank/april.pdf": b"%PDF a"})
    assert db.session.scalar(select(Document.folder_id).where(Document.name == "april.pdf")) == (
        bank.id
    )


def test_staff_navigate_into_a_subfolder(client, ctx, world):
    """Does the Docs tab link to the sub-folder, and the sub-folder page show the way back?"""
    client.login(world.a.staff.email)
    top = world.a.folders["view"]
    _upload_zip(client, top, {"2025/bank/march.pdf": b"%PDF m"})
    year = _child(top.id, "2025")
    docs = client.get(f"/clients/{top.account_id}/docs").get_data(as_text=True)
    assert f'data-testid="subfolder-{year.id}"' in docs
    assert "march.pdf" not in docs  # inside the sub-folder, not at the top
    bank = _child(year.id, "bank")
    page = client.get(f"/clients/{top.account_id}/docs/folders/{bank.id}").get_data(as_text=True)
    assert "march.pdf" in page and 'data-testid="folder-trail"' in page and top.name in page
    foreign = world.b.folders["view"]
    assert client.get(f"/clients/{top.account_id}/docs/folders/{foreign.id}").status_code == 404


def test_subfolders_follow_their_top_level_access(client, make_client, ctx, world):
    """Made Private, is the top-level folder's sub-folder hidden from the client too?"""
    client.login(world.a.staff.email)
    top = world.a.folders["view"]
    _upload_zip(client, top, {"inner/a.pdf": b"%PDF a"})
    inner = _child(top.id, "inner")
    client.post(
        f"/clients/{top.account_id}/folders/{top.id}/access",
        data={"access": "private"},
        headers=hx(),
    )
    db.session.expire_all()
    assert db.session.get(Folder, inner.id).access == "private"
    refused = client.post(
        f"/clients/{top.account_id}/folders/{inner.id}/access",
        data={"access": "edit"},
        headers=hx(),
    )
    assert refused.status_code == 422
    portal = make_client()
    portal.login(world.a.contact.user.email)
    assert portal.get(f"/portal/documents/folders/{inner.id}").status_code == 404


def test_client_navigates_subfolders_in_the_portal(client, make_client, ctx, world):
    """Can the client open a sub-folder of a folder they can view, and not another account's?"""
    client.login(world.a.staff.email)
    top = world.a.folders["view"]
    _upload_zip(client, top, {"inner/a.pdf": b"%PDF a"})
    inner = _child(top.id, "inner")
    portal = make_client()
    portal.login(world.a.contact.user.email)
    listing = portal.get("/portal/documents").get_data(as_text=True)
    assert f'data-testid="subfolder-{inner.id}"' in listing and "a.pdf" not in listing
    opened = portal.get(f"/portal/documents/folders/{inner.id}").get_data(as_text=True)
    assert "a.pdf" in opened and 'data-testid="folder-trail"' in opened
    other = make_client()
    other.login(world.other_contact.user.email)
    assert other.get(f"/portal/documents/folders/{inner.id}").status_code == 404
