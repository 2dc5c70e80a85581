"""The account page: tabs as htmx partials with their own URLs, contacts, NOTIFY."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dashboard.accounts.models import Contact
from dashboard.audit.models import AuditEvent
from dashboard.extensions import db
from tests.conftest import hx
from tests.factories import make_contact
from tests.querycount import count_queries

TABS = ["info", "docs", "audit"]


def test_account_opens_on_info(client, world):
    """Does /clients/<id> open the Info tab?"""
    client.login(world.a.staff.email)
    response = client.get(f"/clients/{world.a.account.id}")
    assert response.headers["Location"] == f"/clients/{world.a.account.id}/info"


@pytest.mark.parametrize("tab", TABS)
def test_each_tab_is_a_page_and_a_partial(client, world, tab):
    """Is every tab a full page at its own URL, and a partial for htmx?"""
    client.login(world.a.staff.email)
    url = f"/clients/{world.a.account.id}/{tab}"
    page = client.get(url)
    assert page.status_code == 200
    assert b"<html" in page.data and b'id="account-tabs"' in page.data
    partial = client.get(url, headers=hx())
    assert partial.status_code == 200
    assert partial.data.lstrip().startswith(b'<div id="account-tabs">')
    assert b"<html" not in partial.data
    assert f'data-tab="{tab}"'.encode() in partial.data
    assert "HX-Request" in partial.headers["Vary"]
    restore = client.get(url, headers=hx(**{"HX-History-Restore-Request": "true"}))
    assert b"<html" in restore.data


def test_info_lists_contacts_with_notify(client, world):
    """Does the Info tab list the contacts, their portal access and NOTIFY state?"""
    client.login(world.a.staff.email)
    page = client.get(f"/clients/{world.a.account.id}/info").data.decode()
    assert "Alpha Contact" in page and "Alpha Silent" in page
    assert f'id="notify-{world.a.contact.id}"' in page
    assert "No portal access" in page


def test_notify_toggle_saves_at_once(client, ctx, world):
    """Does toggling NOTIFY save immediately, answer the toggle alone, and leave a trail?"""
    client.login(world.a.staff.email)
    contact = world.a.contact
    url = f"/clients/{contact.account_id}/contacts/{contact.id}/notify"
    response = client.post(url, data={"notify": "off"}, headers=hx())
    assert response.status_code == 200
    assert response.data.lstrip().startswith(f'<div id="notify-toggle-{contact.id}"'.encode())
    assert b"checked" not in response.data
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).notify is False
    assert b'"notify": "on"' in response.data
    # reload: still off
    page = client.get(f"/clients/{contact.account_id}/info").data.decode()
    toggle = page.split(f'id="notify-toggle-{contact.id}"')[1].split("</div>")[0]
    assert "checked" not in toggle
    actions = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.subject_type == "contact", AuditEvent.subject_id == contact.id
        )
    ).all()
    assert actions == ["contact.notify_off"]
    client.post(url, data={"notify": "on"}, headers=hx())
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).notify is True


def test_notify_refuses_nonsense(client, world):
    """Is a toggle value other than on/off refused?"""
    client.login(world.a.staff.email)
    contact = world.a.contact
    url = f"/clients/{contact.account_id}/contacts/{contact.id}/notify"
    assert client.post(url, data={"notify": "maybe"}).status_code == 400


def test_contact_of_another_account_in_the_url_is_404(client, world):
    """Does a contact id under the wrong account id answer 404?"""
    client.login(world.a.staff.email)
    url = f"/clients/{world.other_account.id}/contacts/{world.a.contact.id}/notify"
    assert client.post(url, data={"notify": "off"}).status_code == 404


def test_info_tab_constant_queries(app, client, ctx, world):
    """Does the Info tab cost the same queries for 2 or 12 contacts?"""
    client.login(world.a.staff.email)
    url = f"/clients/{world.a.account.id}/info"
    with count_queries(app) as few:
        client.get(url)
    for _ in range(10):
        make_contact(world.a.account)
    db.session.commit()
    with count_queries(app) as many:
        client.get(url)
    assert len(many) == len(few)


def test_audit_trail_lists_changes_in_the_readers_language(client, ctx, world):
    """Does the Audit trail show who did what, translated?"""
    client.login(world.a.staff.email)
    contact = world.a.contact
    client.post(
        f"/clients/{contact.account_id}/contacts/{contact.id}/notify", data={"notify": "off"}
    )
    page = client.get(f"/clients/{contact.account_id}/audit").data.decode()
    assert "Turned NOTIFY off for Alpha Contact" in page
    assert "Alpha Owner" in page
    client.post("/language", data={"language": "fr"})
    page = client.get(f"/clients/{contact.account_id}/audit").data.decode()
    assert "Piste d&#39;audit" in page or "Piste d'audit" in page
