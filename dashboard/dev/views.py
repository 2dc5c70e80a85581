"""Development only: staff read the emails caught by the SMTP sink."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, render_template
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


@bp.route("/mail/<name>")
def message(name: str):
    """One caught message."""
    for file_name, msg in read_messages(Path(current_app.config["MAIL_SINK_DIR"]), limit=1000):
        if file_name == name:
            body = msg.get_body(preferencelist=("plain", "html"))
            text = body.get_content() if body is not None else ""
            return render_template("dev/message.html", name=name, msg=msg, text=text)
    abort(404)
