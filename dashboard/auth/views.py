"""Login, logout, setting a password from an invitation, and the language switcher."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from dashboard.accounts import invites
from dashboard.auth import service, throttle
from dashboard.auth.forms import LoginForm, SetPasswordForm
from dashboard.auth.models import LANGUAGES
from dashboard.extensions import db
from dashboard.i18n import language
from dashboard.notify.outbox import recipient_locale

bp = Blueprint("auth", __name__)


def _home_for(user) -> str:
    return url_for("accounts.clients") if user.is_staff else url_for("portal.pending")


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after login."""
    if not target:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in target):
        return None  # a line break would end up in the Location header (a 500), "\\" is "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/")
def index():
    """Send people to their home page."""
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
@throttle.limiter.limit(
    throttle.PER_ACCOUNT,
    key_func=throttle.login_email,
    methods=["POST"],
    deduct_when=throttle.failed,
    on_breach=throttle.refused,
    scope="login-account",
)
@throttle.limiter.limit(
    throttle.PER_ADDRESS,
    methods=["POST"],
    deduct_when=throttle.failed,
    on_breach=throttle.refused,
    scope="login-address",
)
def login():
    """Log in staff and clients with email and password."""
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = service.authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            error = _("Wrong email or password.")
        else:
            chosen_language = session.get("language")
            session.clear()
            if chosen_language and not user.language:
                service.set_language(user, chosen_language)
            db.session.commit()
            login_user(user)
            next_url = _safe_next(request.args.get("next"))
            return redirect(next_url or _home_for(user))
    status = 200 if not (form.errors or error) else 422
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/invite/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """Public: a client sets a portal password from an invitation link, then is logged in."""
    invite = invites.usable_invite(token)
    if invite is None:
        return render_template("auth/invite_invalid.html"), 410
    form = SetPasswordForm()
    # The invitee's language, unless they picked another one on this page.
    with language(session.get("language") or recipient_locale(invite.user)):
        if form.validate_on_submit():
            try:
                user = invites.accept_invite(token, form.password.data or "")
            except invites.InviteError:
                db.session.rollback()
                return render_template("auth/invite_invalid.html"), 410
            chosen_language = session.get("language")
            db.session.commit()
            session.clear()
            if chosen_language:
                session["language"] = chosen_language
            if current_user.is_authenticated:
                logout_user()
            login_user(user)
            return redirect(url_for("portal.pending"))
        status = 422 if form.errors else 200
        return render_template("auth/set_password.html", form=form, invite=invite), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session for good: the old cookie is refused afterwards."""
    service.end_session(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def set_language():
    """Store the chosen language on the user (or the session before login)."""
    language = request.form.get("language") or None
    if language is not None and language not in LANGUAGES:
        abort(400)
    if current_user.is_authenticated:
        service.set_language(current_user, language)
        db.session.commit()
    elif language:
        session["language"] = language
    else:
        session.pop("language", None)
    return redirect(_safe_next(request.form.get("next")) or url_for("auth.index"))
