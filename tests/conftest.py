"""Test fixtures: one app per session on a real database, emptied after every test.

The database is SQLite in a temporary folder unless DATABASE_URL points elsewhere (CI runs the
suite a second time on PostgreSQL). Fixtures return factories; factories are plain functions.
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from dashboard import create_app
from dashboard.extensions import db

DEMO_PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    folder = tmp_path_factory.mktemp("relance")
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'test.db'}"
    os.environ.setdefault("RELANCE_ENV", "test")
    app = create_app(
        {
            "ENV_NAME": "test",
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url.replace(
                "postgresql://", "postgresql+psycopg://", 1
            ),
            "UPLOAD_DIR": str(folder / "uploads"),
            "MAIL_SINK_DIR": str(folder / "mail-sink"),
            "SESSION_COOKIE_SECURE": False,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts on empty tables (rows deleted in dependency order)."""
    yield
    if "app" not in request.fixturenames:
        return
    app: Flask = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in reversed(db.metadata.sorted_tables):
                    connection.execute(table.delete())


@pytest.fixture()
def ctx(app: Flask) -> Iterator[Flask]:
    """An app context for tests that call services and factories directly."""
    with app.app_context():
        yield app
        db.session.remove()


class WebClient(FlaskClient):
    """A test client that logs in and sends the CSRF token the way the pages do."""

    _token: str | None = None

    def login(self, email: str, password: str = DEMO_PASSWORD):
        self._token = None
        response = self.post("/login", data={"email": email, "password": password})
        self._token = None  # the session was renewed at login: so was the token
        return response

    def csrf_token(self) -> str:
        if self._token is None:
            page = self.get("/login" if not self._logged_in() else "/", follow_redirects=True)
            match = re.search(rb'"X-CSRFToken": "([^"]+)"', page.data)
            assert match, "the page carries no CSRF token"
            self._token = match.group(1).decode()
        return self._token

    def _logged_in(self) -> bool:
        with self.session_transaction() as session:
            return "_user_id" in session

    def open(self, *args, **kwargs):
        method = kwargs.get("method", "GET")
        kwargs.setdefault("buffered", True)  # read and close file responses at once
        if method not in ("GET", "HEAD", "OPTIONS") and not kwargs.pop("without_csrf", False):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        # Run the request outside the test's own app context (fixture `ctx`): Flask would
        # otherwise reuse that context, sharing `g` (login, CSRF) and the DB session.
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    app.test_client_class = WebClient
    return app.test_client()


@pytest.fixture()
def make_client(app: Flask):
    """A factory of independent clients (several people logged in at once)."""

    def make() -> WebClient:
        app.test_client_class = WebClient
        return app.test_client()  # type: ignore[return-value]

    return make


@pytest.fixture()
def world(ctx: Flask):
    """Two firms with staff, accounts, contacts, folders of each access and documents."""
    from tests.factories import make_world

    return make_world()


def hx(**extra: str) -> dict[str, str]:
    """Headers of an htmx request."""
    return {"HX-Request": "true", **extra}


def uploads_in(app: Flask) -> list[Path]:
    """Every file kept in storage (staging excluded)."""
    root = Path(app.config["UPLOAD_DIR"])
    return [p for p in root.rglob("*") if p.is_file() and "staging" not in p.parts]
