"""The read-only portal view is in the contact's language; its banner in the staff member's."""

from __future__ import annotations

from dashboard.extensions import db
from tests.factories import make_contact


def test_contacts_language_with_a_banner_in_the_staff_language(client, ctx, world):
    french = make_contact(world.a.account, language="fr", name="Claire Martin")
    world.a.staff.language = "en"
    db.session.commit()
    client.login(world.a.staff.email)
    opened = client.post(f"/clients/{french.account_id}/contacts/{french.id}/portal-view")
    assert opened.status_code == 302
    page = client.get("/portal/").data.decode()
    assert '<html lang="fr">' in page
    assert "En attente d'action" in page or "En attente d&#39;action" in page  # the portal
    assert "Read-only portal view" in page  # the banner, in English
    assert "Vue en lecture seule du portail" not in page
    assert "Exit the view" in page
    client.post("/portal-view/exit")
    # Back in the staff pages: the staff member's language again.
    staff_page = client.get("/clients").data.decode()
    assert '<html lang="en">' in staff_page


def test_a_contact_without_a_language_gets_the_firms(client, ctx, world):
    world.a.firm.default_language = "nl"
    world.a.staff.language = "fr"
    db.session.commit()
    client.login(world.a.staff.email)
    contact = world.a.contact
    client.post(f"/clients/{contact.account_id}/contacts/{contact.id}/portal-view")
    page = client.get("/portal/").data.decode()
    assert '<html lang="nl">' in page
    assert "Vue en lecture seule du portail" in page  # the banner in the staff's French
