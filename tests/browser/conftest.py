"""Browser tests: the app served on a free localhost port, driven by Debian's Chromium."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Use the system Chromium (never `playwright install`)."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


def closed_before_sending(app):
    """Each response read whole and closed before the server writes it.

    Werkzeug's development server closes the response only at the end of a `finally` block
    that first drains the request socket; when the browser resets the connection (a page
    navigates away while a static file is still coming), that read raises, the close is
    skipped, and the open file surfaces later as a ResourceWarning in whichever test runs
    (seen: tests/browser/test_contacts.py failing under `filterwarnings = error`).
    """

    def wsgi(environ, start_response):
        iterable = app(environ, start_response)
        try:
            body = b"".join(iterable)
        finally:
            if hasattr(iterable, "close"):
                iterable.close()
        return [body]

    return wsgi


@pytest.fixture(scope="session")
def server_url(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, closed_before_sending(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _no_csp_refusals(browser, monkeypatch) -> Iterator[None]:
    """Every browser test fails if a page had something refused by the CSP (an inline style,
    a script, a frame): Chromium says so on the console (issue 12 §5.6)."""
    refused: list[str] = []

    def watch(page) -> None:
        page.on(
            "console",
            lambda m: (
                refused.append(f"{page.url}: {m.text}")
                if m.type == "error" and "Content Security Policy" in m.text
                else None
            ),
        )

    new_context = browser.new_context

    def watched_context(*args, **kwargs):
        context = new_context(*args, **kwargs)
        context.on("page", watch)
        return context

    monkeypatch.setattr(browser, "new_context", watched_context)
    yield
    assert refused == []
