"""Screenshots of organizers in each language: staff (desktop and phone) see the account's tab,
a submitted organizer's answers, the send form, the firm's page and the template editor;
clients (phone) see their list and the fill page (an organizer sent to them by this script).

Usage: .venv/bin/python scripts/screenshots_organizers.py [out_dir]  (default /tmp/shots_organizers)
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.screenshots import ARGS, SIZES, STAFF  # noqa: E402
from scripts.shotkit import demo_app, log_in, serve  # noqa: E402

LOCALES = ("en", "fr", "pt_PT", "nl")
PROBLEMS: list[str] = []


def _seed() -> dict:
    from sqlalchemy import select

    from dashboard.accounts.models import Contact
    from dashboard.auth.models import User
    from dashboard.extensions import db
    from dashboard.notify import outbox
    from dashboard.organizers import service
    from dashboard.organizers.models import Organizer, OrganizerTemplate
    from dashboard.reminders.service import ReminderSettings

    outbox.enqueue_delivery = lambda ids: True
    owner = db.session.scalar(select(User).where(User.email == STAFF["en"]))
    template = db.session.scalar(select(OrganizerTemplate))
    clients = {}
    for locale in LOCALES:
        contact = db.session.scalar(
            select(Contact)
            .join(User, User.id == Contact.user_id)
            .where(User.language == locale, Contact.portal_access, Contact.notify)
            .order_by(Contact.id)
        )
        organizer = service.send_organizer(
            owner, contact.account, template, "", ReminderSettings(True, 4, 3)
        )
        service.save_answer(contact.user, organizer, "name", [contact.user.name])
        service.save_answer(contact.user, organizer, "children", ["yes"])
        db.session.commit()
        clients[locale] = {"email": contact.user.email, "open": organizer.id}
    submitted = db.session.scalar(select(Organizer).where(Organizer.state == "submitted"))
    return {
        "clients": clients,
        "submitted": submitted.id,
        "account": submitted.account_id,
        "template": template.id,
    }


def _page(browser, width: int, height: int) -> Page:
    page = browser.new_page(viewport={"width": width, "height": height}, is_mobile=width < 500)
    page.on("pageerror", lambda error: PROBLEMS.append(f"{page.url}: {error}"))
    page.on(
        "console",
        lambda m: PROBLEMS.append(f"{page.url}: {m.text}") if m.type == "error" else None,
    )
    return page


def _shot(page: Page, path: Path) -> None:
    page.wait_for_timeout(250)
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width > inner:
        PROBLEMS.append(f"{path.name}: {width} px wide in a {inner} px window")
    page.screenshot(path=path, full_page=True)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    app, _ = demo_app()
    with app.app_context():
        ids = _seed()
    server, base = serve(app)
    account = ids["account"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for locale in LOCALES:
            for size, (width, height) in SIZES.items():
                page = _page(browser, width, height)
                log_in(page, base, STAFF[locale], "/clients")
                for name, url in (
                    ("tab", f"/clients/{account}/organizers"),
                    ("answers", f"/clients/{account}/organizers/{ids['submitted']}"),
                    ("send", f"/clients/{account}/organizers/new?template={ids['template']}"),
                    ("firm", "/organizers"),
                    ("template", f"/organizers/templates/{ids['template']}"),
                ):
                    page.goto(base + url)
                    _shot(page, out / f"staff-{name}-{locale}-{size}.png")
                page.close()
            client = ids["clients"][locale]
            phone = _page(browser, *SIZES["phone"])
            log_in(phone, base, client["email"], "/portal/")
            for name, url in (
                ("list", "/portal/organizers"),
                ("fill", f"/portal/organizers/{client['open']}"),
            ):
                phone.goto(base + url)
                _shot(phone, out / f"client-{name}-{locale}.png")
            phone.close()
        browser.close()
    server.shutdown()
    print("\n".join(PROBLEMS) or "no problems")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/shots_organizers"))
