"""The Relance web application: create_app() builds it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, g, render_template, request
from flask_babel import format_date, format_decimal
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy import event
from werkzeug.routing import IntegerConverter

from dashboard.auth import throttle
from dashboard.config import load_config
from dashboard.extensions import babel, csrf, db, login_manager, mail, migrate
from dashboard.htmx import add_vary_header, htmx, is_partial
from dashboard.urls import RelanceFlask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = RelanceFlask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)
    if not app.config["SECRET_KEY"] or (
        app.config["ENV_NAME"] == "production"
        and app.config["SECRET_KEY"] == "dev-only-secret-change-me"
    ):
        raise RuntimeError("set SECRET_KEY in production")

    _init_extensions(app)
    app.url_map.converters["int"] = DatabaseInt
    _register_blueprints(app)
    _register_template_helpers(app)
    _register_error_handlers(app)
    _register_cli(app)
    app.after_request(add_vary_header)
    app.after_request(_security_headers)
    return app


def _init_extensions(app: Flask) -> None:
    from dashboard import kinds, models  # noqa: F401  (every model and kind registered)
    from dashboard.i18n import install_fast_gettext, select_locale, select_timezone

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    install_fast_gettext(app)
    mail.init_app(app)
    htmx.init_app(app)
    throttle.init_app(app)

    from dashboard.auth.models import User

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        """Sessions carry "id:token"; a token rotated at logout makes old cookies worthless."""
        user_id, _, token = session_id.partition(":")
        if not user_id.isdigit() or not token:
            return None
        user = db.session.get(User, int(user_id))
        if user is None or user.session_token != token:
            return None
        return user


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: enforce foreign keys; WAL so the web, workers and tests read while one writes."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA busy_timeout = 5000")
    cursor.close()


class DatabaseInt(IntegerConverter):
    """`<int:…>` in every route, bounded to what a database id can be (PostgreSQL's integer):
    a larger number matches no route, so it is a 404, never an overflow and a 500."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def _register_blueprints(app: Flask) -> None:
    from dashboard.accounts.views import bp as accounts_bp
    from dashboard.approvals.views import bp as approvals_bp
    from dashboard.auth.views import bp as auth_bp
    from dashboard.chats.bulk_views import bp as bulk_bp
    from dashboard.chats.views import bp as chats_bp
    from dashboard.dev.views import bp as dev_bp
    from dashboard.documents.views import bp as documents_bp
    from dashboard.health import bp as health_bp
    from dashboard.invoices.views import bp as invoices_bp
    from dashboard.invoices.webhooks import bp as webhooks_bp
    from dashboard.notify.views import bp as notify_bp
    from dashboard.organizers.views import bp as organizers_bp
    from dashboard.pipelines.views import bp as pipelines_bp
    from dashboard.portal.kind_pages import import_kind_pages
    from dashboard.portal.views import bp as portal_bp
    from dashboard.proposals.views import bp as proposals_bp
    from dashboard.reminders.views import bp as reminders_bp
    from dashboard.signatures.views import bp as signatures_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(documents_bp)
    import_kind_pages()  # each kind adds its client pages to the portal blueprint
    app.register_blueprint(portal_bp)
    app.register_blueprint(approvals_bp)
    app.register_blueprint(signatures_bp)
    app.register_blueprint(invoices_bp)
    app.register_blueprint(proposals_bp)
    app.register_blueprint(organizers_bp)
    app.register_blueprint(pipelines_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(reminders_bp)
    app.register_blueprint(notify_bp)
    app.register_blueprint(chats_bp)
    app.register_blueprint(bulk_bp)
    app.register_blueprint(health_bp)
    if app.config["ENV_NAME"] in {"development", "test"}:
        app.register_blueprint(dev_bp)


def css_string(value: object) -> Markup:
    """A quoted CSS string (for `content:`), every character but letters, digits and spaces
    escaped: Jinja's HTML escaping means nothing inside <style>."""
    text = value.unescape() if isinstance(value, Markup) else str(value)  # `~` escapes
    body = "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in text)
    return Markup(f'"{body}"')


def _number(value: Any) -> str:
    """A count in the reader's notation; 0–999 read the same in every language we speak, so
    they skip Babel (a list page formats a hundred counts)."""
    if type(value) is int and 0 <= value < 1000:
        return str(value)
    return format_decimal(value)


def _register_template_helpers(app: Flask) -> None:
    from dashboard.accounts.labels import FOLDER_ACCESS_LABELS
    from dashboard.approvals.service import REJECTION_REASONS, STATUS_BADGES, STATUS_LABELS
    from dashboard.chats.richtext import find_videos
    from dashboard.i18n import (
        LANGUAGE_NAMES,
        format_datetime_once,
        format_filesize,
        format_money,
        in_staff_language,
    )
    from dashboard.reminders.timeline import STATE_LABELS, cancel_reason

    app.jinja_env.filters["datetime"] = format_datetime_once
    app.jinja_env.filters["filesize"] = format_filesize
    app.jinja_env.filters["numberformat"] = _number
    app.jinja_env.filters["css_string"] = css_string
    app.jinja_env.filters["money"] = lambda value, currency="EUR": format_money(value, currency)
    # An amount to edit, in the reader's notation but without grouping ("1234,50").
    app.jinja_env.filters["plain_amount"] = lambda value: format_decimal(value, "0.00")
    app.jinja_env.filters["day"] = lambda value, fmt="medium": (
        format_date(value, fmt) if value else ""
    )
    app.jinja_env.globals["in_staff_language"] = in_staff_language
    app.jinja_env.filters["video_embeds"] = find_videos
    app.jinja_env.add_extension("jinja2.ext.do")
    from dashboard.documents.actions import docs_subtabs
    from dashboard.documents.listing import type_badge_parts
    from dashboard.documents.preview import preview_kind, text_preview_limit

    app.jinja_env.globals.update(
        doc_type_badge=type_badge_parts,
        docs_subtabs=docs_subtabs,
        preview_kind=preview_kind,
        text_preview_limit=text_preview_limit,
    )

    @app.context_processor
    def globals_for_templates() -> dict[str, Any]:
        from flask_babel import get_locale

        return {
            "approval_labels": STATUS_LABELS,
            "approval_badges": STATUS_BADGES,
            "rejection_reasons": REJECTION_REASONS,
            "state_labels": STATE_LABELS,
            "cancel_reason": cancel_reason,
            "language_names": LANGUAGE_NAMES,
            "folder_access_labels": FOLDER_ACCESS_LABELS,
            "current_locale": str(get_locale() or "en"),
            "read_only_view": g.get("read_only", False),
            "inbox_unread": _inbox_unread,
            "chat_unread": _chat_unread,
        }


def _inbox_unread() -> int:
    """Unread Inbox+ entries of the staff member (called once by the sidebar)."""
    from dashboard.notify.inbox import unread_count

    if current_user.is_authenticated and current_user.is_staff:
        return unread_count(current_user.id)
    return 0


def _chat_unread(account_ids: list[int] | None = None):
    """Unread client messages for the staff member: the firm total (sidebar), or per account
    for a list of accounts (Clients list, account tabs), each in one query."""
    from dashboard.chats.service import unread_for_staff

    if not (current_user.is_authenticated and current_user.is_staff):
        return {} if account_ids is not None else 0
    return unread_for_staff(current_user.id, current_user.firm_id, account_ids)


def _register_error_handlers(app: Flask) -> None:
    from flask_babel import gettext as _

    def error_layout() -> str:
        """Staff see errors in the staff layout, clients in their portal, others plainly."""
        if not current_user or not getattr(current_user, "is_authenticated", False):
            return "layout_plain.html"
        if g.get("read_only") or not current_user.is_staff:
            if g.get("portal_user") is None:
                g.portal_user = current_user._get_current_object()
            return "portal/base.html"
        return "layout_staff.html"

    def error_page(status: int, title: str, message: str):
        context = {"status": status, "title": title, "message": message}
        if is_partial():
            body = render_template("_error_fragment.html", **context)
        else:
            try:
                body = render_template("error.html", error_layout=error_layout(), **context)
            except Exception:  # the layout itself failed (a broken database): plainly
                app.logger.exception("error page layout failed")
                db.session.rollback()
                body = render_template("error.html", error_layout="layout_plain.html", **context)
        response = app.make_response((body, status))
        if is_partial():
            response.headers["HX-Retarget"] = "#flash-area"
            response.headers["HX-Reswap"] = "beforeend"
        return response

    @app.errorhandler(404)
    def not_found(_error):
        return error_page(404, _("Page not found"), _("This page does not exist or is not yours."))

    @app.errorhandler(403)
    def forbidden(_error):
        if g.get("read_only"):
            message = _("This is a read-only view of the client's portal: nothing can be changed.")
        else:
            message = _("You are not allowed to do this.")
        return error_page(403, _("Not allowed"), message)

    @app.errorhandler(500)
    def server_error(_error):
        db.session.rollback()
        return error_page(
            500,
            _("Something went wrong"),
            _("The error was recorded. Please try again in a moment."),
        )

    @app.before_request
    def refuse_nul_bytes():
        """A NUL byte is in no name, email or text anybody types; PostgreSQL refuses it in a
        string (a 500). Refused at the door, in every query string and form field."""
        values = [*request.args.values(), *(request.form.values() if request.form else [])]
        if "\x00" in request.path or any("\x00" in value for value in values):
            return error_page(
                400,
                _("This text cannot be used"),
                _("Remove the invisible characters and try again."),
            )
        return None

    @app.errorhandler(CSRFError)
    def csrf_failed(_error):
        return error_page(400, _("The form expired"), _("Reload the page and try again."))

    @app.errorhandler(413)
    def too_large(_error):
        from dashboard.i18n import format_filesize

        limit = format_filesize(app.config["MAX_CONTENT_LENGTH"])
        return error_page(
            413,
            _("Upload too large"),
            _("An upload may not exceed %(limit)s in total; nothing was uploaded.", limit=limit),
        )


def _register_cli(app: Flask) -> None:
    from dashboard.cli import register
    from dashboard.signatures.cli import register as register_signatures

    register(app)
    register_signatures(app)


#: The policy of every page (a view may set its own Content-Security-Policy first).
CONTENT_SECURITY_POLICY = (
    # No inline style (issue 12 §5.6): no style="" in the pages (tests/test_no_inline_styles.py),
    # JavaScript styles through the CSSOM, htmx injects no indicator <style>.
    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; "
    # The document viewer's pdf.js worker (vendored): our own origin only.
    "worker-src 'self'; "
    # Chat video embeds (C8): only these players, always in a sandboxed iframe.
    "frame-src https://www.youtube-nocookie.com https://player.vimeo.com "
    "https://www.loom.com https://drive.google.com"
)


def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:  # HTTPS (behind a proxy: with ProxyFix trusting X-Forwarded-Proto)
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
        )
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if current_user and getattr(current_user, "is_authenticated", False):
        response.headers.setdefault("Cache-Control", "no-store")
    return response
