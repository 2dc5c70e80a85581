"""Locale and time-zone selection, and formatting helpers for templates."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from babel import Locale
from babel.numbers import format_currency
from babel.units import format_unit
from flask import g, has_request_context, render_template, request, session
from flask_babel import force_locale, get_locale
from flask_login import current_user
from markupsafe import Markup

SUPPORTED_LOCALES = ("en", "fr", "pt_PT", "nl")

#: Names shown in the language switcher, each in its own language.
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "pt_PT": "Português", "nl": "Nederlands"}


def normalize_language(tag: str | None) -> str | None:
    """Map a browser or user language tag to a supported locale; any Portuguese gets pt_PT."""
    if not tag:
        return None
    primary = tag.replace("-", "_").split("_")[0].lower()
    if primary == "pt":
        return "pt_PT"
    return primary if primary in SUPPORTED_LOCALES else None


def select_locale() -> str:
    """The user's choice, else the browser's Accept-Language, else the firm's language.

    In the read-only portal view the page is the contact's portal, so it is in the contact's
    language; only the read-only banner is in the staff member's (`in_staff_language`)."""
    if not has_request_context():
        return "en"  # jobs and services outside a request: emails choose with force_locale
    viewed = g.get("portal_user") if g.get("read_only") else None
    if viewed is not None:
        return viewed.language or viewed.firm.default_language
    return staff_or_user_locale()


def staff_or_user_locale() -> str:
    """The signed-in person's own language (whoever's portal is shown)."""
    user = current_user
    if user and user.is_authenticated and user.language:
        return user.language
    if session.get("language") in SUPPORTED_LOCALES:
        return session["language"]
    for tag, _quality in request.accept_languages:
        locale = normalize_language(tag)
        if locale:
            return locale
    if user and user.is_authenticated:
        return user.firm.default_language
    return "en"


def select_timezone() -> str:
    if not has_request_context():
        return "UTC"
    user = current_user
    if user and user.is_authenticated:
        return user.firm.time_zone
    return "UTC"


def in_staff_language(template: str, **context) -> Markup:
    """Render a fragment in the signed-in staff member's language, e.g. the read-only
    banner above a contact's portal that is itself in the contact's language."""
    with force_locale(staff_or_user_locale()):
        return Markup(render_template(template, **context))


def format_filesize(size: int) -> str:
    """A byte count in the reader's locale: '620 bytes', '620 octets', '1.2 MB', '1,2 Mo'.

    The number goes through Babel's format_decimal (one decimal at most) and the unit comes
    from CLDR, translated and pluralised for every language ("octets", "Mo", "MB"…)."""
    locale = get_locale() or Locale("en")
    for unit, factor in (("gigabyte", 1024**3), ("megabyte", 1024**2), ("kilobyte", 1024)):
        if size >= factor:
            value = round(size / factor, 1)
            return format_unit(value, f"digital-{unit}", "short", format="#,##0.#", locale=locale)
    return format_unit(size, "digital-byte", "long", format="#,##0", locale=locale)


#: Money as firms in these countries write it on invoices: "1.234,50 €" (issue 9). CLDR
#: puts the euro sign first in Dutch ("€ 1.234,50") and groups thousands with a space in
#: European Portuguese ("1 234,50 €"); the pattern and the number symbols are taken from
#: the locale named here, the currency's symbol from the reader's own.
MONEY_FORMATS = {"nl": ("#,##0.00\u00a0¤", "nl"), "pt_PT": ("#,##0.00\u00a0¤", "pt")}


def format_money(value, currency: str = "EUR", locale: str | Locale | None = None) -> str:
    """An amount in the reader's (or `locale`'s) notation: "1 234,50 €" (fr), "1.234,50 €"
    (nl, pt_PT), "€1,234.50" (en)."""
    name = str(locale or get_locale() or "en")
    if name in MONEY_FORMATS:
        pattern, symbols = MONEY_FORMATS[name]
        return format_currency(value, currency, format=pattern, locale=symbols)
    return format_currency(value, currency, locale=name)


@contextmanager
def language(locale: str | None) -> Iterator[None]:
    """Render something (an email) in another user's language."""
    with force_locale(normalize_language(locale) or "en"):
        yield


def _translations():
    """The current locale's catalog, remembered on the request's Babel state next to the
    locale it belongs to. Flask-Babel's own lookup walks its context four times per string
    (about a quarter of a list page's time: ~1,300 strings on a Docs tab); a forced locale
    (an email in the recipient's language) is a new Locale object, so it misses this cache."""
    from flask_babel import get_translations

    state = getattr(g._get_current_object(), "_flask_babel", None) if g else None
    locale = getattr(state, "babel_locale", None)
    cached = getattr(state, "relance_translations", None)
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()
    state = getattr(g._get_current_object(), "_flask_babel", None) if g else None
    if state is not None and getattr(state, "babel_locale", None) is not None:
        state.relance_translations = (state.babel_locale, translations)
    return translations


def install_fast_gettext(app) -> None:
    """Templates translate through _translations() (same strings, same newstyle formatting)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: _translations().ugettext(text),
        ngettext=lambda one, many, n: _translations().ungettext(one, many, n),
        newstyle=True,
        pgettext=lambda context, text: _translations().upgettext(context, text),
        npgettext=lambda context, one, many, n: _translations().unpgettext(context, one, many, n),
    )
