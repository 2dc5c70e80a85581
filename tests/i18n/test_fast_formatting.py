"""The list pages' fast paths (issue 12 §3) give exactly what Babel and Flask-Babel give."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import pytz
from babel import Locale
from babel.units import format_unit
from flask import g
from flask_babel import force_locale, format_date, format_datetime, gettext, refresh
from flask_login import login_user

from dashboard.i18n import (
    SUPPORTED_LOCALES,
    format_date_once,
    format_datetime_once,
    format_filesize,
)
from tests.factories import make_firm, make_user


def _babel_filesize(size: int, locale: Locale) -> str:
    """format_filesize as it was written with Babel alone."""
    for unit, factor in (("gigabyte", 1024**3), ("megabyte", 1024**2), ("kilobyte", 1024)):
        if size >= factor:
            value = round(size / factor, 1)
            return format_unit(value, f"digital-{unit}", "short", format="#,##0.#", locale=locale)
    return format_unit(size, "digital-byte", "long", format="#,##0", locale=locale)


def _sizes() -> list[int]:
    picked = random.Random(12)
    return (
        list(range(0, 2100))
        + [1024**k * m + d for k in (1, 2, 3) for m in range(1, 1100, 7) for d in (-1, 0, 1, 51)]
        + [picked.randrange(0, 2**45) for _ in range(3000)]
    )


# Arabic and Persian write other digits: the fast path hands them to Babel.
@pytest.mark.parametrize("name", [*SUPPORTED_LOCALES, "de", "ar", "fa"])
def test_file_sizes_are_babels_for_every_size(app, name):
    with app.test_request_context(), force_locale(name):
        locale = Locale.parse(name)
        wrong = [s for s in _sizes() if format_filesize(s) != _babel_filesize(s, locale)]
    assert wrong == []


def test_dates_and_times_formatted_once_are_flask_babels(app):
    start = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)  # across the spring DST change in Paris
    moments = [start + timedelta(minutes=37 * i) for i in range(200)]
    moments += [m.replace(tzinfo=None) for m in moments[:20]]  # naive: read as UTC
    for zone in ("Europe/Paris", "America/New_York", "Asia/Kolkata"):
        for name in SUPPORTED_LOCALES:
            with app.test_request_context():
                g._flask_babel = SimpleNamespace(babel_tzinfo=pytz.timezone(zone))
                with force_locale(name):
                    for fmt in ("short", "medium"):
                        for moment in moments + moments:  # the second time from the memo
                            assert format_datetime_once(moment, fmt) == format_datetime(moment, fmt)
                            assert format_date_once(moment, fmt) == format_date(moment, fmt)
    with app.test_request_context():
        assert format_datetime_once(None) == ""


def test_a_forced_locale_does_not_reuse_the_memo(app, ctx):
    firm = make_firm()
    staff = make_user(firm, language="en")
    moment = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
    with app.test_request_context():
        login_user(staff)
        refresh()
        english = format_datetime_once(moment, "medium")
        with force_locale("fr"):
            french = format_datetime_once(moment, "medium")
            assert french == format_datetime(moment, "medium")
            assert gettext("Delete") == "Supprimer"
        assert format_datetime_once(moment, "medium") == english == format_datetime(moment)
        assert gettext("Delete") == "Delete"
    assert english != french
