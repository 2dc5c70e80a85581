"""The XSS corpus in a real browser: sanitize() output rendered in Chromium next to htmx.

Each corpus entry's sanitized HTML is put into an ``hx-disable`` container the way chat messages
are shown. It gets there twice: as page content, which htmx then processes at start-up, and
through ``htmx.swap()``, which mirrors messages arriving over htmx. Every element also receives
mouseover, focus and click events. Then: no dialog may open, no request may leave the page (above
all none to evil.test), there may be no console or page errors, and the browser's own parse of the
output must hold no dangerous element or attribute, which catches parser-differential mXSS.

The page is served from a fake origin (http://relance.test) through Playwright routing, so
same-origin htmx requests (hx-get="/x") would be seen. Every other request is recorded and then
aborted, so nothing reaches the network. Control tests show that the detectors do fire on
unsanitized HTML.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, Route

from dashboard.chats.richtext import sanitize
from tests.chats.test_richtext import XSS_CORPUS

pytestmark = pytest.mark.browser

HTMX = (
    Path(__file__).resolve().parents[2] / "dashboard" / "static" / "vendor" / "htmx-2.0.11.min.js"
)
ORIGIN = "http://relance.test"
SHELL_URL = f"{ORIGIN}/chat"
WAIT_MS = 400

DANGEROUS_SELECTOR = (
    "script, iframe, frame, img, svg, math, form, button, input, textarea, select, base, meta, "
    "link, style, object, embed, video, audio, source, template, noscript"
)

EXERCISE_JS = """
() => {
  for (const el of document.querySelectorAll('#messages *, #swapped *')) {
    for (const type of ['mouseover', 'mouseenter', 'focus', 'focusin']) {
      el.dispatchEvent(new Event(type, {bubbles: true}));
    }
    // A click on a surviving <a> would only navigate to a permitted URL; leave links alone.
    if (el.tagName !== 'A' && !el.closest('a')) {
      el.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}));
    }
  }
}
"""

INSPECT_JS = r"""
(selector) => {
  const found = [];
  for (const root of document.querySelectorAll('#messages, #swapped')) {
    for (const el of root.querySelectorAll(selector)) found.push('<' + el.tagName.toLowerCase());
    for (const el of root.querySelectorAll('*')) {
      for (const attr of el.attributes) {
        const name = attr.name.toLowerCase();
        const value = attr.value.toLowerCase().replace(/\s/g, '');
        if (name.startsWith('on') || name.startsWith('hx-') || name.startsWith('data-')
            || ['style', 'class', 'id', 'src', 'srcdoc', 'action', 'formaction'].includes(name)
            || value.startsWith('javascript:') || value.startsWith('data:')
            || (name === 'href' && !/^(https?:\/\/[^\/]|mailto:)/.test(value))) {
          found.push(el.tagName.toLowerCase() + '[' + name + ']');
        }
      }
    }
  }
  return found;
}
"""


class Watch:
    """What the page did: dialogs, requests (after the shell loaded) and errors."""

    def __init__(self) -> None:
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.errors: list[str] = []

    def assert_quiet(self, label: str) -> None:
        assert not self.dialogs, f"{label}: dialog opened {self.dialogs}"
        assert not [u for u in self.requests if "evil.test" in u], (
            f"{label}: request to evil.test {self.requests}"
        )
        assert not self.requests, f"{label}: unexpected requests {self.requests}"
        assert not self.errors, f"{label}: console/page errors {self.errors}"


def _shell(body: str = "") -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>chat</title></head><body><main>"
        f"{body}</main></body></html>"
    )


@pytest.fixture
def watched(page: Page) -> tuple[Page, Watch]:
    """A page on the fake origin that records dialogs, requests and errors, and blocks the net."""
    watch = Watch()
    shell_loaded = False

    def route(route: Route) -> None:
        nonlocal shell_loaded
        if route.request.url == SHELL_URL and not shell_loaded:
            shell_loaded = True
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=_shell())
        else:
            route.abort()

    def on_dialog(dialog) -> None:
        watch.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.context.route("**/*", route)
    page.goto(SHELL_URL)
    page.on("dialog", on_dialog)
    page.on("request", lambda request: watch.requests.append(request.url))
    page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: watch.errors.append(str(error)))
    page.context.on("page", lambda popup: watch.requests.append(f"popup {popup.url}"))
    return page, watch


def _render(page: Page, messages_html: str, *, disabled: bool = True) -> None:
    """Render like the chat page: the message in an (hx-disable) container, htmx loaded, then
    the same HTML swapped in by htmx, then every element poked."""
    attr = " hx-disable" if disabled else ""
    page.set_content(
        _shell(f'<div id="messages"{attr}>{messages_html}</div><div id="swapped"{attr}></div>')
    )
    page.add_script_tag(path=str(HTMX))
    page.wait_for_function("() => window.htmx && htmx.version === '2.0.11'")
    page.evaluate("(html) => htmx.swap('#swapped', html, {swapStyle: 'innerHTML'})", messages_html)
    page.evaluate(EXERCISE_JS)
    page.wait_for_timeout(WAIT_MS)


@pytest.mark.parametrize("payload", [p for _, p in XSS_CORPUS], ids=[i for i, _ in XSS_CORPUS])
def test_sanitized_corpus_entry_is_inert_in_chromium(watched, payload):
    """Rendered inside hx-disable with htmx on the page, does the sanitized payload open no
    dialog, send no request (to evil.test or anywhere), log no error, and parse in the browser
    without any dangerous element or attribute?"""
    page, watch = watched
    safe = sanitize(payload)
    _render(page, safe)
    assert page.url == SHELL_URL  # set_content kept the fake origin: relative URLs would resolve
    assert page.evaluate(INSPECT_JS, DANGEROUS_SELECTOR) == [], safe
    watch.assert_quiet(f"{payload!r} -> {safe!r}")


def test_allowed_formatting_renders(watched):
    """Do bold, lists, emoji and a safe link survive the trip into the browser, quietly?"""
    page, watch = watched
    _render(
        page,
        sanitize(
            '<p><strong>Bravo</strong> 🎉 <a href="https://ok.test/doc">doc</a></p>'
            "<ul><li>one</li></ul>"
        ),
    )
    link = page.locator("#messages a")
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert link.get_attribute("target") == "_blank"
    assert page.locator("#swapped strong").inner_text() == "Bravo"
    assert "🎉" in page.locator("#messages").inner_text()
    watch.assert_quiet("formatting")


# --- controls: the detectors work, so a quiet result above means something ----------------------


def test_control_unsanitized_onerror_opens_a_dialog(watched):
    """Without sanitize(), does <img onerror=alert(1)> open a dialog that the test sees?"""
    page, watch = watched
    _render(page, '<img src="x" onerror="alert(1)">')
    assert watch.dialogs


def test_control_unsanitized_remote_image_is_requested(watched):
    """Without sanitize(), is a request to evil.test recorded?"""
    page, watch = watched
    _render(page, '<img src="https://evil.test/pixel.gif">')
    assert any("evil.test" in url for url in watch.requests)


def test_control_htmx_runs_outside_hx_disable(watched):
    """Without hx-disable and sanitize(), does hx-trigger=load send a same-origin request, which
    proves htmx is live on the page?"""
    page, watch = watched
    _render(page, '<div hx-get="/x" hx-trigger="load">x</div>', disabled=False)
    assert f"{ORIGIN}/x" in watch.requests


def test_control_hx_disable_alone_stops_htmx(watched):
    """Without sanitize() but inside hx-disable, is htmx's hx-trigger=load ignored?"""
    page, watch = watched
    _render(page, '<div hx-get="/x" hx-trigger="load">x</div>')
    assert f"{ORIGIN}/x" not in watch.requests
