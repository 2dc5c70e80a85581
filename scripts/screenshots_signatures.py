"""Screenshots of signatures (staff viewer with the request form and placed boxes, the Docs ›
Signatures sub-tab, the client's sign page typed and drawn, the signed copy's pages) in each
language at desktop and phone widths, for a visual check.

The demo has no signature requests: this script makes them through the services (request,
sign, decline, cancel, seal) on its own throwaway demo database.

Usage: .venv/bin/python scripts/screenshots_signatures.py [out_dir]
       (default: /tmp/shots_signatures/)
Needs Redis only as a name (REDIS_URL db 7): the demo's emails are marked queued, not sent.
"""

from __future__ import annotations

import subprocess
import sys
from io import BytesIO
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.screenshots import ARGS, SIZES, STAFF  # noqa: E402
from scripts.shotkit import demo_app, log_in, serve  # noqa: E402

LOCALES = ("en", "fr", "pt_PT", "nl")
#: The demo's first portal client speaking each language (dashboard/demo.py CONTACT_NAMES).
CLIENT_NAMES = {
    "en": "Emily Chen",
    "fr": "Claire Martin",
    "pt_PT": "Rui Lopes",
    "nl": "Sanne de Boer",
}
#: The staff's account: two portal contacts (Hugo Moreau, fr; Bram Hoekstra, nl).
STAFF_ACCOUNT = "Atelier Moreau"
BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added, .collapsing"
MESSAGES = {
    "en": "Hello, here is the engagement letter for 2025. Could you sign it this week?",
    "fr": "Bonjour, voici la lettre de mission 2025. Pourriez-vous la signer cette semaine ?",
    "pt_PT": "Bom dia, segue a carta de compromisso de 2025. Pode assiná-la esta semana?",
    "nl": "Goedendag, hierbij de opdrachtbevestiging 2025. Wilt u die deze week ondertekenen?",
}
TITLES = {
    "en": "Engagement letter 2025",
    "fr": "Lettre de mission 2025",
    "pt_PT": "Carta de compromisso 2025",
    "nl": "Opdrachtbevestiging 2025",
}


def letter_pdf(title: str, pages: int = 2) -> bytes:
    """An A4 letter of `pages` pages with paragraphs and a place to sign (WeasyPrint)."""
    from weasyprint import HTML

    paragraph = (
        "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit. Integer posuere erat a ante "
        "venenatis dapibus posuere velit aliquet. Donec ullamcorper nulla non metus auctor "
        "fringilla. Vestibulum id ligula porta felis euismod semper.</p>"
    )
    body = "".join(
        f'<section style="break-after: page"><h1>{title}</h1><p>Page {n} / {pages}</p>'
        f"{paragraph * 6}<p style='margin-top: 4cm'>Signature:</p></section>"
        for n in range(1, pages + 1)
    )
    style = "@page { size: A4; margin: 2cm } body { font-family: sans-serif; font-size: 11pt }"
    return HTML(string=f"<html><style>{style}</style><body>{body}</body></html>").write_pdf()


def drawing_png() -> bytes:
    """A drawn signature as the pad sends it: a transparent PNG with a looping stroke."""
    import math

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    points = [
        (40 + t * 5.2, 120 - 55 * math.sin(t / 6.0) * math.exp(-t / 160) - t * 0.25)
        for t in range(0, 100)
    ]
    draw = ImageDraw.Draw(image)
    draw.line(points, fill=(13, 42, 102, 255), width=5, joint="curve")
    draw.line([(60, 160), (540, 150)], fill=(13, 42, 102, 255), width=3)
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _seed() -> dict:
    """Signature requests through the services; returns what the shots need (ids, paths)."""
    from sqlalchemy import select

    from dashboard.accounts.models import Account, Contact, Folder
    from dashboard.auth.models import Firm, User
    from dashboard.documents.service import add_document_bytes
    from dashboard.extensions import db
    from dashboard.notify import outbox
    from dashboard.reminders.service import ReminderSettings
    from dashboard.signatures import service
    from dashboard.signatures.evidence import RequestFacts
    from dashboard.signatures.signed_copy import make_signed_copy

    original_enqueue = outbox.enqueue_delivery
    outbox.enqueue_delivery = lambda ids: True  # emails stay in the outbox, as in the demo
    try:
        firm = db.session.scalar(select(Firm))
        settings = ReminderSettings(True, 3, 2)
        owner = db.session.scalar(select(User).where(User.email == STAFF["en"]))
        amelie = db.session.scalar(select(User).where(User.email == STAFF["fr"]))
        facts = RequestFacts(
            "203.0.113.7",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        )
        drawing = drawing_png()

        def view_folder(account_id: int) -> Folder:
            return db.session.scalar(
                select(Folder).where(
                    Folder.account_id == account_id,
                    Folder.access == "view",
                    Folder.parent_id.is_(None),
                )
            )

        def add_pdf(account_id: int, name: str, pages: int = 2):
            folder = view_folder(account_id)
            data = letter_pdf(name.removesuffix(".pdf"), pages)
            return add_document_bytes(amelie, folder, name, data, "application/pdf")

        def request(document, users, places=None, in_order=False, message=""):
            places = places or {}
            specs = [service.SignerSpec(u.id, *places.get(u.id, (None, None, None))) for u in users]
            made = service.request_signatures(
                amelie,
                document,
                specs,
                in_order=in_order,
                message=message,
                settings=settings,
            )
            db.session.commit()
            return made

        def sign(made, user, method, typed_name=None):
            signer = next(s for s in made.signers if s.user_id == user.id)
            service.record_view(user, signer)
            service.sign(
                user,
                made,
                signer,
                method=method,
                typed_name=typed_name or user.name,
                drawing=drawing if method == "drawn" else None,
                consent=True,
                shown_sha256=made.document_sha256,
                consent_locale=user.language or "en",
                facts=facts,
            )
            db.session.commit()

        def seal(made, locale: str) -> None:
            """Seal with the certificate page in `locale` (the firm's language at that time)."""
            kept = firm.default_language
            firm.default_language = locale
            db.session.commit()
            assert make_signed_copy(made.id), made.seal_error
            firm.default_language = kept
            db.session.commit()

        # --- the staff account: a request in every state --------------------------------
        account = db.session.scalar(select(Account).where(Account.name == STAFF_ACCOUNT))
        contacts = db.session.scalars(
            select(Contact)
            .where(Contact.account_id == account.id, Contact.portal_access.is_(True))
            .order_by(Contact.id)
        ).all()
        hugo, bram = contacts[0].user, contacts[1].user
        fresh = add_pdf(account.id, "Contrat de prestation 2025.pdf")
        declined = request(add_pdf(account.id, "Procuration fiscale.pdf", 1), [bram])
        signer = declined.signers[0]
        service.decline(
            bram,
            declined,
            signer,
            "Het adres op pagina 1 klopt niet meer: wij zijn in maart verhuisd naar "
            "Keizersgracht 123, Amsterdam. Kunt u het aanpassen?",
            facts,
        )
        db.session.commit()
        cancelled = request(add_pdf(account.id, "Mandat SEPA.pdf", 1), [hugo])
        service.cancel_request(owner, cancelled)
        db.session.commit()
        signed = request(
            add_pdf(account.id, "Bilan 2024 - liasse fiscale et annexes.pdf"),
            [hugo, bram],
            places={hugo.id: (2, 0.08, 0.72), bram.id: (2, 0.56, 0.72)},
        )
        sign(signed, hugo, "drawn")
        sign(signed, bram, "typed", "Bram Hendrik Johannes van den Hoekstra-Vermeulen")
        seal(signed, "fr")
        partial = request(
            add_pdf(account.id, "Lettre de mission 2025.pdf"),
            [hugo, bram],
            message=MESSAGES["fr"],
        )
        sign(partial, hugo, "drawn")
        awaiting = request(
            add_pdf(account.id, "Statuts modifiés - assemblée générale extraordinaire.pdf"),
            [hugo, bram],
            places={hugo.id: (1, 0.1, 0.8)},
            in_order=True,
            message=MESSAGES["fr"],
        )

        # --- one client per language: a request to sign, and one signed and sealed --------
        clients = {}
        for locale, name in CLIENT_NAMES.items():
            user = db.session.scalar(select(User).where(User.name == name, User.role == "client"))
            contact = db.session.scalar(select(Contact).where(Contact.user_id == user.id))
            pending = request(
                add_pdf(contact.account_id, f"{TITLES[locale]}.pdf"),
                [user],
                places={user.id: (2, 0.1, 0.75)},
                message=MESSAGES[locale],
            )
            done = request(
                add_pdf(contact.account_id, f"{TITLES[locale]} - annexe.pdf", 1),
                [user],
                places={user.id: (1, 0.1, 0.78)},
            )
            sign(done, user, "drawn" if locale in ("pt_PT", "nl") else "typed")
            seal(done, locale)
            db.session.refresh(done)
            clients[locale] = {
                "email": user.email,
                "pending": pending.id,
                "signed": done.id,
                "signed_copy": done.signed_document.storage_key,
            }
        db.session.refresh(signed)
        return {
            "account": account.id,
            "fresh": fresh.id,
            "hugo": hugo.id,
            "bram": bram.id,
            "awaiting_document": awaiting.document_id,
            "signed_copy_document": signed.signed_document_id,
            "signed_copy": signed.signed_document.storage_key,
            "partial": partial.id,
            "partial_document": partial.document_id,
            "clients": clients,
        }
    finally:
        outbox.enqueue_delivery = original_enqueue


PROBLEMS: list[str] = []


def _new_page(browser, width: int, height: int) -> Page:
    """A page whose script errors and failed requests are collected in PROBLEMS."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.on("pageerror", lambda error: PROBLEMS.append(f"{page.url}: {error}"))
    page.on(
        "response",
        lambda r: PROBLEMS.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    return page


def _settle(page: Page) -> None:
    page.wait_for_function("sel => !document.querySelector(sel)", arg=BUSY)


def _full(page: Page, path: Path) -> None:
    """A full-page shot from the top (a sticky preview toolbar follows the scroll otherwise)."""
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(200)
    page.screenshot(path=path, full_page=True)


def _pdf_drawn(page: Page) -> None:
    page.wait_for_selector("[data-testid=document-preview] .doc-preview-page canvas", timeout=15000)
    page.wait_for_timeout(300)


def _place(page: Page, uid: int, x: float, y: float) -> None:
    page.get_by_test_id(f"place-{uid}").click()
    page.wait_for_selector("[data-testid=document-preview][data-placing]")
    page.wait_for_timeout(700)  # the smooth scroll to the preview
    slot = page.locator('.doc-preview-page[data-page="1"]')
    box = slot.bounding_box()
    slot.click(position={"x": box["width"] * x, "y": box["height"] * y})
    page.wait_for_selector(f'[data-marker-for="{uid}"]')


def _draw(page: Page) -> None:
    import math

    pad = page.get_by_test_id("signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    left, top, width, height = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(left + width * 0.08, top + height * 0.65)
    page.mouse.down()
    for t in range(1, 60):
        page.mouse.move(
            left + width * (0.08 + t * 0.0135),
            top + height * (0.6 - 0.3 * math.sin(t / 3.2) * math.exp(-t / 90) - t * 0.002),
        )
    page.mouse.up()


def _staff_shots(browser, base: str, out: Path, ids: dict) -> None:
    account = ids["account"]
    for width, height in SIZES.values():
        for locale in LOCALES:
            page = _new_page(browser, width, height)
            log_in(page, base, STAFF[locale], "/clients")
            suffix = f"{locale}-{width}"

            # (i) the viewer with the request form open and both boxes placed
            page.goto(f"{base}/clients/{account}/documents/{ids['fresh']}")
            _pdf_drawn(page)
            page.get_by_test_id("viewer-request-signature").click()
            _settle(page)
            for uid in (ids["hugo"], ids["bram"]):
                page.get_by_test_id(f"signer-{uid}").check()
            _place(page, ids["hugo"], 0.1, 0.15)
            _place(page, ids["bram"], 0.55, 0.15)
            _full(page, out / f"staff-viewer-request-{suffix}.png")
            page.locator("#request-signature").screenshot(
                path=out / f"staff-viewer-request-form-{suffix}.png"
            )
            page.locator('.doc-preview-page[data-page="1"]').screenshot(
                path=out / f"staff-viewer-markers-{suffix}.png"
            )

            # the viewer of a pending request (in order) and of a signed copy
            page.goto(f"{base}/clients/{account}/documents/{ids['awaiting_document']}")
            _pdf_drawn(page)
            _full(page, out / f"staff-viewer-pending-{suffix}.png")
            page.goto(f"{base}/clients/{account}/documents/{ids['partial_document']}")
            _pdf_drawn(page)
            _full(page, out / f"staff-viewer-partial-{suffix}.png")
            page.goto(f"{base}/clients/{account}/documents/{ids['signed_copy_document']}")
            _pdf_drawn(page)
            _full(page, out / f"staff-viewer-signed-copy-{suffix}.png")

            # (ii) Docs › Signatures: awaiting, partial, signed, declined, cancelled
            page.goto(f"{base}/clients/{account}/docs/signatures")
            _full(page, out / f"staff-subtab-{suffix}.png")
            page.get_by_test_id(f"signature-menu-{ids['partial']}").click()
            page.wait_for_timeout(300)
            page.screenshot(path=out / f"staff-subtab-menu-{suffix}.png", full_page=False)
            page.close()


def _client_shots(browser, base: str, out: Path, ids: dict) -> None:
    for width, height in SIZES.values():
        for locale, client in ids["clients"].items():
            page = _new_page(browser, width, height)
            log_in(page, base, client["email"], "/portal/")
            suffix = f"{locale}-{width}"
            # (iii) the sign page: Type (the default), then Draw
            page.goto(f"{base}/portal/signatures/{client['pending']}")
            _pdf_drawn(page)
            _full(page, out / f"client-sign-typed-{suffix}.png")
            page.locator("#sign-form").screenshot(path=out / f"client-sign-form-typed-{suffix}.png")
            page.get_by_test_id("typed-name").fill("Maria Carolina de Albuquerque Rodrigues")
            page.locator("#sign-form").screenshot(path=out / f"client-sign-form-long-{suffix}.png")
            page.locator("label[for=method-drawn]").click()
            page.wait_for_selector("[data-testid=signature-pad]", state="visible")
            _draw(page)
            page.get_by_test_id("consent").check()
            page.locator("#sign-form").screenshot(path=out / f"client-sign-form-drawn-{suffix}.png")
            _full(page, out / f"client-sign-drawn-{suffix}.png")
            page.get_by_test_id("decline-open").click()
            page.wait_for_timeout(500)
            page.get_by_test_id("decline-reason").scroll_into_view_if_needed()
            page.screenshot(path=out / f"client-sign-decline-{suffix}.png", full_page=False)
            # after signing: the signed copy to download
            page.goto(f"{base}/portal/signatures/{client['signed']}")
            _pdf_drawn(page)
            _full(page, out / f"client-signed-{suffix}.png")
            page.close()


def _pdf_pages(out: Path, ids: dict) -> None:
    """(iv) the signed copies' stamped page and certificate page, as PNGs (pdftoppm)."""
    from pypdf import PdfReader

    from dashboard.documents import storage

    copies = {"staff-fr": ids["signed_copy"]}
    copies.update({f"client-{loc}": c["signed_copy"] for loc, c in ids["clients"].items()})
    for name, key in copies.items():
        path = storage.path_for(key)
        pages = len(PdfReader(path).pages)
        for label, number in (("stamped", pages - 1), ("certificate", pages)):
            target = out / f"signed-copy-{name}-{label}"
            subprocess.run(
                ["pdftoppm", "-png", "-r", "110", "-f", str(number), "-l", str(number),
                 "-singlefile", str(path), str(target)],
                check=True,
            )  # fmt: skip


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/shots_signatures")
    out.mkdir(parents=True, exist_ok=True)
    app, _ = demo_app(REDIS_URL="redis://127.0.0.1:6379/7", RQ_QUEUE="relance-shots-signatures")
    with app.app_context():
        ids = _seed()
    server, base = serve(app)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        _staff_shots(browser, base, out, ids)
        _client_shots(browser, base, out, ids)
        browser.close()
    server.shutdown()
    with app.app_context():
        _pdf_pages(out, ids)
    print(f"screenshots in {out}")
    for problem in PROBLEMS:
        print("PROBLEM", problem)


if __name__ == "__main__":
    main()
