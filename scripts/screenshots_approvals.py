"""Screenshots of the approval pages, desktop and phone widths, for a visual check.

Usage: .venv/bin/python scripts/screenshots_approvals.py [out_dir]   (default: screenshots/)
Builds a throwaway demo database (dashboard.demo.seed_demo), adds on "Café Lisboa Lda" one
approval request in each state (pending, disapproved, approved; reusing a request the demo
left pending), serves it on a free port and drives
/usr/bin/chromium: staff in Dutch (daan@) and English (owner@), the client Rui Lopes in
Portuguese. Emails are queued on a throwaway RQ queue, deleted at the end.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
import uuid
from pathlib import Path

from playwright.sync_api import Page, sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
STAFF = {"nl": "daan@demo.relance.test", "en": "owner@demo.relance.test"}
CLIENT = ("pt_PT", "rui.lopes.1@client.relance.test")
ACCOUNT = "Café Lisboa Lda"
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


def seed_approvals() -> dict[str, int]:
    """Three requests on ACCOUNT; returns the ids the pages need."""
    from sqlalchemy import select

    from dashboard.accounts.models import Account
    from dashboard.approvals.service import decide, pending_request, request_approval
    from dashboard.auth.models import User
    from dashboard.documents.models import Document
    from dashboard.extensions import db
    from dashboard.reminders.service import ReminderSettings

    account = db.session.scalar(select(Account).where(Account.name == ACCOUNT))
    staff = db.session.scalar(select(User).where(User.email == STAFF["nl"]))
    client = db.session.scalar(select(User).where(User.email == CLIENT[1]))
    assert account is not None and staff is not None and client is not None
    documents = {
        d.name: d
        for d in db.session.scalars(select(Document).where(Document.account_id == account.id))
    }

    def ask(name: str, message: str, settings: ReminderSettings):
        """A new request, or the one the demo already left pending on that document."""
        document = documents[name]
        return pending_request(document) or request_approval(staff, document, message, settings)

    pending = ask(
        "Tax return 2025.pdf",
        "Bom dia Rui,\npode confirmar a declaração de 2025? Obrigado!",
        ReminderSettings(True, 3, 2),
    )
    rejected = ask("Engagement letter.pdf", "", ReminderSettings(True, 3, 1))
    decide(client, rejected, False, ["incorrect", "questions"],
           "O NIF na página 1 está errado e tenho perguntas sobre os honorários.")
    approved = ask("Bank statement March.pdf", "", ReminderSettings(False, 3, 1))
    decide(client, approved, True, [], "")
    db.session.commit()
    fresh = next(  # a document the client can see, with no pending request: the ✓ form
        d for name, d in sorted(documents.items())
        if d.folder.client_can_view and pending_request(d) is None
        and name not in ("Tax return 2025.pdf", "Engagement letter.pdf")
    )
    return {
        "account": account.id,
        "pending": pending.id,
        "pending_document": pending.document_id,
        "rejected": rejected.id,
        "fresh_document": fresh.id,
    }


def _login(page: Page, base: str, email: str, password: str, landing: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(base + landing)


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="relance-shots-"))
    queue_name = f"relance-shots-{uuid.uuid4().hex[:8]}"
    os.environ.update(
        DATABASE_URL=f"sqlite:///{work / 'demo.db'}",
        UPLOAD_DIR=str(work / "up"),
        MAIL_SINK_DIR=str(work / "mail"),
        RQ_QUEUE=queue_name,
        RELANCE_ENV="development",
    )
    from flask_migrate import upgrade

    from dashboard import create_app
    from dashboard.demo import DEMO_PASSWORD, seed_demo

    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed_demo()
        with app.test_request_context():
            ids = seed_approvals()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    account = ids["account"]
    shots: list[Path] = []

    def shot(page: Page, name: str) -> None:
        path = out / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        shots.append(path)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for size, (width, height) in SIZES.items():
            for locale, email in STAFF.items():
                context = browser.new_context(viewport={"width": width, "height": height})
                page = context.new_page()
                _login(page, base, email, DEMO_PASSWORD, "/clients")
                suffix = f"{locale}-{size}"
                page.goto(f"{base}/clients/{account}/documents/{ids['pending_document']}")
                shot(page, f"approvals-viewer-pending-{suffix}")
                page.goto(f"{base}/clients/{account}/documents/{ids['fresh_document']}")
                page.get_by_test_id("viewer-request-approval").click()
                page.locator("#request-approval.show").wait_for()
                shot(page, f"approvals-viewer-request-{suffix}")
                page.goto(f"{base}/clients/{account}/docs/approvals")
                shot(page, f"approvals-subtab-{suffix}")
                # The last row's menu: it must not be clipped by the table's scroll box.
                page.locator("[data-testid^=approval-menu-]").last.click()
                page.locator(".dropdown-menu.show").wait_for()
                shot(page, f"approvals-subtab-menu-{suffix}")
                page.keyboard.press("Escape")
                page.get_by_test_id(f"approval-menu-{ids['rejected']}").click()
                page.get_by_test_id(f"more-info-{ids['rejected']}").click()
                page.locator(f"#more-info-{ids['rejected']}.show").wait_for()
                page.wait_for_timeout(400)  # let the collapse transition end
                shot(page, f"approvals-subtab-more-info-{suffix}")
                context.close()

            locale, email = CLIENT
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            _login(page, base, email, DEMO_PASSWORD, "/portal/")
            suffix = f"{locale}-{size}"
            shot(page, f"approvals-portal-pending-{suffix}")
            page.goto(f"{base}/portal/approvals/{ids['pending']}")
            shot(page, f"approvals-portal-approval-{suffix}")
            page.get_by_test_id("disapprove-open").click()
            page.locator("#disapprove-form.show").wait_for()
            page.wait_for_timeout(400)
            shot(page, f"approvals-portal-disapprove-{suffix}")
            page.goto(f"{base}/portal/approvals/{ids['rejected']}")
            shot(page, f"approvals-portal-answered-{suffix}")
            context.close()
        browser.close()
    server.shutdown()

    with app.app_context():
        from dashboard.notify.outbox import delivery_queue

        try:
            delivery_queue().delete(delete_jobs=True)
        except Exception as error:  # Redis not running: nothing was queued there
            print(f"(queue not deleted: {error})")
    for path in shots:
        print(path.relative_to(out.parent) if out.parent in path.parents else path)


if __name__ == "__main__":
    main()
