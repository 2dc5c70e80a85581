"""Screenshots of proposals & engagement letters in each language: staff (desktop and phone)
see the account's tab, a signed proposal, the new-proposal form from the template, the firm's
page and the template form; clients (phone) see their list, a letter to sign and a signed one.

On its own throwaway demo database, this script sends through the services one proposal to a
client in each language and has the French one signed (sealed), so every page has content.

Usage: .venv/bin/python scripts/screenshots_proposals.py [out_dir]   (default /tmp/shots_proposals)
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
CLIENT_NAMES = {
    "en": "Emily Chen",
    "fr": "Claire Martin",
    "pt_PT": "Rui Lopes",
    "nl": "Sanne de Boer",
}
PROBLEMS: list[str] = []


def _seed() -> dict:
    from sqlalchemy import select

    from dashboard.accounts.models import Account, Contact
    from dashboard.auth.models import User
    from dashboard.extensions import db
    from dashboard.notify import outbox
    from dashboard.proposals import service
    from dashboard.proposals.models import ProposalTemplate
    from dashboard.proposals.signed_pdf import make_signed_pdf
    from dashboard.signatures.evidence import RequestFacts

    outbox.enqueue_delivery = lambda ids: True  # emails stay in the outbox, as in the demo
    owner = db.session.scalar(select(User).where(User.email == STAFF["en"]))
    template = db.session.scalar(select(ProposalTemplate))
    clients = {}
    for locale in CLIENT_NAMES:
        contact = db.session.scalar(
            select(Contact)
            .join(User, User.id == Contact.user_id)
            .where(User.language == locale, Contact.portal_access, Contact.notify)
            .order_by(Contact.id)
        )
        user = contact.user
        account = db.session.get(Account, contact.account_id)
        proposal = service.create_draft(owner, account, service.template_input(template), template)
        service.send_proposal(owner, proposal)
        db.session.commit()
        clients[locale] = {"email": user.email, "open": proposal.id, "account": account.id}
    french = clients["fr"]
    signed = service.create_draft(
        owner,
        db.session.get(Account, french["account"]),
        service.template_input(template),
        template,
    )
    service.send_proposal(owner, signed)
    client = db.session.scalar(select(User).where(User.email == french["email"]))
    service.record_view(client, signed)
    service.sign(
        client,
        signed,
        method="typed",
        typed_name=client.name,
        drawing=None,
        consent=True,
        shown_sha256=signed.content_sha256,
        consent_locale="fr",
        facts=RequestFacts("192.0.2.10", "Mozilla/5.0 (iPhone) Safari"),
    )
    db.session.commit()
    make_signed_pdf(signed.id)
    return {
        "clients": clients,
        "signed": signed.id,
        "account": french["account"],
        "template": template.id,
    }


def _page(browser, width: int, height: int) -> Page:
    page = browser.new_page(viewport={"width": width, "height": height}, is_mobile=width < 500)
    page.on("pageerror", lambda error: PROBLEMS.append(f"{page.url}: {error}"))
    page.on(
        "response", lambda r: PROBLEMS.append(f"{r.status} {r.url}") if r.status >= 400 else None
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
    account, signed = ids["account"], ids["signed"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for locale in LOCALES:
            for size, (width, height) in SIZES.items():
                page = _page(browser, width, height)
                log_in(page, base, STAFF[locale], "/clients")
                suffix = f"{locale}-{size}"
                for name, url in (
                    ("tab", f"/clients/{account}/proposals"),
                    ("signed", f"/clients/{account}/proposals/{signed}"),
                    ("new", f"/clients/{account}/proposals/new?template={ids['template']}"),
                    ("firm", "/proposals?state=all"),
                    ("template", f"/proposals/templates/{ids['template']}"),
                ):
                    page.goto(base + url)
                    _shot(page, out / f"staff-{name}-{suffix}.png")
                page.close()
            client = ids["clients"][locale]
            phone = _page(browser, *SIZES["phone"])
            log_in(phone, base, client["email"], "/portal/")
            for name, url in (
                ("list", "/portal/proposals"),
                ("sign", f"/portal/proposals/{client['open']}"),
            ):
                phone.goto(base + url)
                _shot(phone, out / f"client-{name}-{locale}.png")
            if locale == "fr":
                phone.goto(f"{base}/portal/proposals/{signed}")
                _shot(phone, out / "client-signed-fr.png")
            phone.close()
        browser.close()
    server.shutdown()
    print("\n".join(PROBLEMS) or "no problems")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/shots_proposals"))
