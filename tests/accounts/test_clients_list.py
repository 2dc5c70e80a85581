"""The Clients list: search, pagination, constant query count."""

from __future__ import annotations

import re

from dashboard.extensions import db
from tests.conftest import hx
from tests.factories import make_account, make_contact, make_document, make_folder
from tests.querycount import count_queries


def _accounts(firm, count):
    for n in range(count):
        account = make_account(firm, f"Client {n:03d}")
        make_contact(account, name=f"Person {n:03d}")
    db.session.commit()


def test_list_shows_only_own_firm(client, world):
    """Does the Clients list show this firm's accounts and no other firm's?"""
    client.login(world.a.staff.email)
    page = client.get("/clients").data
    assert b"Alpha Client" in page
    assert b"Beta Client" not in page


def test_search_by_account_contact_or_email(client, world):
    """Does search find an account by its name, a contact's name or a contact's email?"""
    client.login(world.a.staff.email)
    assert b"Alpha Other" in client.get("/clients?q=other").data
    by_contact = client.get("/clients?q=alpha contact").data
    assert b"Alpha Client" in by_contact and b"Alpha Other" not in by_contact
    email = world.a.contact.user.email.upper()
    assert b"Alpha Client" in client.get(f"/clients?q={email}").data
    empty = client.get("/clients?q=nothing-like-this").data
    assert b"No client matches" in empty


def test_search_answers_the_table_alone_for_htmx(client, world):
    """Does an htmx search answer just the table, with Vary: HX-Request?"""
    client.login(world.a.staff.email)
    response = client.get("/clients?q=alpha", headers=hx())
    assert response.data.lstrip().startswith(b'<div id="clients-table">')
    assert "HX-Request" in response.headers["Vary"]
    full = client.get("/clients?q=alpha")
    assert b"<html" in full.data and "HX-Request" in full.headers["Vary"]


def test_pagination_50_a_page(client, ctx, world):
    """Are clients shown 50 a page, with the rest on page 2?"""
    _accounts(world.a.firm, 60)
    client.login(world.a.staff.email)
    first = client.get("/clients").data.decode()
    second = client.get("/clients?page=2").data.decode()
    rows = re.compile(r'href="/clients/\d+/info"')
    assert len(rows.findall(first)) == 50  # 62 accounts: Alpha Client, Alpha Other, 000-059
    assert len(rows.findall(second)) == 12
    assert "Client 047" in first and "Client 048" not in first
    assert "Client 048" in second and "Client 059" in second
    assert "Page 2 of 2" in second
    assert client.get("/clients?page=abc").status_code == 200


def test_clients_page_runs_constant_queries(app, client, ctx, world):
    """Does the Clients list cost the same number of queries for 5 or 50 rows (no N+1)?"""
    client.login(world.a.staff.email)
    with count_queries(app) as few:
        client.get("/clients")
    _accounts(world.a.firm, 45)
    for account_number in range(3):
        folder = make_folder(make_account(world.a.firm), "F")
        make_document(folder, f"d{account_number}.pdf")
    db.session.commit()
    with count_queries(app) as many:
        client.get("/clients")
    assert len(many) == len(few)
