"""The only importer of flask-htmx: partial-or-page rendering and response headers."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, flash, g, make_response, render_template, request
from flask_htmx import HTMX

htmx = HTMX()


def is_partial() -> bool:
    """True for an htmx request that wants a fragment (not a history restore or boosted page)."""
    if not htmx:
        return False
    if request.headers.get("HX-History-Restore-Request") == "true":
        return False
    return not htmx.boosted


def render_page_or_partial(page: str, partial: str, /, **context: Any) -> Response:
    """Render `partial` alone for htmx, the full `page` (which includes it) otherwise."""
    g.vary_on_htmx = True
    template = partial if is_partial() else page
    return make_response(render_template(template, **context))


def render_partial(partial: str, status: int = 200, /, **context: Any) -> Response:
    """Render a fragment returned by a mutation."""
    return make_response(render_template(partial, **context), status)


def trigger(response: Response, event: str, detail: Any = None) -> Response:
    """Add an HX-Trigger event (merged with any already set) for listeners elsewhere on the page."""
    existing = response.headers.get("HX-Trigger")
    events: dict[str, Any] = json.loads(existing) if existing else {}
    events[event] = detail if detail is not None else True
    response.headers["HX-Trigger"] = json.dumps(events)
    return response


def redirect(location: str) -> Response:
    """Redirect that works for htmx (HX-Redirect) and plain requests alike."""
    if htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    response = make_response("", 303)
    response.headers["Location"] = location
    return response


def flash_outcome(error: str | None = None, success: str | None = None, **_ignored: Any) -> None:
    """For a plain (non-htmx) form post: show the outcome after the redirect."""
    if error:
        flash(error, "danger")
    if success:
        flash(success, "success")


def add_vary_header(response: Response) -> Response:
    if g.get("vary_on_htmx"):
        response.vary.add("HX-Request")
    return response
