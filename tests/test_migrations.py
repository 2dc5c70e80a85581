"""The schema comes from `flask db upgrade` on an empty database, and matches the models."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]


def _flask(args: list[str], database_url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "FLASK_APP": "wsgi.py",
        "RELANCE_ENV": "test",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _upgrade_seed_check(database_url: str, tmp_path: Path) -> None:
    upgrade = _flask(["db", "upgrade"], database_url, tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    started = time.monotonic()
    seed = _flask(["seed-demo", "--if-empty"], database_url, tmp_path)
    seed_seconds = time.monotonic() - started
    assert seed.returncode == 0, seed.stderr
    assert seed_seconds < 10, f"seed-demo --if-empty took {seed_seconds:.1f} s"
    assert "owner@demo.relance.test" in seed.stdout
    again = _flask(["seed-demo", "--if-empty"], database_url, tmp_path)
    assert "not seeded" in again.stdout
    check = _flask(["db", "check"], database_url, tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    engine = create_engine(database_url)
    with engine.connect() as connection:
        accounts = connection.execute(text("SELECT count(*) FROM account")).scalar()
        staff_languages = set(
            connection.execute(
                text("SELECT language FROM \"user\" WHERE role <> 'client'")
            ).scalars()
        )
        no_portal = connection.execute(
            text("SELECT count(*) FROM contact WHERE NOT portal_access")
        ).scalar()
        notify_off = connection.execute(
            text("SELECT count(*) FROM contact WHERE NOT notify")
        ).scalar()
        accesses = set(connection.execute(text("SELECT DISTINCT access FROM folder")).scalars())
        documents = connection.execute(text("SELECT count(*) FROM document")).scalar()
        reminders_sent = connection.execute(
            text("SELECT count(*) FROM reminder WHERE sent_count > 0")
        ).scalar()
        reminder_events = connection.execute(
            text("SELECT count(*) FROM audit_event WHERE action = 'reminder.sent'")
        ).scalar()
        outbox_states = {
            state: count
            for state, count in connection.execute(
                text("SELECT state, count(*) FROM outbox_email GROUP BY state")
            )
        }
        reminder_locales = set(
            connection.execute(
                text("SELECT DISTINCT locale FROM outbox_email WHERE purpose = 'reminder'")
            ).scalars()
        )
        kinds = set(connection.execute(text("SELECT DISTINCT kind FROM action_item")).scalars())
        rejected_with_reasons = connection.execute(
            text("SELECT count(*) FROM approval_request WHERE decision = 'rejected'")
        ).scalar()
        templates = connection.execute(text("SELECT count(*) FROM message_template")).scalar()
    engine.dispose()
    assert accounts >= 60  # more than CLIENTS_PER_PAGE (50): the Clients list has a page 2
    assert reminders_sent > 0 and reminder_events > 0
    assert outbox_states.get("sent", 0) > 0 and outbox_states.get("queued", 0) == 0
    assert reminder_locales == {"en", "fr", "pt_PT", "nl"}
    assert {"approval", "chat"} <= kinds
    assert rejected_with_reasons > 0 and templates >= 4
    assert staff_languages == {"en", "fr", "pt_PT", "nl"}
    assert no_portal > 0 and notify_off > 0
    assert accesses == {"private", "view", "edit"}
    assert documents > 0
    assert any((tmp_path / "uploads").rglob("*"))


def test_upgrade_and_seed_on_empty_sqlite(tmp_path):
    """Does `flask db upgrade` build the schema on an empty SQLite file, and seed-demo fill it?"""
    _upgrade_seed_check(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path)


@pytest.mark.postgres
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="needs DATABASE_URL on PostgreSQL (make test-postgres sets it)",
)
def test_upgrade_and_seed_on_empty_postgresql(tmp_path):
    """Does the same work on a brand-new PostgreSQL database?"""
    server = make_url(
        os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    )
    name = f"relance_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _upgrade_seed_check(
            server.set(database=name).render_as_string(hide_password=False), tmp_path
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
