"""Locale and time-zone selection, and formatting helpers for templates."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from types import SimpleNamespace

from babel import Locale
from babel.numbers import format_currency
from babel.units import format_unit
from flask import g, has_request_context, render_template, request, session
from flask_babel import (
    Domain,
    force_locale,
    format_date,
    format_datetime,
    get_locale,
    get_timezone,
    get_translations,
)
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

    The number is Babel's format_decimal (one decimal at most) and the unit comes from CLDR,
    translated and pluralised for every language ("octets", "Mo", "MB"…): see _unit()."""
    locale = get_locale() or Locale("en")
    for unit, factor in (("gigabyte", 1024**3), ("megabyte", 1024**2), ("kilobyte", 1024)):
        if size >= factor:
            value = round(size / factor, 1)
            return _unit(value, f"digital-{unit}", "short", "#,##0.#", locale)
    return _unit(size, "digital-byte", "long", "#,##0", locale)


def _unit(value: float, unit: str, length: str, number_format: str, locale: Locale) -> str:
    """babel.units.format_unit(value, unit, length, format=number_format, locale=locale),
    without its cost for what a file list shows (a size column formats fifty of them). Both
    formats ("#,##0.#", "#,##0") group the digits by three and keep one decimal at most, so
    the number is written here with the locale's own signs (tests/i18n compare it with Babel
    for every size and language), and the CLDR pattern of its plural form is looked up once
    per locale. A numbering system without Latin digits, or a huge value, is Babel's."""
    signs = _latin_signs(locale)
    if signs is None or not 0 <= value < 10**12:
        return format_unit(value, unit, length, format=number_format, locale=locale)
    decimal_sign, group_sign = signs
    whole = int(value)
    number = str(whole)
    if whole >= 1000:
        head, groups = number, []
        while len(head) > 3:
            groups.append(head[-3:])
            head = head[:-3]
        number = group_sign.join([head, *reversed(groups)])
    if value != whole:
        number += decimal_sign + f"{value:.1f}"[-1]
    patterns = _unit_patterns(locale, unit, length)
    pattern = patterns.get(locale.plural_form(value)) or patterns.get("other")
    if not pattern:
        return format_unit(value, unit, length, format=number_format, locale=locale)
    return pattern.format(number)


@cache
def _latin_signs(locale: Locale) -> tuple[str, str] | None:
    """The locale's decimal and grouping signs if it writes numbers in Latin digits."""
    if locale.default_numbering_system != "latn":
        return None
    symbols = locale.number_symbols["latn"]
    return symbols["decimal"], symbols["group"]


@cache
def _unit_patterns(locale: Locale, unit: str, length: str) -> dict[str, str]:
    return dict(locale._data["unit_patterns"][unit].get(length, {}))


def format_datetime_once(value: datetime | None, fmt: str = "medium") -> str:
    """Flask-Babel's format_datetime (the reader's locale and time zone), each distinct value
    formatted once per request: a list shows the same upload time on many rows. The memo
    lives on the request's Babel state and is dropped when the locale or the time zone is
    not the same objects any more (a forced locale, an email in another language)."""
    if not value:
        return ""
    state = _babel_state()
    if state is None:
        return format_datetime(value, fmt)
    locale, zone = get_locale(), get_timezone()
    memo = getattr(state, "relance_datetimes", None)
    if memo is None or memo[0] is not locale or memo[1] is not zone:
        memo = state.relance_datetimes = (locale, zone, {})
    key = (value, fmt)
    try:
        return memo[2][key]
    except KeyError:
        text = memo[2][key] = format_datetime(value, fmt)
        return text


def format_date_once(value: datetime, fmt: str = "medium") -> str:
    """Flask-Babel's format_date of a datetime (the reader's locale, the date where the
    reader is), formatted once per distinct local date in a request: a list of accounts
    created the same day shows one string fifty times. Flask-Babel converts the value to the
    user's time zone and formats its date; the memo keys on that date."""
    state = _babel_state()
    if state is None or not isinstance(value, datetime):
        return format_date(value, fmt)
    locale, zone = get_locale(), get_timezone()
    memo = getattr(state, "relance_dates", None)
    if memo is None or memo[0] is not locale or memo[1] is not zone:
        memo = state.relance_dates = (locale, zone, {})
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    # astimezone() gives pytz's right offset (normalize() would only fix arithmetic).
    key = (moment.astimezone(zone).date(), fmt)
    try:
        return memo[2][key]
    except KeyError:
        text = memo[2][key] = format_date(value, fmt)
        return text


def _babel_state():
    """Flask-Babel's per-request namespace (None outside a request or app context)."""
    if not g:
        return None
    if not hasattr(g, "_flask_babel"):
        g._flask_babel = SimpleNamespace()
    return g._flask_babel


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


def _translations(load=None):
    """The current locale's catalog, remembered on the request's Babel state next to the
    locale it belongs to. Flask-Babel's own lookup walks its context four times per string
    (about a quarter of a list page's time: ~1,300 strings on a Docs tab); a forced locale
    (an email in the recipient's language) is a new Locale object, so it misses this cache."""
    state = getattr(g._get_current_object(), "_flask_babel", None) if g else None
    locale = getattr(state, "babel_locale", None)
    cached = getattr(state, "relance_translations", None)
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    translations = load() if load is not None else get_translations()
    state = getattr(g._get_current_object(), "_flask_babel", None) if g else None
    if state is not None and getattr(state, "babel_locale", None) is not None:
        state.relance_translations = (state.babel_locale, translations)
    return translations


def translations():
    """The current locale's catalog (what templates translate with), for Python code that
    prepares a template's strings."""
    return _translations()


class FastDomain(Domain):
    """Flask-Babel's default domain, its catalog taken from _translations(): `gettext` in
    Python (the kinds' menu labels, a row's sentence) no longer walks Flask-Babel's context
    and formats the locale's name for each string. Same catalog, same `%` formatting."""

    def get_translations(self):
        if not g:
            return super().get_translations()
        return _translations(lambda: Domain.get_translations(self))


def install_fast_gettext(app) -> None:
    """Templates translate through _translations() (same strings, same newstyle formatting),
    and so does Python's gettext (FastDomain as the default domain)."""
    configuration = app.extensions["babel"]
    if not isinstance(configuration.instance.__dict__.get("domain_instance"), FastDomain):
        configuration.instance.domain_instance = FastDomain(domain=configuration.default_domain)
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: _translations().ugettext(text),
        ngettext=lambda one, many, n: _translations().ungettext(one, many, n),
        newstyle=True,
        pgettext=lambda context, text: _translations().upgettext(context, text),
        npgettext=lambda context, one, many, n: _translations().unpgettext(context, one, many, n),
    )
