"""The read-only portal view: exactly what one contact sees, and nothing can change."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from sqlalchemy import select

from dashboard.portal.views import bp as portal_bp
from tests.conftest import hx, uploads_in
from tests.querycount import count_queries


def _open_view(client, world, contact=None):
    contact = contact or world.a.contact
    response = client.post(f"/clients/{contact.account_id}/contacts/{contact.id}/portal-view")
    assert response.status_code == 302
    assert response.headers["Location"] == "/portal/"


def test_view_shows_that_contacts_portal_with_a_banner(client, world):
    """Does staff see the contact's portal, with the read-only banner?"""
    client.login(world.a.staff.email)
    _open_view(client, world)
    pending = client.get("/portal/").data.decode()
    assert 'data-testid="read-only-banner"' in pending
    assert "Alpha Contact" in pending
    documents = client.get("/portal/documents").data.decode()
    assert "Shared" in documents and "Uploads" in documents
    assert "Private notes" not in documents and "other.pdf" not in documents
    assert (
        client.get(f"/portal/documents/{world.a.documents['view'].id}/download").status_code == 200
    )
    assert (
        client.get(f"/portal/documents/{world.a.documents['private'].id}/download").status_code
        == 404
    )


def _portal_mutating_rules(app: Flask):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(f"{portal_bp.name}.")
        and (rule.methods or set()) - {"GET", "HEAD", "OPTIONS"}
    ]


def test_every_mutating_portal_route_answers_403(app, client, ctx, world):
    """Does every non-GET portal route answer 403 in the view, whatever the form says?"""
    client.login(world.a.staff.email)
    _open_view(client, world)
    rules = _portal_mutating_rules(app)
    assert rules, "the portal has mutating routes to check"
    from dashboard.chats.service import start_thread
    from dashboard.extensions import db
    from dashboard.reminders.service import ReminderSettings
    from tests.factories import make_approval

    request = make_approval(world.a.staff, world.a.documents["view"])
    thread = start_thread(
        world.a.staff, world.a.account, "Hello", "Question", ReminderSettings(True, 3, 1)
    )
    db.session.commit()
    from dashboard.chats.models import ChatTask
    from dashboard.chats.service import post_firm_message

    post_firm_message(world.a.staff, thread, "Please tick", tasks=["Tick me"])
    db.session.commit()
    task = db.session.scalar(select(ChatTask))
    ids = {
        "task_id": task.id,
        "thread_id": thread.id,
        "folder_id": world.a.folders["edit"].id,
        "document_id": world.a.documents["edit"].id,
        "request_id": request.id,
        "signer_id": 1,
        "invoice_id": 1,
        "proposal_id": 1,
        "organizer_id": 1,
        "key": "name",
    }
    before = len(uploads_in(app))
    with count_queries(app) as statements:
        for rule in rules:
            url = rule.build({k: ids[k] for k in rule.arguments}, append_unknown=False)[1]
            for method in (rule.methods or set()) - {"GET", "HEAD", "OPTIONS"}:
                for headers in ({}, hx()):
                    response = client.open(
                        url,
                        method=method,
                        headers=headers,
                        data={"files": (io.BytesIO(b"%PDF x"), "x.pdf"), "read_only": "0"},
                        content_type="multipart/form-data",
                    )
                    assert response.status_code == 403, (method, url)
    writes = [
        s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert len(uploads_in(app)) == before


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_other_verbs_are_refused_too(client, world, method):
    """Are PUT, PATCH and DELETE refused inside the view as well?"""
    client.login(world.a.staff.email)
    _open_view(client, world)
    response = client.open(f"/portal/folders/{world.a.folders['edit'].id}/documents", method=method)
    assert response.status_code in (403, 405)


def test_view_of_contact_without_portal_access_is_404(client, world):
    """Can staff open a portal view for a contact who has no portal?"""
    client.login(world.a.staff.email)
    contact = world.a.silent_contact
    response = client.post(f"/clients/{contact.account_id}/contacts/{contact.id}/portal-view")
    assert response.status_code == 404


def test_view_of_other_firms_contact_is_404(client, world):
    """Can staff open the portal of another firm's contact?"""
    client.login(world.b.staff.email)
    contact = world.a.contact
    response = client.post(f"/clients/{contact.account_id}/contacts/{contact.id}/portal-view")
    assert response.status_code == 404


def test_opening_the_view_needs_post(client, world):
    """Does a GET on the portal-view URL change nothing?"""
    client.login(world.a.staff.email)
    contact = world.a.contact
    response = client.get(f"/clients/{contact.account_id}/contacts/{contact.id}/portal-view")
    assert response.status_code == 405
    assert client.get("/portal/").headers["Location"] == "/clients"


def test_exit_goes_back_to_the_account(client, world):
    """Does leaving the view end it and return to the account?"""
    client.login(world.a.staff.email)
    _open_view(client, world)
    response = client.post("/portal-view/exit")
    assert response.headers["Location"] == f"/clients/{world.a.account.id}/info"
    assert client.get("/portal/").headers["Location"] == "/clients"


def test_client_portal_is_not_read_only(client, world):
    """Does the client's own portal have no banner?"""
    client.login(world.a.contact.user.email)
    assert b"read-only-banner" not in client.get("/portal/").data
