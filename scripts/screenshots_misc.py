"""Screenshots for a visual check of Inbox+, the staff menu on a phone, an error page and
Caught emails. Usage: .venv/bin/python scripts/screenshots_misc.py [out_dir] (default /tmp/shots)
"""

from __future__ import annotations

import sys
from email.message import EmailMessage
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from screenshots import ARGS  # noqa: E402
from shotkit import demo_app, log_in, serve  # noqa: E402


def _catch_one(app, folder: Path) -> None:
    """Write one rendered outbox email to the sink folder, as the SMTP sink would."""
    from sqlalchemy import select

    from dashboard.extensions import db
    from dashboard.notify.emails import render
    from dashboard.notify.models import OutboxEmail

    with app.app_context():
        row = db.session.scalar(
            select(OutboxEmail).where(OutboxEmail.item_id.is_not(None)).limit(1)
        )
        rendered = render(row)
        message = EmailMessage()
        message["From"], message["To"] = rendered.sender, row.to_email
        message["Subject"] = rendered.subject
        if rendered.reply_to:
            message["Reply-To"] = rendered.reply_to
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "9999999999-demo.eml").write_bytes(bytes(message))


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/shots")
    out.mkdir(parents=True, exist_ok=True)
    app, work = demo_app(MAIL_SINK_DIR="{work}/mail")
    _catch_one(app, work / "mail")
    server, base = serve(app)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for size, (width, height) in {"desktop": (1366, 900), "phone": (390, 844)}.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            log_in(page, base, "owner@demo.relance.test", "/clients")
            page.goto(f"{base}/inbox")
            page.screenshot(path=out / f"misc-inbox-{size}.png", full_page=True)
            if size == "phone":
                page.goto(f"{base}/clients")
                page.screenshot(path=out / "misc-staff-phone.png")
                page.click("[data-testid=sidebar-toggle]")
                page.wait_for_selector("#staff-sidebar.show")
                page.wait_for_timeout(400)
                page.screenshot(path=out / "misc-staff-phone-offcanvas.png")
                page.goto(f"{base}/clients")
            page.goto(f"{base}/clients/999999")
            page.screenshot(path=out / f"misc-error-staff-{size}.png", full_page=True)
            page.goto(f"{base}/dev/mail")
            page.screenshot(path=out / f"misc-caught-{size}.png", full_page=True)
            page.goto(f"{base}/dev/mail/9999999999-demo.eml")
            page.wait_for_timeout(300)
            page.screenshot(path=out / f"misc-caught-message-{size}.png", full_page=True)
            page.close()
        page = browser.new_page(viewport={"width": 390, "height": 844})
        log_in(page, base, "claire.martin.0@client.relance.test", "/portal/")
        page.goto(f"{base}/portal/chats/new")
        width = page.evaluate("document.documentElement.scrollWidth")
        print("portal new chat scrollWidth at 390:", width)
        page.screenshot(path=out / "misc-portal-new-chat-phone.png", full_page=True)
        page.goto(f"{base}/portal/nothing-here")
        page.screenshot(path=out / "misc-error-portal-phone.png", full_page=True)
        page.close()
        page = browser.new_page(viewport={"width": 1366, "height": 700})
        page.goto(f"{base}/nothing-here")
        page.screenshot(path=out / "misc-error-anonymous.png")
        browser.close()
    server.shutdown()
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main()
