"""Production settings are safe by default."""

from __future__ import annotations

import pytest

from dashboard import create_app


def test_production_needs_a_secret_key(monkeypatch, tmp_path):
    """Does the app refuse to start in production with the development secret?"""
    monkeypatch.setenv("RELANCE_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})


def test_production_cookie_is_secure_and_no_dev_pages(monkeypatch, tmp_path):
    """In production, is the session cookie Secure and the mail-sink page absent?"""
    monkeypatch.setenv("RELANCE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert "dev" not in app.blueprints
