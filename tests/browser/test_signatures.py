"""Signatures in the browser: clients sign on a phone (drawn in Portuguese, typed in Dutch),
staff (French, on a phone too) follow the request on the Docs › Signatures sub-tab and open
the sealed copy, and staff place a signer's box on the PDF preview before sending the request.

Texts are checked through the app's own catalogs (`_shown`, as in test_approvals.py): while an
entry is untranslated the page shows the English text and that is what is asserted; selectors
never depend on wording.
"""

from __future__ import annotations

import re

from flask import Flask
from flask_babel import force_locale, gettext
from playwright.sync_api import Browser, Page, expect

from dashboard.auth.models import User
from dashboard.extensions import db
from dashboard.signatures.models import SignatureRequest, Signer
from dashboard.signatures.signed_copy import make_signed_copy
from tests.conftest import DEMO_PASSWORD
from tests.factories import make_contact
from tests.signatures.helpers import add_pdf, make_request, sign_as

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
#: What is still moving after an htmx swap or a Bootstrap collapse: wait until none is left.
BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added, .collapsing"


def _shown(app: Flask, locale: str, msgid: str, **variables) -> str:
    """What the app displays for `msgid` to a reader of `locale`, with today's catalogs."""
    with app.test_request_context(), force_locale(locale):
        return gettext(msgid, **variables)


def _word(app: Flask, locale: str, msgid: str, expected: str) -> str:
    """A status word as the page shows it; once the catalog translates it, it must be
    `expected` (the glossary's word)."""
    shown = _shown(app, locale, msgid)
    if shown != msgid:
        assert shown == expected, f"{locale} catalog says {shown!r} for {msgid!r}"
    return shown


def _login(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login"))


def _settle(page: Page) -> None:
    page.wait_for_function("sel => !document.querySelector(sel)", arg=BUSY)


def _watch_errors(page: Page) -> list[str]:
    """Script errors and failed requests (a 4xx/5xx of an asset, a CSP refusal)."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda m: problems.append(m.text) if m.type == "error" else None,
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and "favicon" not in r.url
            else None
        ),
    )
    return problems


def _first_page_drawn(page: Page) -> None:
    preview = page.get_by_test_id("document-preview")
    expect(preview.locator(".doc-preview-page").first.locator("canvas")).to_be_visible(
        timeout=15_000
    )


def _signer(request_id: int, user_id: int) -> Signer:
    db.session.rollback()  # read what the server committed; hold no read transaction after
    signer = db.session.query(Signer).filter_by(request_id=request_id, user_id=user_id).one()
    db.session.refresh(signer)
    return signer


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_portuguese_client_draws_a_signature_on_a_phone(
    browser: Browser, server_url, world, app, redis_queue
):
    """Does a client in Portuguese, on a 390 px phone, sign by drawing with the mouse, tick the
    consent and see that she signed, the signer being stored as signed, drawn, with a PNG?"""
    a = world.a
    a.contact.user.language = "pt_PT"
    document = add_pdf(a.folders["view"], a.staff, "contrato.pdf")
    request = make_request(a.staff, document, [a.contact.user])
    request_id, user_id, email = request.id, a.contact.user.id, a.contact.user.email
    db.session.commit()

    phone = browser.new_context(viewport=PHONE).new_page()
    _login(phone, server_url, email)
    problems = _watch_errors(phone)
    phone.goto(f"{server_url}/portal/signatures/{request_id}")
    expect(phone.locator("html")).to_have_attribute("lang", "pt-PT")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("contrato.pdf")
    _first_page_drawn(phone)

    pad = phone.get_by_test_id("signature-pad")
    expect(pad).to_be_hidden()  # Type is the default
    phone.locator("label[for=method-drawn]").click()
    expect(phone.get_by_test_id("method-drawn")).to_be_checked()
    expect(pad).to_be_visible()
    expect(phone.get_by_test_id("typed-name")).to_be_hidden()
    phone.get_by_test_id("consent").check()
    phone.get_by_test_id("sign-submit").click()  # nothing drawn yet: refused in the page
    expect(phone.locator("[data-drawing-missing]")).to_have_text(
        _shown(app, "pt_PT", "Draw your signature first.")
    )
    expect(phone).to_have_url(f"{server_url}/portal/signatures/{request_id}")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None and box["width"] > 250  # the pad spans the phone's width
    left, top, width, height = box["x"], box["y"], box["width"], box["height"]
    phone.mouse.move(left + width * 0.1, top + height * 0.7)
    phone.mouse.down()
    for step in range(1, 13):
        phone.mouse.move(
            left + width * (0.1 + 0.065 * step),
            top + height * (0.7 - 0.45 * (step % 2)),
            steps=3,
        )
    phone.mouse.up()
    assert phone.evaluate(
        """() => {
          const pad = document.querySelector('[data-signature-pad]');
          const blank = Object.assign(document.createElement('canvas'),
                                      {width: pad.width, height: pad.height});
          return pad.width > 0 && pad.toDataURL() !== blank.toDataURL();
        }"""
    ), "nothing was drawn on the pad"

    expect(phone.get_by_test_id("consent")).to_be_checked()
    expect(phone.get_by_test_id("sign-submit")).to_have_text(_shown(app, "pt_PT", "Sign"))
    with phone.expect_navigation():
        phone.get_by_test_id("sign-submit").click()
    expect(phone).to_have_url(f"{server_url}/portal/signatures/{request_id}")
    expect(phone.get_by_test_id("you-signed")).to_be_visible()
    expect(phone.get_by_test_id("sign-submit")).to_have_count(0)
    expect(phone.locator("body")).to_contain_text(
        _shown(app, "pt_PT", "Thank you: your signature is recorded.")
    )
    expect(phone.get_by_test_id("signature-status")).to_have_text(_shown(app, "pt_PT", "Signed"))
    _no_sideways_scroll(phone)

    signer = _signer(request_id, user_id)
    assert signer.state == "signed" and signer.method == "drawn"
    assert signer.drawing_png and signer.drawing_png.startswith(b"\x89PNG\r\n\x1a\n")
    assert signer.consent_locale == "pt_PT"
    sealed = db.session.get(SignatureRequest, request_id)
    assert sealed is not None and sealed.seal_state == "queued"  # the worker seals it next
    db.session.rollback()
    assert problems == []
    phone.context.close()


def test_dutch_client_types_her_name_and_signs(browser: Browser, server_url, world, app):
    """Does a client in Dutch sign by typing her name (shown in the script font as she types),
    the request staying partially signed while the other signer has not signed?"""
    a = world.a
    a.contact.user.language = "nl"
    other = make_contact(a.account, name="Second Signer", language="nl").user
    document = add_pdf(a.folders["view"], a.staff, "overeenkomst.pdf")
    request = make_request(a.staff, document, [a.contact.user, other])
    request_id, user_id, email = request.id, a.contact.user.id, a.contact.user.email
    db.session.commit()

    phone = browser.new_context(viewport=PHONE).new_page()
    _login(phone, server_url, email)
    problems = _watch_errors(phone)
    phone.goto(f"{server_url}/portal/signatures/{request_id}")
    expect(phone.locator("html")).to_have_attribute("lang", "nl")
    expect(phone.get_by_test_id("method-typed")).to_be_checked()
    typed = phone.get_by_test_id("typed-name")
    expect(typed).to_be_visible()
    typed.fill("Anneke van der Berg")
    expect(phone.locator("[data-typed-preview]")).to_have_text("Anneke van der Berg")
    phone.get_by_test_id("consent").check()
    with phone.expect_navigation():
        phone.get_by_test_id("sign-submit").click()
    expect(phone.get_by_test_id("you-signed")).to_be_visible()
    expect(phone.get_by_test_id("signature-status")).to_have_text(
        _shown(app, "nl", "Partially signed")
    )
    signers = phone.get_by_test_id("portal-signers").locator("li")
    expect(signers).to_have_count(2)
    expect(signers.filter(has_text="Second Signer")).to_contain_text(
        _shown(app, "nl", "Not signed yet")
    )
    _no_sideways_scroll(phone)

    signer = _signer(request_id, user_id)
    assert signer.state == "signed" and signer.method == "typed"
    assert signer.typed_name == "Anneke van der Berg" and signer.drawing_png is None
    db.session.rollback()
    assert problems == []
    phone.context.close()


def test_french_staff_follows_the_request_and_opens_the_signed_copy(
    browser: Browser, server_url, world, app
):
    """Does staff in French, on a 390 px phone, see the request partially signed, then
    signed, on the Docs › Signatures sub-tab, and once the worker sealed it, open the signed
    copy in the viewer with its pages drawn by pdf.js, with no sideways scroll?"""
    a = world.a
    a.staff.language = "fr"
    first = a.contact.user
    second = make_contact(a.account, name="Zoë Second", language="fr").user
    document = add_pdf(a.folders["view"], a.staff, "lettre-de-mission.pdf")
    request = make_request(a.staff, document, [first, second], places={first.id: (1, 0.1, 0.75)})
    sign_as(request, first, "drawn")
    request_id, account_id, second_id = request.id, a.account.id, second.id
    staff_email = a.staff.email
    db.session.commit()
    db.session.rollback()

    staff = browser.new_context(viewport=PHONE).new_page()
    _login(staff, server_url, staff_email)
    problems = _watch_errors(staff)
    tab = f"{server_url}/clients/{account_id}/docs/signatures"
    staff.goto(tab)
    expect(staff.locator("html")).to_have_attribute("lang", "fr")
    expect(staff.get_by_test_id("subtab-signatures")).to_have_class(re.compile("active"))
    row = staff.locator(f"#signature-{request_id}")
    expect(row).to_have_attribute("data-status", "partial")
    expect(row).to_contain_text("lettre-de-mission.pdf")
    expect(staff.get_by_test_id(f"signature-status-{request_id}")).to_have_text(
        _word(app, "fr", "Partially signed", "Partiellement signé")
    )
    expect(row.locator("li[data-state=signed]")).to_have_count(1)
    expect(row.locator("li[data-state=waiting]")).to_contain_text("Zoë Second")
    expect(staff.get_by_test_id(f"signed-copy-{request_id}")).to_have_count(0)

    request = db.session.get(SignatureRequest, request_id)
    sign_as(request, db.session.get(User, second_id), "typed")
    db.session.rollback()
    staff.reload()
    expect(row).to_have_attribute("data-status", "signed")
    expect(staff.get_by_test_id(f"signature-status-{request_id}")).to_have_text(
        _word(app, "fr", "Signed", "Signé")
    )
    expect(row.locator("li[data-state=signed]")).to_have_count(2)
    expect(staff.get_by_test_id(f"signed-copy-{request_id}")).to_have_count(0)  # not sealed yet
    _no_sideways_scroll(staff)

    assert make_signed_copy(request_id) is True  # what the worker's job does
    sealed = db.session.get(SignatureRequest, request_id)
    assert sealed is not None
    copy_id, copy_name = sealed.signed_document_id, sealed.signed_document.name
    db.session.rollback()
    staff.reload()
    link = staff.get_by_test_id(f"signed-copy-{request_id}")
    expect(link).to_have_text(copy_name)
    link.click()
    expect(staff).to_have_url(f"{server_url}/clients/{account_id}/documents/{copy_id}")
    expect(staff.get_by_role("heading", level=1)).to_contain_text(copy_name)
    expect(staff.get_by_test_id("signed-copy-note")).to_be_visible()
    _first_page_drawn(staff)
    preview = staff.get_by_test_id("document-preview")
    expect(preview.locator(".doc-preview-page")).to_have_count(3)  # two pages, the certificate
    expect(staff.get_by_test_id("viewer-request-signature")).to_have_count(0)
    _no_sideways_scroll(staff)
    assert problems == []
    staff.context.close()


def test_staff_places_the_signers_box_on_the_preview_and_sends(
    browser: Browser, server_url, world, app
):
    """Does staff tick a signer, press Place, click page 1 of the preview, drag the box that
    appears, and send: the signer stored with page 1 and the dragged place (fractions)?"""
    a = world.a
    a.staff.language = "fr"
    document = add_pdf(a.folders["view"], a.staff, "bilan.pdf")
    account_id, document_id = a.account.id, document.id
    uid, silent_uid = a.contact.user_id, a.silent_contact.user_id
    staff_email = a.staff.email
    db.session.commit()

    staff = browser.new_context(viewport=DESKTOP).new_page()
    _login(staff, server_url, staff_email)
    problems = _watch_errors(staff)
    staff.goto(f"{server_url}/clients/{account_id}/documents/{document_id}")
    _first_page_drawn(staff)
    form = staff.locator("#request-signature")
    expect(form).to_be_hidden()
    opener = staff.get_by_test_id("viewer-request-signature")
    expect(opener).to_contain_text(_shown(app, "fr", "Request signature"))
    opener.click()
    _settle(staff)
    expect(form).to_be_visible()
    expect(staff.get_by_test_id(f"signer-{silent_uid}")).to_be_disabled()  # no portal access

    staff.get_by_test_id(f"signer-{uid}").check()
    staff.get_by_test_id(f"place-{uid}").click()
    preview = staff.get_by_test_id("document-preview")
    expect(preview).to_have_attribute("data-placing", str(uid))
    page_one = preview.locator('.doc-preview-page[data-page="1"]')
    slot = page_one.bounding_box()
    assert slot is not None
    page_one.click(position={"x": slot["width"] * 0.2, "y": slot["height"] * 0.1})
    expect(preview).not_to_have_attribute("data-placing", re.compile(".*"))

    marker = page_one.locator(f'[data-marker-for="{uid}"]')
    expect(marker).to_be_visible()
    expect(marker).to_have_text(a.contact.user.name)
    fields = {name: form.locator(f'input[name="{name}_{uid}"]') for name in ("page", "x", "y")}
    expect(fields["page"]).to_have_value("1")
    x0, y0 = (float(fields[name].input_value()) for name in ("x", "y"))
    assert abs(x0 - 0.2) < 0.01 and abs(y0 - 0.1) < 0.01
    expect(form.locator(f'[data-place-where="{uid}"]')).to_have_text(
        _shown(app, "fr", "Page %(page)s", page="1")
    )

    # Drag the box 80 px right and 50 px down.
    page_one.scroll_into_view_if_needed()
    box = marker.bounding_box()
    assert box is not None
    grab_x, grab_y = box["x"] + 10, box["y"] + 10
    staff.mouse.move(grab_x, grab_y)
    staff.mouse.down()
    staff.mouse.move(grab_x + 40, grab_y + 25, steps=4)
    staff.mouse.move(grab_x + 80, grab_y + 50, steps=4)
    staff.mouse.up()
    slot = page_one.bounding_box()
    assert slot is not None
    x1, y1 = (float(fields[name].input_value()) for name in ("x", "y"))
    assert abs(x1 - (x0 + 80 / slot["width"])) < 0.01
    assert abs(y1 - (y0 + 50 / slot["height"])) < 0.01
    moved = marker.bounding_box()
    assert moved is not None and abs(moved["x"] - (box["x"] + 80)) < 3
    expect(fields["page"]).to_have_value("1")

    with staff.expect_response(re.compile(r"/signature$")) as answer:
        form.get_by_test_id("signature-send").click()
    assert answer.value.status == 200
    _settle(staff)
    expect(staff.locator("#pending-signature")).to_be_visible()
    expect(staff.locator("#viewer-panel")).to_contain_text(
        _shown(app, "fr", "Signature requested.")
    )
    expect(staff.get_by_test_id("pending-signature-status")).to_have_text(
        _shown(app, "fr", "Awaiting signature")
    )
    expect(staff.get_by_test_id("viewer-request-signature")).to_have_count(0)

    db.session.rollback()
    request = db.session.query(SignatureRequest).filter_by(document_id=document_id).one()
    assert [s.user_id for s in request.signers] == [uid]
    signer = request.signers[0]
    assert signer.page == 1
    assert 0 <= signer.x <= 1 and 0 <= signer.y <= 1
    assert abs(signer.x - x1) < 1e-3 and abs(signer.y - y1) < 1e-3
    db.session.rollback()
    assert problems == []
    staff.context.close()
