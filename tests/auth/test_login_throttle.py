"""Login throttling (issue 12 §5.2): failed attempts limited per account and per address, the
same answer for known and unknown accounts, shared by every worker through Redis, a fallback
when Redis is down, and the lock in the audit trail."""

from __future__ import annotations

from sqlalchemy import select

from dashboard.audit.models import AuditEvent
from dashboard.auth import throttle
from dashboard.extensions import db

WRONG = "not-the-password"


def _attempt(client, email, password=WRONG, address="203.0.113.9"):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_the_right_password_is_refused_once_the_account_is_locked(client, world):
    """10 wrong passwords, then the right one: refused (429) in the user's language, and the
    lock is in the audit trail once."""
    email = world.a.staff.email
    for _ in range(10):
        assert _attempt(client, email).status_code == 422
    locked = _attempt(client, email, "demo-password-1")
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "900"
    assert b"Too many failed attempts" in locked.data
    assert _attempt(client, email, address="198.51.100.1").status_code == 429  # any address
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.locked")).all()
    assert len(events) == 1 and events[0].subject_id == world.a.staff.id
    assert events[0].firm_id == world.a.firm.id


def test_unknown_accounts_get_the_same_answers(client, world):
    for _ in range(10):
        assert _attempt(client, "nobody@nowhere.example").status_code == 422
    assert _attempt(client, "nobody@nowhere.example").status_code == 429
    assert (
        db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "auth.locked")) is None
    )


def test_successes_do_not_count_and_other_accounts_still_log_in(client, make_client, world):
    from tests.conftest import DEMO_PASSWORD

    a = world.a
    for _ in range(12):
        assert _attempt(make_client(), a.staff.email, DEMO_PASSWORD).status_code == 302
    for _ in range(10):
        _attempt(client, a.staff.email)
    assert _attempt(make_client(), a.contact.user.email, DEMO_PASSWORD).status_code == 302


def test_one_address_trying_many_accounts_is_stopped(client, world):
    for number in range(50):
        assert _attempt(client, f"guess{number}@example.test").status_code == 422
    assert _attempt(client, "guess-last@example.test").status_code == 429
    assert _attempt(client, "guess-last@example.test", address="192.0.2.77").status_code == 422


def test_the_count_lives_in_redis_for_every_worker(client, world, app):
    """Another worker (another process on the same Redis) reads the same count: the hits
    are in Redis, not in this process's memory."""
    from limits import parse
    from limits.storage import storage_from_string
    from limits.strategies import FixedWindowRateLimiter

    email = world.a.staff.email
    for _ in range(4):
        _attempt(client, email)
    other_worker = FixedWindowRateLimiter(storage_from_string(app.config["RATELIMIT_STORAGE_URI"]))
    stats = other_worker.get_window_stats(
        parse(throttle.PER_ACCOUNT),
        app.config["RATELIMIT_KEY_PREFIX"],
        f"login:{email}",
        "auth.login:login-account",
    )
    assert stats.remaining == 6, stats


def test_redis_down_locks_nobody_out(world):
    """With Redis unreachable, the same limiter counts in memory: nobody is locked out by the
    outage (a right password logs in), and ten wrong ones still stop the account."""
    from flask import Flask

    down = Flask(__name__)
    down.config.update(
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0", RATELIMIT_HEADERS_ENABLED=False
    )
    fallback = throttle.make_limiter()
    fallback.init_app(down)

    @down.post("/login")
    @fallback.limit(
        throttle.PER_ACCOUNT, key_func=throttle.login_email, deduct_when=throttle.failed
    )
    def login():
        from flask import request

        return ("ok", 302) if request.form["password"] == "right" else ("no", 422)

    web = down.test_client()
    assert web.post("/login", data={"email": "a@b.test", "password": "right"}).status_code == 302
    for _ in range(10):
        assert web.post("/login", data={"email": "a@b.test", "password": "x"}).status_code == 422
    assert web.post("/login", data={"email": "a@b.test", "password": "right"}).status_code == 429
