"""Portal invitations: the email in the contact's language, and a link that works once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from dashboard.accounts.invites import PortalInvite, hash_token
from dashboard.audit.models import AuditEvent
from dashboard.auth.models import User
from dashboard.extensions import db
from dashboard.notify.models import OutboxEmail
from tests.conftest import hx
from tests.factories import make_contact

NEW_PASSWORD = "correct horse battery"
LINK = re.compile(r"https://[^\s\"<]+/invite/([A-Za-z0-9_-]+)")


def _invite(client, contact):
    return client.post(
        f"/clients/{contact.account_id}/contacts/{contact.id}/invite", headers=hx()
    )


def _token_from(message) -> str:
    match = LINK.search(message.get_body(("plain",)).get_content())
    assert match, "the email carries no invitation link"
    return match.group(1)


def _new_contact(world, language="fr"):
    contact = make_contact(world.a.account, name="Invited Person", language=language)
    contact.user.password_hash = None
    db.session.commit()
    return contact


def test_invite_email_in_the_contacts_language(client, ctx, world, mailbox, run_worker):
    """Does Invite send, through the outbox and the worker, an email in the contact's language
    with a link, and store only the token's hash?"""
    contact = _new_contact(world, "fr")
    client.login(world.a.staff.email)
    response = _invite(client, contact)
    assert response.status_code == 200
    assert "Invitation sent to" in response.data.decode()
    row = db.session.scalar(select(OutboxEmail).where(OutboxEmail.purpose == "portal_invite"))
    assert row.locale == "fr" and row.to_email == contact.user.email
    run_worker()
    [message] = mailbox.to(contact.user.email)
    assert "Alpha" in message["Subject"]
    token = _token_from(message)
    invite = db.session.scalar(select(PortalInvite))
    assert invite.token_hash == hash_token(token) and token not in invite.token_hash
    # Nothing in the database holds the token itself.
    db.session.expire_all()
    assert token not in str(db.session.get(OutboxEmail, row.id).context)
    assert db.session.get(OutboxEmail, row.id).state == "sent"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contact.invited"))
    assert event.subject_id == contact.id


def test_invite_email_languages(client, ctx, world, mailbox, run_worker):
    """Is the invitation rendered in each contact's own language (en, fr, pt_PT, nl)?

    The invitation's own sentences are translated later; the greeting already is, so it tells
    which locale the worker rendered the email in.
    """
    client.login(world.a.staff.email)
    greetings, subjects = {}, {}
    for language in ("en", "fr", "pt_PT", "nl"):
        contact = _new_contact(world, language)
        assert _invite(client, contact).status_code == 200
        run_worker()
        message = mailbox.to(contact.user.email)[-1]
        subjects[language] = message["Subject"]
        greetings[language] = message.get_body(("plain",)).get_content().splitlines()[0]
    assert subjects["en"] == "Alpha invites you to your client portal"
    assert greetings["en"] == "Hello Invited Person,"
    assert greetings["fr"].startswith("Bonjour")
    assert len(set(greetings.values())) == 4, greetings
    rows = db.session.scalars(select(OutboxEmail.locale).order_by(OutboxEmail.id)).all()
    assert rows == ["en", "fr", "pt_PT", "nl"]


def test_link_sets_password_logs_in_and_opens_the_portal(
    client, make_client, ctx, world, mailbox, run_worker
):
    """Does the link let the contact choose a password, log them in and open the portal?"""
    contact = _new_contact(world, "en")
    staff = make_client()
    staff.login(world.a.staff.email)
    _invite(staff, contact)
    run_worker()
    token = _token_from(mailbox.to(contact.user.email)[0])
    page = client.get(f"/invite/{token}")
    assert page.status_code == 200 and "Choose your password" in page.data.decode()
    response = client.post(
        f"/invite/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200
    # And the password works for a normal login afterwards.
    fresh = make_client()
    login = fresh.login(contact.user.email, NEW_PASSWORD)
    assert login.status_code == 302 and login.headers["Location"] == "/portal/"
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "contact.password_set")
    )


def test_link_works_once(client, make_client, ctx, world, mailbox, run_worker):
    """Is a used link refused the second time (410), even by GET?"""
    contact = _new_contact(world, "en")
    client.login(world.a.staff.email)
    _invite(client, contact)
    run_worker()
    token = _token_from(mailbox.to(contact.user.email)[0])
    visitor = make_client()
    data = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert visitor.post(f"/invite/{token}", data=data).status_code == 302
    other = make_client()
    assert other.get(f"/invite/{token}").status_code == 410
    again = other.post(f"/invite/{token}", data={"password": "x" * 12, "confirm": "x" * 12})
    assert again.status_code == 410
    assert "This link no longer works" in again.data.decode()
    assert other.login(contact.user.email, "x" * 12).status_code == 422  # wrong password


def test_link_expires_after_seven_days(
    client, make_client, ctx, world, mailbox, run_worker, frozen_clock
):
    """Does the link stop working once its seven days are over?"""
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    frozen_clock(start)
    contact = _new_contact(world, "en")
    client.login(world.a.staff.email)
    _invite(client, contact)
    run_worker()
    token = _token_from(mailbox.to(contact.user.email)[0])
    visitor = make_client()
    frozen_clock(start + timedelta(days=7) - timedelta(minutes=1))
    assert visitor.get(f"/invite/{token}").status_code == 200
    frozen_clock(start + timedelta(days=7))
    assert visitor.get(f"/invite/{token}").status_code == 410
    data = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert visitor.post(f"/invite/{token}", data=data).status_code == 410
    db.session.expire_all()
    assert db.session.get(User, contact.user_id).password_hash is None


def test_inviting_again_replaces_the_earlier_link(
    client, make_client, ctx, world, mailbox, run_worker
):
    """Does a second invitation (even a minute later) send a new link and kill the first?"""
    contact = _new_contact(world, "en")
    client.login(world.a.staff.email)
    assert _invite(client, contact).status_code == 200
    assert _invite(client, contact).status_code == 200
    run_worker()
    first, second = (_token_from(m) for m in mailbox.to(contact.user.email))
    assert first != second
    visitor = make_client()
    assert visitor.get(f"/invite/{first}").status_code == 410
    assert visitor.get(f"/invite/{second}").status_code == 200


def test_password_rules(client, make_client, ctx, world, mailbox, run_worker):
    """Are a short password and a mismatched confirmation refused, keeping the link usable?"""
    contact = _new_contact(world, "en")
    client.login(world.a.staff.email)
    _invite(client, contact)
    run_worker()
    token = _token_from(mailbox.to(contact.user.email)[0])
    visitor = make_client()
    short = visitor.post(f"/invite/{token}", data={"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "Use at least 10 characters." in short.data.decode()
    differ = visitor.post(
        f"/invite/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"}
    )
    assert differ.status_code == 422 and "The two passwords differ." in differ.data.decode()
    ok = visitor.post(f"/invite/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert ok.status_code == 302


def test_set_password_needs_csrf(client, make_client, ctx, world, mailbox, run_worker):
    """Is the set-password form refused without its CSRF token?"""
    contact = _new_contact(world, "en")
    client.login(world.a.staff.email)
    _invite(client, contact)
    run_worker()
    token = _token_from(mailbox.to(contact.user.email)[0])
    visitor = make_client()
    data = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert visitor.post(f"/invite/{token}", data=data, without_csrf=True).status_code == 400
    assert visitor.get(f"/invite/{token}").status_code == 200  # still unused


def test_unknown_token_and_no_portal_access(client, make_client, ctx, world, mailbox, run_worker):
    """Is a made-up token refused, and so is a link once portal access was turned off?"""
    visitor = make_client()
    assert visitor.get("/invite/not-a-real-token").status_code == 410
    contact = _new_contact(world, "en")
    client.login(world.a.staff.email)
    _invite(client, contact)
    run_worker()
    token = _token_from(mailbox.to(contact.user.email)[0])
    contact.portal_access = False
    db.session.commit()
    assert visitor.get(f"/invite/{token}").status_code == 410


def test_contact_without_portal_access_cannot_be_invited(client, ctx, world):
    """Is Invite refused for a contact without portal access, writing no email?"""
    client.login(world.a.staff.email)
    response = _invite(client, world.a.silent_contact)
    assert response.status_code == 422
    assert db.session.scalar(select(OutboxEmail.id)) is None


def test_info_tab_shows_invitation_state(client, ctx, world):
    """Does the Info tab say Not invited yet, then Invited, and offer Invite again?"""
    contact = _new_contact(world, "en")
    client.login(world.a.staff.email)
    page = client.get(f"/clients/{world.a.account.id}/info").data.decode()
    assert "Not invited yet" in page
    body = _invite(client, contact).data.decode()
    assert "Invited " in body and "Invite again" in body
