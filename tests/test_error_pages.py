"""Error pages inside the layout of whoever sees them: staff, client portal, or plain."""

from __future__ import annotations

import io

import pytest

from dashboard.extensions import db
from tests.factories import make_user

STAFF_MARK = 'data-testid="nav-inbox"'
PORTAL_MARK = 'data-testid="portal-communication"'


def _page(response):
    text = response.data.decode()
    assert 'data-testid="error-page"' in text
    return text


def test_anonymous_404_is_plain(client):
    text = _page(client.get("/no-such-page"))
    assert STAFF_MARK not in text and PORTAL_MARK not in text
    assert "Page not found" in text


def test_staff_errors_are_in_the_staff_layout(client, ctx, world):
    employee = make_user(world.a.firm, "employee")
    db.session.commit()
    client.login(employee.email)
    missing = client.get(f"/clients/{world.b.account.id}")
    assert missing.status_code == 404 and STAFF_MARK in _page(missing)
    refused = client.post("/settings/reminders", data={})
    assert refused.status_code == 403
    text = _page(refused)
    assert STAFF_MARK in text and "You are not allowed to do this." in text


def test_client_errors_are_in_the_portal(client, ctx, world):
    client.login(world.a.contact.user.email)
    missing = client.get("/portal/chats/999999")
    assert missing.status_code == 404
    text = _page(missing)
    assert PORTAL_MARK in text and STAFF_MARK not in text
    outside = client.get("/no-such-page")  # outside the portal's blueprint too
    assert outside.status_code == 404 and PORTAL_MARK in _page(outside)


def test_413_in_the_layout(app, client, ctx, world, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    client.login(world.a.contact.user.email)
    folder = world.a.folders["edit"]
    response = client.post(
        f"/portal/folders/{folder.id}/documents",
        data={"files": [(io.BytesIO(b"x" * 5000), "big.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    text = _page(response)
    assert "Upload too large" in text and PORTAL_MARK in text


@pytest.mark.parametrize("who", ["staff", "anonymous"])
def test_500_in_the_layout(app, client, ctx, world, monkeypatch, who):
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    if who == "staff":
        client.login(world.a.staff.email)
        client.csrf_token()
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, "notify.inbox", boom)
    monkeypatch.setitem(app.view_functions, "auth.login", boom)
    response = client.get("/inbox" if who == "staff" else "/login")
    assert response.status_code == 500
    text = _page(response)
    assert "Something went wrong" in text
    assert (STAFF_MARK in text) == (who == "staff")
