"""The development SMTP sink keeps what it receives, and staff read it in the app."""

from __future__ import annotations

import smtplib
import socket
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

from dashboard.dev.mailsink import FolderHandler


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sink_keeps_messages_and_staff_read_them(app, client, world):
    """Does a message sent over SMTP to the sink show up under Caught emails?"""
    folder = Path(app.config["MAIL_SINK_DIR"])
    controller = Controller(FolderHandler(folder), hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        message = EmailMessage()
        message["From"] = "no-reply@relance.test"
        message["To"] = "claire@example.test"
        message["Subject"] = "Rappel : document à approuver"
        message.set_content("Bonjour Claire")
        with smtplib.SMTP(controller.hostname, controller.port, timeout=10) as smtp:
            smtp.send_message(message)
    finally:
        controller.stop()
    client.login(world.a.staff.email)
    listing = client.get("/dev/mail").data.decode()
    assert "Rappel : document à approuver" in listing
    name = next(folder.glob("*.eml")).name
    page = client.get(f"/dev/mail/{name}").data.decode()
    assert "Bonjour Claire" in page
    assert client.get("/dev/mail/nope.eml").status_code == 404


def test_clients_cannot_read_caught_mail(client, world):
    """Is the caught-mail page closed to clients?"""
    client.login(world.a.contact.user.email)
    assert client.get("/dev/mail").status_code == 404


def test_the_html_part_is_shown_sandboxed_with_links_in_a_new_tab(app, client, make_client, world):
    """Caught emails: the HTML part in a sandboxed frame (no script), links open a new tab."""
    folder = Path(app.config["MAIL_SINK_DIR"])
    controller = Controller(FolderHandler(folder), hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        message = EmailMessage()
        message["From"] = "Alpha <no-reply@relance.test>"
        message["To"] = "claire@example.test"
        message["Subject"] = "HTML inside"
        message.set_content("Plain part")
        message.add_alternative(
            '<html><head></head><body><a href="https://portal.example.test/portal/">Open</a>'
            "<script>alert(1)</script></body></html>",
            subtype="html",
        )
        with smtplib.SMTP(controller.hostname, controller.port, timeout=10) as smtp:
            smtp.send_message(message)
    finally:
        controller.stop()
    client.login(world.a.staff.email)
    name = sorted(folder.glob("*.eml"))[-1].name
    page = client.get(f"/dev/mail/{name}")
    text = page.data.decode()
    assert f'src="/dev/mail/{name}/html"' in text
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in text
    assert "frame-src 'self'" in page.headers["Content-Security-Policy"]
    html = client.get(f"/dev/mail/{name}/html")
    assert html.status_code == 200 and html.mimetype == "text/html"
    policy = html.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-popups allow-popups-to-escape-sandbox;")
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert html.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert '<head><base target="_blank"></head>' in html.data.decode()
    assert 'href="https://portal.example.test/portal/"' in html.data.decode()
    portal = make_client()
    portal.login(world.a.contact.user.email)
    assert portal.get(f"/dev/mail/{name}/html").status_code == 404
