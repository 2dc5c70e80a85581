"""An approval from request to disapproval: staff in Dutch, the client in Portuguese.

Texts are checked in each person's language through the app's own catalogs (`_shown`), so the
test follows the catalogs as they are completed: while an entry is still untranslated the page
shows the English text and that is what is asserted; the selectors never depend on wording.
Glossary words (`_term`) must, once translated, be exactly the glossary's.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from flask import Flask
from flask_babel import force_locale, gettext
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from dashboard.approvals.models import ApprovalRequest
from dashboard.extensions import db
from tests.conftest import DEMO_PASSWORD

GLOSSARY_CSV = Path(__file__).resolve().parents[2] / "translations" / "glossary.csv"
MESSAGE = "Bom dia, pode aprovar a declaração?"
COMMENT = "O NIF está errado e tenho dúvidas sobre a página 2."


def _shown(app: Flask, locale: str, msgid: str, **variables: str) -> str:
    """What the app displays for `msgid` to a reader of `locale`, with today's catalogs."""
    with app.test_request_context(), force_locale(locale):
        return gettext(msgid, **variables)


def _term(app: Flask, locale: str, key: str) -> str:
    """A glossary word as the page shows it; once translated it must be the glossary's."""
    with GLOSSARY_CSV.open(encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["key"] == key)
    shown = _shown(app, locale, row["en"])
    if shown != row["en"]:
        assert shown == row[locale], f"{locale} catalog departs from the glossary for {key!r}"
    return shown


def _login(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")


def test_client_disapproves_and_staff_reads_why(browser: Browser, server_url, world, app):
    """Staff (nl) requests approval with automatic reminders; the client (pt_PT) disapproves
    with two reasons and a comment: does staff see Rejected, the reasons, the comment and the
    audit entry?"""
    base = server_url
    account_id = world.a.account.id
    document = world.a.documents["view"]
    document_id, document_name = document.id, document.name
    world.a.staff.language = "nl"
    world.a.contact.user.language = "pt_PT"
    world.a.firm.reminders_enabled = False  # staff has to turn them on for this request
    staff_email, client_email = world.a.staff.email, world.a.contact.user.email
    client_name = world.a.contact.user.name
    db.session.commit()

    staff = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    client = browser.new_context(viewport={"width": 390, "height": 844}).new_page()

    # --- Staff requests approval from the document viewer -----------------------------------
    _login(staff, base, staff_email)
    expect(staff).to_have_url(f"{base}/clients")
    staff.goto(f"{base}/clients/{account_id}/documents/{document_id}")
    expect(staff.locator("html")).to_have_attribute("lang", "nl")
    expect(staff.get_by_role("heading", level=1)).to_contain_text(document_name)
    form = staff.locator("#request-approval")
    expect(form).to_be_hidden()
    # The preview lays its pages out (or, for this stub PDF, its error) as pdf.js loads; click
    # nothing until it has, and until the form has finished opening (Bootstrap adds `show` once
    # its height transition ends): a click during either lands where the checkbox was a frame
    # earlier (seen in CI: "Clicking the checkbox did not change its state").
    expect(staff.locator(".doc-preview-page, [data-testid=preview-error]").first).to_be_visible()
    staff.get_by_test_id("viewer-request-approval").click()
    expect(form).to_have_class(re.compile(r"\bshow\b"))
    expect(staff.get_by_test_id("viewer-request-approval")).to_contain_text(
        _term(app, "nl", "request_approval")
    )
    expect(form.get_by_text(_term(app, "nl", "automatic_reminders"))).to_be_visible()
    switch = staff.get_by_test_id("request-reminders")
    expect(switch).not_to_be_checked()
    staff.get_by_test_id("approval-message").fill(MESSAGE)
    switch.check()
    staff.get_by_test_id("request-interval").fill("2")
    staff.get_by_test_id("request-count").fill("3")
    with staff.expect_response(re.compile(r"/approval$")) as answer:
        staff.get_by_test_id("approval-send").click()
    assert answer.value.status == 200

    pending = staff.locator("#pending-approval")
    expect(pending).to_be_visible()
    expect(staff.locator("#viewer-panel")).to_contain_text(_shown(app, "nl", "Approval requested."))
    expect(pending).to_contain_text(_term(app, "nl", "awaiting_approval"))
    expect(pending).to_contain_text(MESSAGE)
    expect(staff.get_by_test_id("viewer-request-approval")).to_have_count(0)

    approval_id = db.session.scalar(
        select(ApprovalRequest.id).where(ApprovalRequest.document_id == document_id)
    )
    db.session.rollback()  # hold no read transaction while the server writes
    assert approval_id is not None
    expect(staff.get_by_test_id(f"item-{approval_id}-reminders")).to_be_checked()
    expect(staff.get_by_test_id(f"item-{approval_id}-interval")).to_have_value("2")
    expect(staff.get_by_test_id(f"item-{approval_id}-count")).to_have_value("3")
    expect(pending.locator(".timeline-entry.planned")).to_have_count(3)

    # --- The client, in Portuguese, disapproves from Pending action -------------------------
    _login(client, base, client_email)
    expect(client).to_have_url(f"{base}/portal/")
    expect(client.locator("html")).to_have_attribute("lang", "pt-PT")
    expect(client.get_by_role("heading", level=2)).to_have_text(
        _term(app, "pt_PT", "pending_action")
    )
    todo = client.get_by_test_id(f"todo-{approval_id}")
    expect(todo).to_contain_text(
        _shown(app, "pt_PT", "Approve %(document)s", document=document_name)
    )
    todo.click()
    expect(client).to_have_url(f"{base}/portal/approvals/{approval_id}")
    expect(client.get_by_role("heading", level=1)).to_contain_text(document_name)
    expect(client.locator("#approval-panel")).to_contain_text(MESSAGE)
    expect(client.get_by_test_id("approve")).to_have_text(_term(app, "pt_PT", "approve"))

    disapprove_form = client.locator("#disapprove-form")
    expect(disapprove_form).to_be_hidden()
    client.get_by_test_id("disapprove-open").click()
    expect(client.get_by_test_id("disapprove-open")).to_have_text(_term(app, "pt_PT", "disapprove"))
    expect(disapprove_form).to_be_visible()
    expect(disapprove_form).to_contain_text(_shown(app, "pt_PT", "Why do you disapprove?"))
    for key, label in (
        ("incorrect", "The information is incorrect"),
        ("questions", "I have questions"),
    ):
        reason = client.get_by_test_id(f"reason-{key}")
        expect(disapprove_form.locator(f"label[for=reason-{key}]")).to_have_text(
            _shown(app, "pt_PT", label)
        )
        reason.check()
        expect(reason).to_be_checked()
    expect(client.get_by_test_id("reason-incomplete")).not_to_be_checked()
    client.get_by_test_id("comment").fill(COMMENT)
    with client.expect_response(re.compile(r"/disapprove$")) as answer:
        client.get_by_test_id("disapprove").click()
    assert answer.value.status == 200

    panel = client.locator("#approval-panel")
    expect(panel).to_contain_text(
        _shown(app, "pt_PT", "Thank you: your accountant will see your reasons.")
    )
    expect(client.get_by_test_id("approval-status")).to_have_text(_term(app, "pt_PT", "rejected"))
    expect(client.get_by_test_id("disapprove")).to_have_count(0)
    client.goto(f"{base}/portal/")
    expect(client.get_by_test_id(f"todo-{approval_id}")).to_have_count(0)

    # --- Staff reads the disapproval in the Approvals sub-tab ------------------------------
    staff.goto(f"{base}/clients/{account_id}/info")
    staff.get_by_test_id("tab-docs").click()
    expect(staff).to_have_url(f"{base}/clients/{account_id}/docs")
    expect(staff.get_by_test_id("subtab-approvals")).to_have_text(_term(app, "nl", "approvals"))
    staff.get_by_test_id("subtab-approvals").click()
    expect(staff).to_have_url(f"{base}/clients/{account_id}/docs/approvals")
    expect(staff.get_by_test_id("subtab-approvals")).to_have_class(re.compile("active"))
    row = staff.locator(f"#approval-{approval_id}")
    expect(row).to_have_attribute("data-status", "rejected")
    expect(row).to_contain_text(document_name)
    expect(row.locator(".badge").last).to_have_text(_term(app, "nl", "rejected"))

    more_info = staff.locator(f"#more-info-{approval_id}")
    expect(more_info).to_be_hidden()
    staff.get_by_test_id(f"approval-menu-{approval_id}").click()
    show = staff.get_by_test_id(f"more-info-{approval_id}")
    expect(show).to_be_visible()
    # Fully on screen, not clipped by the table's scroll box (it is the last row).
    expect(show).to_be_in_viewport(ratio=1)
    expect(show).to_have_text(_term(app, "nl", "show_more_info"))
    show.click()
    expect(more_info).to_be_visible()
    reasons = more_info.locator("li")
    expect(reasons).to_have_text(
        [
            _shown(app, "nl", "The information is incorrect"),
            _shown(app, "nl", "I have questions"),
        ]
    )
    expect(more_info).to_contain_text(COMMENT)
    expect(more_info).to_contain_text(_shown(app, "nl", "Comment"))

    # --- ... and in the Audit trail --------------------------------------------------------
    staff.get_by_test_id("tab-audit").click()
    expect(staff).to_have_url(f"{base}/clients/{account_id}/audit")
    expect(staff.get_by_test_id("tab-audit")).to_have_text(_term(app, "nl", "audit_trail"))
    entry = staff.locator("#audit-panel tbody tr").filter(
        has_text=_shown(app, "nl", "Disapproved %(title)s", title=document_name)
    )
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(client_name)

    staff.context.close()
    client.context.close()
