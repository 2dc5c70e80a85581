"""GET /healthz: the application answers and its database too (no login, for probes)."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from dashboard.extensions import db

bp = Blueprint("health", __name__)

PLAIN = {"Content-Type": "text/plain; charset=utf-8"}


@bp.route("/healthz")
def healthz():
    """200 "ok" when `SELECT 1` runs; 503 when the database cannot be reached."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return "database unavailable", 503, PLAIN
    return "ok", 200, PLAIN
