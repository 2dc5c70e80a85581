"""URL building without Werkzeug's per-call cost (issue 12 §3, pages under load).

A list page builds several URLs per row (viewer, download, delete, the kinds' ⋯ entries), a
few hundred per page; each `url_for` walks Flask's and Werkzeug's builder (~5 µs). Within a
request, a URL whose values are all integers (ids) has a fixed shape: it is built once with
distinctive sentinel numbers and kept as a format string, the ids then go into the slots. A
URL of string values (the static files, `tab=recent`) is kept whole. Both are what
`url_for` would have returned: only endpoints whose rules have no defaults and whose id
converters print an integer as `str()` qualify, every sentinel must appear exactly once in
the built URL, and the app must have no url_defaults functions; anything else (anchors,
`_external`, relative endpoints, outside a request, a BuildError) takes Flask's own path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from flask.globals import _cv_request
from werkzeug.routing import IntegerConverter

#: Ten-digit numbers that appear nowhere in a route's static text.
_SENTINELS = tuple(7_319_046_285 + 1_000_003 * i for i in range(8))
#: Whole URLs (string values) kept at most; the map is emptied when full (searches are free
#: text, so the number of distinct values is not bounded by the routes).
_MAX_WHOLE = 4096


class RelanceFlask(Flask):
    """Flask with `url_for` served from per-shape templates (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._url_templates: dict[tuple, str | None] = {}
        self._url_whole: dict[tuple, str] = {}

    def url_for(  # type: ignore[override]
        self,
        /,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: Any,
    ) -> str:
        if _anchor is None and _method is None and _scheme is None and not _external:
            ctx = _cv_request.get(None)
            adapter = ctx.url_adapter if ctx is not None else None
            if adapter is not None and endpoint[:1] != ".":
                place = (
                    adapter.script_name,
                    adapter.server_name,
                    adapter.subdomain,
                    adapter.url_scheme,
                )
                kinds = {type(v) for v in values.values()}
                if kinds == {int}:
                    key = (endpoint, *values, place)
                    try:
                        template = self._url_templates[key]
                    except KeyError:
                        template = self._url_templates[key] = self._make_template(endpoint, values)
                    if template is not None:
                        return template.format(*values.values())
                elif kinds <= {int, str} and len(values) <= 4:
                    key = (endpoint, *values.items(), place)
                    try:
                        return self._url_whole[key]
                    except KeyError:
                        return self._keep_whole(key, endpoint, values)
        return super().url_for(
            endpoint,
            _anchor=_anchor,
            _method=_method,
            _scheme=_scheme,
            _external=_external,
            **values,
        )

    def _keep_whole(self, key: tuple, endpoint: str, values: dict[str, Any]) -> str:
        url = super().url_for(endpoint, **values)
        if any(self.url_default_functions.values()):
            return url
        if len(self._url_whole) >= _MAX_WHOLE:
            self._url_whole.clear()
        self._url_whole[key] = url
        return url

    def _make_template(self, endpoint: str, values: dict[str, Any]) -> str | None:
        """The URL with `{0}`, `{1}`… where the values go, or None if its shape could
        depend on the values."""
        if len(values) > len(_SENTINELS) or any(self.url_default_functions.values()):
            return None
        for rule in self.url_map._rules_by_endpoint.get(endpoint, ()):
            if rule.defaults:
                return None
            for name in values:
                converter = rule._converters.get(name)
                if converter is not None and not (
                    isinstance(converter, IntegerConverter) and not converter.fixed_digits
                ):
                    return None
        sentinels = dict(zip(values, _SENTINELS, strict=False))
        try:
            built = super().url_for(endpoint, **sentinels)
        except Exception:  # noqa: BLE001 — Flask's own path raises the real error
            return None
        marks = []
        for index, sentinel in enumerate(sentinels.values()):
            text = str(sentinel)
            if built.count(text) != 1:
                return None
            marks.append((built.index(text), len(text), index))
        out, at = [], 0
        for position, length, index in sorted(marks):
            out.append(built[at:position].replace("{", "{{").replace("}", "}}"))
            out.append(f"{{{index}}}")
            at = position + length
        out.append(built[at:].replace("{", "{{").replace("}", "}}"))
        return "".join(out)


def url_maker(endpoint: str, *names: str) -> Callable[..., str]:
    """A function of the values of `names` (integers, in that order) returning
    url_for(endpoint, **values): the template's `format` when the URL has a fixed shape (see
    RelanceFlask), else url_for itself. For a list that builds the same link on every row."""
    app = current_app._get_current_object()
    ctx = _cv_request.get(None)
    adapter = ctx.url_adapter if ctx is not None else None
    if isinstance(app, RelanceFlask) and adapter is not None:
        place = (adapter.script_name, adapter.server_name, adapter.subdomain, adapter.url_scheme)
        key = (endpoint, *names, place)
        if key not in app._url_templates:
            values = dict.fromkeys(names, 1)
            app._url_templates[key] = app._make_template(endpoint, values)
        template = app._url_templates[key]
        if template is not None:
            return template.format
    return lambda *values: app.url_for(endpoint, **dict(zip(names, values, strict=True)))
