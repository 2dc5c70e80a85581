"""Words: file sizes in every language, plurals instead of "(s)"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from dashboard.i18n import format_filesize

ROOT = Path(__file__).resolve().parents[2]
NBSP = "[\u00a0\u202f ]"


@pytest.mark.parametrize(
    "locale, size, expected",
    [
        ("en", 1, "1 byte"),
        ("en", 620, "620 bytes"),
        ("fr", 620, "620 octets"),
        ("fr", 1, "1 octet"),
        ("en", int(1.2 * 1024**2), "1.2 MB"),
        ("fr", int(1.2 * 1024**2), "1,2 Mo"),
        ("nl", int(1.2 * 1024**2), "1,2 MB"),
        ("pt_PT", int(1.2 * 1024**2), "1,2 MB"),
        ("en", 1024**2, "1 MB"),
        ("fr", 3 * 1024**3, "3 Go"),
    ],
)
def test_file_sizes_in_every_language(app, locale, size, expected):
    with app.test_request_context(), force_locale(locale):
        shown = format_filesize(size)
    assert re.fullmatch(expected.replace(" ", NBSP), shown), shown


def test_the_filter_is_the_one_templates_use(app):
    with app.test_request_context(), force_locale("fr"):
        assert app.jinja_env.filters["filesize"](620) == format_filesize(620)


def test_no_word_is_pluralised_with_parentheses():
    """Plurals go through ngettext; "(s)" reads badly and cannot be translated well."""
    offenders = []
    for folder in ("dashboard", "jobs"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".py", ".html", ".txt", ".js"} and "vendor" not in path.parts:
                text = path.read_text(encoding="utf-8")
                if re.search(r"[a-z]\(s\)", text):
                    offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_audit_and_inbox_sentences_use_the_right_number(app):
    from types import SimpleNamespace

    from dashboard.audit.service import describe as describe_event
    from dashboard.notify.inbox import describe_details

    with app.test_request_context(), force_locale("en"):
        one = SimpleNamespace(action="item.sent", details={"title": "VAT", "recipients": 1})
        two = SimpleNamespace(action="item.sent", details={"title": "VAT", "recipients": 2})
        assert describe_event(one) == "Sent VAT to 1 contact"
        assert describe_event(two) == "Sent VAT to 2 contacts"
        changed = SimpleNamespace(
            action="reminders.updated",
            details={"title": "VAT", "interval_days": 1, "max_count": 3},
        )
        assert describe_event(changed) == "Changed the reminders of VAT: every day, 3 reminders"
        upload = {"client": "Claire", "count": 1, "folder": "Shared"}
        assert describe_details("client_uploaded", upload) == (
            "Claire uploaded 1 document to Shared"
        )
