"""Contacts on the Info tab: add, edit, validation, tenancy, the trail, and the Notify column."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from dashboard.accounts.models import Contact
from dashboard.audit.models import AuditEvent
from dashboard.auth.models import User
from dashboard.extensions import db
from dashboard.reminders.models import Reminder
from tests.conftest import hx
from tests.factories import make_account, make_approval, make_contact, make_user
from tests.querycount import count_queries


def _form(**overrides):
    data = {
        "name": "Ana Sousa",
        "email": "ana.sousa@example.test",
        "language": "pt_PT",
        "time_zone": "Europe/Lisbon",
        "portal_access": "y",
        "notify": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _contact_by_email(email: str) -> Contact | None:
    db.session.expire_all()
    return db.session.scalar(
        select(Contact).join(User, User.id == Contact.user_id).where(User.email == email)
    )


def test_add_contact_through_the_form(client, ctx, world):
    """Does adding a contact create the client login and link it, answering the Info panel?"""
    client.login(world.a.staff.email)
    url = f"/clients/{world.a.account.id}/contacts"
    response = client.post(url, data=_form(email=" Ana.Sousa@Example.test "), headers=hx())
    assert response.status_code == 200
    body = response.data.decode()
    assert body.lstrip().startswith('<section id="info-panel">')
    assert "Ana Sousa" in body and "ana.sousa@example.test" in body
    contact = _contact_by_email("ana.sousa@example.test")
    assert contact is not None and contact.account_id == world.a.account.id
    assert contact.portal_access and contact.notify
    user = contact.user
    assert (user.role, user.language, user.time_zone) == ("client", "pt_PT", "Europe/Lisbon")
    assert user.firm_id == world.a.firm.id and user.password_hash is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contact.added"))
    assert event.actor_id == world.a.staff.id and event.subject_id == contact.id


def test_add_without_htmx_redirects_to_the_tab(client, ctx, world):
    """Does the plain form (no script) redirect back to the Info tab with a message?"""
    client.login(world.a.staff.email)
    response = client.post(
        f"/clients/{world.a.account.id}/contacts", data=_form(portal_access=None, notify=None)
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/clients/{world.a.account.id}/info"
    contact = _contact_by_email("ana.sousa@example.test")
    assert contact is not None and not contact.portal_access and not contact.notify
    page = client.get(response.headers["Location"]).data.decode()
    assert "Ana Sousa was added." in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"email": "not-an-email"}, "Enter an email address like name@example.com."),
        ({"email": "a b@example.test"}, "Enter an email address like name@example.com."),
        ({"language": "de"}, "Not a valid choice."),
        ({"time_zone": "Mars/Olympus"}, "Choose a time zone from the list."),
        ({"time_zone": "Europe/Pariss"}, "Choose a time zone from the list."),
    ],
)
def test_add_validates_every_field(client, ctx, world, overrides, message):
    """Are a missing name, a malformed email, an unknown language or time zone refused?"""
    client.login(world.a.staff.email)
    response = client.post(
        f"/clients/{world.a.account.id}/contacts", data=_form(**overrides), headers=hx()
    )
    assert response.status_code == 422
    body = response.data.decode()
    assert message in body and "The contact was not added." in body
    assert 'class="collapse show" id="add-contact"' in body
    assert _contact_by_email("ana.sousa@example.test") is None


def test_any_iana_zone_is_accepted(client, ctx, world):
    """Is a valid IANA zone outside the common list accepted (zoneinfo decides)?"""
    client.login(world.a.staff.email)
    response = client.post(
        f"/clients/{world.a.account.id}/contacts",
        data=_form(time_zone="America/Montreal"),
        headers=hx(),
    )
    assert response.status_code == 200
    assert _contact_by_email("ana.sousa@example.test").user.time_zone == "America/Montreal"


def test_email_already_a_contact_here_is_refused(client, ctx, world):
    """Is an address that is already a contact of this account refused, whatever its case?"""
    client.login(world.a.staff.email)
    email = world.a.contact.user.email.upper()
    response = client.post(
        f"/clients/{world.a.account.id}/contacts", data=_form(email=email), headers=hx()
    )
    assert response.status_code == 422
    assert "This person is already a contact of this account." in response.data.decode()


def test_same_firm_client_is_linked_to_a_second_account(client, ctx, world):
    """Does the address of a client of the same firm link that person (one login, two accounts)?"""
    client.login(world.a.staff.email)
    person = world.other_contact.user
    response = client.post(
        f"/clients/{world.a.account.id}/contacts", data=_form(email=person.email), headers=hx()
    )
    assert response.status_code == 200
    db.session.expire_all()
    links = db.session.scalars(select(Contact).where(Contact.user_id == person.id)).all()
    assert {c.account_id for c in links} == {world.a.account.id, world.other_account.id}
    assert db.session.scalar(select(User).where(User.email == person.email)).id == person.id


@pytest.mark.parametrize("who", ["other_firm_client", "own_staff", "other_firm_staff"])
def test_email_of_staff_or_another_firm_is_refused(client, ctx, world, who):
    """Is an address used by staff or by another firm's client refused (logins are unique)?"""
    email = {
        "other_firm_client": world.b.contact.user.email,
        "own_staff": world.a.staff.email,
        "other_firm_staff": world.b.staff.email,
    }[who]
    client.login(world.a.staff.email)
    response = client.post(
        f"/clients/{world.a.account.id}/contacts", data=_form(email=email), headers=hx()
    )
    assert response.status_code == 422
    assert "already the login of someone outside" in response.data.decode()
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(Contact.id).where(
                Contact.account_id == world.a.account.id,
                Contact.user_id.in_(select(User.id).where(User.email == email)),
            )
        )
        is None
    )


def test_edit_form_opens_in_the_row(client, world):
    """Does Edit answer the Info panel with the contact's row turned into a filled-in form?"""
    client.login(world.a.staff.email)
    contact = world.a.contact
    response = client.get(
        f"/clients/{contact.account_id}/contacts/{contact.id}/edit", headers=hx()
    )
    assert response.status_code == 200
    body = response.data.decode()
    assert 'data-testid="edit-contact-form"' in body
    assert f'value="{contact.user.email}"' in body
    page = client.get(f"/clients/{contact.account_id}/info?edit={contact.id}")
    assert 'data-testid="edit-contact-form"' in page.data.decode()


def test_edit_contact_saves_and_leaves_a_trail(client, ctx, world):
    """Does saving the edit form change the person and the contact, with one audit event?"""
    client.login(world.a.staff.email)
    contact = world.a.contact
    response = client.post(
        f"/clients/{contact.account_id}/contacts/{contact.id}",
        data=_form(
            name="Renamed Person",
            email="renamed@example.test",
            language="nl",
            time_zone="Europe/Amsterdam",
            notify=None,
        ),
        headers=hx(),
    )
    assert response.status_code == 200
    assert "Renamed Person was saved." in response.data.decode()
    db.session.expire_all()
    contact = db.session.get(Contact, contact.id)
    user = contact.user
    assert (user.name, user.email, user.language, user.time_zone) == (
        "Renamed Person",
        "renamed@example.test",
        "nl",
        "Europe/Amsterdam",
    )
    assert contact.portal_access and not contact.notify
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contact.updated"))
    assert set(event.details["fields"]) == {"name", "email", "language", "time_zone", "notify"}


def test_edit_to_the_firms_time_zone(client, ctx, world):
    """Does choosing the firm's time zone (empty) clear the person's own zone?"""
    contact = world.a.contact
    contact.user.time_zone = "Europe/Lisbon"
    db.session.commit()
    client.login(world.a.staff.email)
    response = client.post(
        f"/clients/{contact.account_id}/contacts/{contact.id}",
        data=_form(email=contact.user.email, time_zone=""),
        headers=hx(),
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(User, contact.user_id).time_zone is None


def test_edit_refuses_an_email_taken_by_someone_else(client, ctx, world):
    """Is changing an email to another person's refused, keeping the form open with the error?"""
    client.login(world.a.staff.email)
    contact = world.a.contact
    taken = world.a.silent_contact.user.email
    response = client.post(
        f"/clients/{contact.account_id}/contacts/{contact.id}",
        data=_form(email=taken),
        headers=hx(),
    )
    assert response.status_code == 422
    body = response.data.decode()
    assert "This person is already a contact of this account." in body
    assert 'data-testid="edit-contact-form"' in body
    db.session.expire_all()
    assert db.session.get(User, contact.user_id).email != taken


def test_foreign_firm_contacts_answer_404(client, world):
    """Can staff of firm A add to, open, edit or invite contacts of firm B's account? (404)"""
    client.login(world.a.staff.email)
    b = world.b
    base = f"/clients/{b.account.id}/contacts"
    assert client.post(base, data=_form(), headers=hx()).status_code == 404
    assert client.get(f"{base}/{b.contact.id}/edit", headers=hx()).status_code == 404
    assert client.post(f"{base}/{b.contact.id}", data=_form()).status_code == 404
    assert client.post(f"{base}/{b.contact.id}/invite").status_code == 404
    assert client.get(f"/clients/{b.account.id}/info?edit={b.contact.id}").status_code == 404
    # Firm A's account with firm B's contact id: still 404.
    mixed = f"/clients/{world.a.account.id}/contacts/{b.contact.id}"
    assert client.post(mixed, data=_form()).status_code == 404
    assert client.get(f"/clients/{world.a.account.id}/info?edit={b.contact.id}").status_code == 404


def test_clients_cannot_manage_contacts(client, world):
    """Does a client logged into the portal get 404 on the staff contact routes?"""
    client.login(world.a.contact.user.email)
    url = f"/clients/{world.a.account.id}/contacts"
    assert client.post(url, data=_form()).status_code == 404


def test_contact_forms_need_the_csrf_token(client, ctx, world):
    """Are add, edit and invite refused (400) without the CSRF token?"""
    client.login(world.a.staff.email)
    contact = world.a.contact
    base = f"/clients/{world.a.account.id}/contacts"
    for url in (base, f"{base}/{contact.id}", f"{base}/{contact.id}/invite"):
        assert client.post(url, data=_form(), without_csrf=True).status_code == 400
    assert _contact_by_email("ana.sousa@example.test") is None


def test_contact_time_zone_shifts_the_send_window(client, ctx, world, frozen_clock):
    """Does a contact's own time zone (set on the Info tab) move the reminder into their window?

    Sent Monday 16:30 in Paris. Three days later is Thursday 16:30 Paris, inside 9–17: that is
    when a Paris contact is reminded. For a contact in Helsinki it is 17:30 there, outside the
    window, so the reminder waits for the window to open in Helsinki.
    """
    monday_1630_paris = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    frozen_clock(monday_1630_paris)
    contact = world.a.contact  # the account's only NOTIFY contact with portal access
    client.login(world.a.staff.email)
    response = client.post(
        f"/clients/{contact.account_id}/contacts/{contact.id}",
        data=_form(email=contact.user.email, time_zone="Europe/Helsinki"),
        headers=hx(),
    )
    assert response.status_code == 200
    db.session.expire_all()
    request = make_approval(world.a.staff, world.a.documents["view"])
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == request.id))
    paris_time = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)
    assert reminder.next_at != paris_time
    local = reminder.next_at.astimezone(ZoneInfo("Europe/Helsinki"))
    assert 9 <= local.hour < 17 and local.isoweekday() <= 5
    assert reminder.next_at > paris_time

    # The same approval for a contact in the firm's zone keeps Thursday 16:30 Paris.
    other = make_contact(make_account(world.a.firm), name="Paris Person")
    from tests.factories import make_document, make_folder

    document = make_document(make_folder(other.account, "Shared", "view"), "p.pdf")
    db.session.commit()
    paris_request = make_approval(world.a.staff, document)
    paris_reminder = db.session.scalar(
        select(Reminder).where(Reminder.item_id == paris_request.id)
    )
    assert paris_reminder.next_at == paris_time


def test_clients_list_notify_column(client, ctx, world):
    """Does the Notify column say On, On n/m, Off, or — for an account without contacts?"""
    firm = world.a.firm
    partial = make_account(firm, "Partly notified")
    make_contact(partial, notify=True)
    make_contact(partial, notify=False)
    off = make_account(firm, "Nobody notified")
    make_contact(off, notify=False)
    empty = make_account(firm, "No contacts")
    all_on = make_account(firm, "All notified")
    make_contact(all_on, notify=True)
    db.session.commit()
    client.login(world.a.staff.email)
    body = client.get("/clients").data.decode()
    assert "<th" in body and ">Notify</th>" in body

    def cell(account):
        start = body.index(f'data-testid="notify-{account.id}"')
        return body[start : body.index("</td>", start)]

    assert ">On 1/2<" in cell(partial)
    assert ">Off<" in cell(off)
    assert "—" in cell(empty)
    assert ">On<" in cell(all_on)


def test_clients_list_queries_stay_constant_with_notify(app, client, ctx, world):
    """Does the Notify column keep the Clients list at a constant number of queries?"""
    client.login(world.a.staff.email)
    with count_queries(app) as few:
        client.get("/clients")
    for n in range(30):
        account = make_account(world.a.firm, f"Many {n:02d}")
        make_contact(account, notify=n % 2 == 0)
        make_contact(account, notify=False)
    db.session.commit()
    with count_queries(app) as many:
        response = client.get("/clients")
    assert response.status_code == 200
    assert len(many) == len(few)


def test_info_tab_queries_stay_constant(app, client, ctx, world):
    """Does the Info tab (with invitations shown) run a constant number of queries?"""
    client.login(world.a.staff.email)
    url = f"/clients/{world.a.account.id}/info"
    with count_queries(app) as few:
        client.get(url)
    for _n in range(8):
        make_contact(world.a.account)
    make_user(world.a.firm, "employee")
    db.session.commit()
    with count_queries(app) as many:
        client.get(url)
    assert len(many) == len(few)
