"""Login, logout, sessions and CSRF."""

from __future__ import annotations

from sqlalchemy import select

from dashboard.auth.models import User
from dashboard.extensions import db


def test_staff_login_lands_on_clients(client, world):
    """Does a staff member land on the Clients list after logging in?"""
    response = client.login(world.a.staff.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/clients"
    assert client.get("/clients").status_code == 200


def test_client_login_lands_on_portal(client, world):
    """Does a client land on their Pending action list?"""
    response = client.login(world.a.contact.user.email)
    assert response.headers["Location"] == "/portal/"
    page = client.get("/portal/")
    assert page.status_code == 200
    assert b"Pending action" in page.data


def test_wrong_password_is_refused_with_a_message(client, world):
    """Is a wrong password refused, with the error shown on the form?"""
    response = client.login(world.a.staff.email, "wrong")
    assert response.status_code == 422
    assert b"Wrong email or password." in response.data
    assert client.get("/clients").status_code == 302


def test_missing_fields_show_errors_next_to_fields(client, world):
    """Are empty fields reported next to the field?"""
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 422
    assert response.data.count(b"invalid-feedback") == 2


def test_contact_without_portal_access_cannot_log_in(client, world, ctx):
    """Can a contact who was never given portal access log in? (They have no password.)"""
    user = world.a.silent_contact.user
    user.password_hash = world.a.contact.user.password_hash
    db.session.commit()
    response = client.login(user.email)
    assert response.status_code == 422


def test_passwords_are_argon2id_at_owasp_parameters(ctx, world):
    """Are passwords hashed with Argon2id, 19 MiB, 2 passes, 1 lane?"""
    stored = db.session.scalar(select(User.password_hash).where(User.id == world.a.staff.id))
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_session_cookie_flags(client, world):
    """Is the session cookie HttpOnly and SameSite=Lax?"""
    response = client.login(world.a.staff.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_logout_really_ends_the_session(client, make_client, world):
    """Is an old session cookie refused once its owner logged out?"""
    client.login(world.a.staff.email)
    stolen = client.get_cookie("session").value
    assert client.post("/logout").status_code == 302
    replay = make_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/clients")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_logout_is_post_only(client, world):
    """Does a GET to /logout change nothing?"""
    client.login(world.a.staff.email)
    assert client.get("/logout").status_code == 405
    assert client.get("/clients").status_code == 200


def test_post_without_csrf_token_is_refused(client, world):
    """Is a POST without its CSRF token refused with 400?"""
    client.login(world.a.staff.email)
    contact = world.a.contact
    url = f"/clients/{contact.account_id}/contacts/{contact.id}/notify"
    response = client.post(url, data={"notify": "off"}, without_csrf=True)
    assert response.status_code == 400
    login = client.post("/login", data={"email": "x@y.z", "password": "x"}, without_csrf=True)
    assert login.status_code == 400


def test_login_next_only_follows_local_paths(client, world):
    """Can the login form be used to redirect to another site?"""
    token = client.csrf_token()
    response = client.post(
        "/login?next=//evil.example/",
        data={"email": world.a.staff.email, "password": "correct horse battery staple"},
        headers={"X-CSRFToken": token},
    )
    assert response.headers["Location"] == "/clients"
