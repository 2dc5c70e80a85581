"""Screenshots of the main pages in each language, desktop and phone widths, for a visual check.

Usage: .venv/bin/python scripts/screenshots.py [out_dir]   (default: screenshots/)
Builds a throwaway demo database, serves it on a free port, and drives /usr/bin/chromium.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
STAFF = {
    "en": "owner@demo.relance.test",
    "fr": "amelie@demo.relance.test",
    "pt_PT": "joao@demo.relance.test",
    "nl": "daan@demo.relance.test",
}
CLIENTS = {
    "fr": "claire.martin.0@client.relance.test",
    "pt_PT": "rui.lopes.1@client.relance.test",
    "nl": "sanne.de.boer.2@client.relance.test",
}
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="relance-shots-"))
    os.environ.update(
        DATABASE_URL=f"sqlite:///{work / 'demo.db'}",
        UPLOAD_DIR=str(work / "up"),
        RELANCE_ENV="development",
    )
    from flask_migrate import upgrade

    from dashboard import create_app
    from dashboard.demo import DEMO_PASSWORD, seed_demo

    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed_demo()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for size_name, (width, height) in SIZES.items():
            for locale, email in STAFF.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(f"{base}/login")
                if locale == "en" and size_name == "desktop":
                    page.screenshot(path=out / f"login-{size_name}.png")
                page.fill("input[name=email]", email)
                page.fill("input[name=password]", DEMO_PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(f"{base}/clients")
                for name, path in (
                    ("clients", "/clients"),
                    ("info", "/clients/1/info"),
                    ("docs", "/clients/1/docs"),
                    ("audit", "/clients/1/audit"),
                ):
                    page.goto(base + path)
                    page.screenshot(
                        path=out / f"staff-{name}-{locale}-{size_name}.png", full_page=True
                    )
                page.close()
            for locale, email in CLIENTS.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(f"{base}/login")
                page.fill("input[name=email]", email)
                page.fill("input[name=password]", DEMO_PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(f"{base}/portal/")
                page.screenshot(
                    path=out / f"portal-pending-{locale}-{size_name}.png", full_page=True
                )
                page.goto(f"{base}/portal/documents")
                page.screenshot(
                    path=out / f"portal-documents-{locale}-{size_name}.png", full_page=True
                )
                page.close()
        browser.close()
    server.shutdown()
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main()
