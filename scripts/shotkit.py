"""What the screenshot scripts share: a throwaway demo app served on a free port, and login."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def demo_app(**environment: str):
    """A new app on a fresh SQLite demo database (migrated, seeded), in a temporary folder.

    Returns (app, work folder); `environment` adds settings (e.g. MAIL_SINK_DIR)."""
    work = Path(tempfile.mkdtemp(prefix="relance-shots-"))
    os.environ.update(
        DATABASE_URL=f"sqlite:///{work / 'demo.db'}",
        UPLOAD_DIR=str(work / "up"),
        RELANCE_ENV="development",
        **{key: value.format(work=work) for key, value in environment.items()},
    )
    from flask_migrate import upgrade

    from dashboard import create_app
    from dashboard.demo import seed_demo

    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed_demo()
    return app, work


def serve(app):
    """Serve `app` in a thread on a free port; returns (server, base URL)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def log_in(page, base: str, email: str, landing: str) -> None:
    """Log in through the form and wait for the landing page (/clients or /portal/)."""
    from dashboard.demo import DEMO_PASSWORD

    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{landing}")


def new_page(browser, width: int, height: int, problems: list[str]):
    """A page of that size that records script errors and console errors in `problems`."""
    page = browser.new_page(viewport={"width": width, "height": height}, is_mobile=width < 500)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    page.on(
        "console",
        lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None,
    )
    return page


def shot(page, path: Path, problems: list[str]) -> None:
    """A full-page screenshot; a page wider than its window is a problem."""
    page.wait_for_timeout(250)
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width > inner:
        problems.append(f"{path.name}: {width} px wide in a {inner} px window")
    page.screenshot(path=path, full_page=True)
