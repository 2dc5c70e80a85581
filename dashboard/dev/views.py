"""Development only: staff read the emails caught by the SMTP sink."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

from flask import Blueprint, abort, current_app, make_response, render_template
from flask_login import login_required

from dashboard.dev.mailsink import read_messages
from dashboard.tenancy import current_firm_id

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.before_request
@login_required
def require_staff() -> None:
    """Only staff, and only in development (the blueprint is not registered otherwise)."""
    current_firm_id()


@bp.route("/mail")
def mail():
    """The messages the development SMTP sink caught, newest first."""
    messages = read_messages(Path(current_app.config["MAIL_SINK_DIR"]))
    return render_template("dev/mail.html", messages=messages)


#: The HTML part is shown in a sandboxed frame: no script, no form, no same-origin access;
#: links open in a new tab (popups escape the sandbox), images may come from anywhere.
HTML_PART_POLICY = (
    "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
    "img-src data: https: http:; style-src 'unsafe-inline'; frame-ancestors 'self'"
)


def _caught(name: str) -> EmailMessage:
    for file_name, msg in read_messages(Path(current_app.config["MAIL_SINK_DIR"]), limit=1000):
        if file_name == name:
            return msg
    abort(404)


def _html_part(msg: EmailMessage) -> str | None:
    part = msg.get_body(preferencelist=("html",))
    return part.get_content() if part is not None else None


@bp.route("/mail/<name>")
def message(name: str):
    """One caught message: its HTML part in a sandboxed frame, and the plain text."""
    msg = _caught(name)
    body = msg.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    response = make_response(
        render_template(
            "dev/message.html", name=name, msg=msg, text=text, has_html=_html_part(msg) is not None
        )
    )
    from dashboard import CONTENT_SECURITY_POLICY

    # This page (only) may frame our own origin: the HTML part below.
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "frame-src ", "frame-src 'self' ", 1
    )
    return response


@bp.route("/mail/<name>/html")
def message_html(name: str):
    """The HTML part alone, for the sandboxed frame; links open in a new tab."""
    html = _html_part(_caught(name))
    if html is None:
        abort(404)
    base = '<base target="_blank">'
    if re.search(r"<head[^>]*>", html, re.IGNORECASE):
        html = re.sub(r"(<head[^>]*>)", r"\1" + base, html, count=1, flags=re.IGNORECASE)
    else:
        html = base + html
    response = make_response(html)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Content-Security-Policy"] = HTML_PART_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
