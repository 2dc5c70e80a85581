"""Four languages: complete catalogs, locale selection, and the glossary's words on the pages."""

from __future__ import annotations

import csv
import html
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from dashboard.extensions import db
from dashboard.i18n import normalize_language

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ["fr", "pt_PT", "nl"]


def _glossary() -> dict[str, dict[str, str]]:
    """The glossary shipped with the translations (a copy of ../shared/glossary.csv)."""
    with (ROOT / "translations" / "glossary.csv").open(encoding="utf-8") as f:
        return {row["key"]: row for row in csv.DictReader(f)}


def _unescape(page: str) -> str:
    return html.unescape(page)


def test_template_is_up_to_date(tmp_path):
    """Does messages.pot hold every string in the code (nobody forgot to extract)?"""
    fresh = tmp_path / "fresh.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with fresh.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with (ROOT / "translations" / "messages.pot").open("rb") as f:
        committed = {m.id for m in read_po(f) if m.id}
    assert wanted - committed == set(), "run pybabel extract/update"


@pytest.mark.parametrize("locale", CATALOGS)
def test_catalog_is_complete(locale):
    """Is every message translated, with no fuzzy entry, in every catalog?"""
    with (ROOT / "translations" / "messages.pot").open("rb") as f:
        template = {m.id for m in read_po(f) if m.id}
    with (ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    missing = template - {m.id for m in catalog if m.id}
    untranslated = [
        m.id
        for m in catalog
        if m.id and (m.fuzzy or not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    assert not missing and not untranslated, (missing, untranslated)


@pytest.mark.parametrize(
    "tag, expected",
    [
        ("fr-CA", "fr"),
        ("pt-BR", "pt_PT"),
        ("pt", "pt_PT"),
        ("pt_PT", "pt_PT"),
        ("nl-BE", "nl"),
        ("en-US", "en"),
        ("de-DE", None),
        ("", None),
    ],
)
def test_language_tags(tag, expected):
    """Is any Portuguese variant served pt_PT, and an unsupported language ignored?"""
    assert normalize_language(tag) == expected


@pytest.mark.parametrize("locale", CATALOGS)
def test_clients_page_uses_glossary_words(client, ctx, world, locale):
    """Does the Clients page speak the glossary's words in fr, pt_PT and nl?"""
    glossary = _glossary()
    world.a.staff.language = locale
    db.session.commit()
    client.login(world.a.staff.email)
    page = client.get("/clients").data.decode()
    assert f'<html lang="{locale.replace("_", "-")}">' in page
    assert f'<h1 class="h3 mb-0">{glossary["clients"][locale]}</h1>' in page
    tabs = client.get(f"/clients/{world.a.account.id}/info").data.decode()
    for key in ("account_info", "docs_tab", "notify", "contacts"):
        assert glossary[key][locale] in _unescape(tabs), key
    assert glossary["audit_trail"][locale] in _unescape(tabs)
    docs = client.get(f"/clients/{world.a.account.id}/docs").data.decode()
    for key in (
        "add_folder",
        "document_name",
        "uploaded_by",
        "private",
        "client_can_view",
        "client_can_view_edit",
    ):
        assert glossary[key][locale] in _unescape(docs), key


def test_browser_language_then_firm_language(client, ctx, world):
    """Without a choice, is the browser's language used, then the firm's?"""
    world.a.firm.default_language = "nl"
    db.session.commit()
    client.login(world.a.staff.email)
    french = client.get("/clients", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert '<html lang="fr">' in french.data.decode()
    brazil = client.get("/clients", headers={"Accept-Language": "pt-BR"})
    assert '<html lang="pt-PT">' in brazil.data.decode()
    german = client.get("/clients", headers={"Accept-Language": "de-DE"})
    assert '<html lang="nl">' in german.data.decode()


def test_choice_is_stored_on_the_user(client, ctx, world):
    """Is the language picked in the switcher stored on the user and used next time?"""
    client.login(world.a.staff.email)
    response = client.post("/language", data={"language": "pt_PT", "next": "/clients"})
    assert response.headers["Location"] == "/clients"
    db.session.expire_all()
    assert world.a.staff.language == "pt_PT"
    page = client.get("/clients", headers={"Accept-Language": "fr"}).data.decode()
    assert "Clientes" in page
    assert client.post("/language", data={"language": "xx"}).status_code == 400


def test_language_chosen_before_login_is_kept(client, ctx, world):
    """Does a language picked on the login page carry over to the account?"""
    client.post("/language", data={"language": "nl", "next": "/login"})
    assert "Inloggen" in client.get("/login").data.decode()
    client.login(world.a.staff.email)
    db.session.expire_all()
    assert world.a.staff.language == "nl"


def test_dates_and_sizes_follow_the_locale(client, ctx, world):
    """Are dates and file sizes formatted for the reader's locale?"""
    from tests.factories import make_document

    make_document(world.a.folders["view"], "big.pdf", data=b"x" * 1_572_864)
    world.a.staff.language = "fr"
    db.session.commit()
    client.login(world.a.staff.email)
    page = client.get(f"/clients/{world.a.account.id}/docs").data.decode()
    assert re.search(r"1,5\s?Mo", page)  # French puts a narrow no-break space before the unit
    world.a.staff.language = "en"
    db.session.commit()
    page = client.get(f"/clients/{world.a.account.id}/docs").data.decode()
    assert "1.5 MB" in page


def test_french_is_served_from_the_top_level_translations_folder(app):
    """Is Flask-Babel pointed at translations/ (not dashboard/translations)?"""
    assert app.config["BABEL_TRANSLATION_DIRECTORIES"] == str(ROOT / "translations")
    for locale in CATALOGS:
        assert (ROOT / "translations" / locale / "LC_MESSAGES" / "messages.mo").is_file()


#: A French high punctuation mark ending a word: ":" ";" "!" "?" followed by a space, a closing
#: quote or the end (not "http://", "10:30" or "?page=2").
_FRENCH_MARK = re.compile(r"(?<=\S)(?P<before>[ ]?)(?P<mark>[:;!?])(?=\s|$|[\"»”’)])")


def _typography_faults(text: str) -> list[str]:
    faults = []
    for match in _FRENCH_MARK.finditer(text):
        before = text[match.start() - 1] if match.start() else ""
        if before in "\u00a0\u202f" or before in ":;!?":
            continue
        faults.append(text[max(0, match.start() - 15) : match.end() + 5])
    return faults


def test_french_has_a_no_break_space_before_high_punctuation():
    """Does French put a no-break space (U+00A0 or U+202F) before : ; ! ? — never a plain
    space, never none?"""
    with (ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    faults = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            faults.extend(_typography_faults(text or ""))
    assert faults == []


@pytest.mark.parametrize(
    "text, ok",
    [
        ("Rappel\u00a0: document", True),
        ("Rappel\u202f: document", True),
        ("Rappel : document", False),
        ("Rappel: document", False),
        ("Vraiment\u00a0?!", True),
        ("Ouvrir http://exemple.test/a?b=1", True),
        ("À 10:30 demain", True),
        ("« Bonjour »\u00a0!", True),
        ("%(reminder)s : %(title)s", False),
    ],
)
def test_the_typography_rule_itself(text, ok):
    assert (_typography_faults(text) == []) is ok
