"""Test fixtures: one app per session on a real database, emptied after every test.

The database is SQLite in a temporary folder unless DATABASE_URL points elsewhere (CI runs the
suite a second time on PostgreSQL). Fixtures return factories; factories are plain functions.
"""

from __future__ import annotations

import contextvars
import os
import re
import socket
import threading
import uuid
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue, SimpleWorker
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
            "RQ_QUEUE": f"relance-test-{uuid.uuid4().hex[:8]}",
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "PUBLIC_BASE_URL": "https://portal.example.test",
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
        from dashboard.auth.throttle import limiter

        limiter.reset()  # failed logins counted by one test do not lock out the next


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


# --- real Redis, real RQ worker, real SMTP -------------------------------------------------


class SmtpSink:
    """An in-process SMTP server (aiosmtpd) that keeps what it accepts.

    `script` maps a recipient address to a list of SMTP replies to give, one per attempt
    (e.g. ["451 4.3.0 Try again later"]); an empty list (or no entry) accepts.
    """

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.script: dict[str, list[str]] = {}
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        with self.lock:
            replies = self.script.get(address.lower())
            if replies:
                return replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.script.clear()


@pytest.fixture(scope="session")
def _smtp_controller():
    sink = SmtpSink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


@pytest.fixture()
def mailbox(app, _smtp_controller) -> Iterator[SmtpSink]:
    """The SMTP sink, emptied for this test, with the app pointed at it."""
    sink, port = _smtp_controller
    state = app.extensions["mail"]
    state.server, state.port, state.use_tls, state.use_ssl = "127.0.0.1", port, False, False
    state.suppress = False  # TESTING would otherwise make Flask-Mail drop every message
    sink.clear()
    yield sink
    sink.clear()


@pytest.fixture()
def redis_queue(app) -> Iterator[Queue]:
    """The app's RQ queue on the real Redis, empty at the start and the end of the test."""
    connection = Redis.from_url(app.config["REDIS_URL"])
    try:
        connection.ping()
    except Exception as error:  # pragma: no cover - make test starts Redis
        pytest.fail(f"Redis is not running at {app.config['REDIS_URL']}: {error}")
    queue = Queue(app.config["RQ_QUEUE"], connection=connection)
    queue.empty()
    yield queue
    queue.empty()
    connection.close()


@pytest.fixture()
def run_worker(app, redis_queue):
    """Run a real RQ worker in burst mode (what is queued now), as a worker process would."""
    from jobs.context import use_app

    def run() -> int:
        use_app(app)
        try:
            worker = SimpleWorker([redis_queue], connection=redis_queue.connection)
            # Outside the test's app context, like a separate worker process.
            contextvars.Context().run(worker.work, burst=True)
        finally:
            use_app(None)
        failed = redis_queue.failed_job_registry
        assert failed.count == 0, [
            redis_queue.fetch_job(job_id).latest_result().exc_string  # type: ignore[union-attr]
            for job_id in failed.get_job_ids()
        ]
        return worker.successful_job_count

    return run


@pytest.fixture()
def frozen_clock():
    """Move time: `frozen_clock(datetime)`; released at the end of the test."""
    from dashboard import clock

    yield clock.set_now
    clock.set_now(None)
