"""Screenshots of pipelines in each language (desktop and phone): the board, the list, a job
whose automations ran, the account's Jobs tab and the stages-and-automations settings.

Usage: .venv/bin/python scripts/screenshots_pipelines.py [out_dir]  (default /tmp/shots_pipelines)
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.screenshots import ARGS, SIZES, STAFF  # noqa: E402
from scripts.shotkit import demo_app, log_in, new_page, serve, shot  # noqa: E402

LOCALES = ("en", "fr", "pt_PT", "nl")
PROBLEMS: list[str] = []


def _ids() -> dict:
    from sqlalchemy import select

    from dashboard.extensions import db
    from dashboard.pipelines.models import AutomationRun, Job

    job = db.session.scalar(select(Job).join(AutomationRun).limit(1))
    return {"pipeline": job.pipeline_id, "job": job.id, "account": job.account_id}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    app, _ = demo_app()
    with app.app_context():
        ids = _ids()
    server, base = serve(app)
    pages = (
        ("board", f"/pipelines/{ids['pipeline']}"),
        ("list", f"/pipelines/{ids['pipeline']}?view=list"),
        ("job", f"/pipelines/jobs/{ids['job']}"),
        ("tab", f"/clients/{ids['account']}/jobs"),
        ("settings", f"/pipelines/{ids['pipeline']}/settings"),
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for locale in LOCALES:
            for size, (width, height) in SIZES.items():
                page = new_page(browser, width, height, PROBLEMS)
                log_in(page, base, STAFF[locale], "/clients")
                for name, url in pages:
                    page.goto(base + url)
                    shot(page, out / f"{name}-{locale}-{size}.png", PROBLEMS)
                if locale == "en":  # the owner: an automation's form opened
                    page.goto(base + pages[-1][1])
                    page.locator("[data-testid=automation] summary").first.click()
                    shot(page, out / f"settings-open-{locale}-{size}.png", PROBLEMS)
                page.close()
        browser.close()
    server.shutdown()
    print("\n".join(PROBLEMS) or "no problems")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/shots_pipelines"))
