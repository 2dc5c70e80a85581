"""Login throttling (issue 12 §5.2): failed attempts are limited per account and per address,
counted in Redis so every gunicorn worker sees the same numbers.

Only failed attempts count (`deduct_when`): a firm whose staff log in all day from one office
address is never locked out by its own successes. Once a limit is reached, every attempt is
refused for the rest of the window, the right password included, with the same answer whether
the account exists or not. When Redis is down, flask-limiter falls back to counting in each
process's memory: the limits still hold per worker and nobody is locked out by the outage.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask, Response, render_template, request
from flask_babel import gettext as _
from flask_limiter import Limiter, RequestLimit
from sqlalchemy import select

from dashboard.clock import now
from dashboard.extensions import db

log = logging.getLogger(__name__)

#: Failed logins allowed in the window, per account (whatever the address) and per address.
PER_ACCOUNT = "10 per 15 minutes"
PER_ADDRESS = "50 per 15 minutes"
WINDOW = timedelta(minutes=15)


def _address() -> str:
    # Behind a reverse proxy, run with ProxyFix so remote_addr is the client, not the proxy.
    return request.remote_addr or "unknown"


def login_email() -> str:
    """The account an attempt is for, normalised as accounts are (known or not)."""
    return "login:" + (request.form.get("email") or "").strip().lower()[:254]


def make_limiter() -> Limiter:
    """Counts in RATELIMIT_STORAGE_URI (the app's Redis); in memory while Redis is down."""
    return Limiter(key_func=_address, default_limits=[], in_memory_fallback_enabled=True)


limiter = make_limiter()


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "relance-ratelimit")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter.init_app(app)


def failed(response: Response) -> bool:
    """A refused login (the form answers 422 on a wrong email or password)."""
    return response.status_code == 422


def refused(limit: RequestLimit) -> Response:
    """The answer once a limit is reached: the login page, a 429, the reader's language."""
    _record_lock()
    message = _("Too many failed attempts. Wait 15 minutes, then try again.")
    from dashboard.auth.forms import LoginForm

    body = render_template("auth/login.html", form=LoginForm(), error=message)
    response = Response(body, status=429, mimetype="text/html")
    response.headers["Retry-After"] = str(int(WINDOW.total_seconds()))
    return response


def _record_lock() -> None:
    """One audit entry per account and window when an account's attempts are stopped."""
    from dashboard.audit.models import AuditEvent
    from dashboard.audit.service import record_event
    from dashboard.auth.models import User

    email = login_email()[len("login:") :]
    user = db.session.scalar(select(User).where(User.email == email)) if email else None
    if user is None:
        log.warning("login attempts stopped for an unknown account from %s", _address())
        return
    recent = db.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.subject_type == "user",
            AuditEvent.subject_id == user.id,
            AuditEvent.action == "auth.locked",
            AuditEvent.created_at > now() - WINDOW,
        )
    )
    if recent is None:
        record_event(
            firm_id=user.firm_id,
            action="auth.locked",
            subject_type="user",
            subject_id=user.id,
            ip=_address(),
        )
        db.session.commit()
