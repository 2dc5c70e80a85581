"""The staff layout: an offcanvas menu on phones with its toggle, and the favicon."""

from __future__ import annotations


def test_staff_sidebar_is_an_offcanvas_with_a_toggle(client, ctx, world):
    client.login(world.a.staff.email)
    page = client.get("/inbox").data.decode()
    assert 'id="staff-sidebar"' in page and "offcanvas-md" in page
    assert 'data-bs-toggle="offcanvas" data-bs-target="#staff-sidebar"' in page
    assert 'data-bs-dismiss="offcanvas"' in page


def test_every_page_links_the_favicon(client):
    page = client.get("/login").data.decode()
    assert 'rel="icon" href="/static/favicon.svg" type="image/svg+xml"' in page
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.data.startswith(b"<svg")
