"""Settings read from the environment, with development defaults."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def load_config(instance_path: str) -> dict:
    """Return the app configuration; every key can be overridden from the environment."""
    env = os.environ.get("RELANCE_ENV", "development")
    default_db = "sqlite:///" + str(Path(instance_path) / "relance.db")
    database_url = os.environ.get("DATABASE_URL", default_db)
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    return {
        "ENV_NAME": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "dev-only-secret-change-me"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "RQ_QUEUE": os.environ.get("RQ_QUEUE", "relance"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": _int("MAIL_PORT", 8025),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "Relance <no-reply@relance.test>"
        ),
        "MAIL_SINK_DIR": os.environ.get("MAIL_SINK_DIR", str(Path(instance_path) / "mail-sink")),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(Path(instance_path) / "uploads")),
        # A whole upload request (several files or one zip) may not exceed this.
        "MAX_CONTENT_LENGTH": _int("MAX_UPLOAD_REQUEST_BYTES", 100 * 1024 * 1024),
        "UPLOAD_MAX_FILE_BYTES": _int("UPLOAD_MAX_FILE_BYTES", 25 * 1024 * 1024),
        "ZIP_MAX_ENTRIES": _int("ZIP_MAX_ENTRIES", 500),
        "ZIP_MAX_TOTAL_BYTES": _int("ZIP_MAX_TOTAL_BYTES", 200 * 1024 * 1024),
        "ZIP_MAX_RATIO": _int("ZIP_MAX_RATIO", 100),
        #: Absolute links in emails point here.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
        #: A queued email whose job has not run after this long is enqueued again.
        "OUTBOX_REQUEUE_AFTER_SECONDS": _int("OUTBOX_REQUEUE_AFTER_SECONDS", 120),
        "SMTP_TIMEOUT_SECONDS": _int("SMTP_TIMEOUT_SECONDS", 30),
        "SWEEP_BATCH_SIZE": _int("SWEEP_BATCH_SIZE", 500),
        #: How long a day's digest waits after it was opened, so every batch can join it (B3).
        "DIGEST_HOLD_SECONDS": _int("DIGEST_HOLD_SECONDS", 60),
        #: Online payments (Mollie): no key, no *Pay now* button. The endpoint is Mollie's own
        #: unless a test points it at a local stub.
        "MOLLIE_API_KEY": os.environ.get("MOLLIE_API_KEY", ""),
        "MOLLIE_API_ENDPOINT": os.environ.get("MOLLIE_API_ENDPOINT", "https://api.mollie.com"),
        "CLIENTS_PER_PAGE": 50,
        "AUDIT_PER_PAGE": 50,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env not in {"development", "test"},
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
    }
