"""Bulk messaging (C2): Clients list → More actions → Send message → Create chats.

Real database, Redis, RQ worker and SMTP sink: the web request only records the bulk send,
the worker creates one thread per account in chunks and the engine emails the contacts.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from dashboard.chats import bulk as bulk_service
from dashboard.chats.bulk import BulkSend, create_bulk_send, process_bulk_send
from dashboard.chats.models import ChatMessage, ChatThread
from dashboard.extensions import db
from dashboard.notify.models import OutboxEmail
from dashboard.reminders.models import Reminder
from dashboard.reminders.service import ReminderSettings
from jobs.bulk import run_bulk_send

# The live server of the browser tests (the chats conftest already re-exports the launch args).
from tests.browser.conftest import server_url  # noqa: F401
from tests.conftest import DEMO_PASSWORD, hx
from tests.factories import make_account, make_contact

FORM = {"subject": "Year-end", "message": "Please send your bank statements.", "reminders": "on"}


def _accounts(world, reachable=200, unreachable=10):
    """Accounts of firm A in one transaction: `reachable` with a NOTIFY portal contact (every
    20th also with a portal contact who has NOTIFY off), `unreachable` without portal access."""
    good, bad, notified, silent = [], [], [], []
    for n in range(reachable):
        account = make_account(world.a.firm, f"Bulk {n:03d}")
        notified.append(make_contact(account).user.email)
        if n % 20 == 0:
            silent.append(make_contact(account, notify=False).user.email)
        good.append(account.id)
    for n in range(unreachable):
        account = make_account(world.a.firm, f"Offline {n:02d}")
        make_contact(account, portal_access=False)
        bad.append(account.id)
    db.session.commit()
    return good, bad, notified, silent


def _threads() -> int:
    return db.session.scalar(select(func.count(ChatThread.id)))


def _post(client, account_ids, **fields):
    return client.post("/clients/bulk-message", data={"account": account_ids, **FORM, **fields})


def _bulk_id(response) -> int:
    match = re.search(r"/clients/bulk-message/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def test_bulk_send_to_200_accounts(client, ctx, world, mailbox, redis_queue, run_worker):
    """Does one Send message to 200 reachable accounts create 200 threads, email each NOTIFY
    contact exactly once, and skip the others with the reason?"""
    good, bad, notified, silent = _accounts(world)
    foreign = world.b.account.id
    client.login(world.a.staff.email)
    response = _post(client, [*good, *bad, foreign, good[0]], interval_days="5", max_count="2")
    assert response.status_code == 303
    bulk_id = _bulk_id(response)
    queued = client.get(f"/clients/bulk-message/{bulk_id}", headers=hx()).data.decode()
    assert 'hx-trigger="every 1s"' in queued and 'data-state="queued"' in queued
    assert _threads() == 0  # the request only recorded it; the worker does the work
    run_worker()
    db.session.expire_all()
    bulk = db.session.get(BulkSend, bulk_id)
    assert (bulk.state, bulk.created_count, bulk.skipped_count) == ("done", 200, 11)
    assert bulk.finished_at is not None and bulk.total == 211
    threads = db.session.scalars(select(ChatThread)).all()
    assert len(threads) == 200 and {t.account_id for t in threads} == set(good)
    assert {t.subject for t in threads} == {"Year-end"}
    assert {t.sent_by_id for t in threads} == {world.a.staff.id}
    reminders = db.session.scalars(select(Reminder)).all()
    assert {(r.enabled, r.interval_days, r.max_count) for r in reminders} == {(True, 5, 2)}
    assert sorted(m["To"] for m in mailbox.messages) == sorted(notified)
    assert not any(mailbox.to(address) for address in silent)
    assert {m["Subject"] for m in mailbox.messages} == {"New message: Year-end"}
    reasons = {r["account_id"]: r.get("reason") for r in bulk.skipped()}
    assert reasons == {**dict.fromkeys(bad, "no_portal_contact"), foreign: "not_found"}


def test_progress_page_shows_done_and_counts(client, ctx, world, redis_queue, run_worker):
    """Once done, does the progress page stop polling and show the counts, the reasons and
    links to the created threads?"""
    good, bad, _, _ = _accounts(world, reachable=3, unreachable=1)
    client.login(world.a.staff.email)
    bulk_id = _bulk_id(_post(client, [*good, *bad]))
    run_worker()
    page = client.get(f"/clients/bulk-message/{bulk_id}")
    assert page.status_code == 200 and b"<html" in page.data
    partial = client.get(f"/clients/bulk-message/{bulk_id}", headers=hx()).data.decode()
    assert partial.lstrip().startswith('<section id="bulk-progress"')
    assert "hx-trigger" not in partial and 'data-state="done"' in partial
    assert "3 chats created" in partial and "1 client skipped" in partial
    assert "4 of 4 clients" in partial and "100%" in partial
    assert "no contact with portal access" in partial and "Offline 00" in partial
    for thread in db.session.scalars(select(ChatThread)):
        assert f'href="/clients/{thread.account_id}/chats/{thread.id}"' in partial


def test_running_the_job_again_creates_nothing_more(
    ctx, world, mailbox, redis_queue, run_worker, monkeypatch
):
    """Killed after its first chunk, then run twice: is every account messaged exactly once?"""
    good, _, notified, _ = _accounts(world, reachable=60, unreachable=0)
    bulk = create_bulk_send(world.a.staff, good, "Q1", "Hello", ReminderSettings(False, 3, 1))
    db.session.commit()
    bulk_id = bulk.id
    redis_queue.empty()  # the job enqueued at commit: this test runs it by hand

    real_chunk = bulk_service._process_chunk
    calls = []

    def dies_on_second_chunk(*args):
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit("worker killed")
        return real_chunk(*args)

    monkeypatch.setattr(bulk_service, "_process_chunk", dies_on_second_chunk)
    with pytest.raises(SystemExit):
        process_bulk_send(bulk_id)
    monkeypatch.undo()
    db.session.rollback()
    assert _threads() == bulk_service.CHUNK_SIZE
    assert db.session.get(BulkSend, bulk_id).state == "running"
    run_bulk_send(bulk_id)
    run_bulk_send(bulk_id)
    run_worker()  # the notifications
    db.session.expire_all()
    bulk = db.session.get(BulkSend, bulk_id)
    assert (bulk.state, bulk.created_count, bulk.skipped_count) == ("done", 60, 0)
    assert len(bulk.results) == 60
    assert _threads() == 60 and db.session.scalar(select(func.count(ChatMessage.id))) == 60
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 60
    assert sorted(m["To"] for m in mailbox.messages) == sorted(notified)


def test_form_validation(client, ctx, world, redis_queue):
    """No account selected, an empty message or reminder numbers out of range: is the form
    answered 422 with the errors, and nothing recorded or enqueued?"""
    client.login(world.a.staff.email)
    account = world.a.account.id
    nothing = client.post("/clients/bulk-message", data={"step": "compose"})
    assert nothing.status_code == 422 and b"Select at least one client." in nothing.data
    no_account = client.post("/clients/bulk-message", data=FORM)
    assert no_account.status_code == 422 and b"Select at least one client." in no_account.data
    garbage = _post(client, ["abc", "-3", ""])
    assert garbage.status_code == 422 and b"Select at least one client." in garbage.data
    empty = _post(client, [account], message="   ")
    assert empty.status_code == 422 and b"Write a message." in empty.data
    no_subject = _post(client, [account], subject=" ")
    assert no_subject.status_code == 422 and b"Write a subject." in no_subject.data
    bad = _post(client, [account], interval_days="0", max_count="11")
    page = bad.data.decode()
    assert bad.status_code == 422
    assert "Enter a whole number from 1 to 365." in page
    assert "Enter a whole number from 0 to 10." in page
    assert f'name="account" value="{account}"' in page  # the selection is kept
    assert "Please send your bank statements." in page
    assert db.session.scalar(select(func.count(BulkSend.id))) == 0
    assert redis_queue.count == 0


def test_clients_list_selects_and_opens_the_form(client, ctx, world):
    """Has the Clients list a checkbox per row, select all on this page and More actions →
    Send message, which opens the form for the selected clients?"""
    make_contact(world.other_account, portal_access=False)
    client.login(world.a.staff.email)
    listing = client.get("/clients").data.decode()
    assert "More actions" in listing and 'data-testid="bulk-send-message"' in listing
    assert 'data-testid="select-all"' in listing
    boxes = re.findall(r'<input[^>]*name="account"[^>]*>', listing)
    assert len(boxes) == 2 and not any("checked" in box for box in boxes)
    everything = client.get("/clients", headers=hx(**{"X-Select-All": "page"})).data.decode()
    boxes = re.findall(r'<input[^>]*name="account"[^>]*>', everything)
    assert len(boxes) == 2 and all("checked" in box for box in boxes)
    form = client.post(
        "/clients/bulk-message",
        data={"step": "compose", "account": [world.a.account.id, world.other_account.id]},
    )
    page = form.data.decode()
    assert form.status_code == 200
    assert "2 clients: one conversation each" in page
    assert "Alpha Client" in page and "Alpha Other" in page
    assert "1 client has no contact with portal access and will be skipped." not in page
    assert "Create chats" in page and "Back" in page and "Subject" in page


def test_compose_form_warns_about_unreachable_clients(client, ctx, world):
    """Does the form say which selected clients cannot be messaged (C10)?"""
    offline = make_account(world.a.firm, "Offline Ltd")
    make_contact(offline, portal_access=False)
    db.session.commit()
    client.login(world.a.staff.email)
    page = client.get(
        f"/clients/bulk-message?account={world.a.account.id}&account={offline.id}"
    ).data.decode()
    assert "1 client has no contact with portal access and will be skipped." in page


def test_other_firms_and_clients_get_404(client, make_client, ctx, world):
    """Is a bulk send invisible to another firm's staff and to clients, and is CSRF checked?"""
    bulk = create_bulk_send(
        world.a.staff, [world.a.account.id], "Hi", "Hello", ReminderSettings(False, 3, 1)
    )
    db.session.commit()
    client.login(world.b.staff.email)
    assert client.get(f"/clients/bulk-message/{bulk.id}").status_code == 404
    assert client.get(f"/clients/bulk-message/{bulk.id}", headers=hx()).status_code == 404
    portal = make_client()
    portal.login(world.a.contact.user.email)
    assert portal.get(f"/clients/bulk-message/{bulk.id}").status_code == 404
    assert portal.post("/clients/bulk-message", data={"step": "compose"}).status_code == 404
    staff = make_client()
    staff.login(world.a.staff.email)
    assert staff.get(f"/clients/bulk-message/{bulk.id}").status_code == 200
    forged = staff.post(
        "/clients/bulk-message", data={"account": [world.a.account.id], **FORM}, without_csrf=True
    )
    assert forged.status_code == 400
    assert db.session.scalar(select(func.count(BulkSend.id))) == 1


@pytest.mark.browser
def test_select_all_send_message_and_watch_progress(
    page: Page,
    server_url,  # noqa: F811
    world,
    redis_queue,
    run_worker,
):
    """In the browser: select all on the page, More actions → Send message, Create chats; does
    the progress page poll until the worker is done, then stop?"""
    page.goto(f"{server_url}/login")
    page.fill("input[name=email]", world.a.staff.email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server_url}/clients")
    page.get_by_test_id("select-all").check()
    for account in (world.a.account, world.other_account):
        expect(page.get_by_test_id(f"select-account-{account.id}")).to_be_checked()
    page.get_by_test_id("more-actions").click()
    page.get_by_test_id("bulk-send-message").click()
    expect(page).to_have_url(f"{server_url}/clients/bulk-message")
    expect(page.get_by_test_id("bulk-selected")).to_contain_text("2 clients")
    page.get_by_test_id("bulk-subject").fill("Year-end")
    page.get_by_test_id("bulk-message").fill("Please send your bank statements.")
    page.get_by_test_id("create-chats").click()
    expect(page).to_have_url(re.compile(r"/clients/bulk-message/\d+$"))
    progress = page.get_by_test_id("bulk-progress")
    expect(progress).to_have_attribute("data-state", "queued")
    run_worker()
    expect(progress).to_have_attribute("data-state", "done", timeout=5000)
    expect(page.get_by_test_id("bulk-created")).to_have_text("2 chats created")
    expect(progress).not_to_have_attribute("hx-trigger", re.compile("every"))
    page.get_by_role("link", name="Alpha Other").click()
    expect(page).to_have_url(re.compile(rf"/clients/{world.other_account.id}/chats/\d+$"))


def test_a_template_fills_the_bulk_message(client, ctx, world):
    """Choosing a template in the bulk form fills subject, message and reminders, and keeps
    the selected clients."""
    from dashboard.chats.models import MessageTemplate

    template = MessageTemplate(
        firm_id=world.a.firm.id,
        name="Year end",
        subject="Year end",
        body="Please send your statements.",
        reminders_enabled=True,
        interval_days=4,
        max_count=2,
    )
    db.session.add(template)
    db.session.commit()
    client.login(world.a.staff.email)
    page = client.post(
        "/clients/bulk-message",
        data={
            "account": [str(world.a.account.id), str(world.other_account.id)],
            "step": "template",
            "template": str(template.id),
        },
    )
    text = page.data.decode()
    assert page.status_code == 200
    assert 'value="Year end"' in text and "Please send your statements." in text
    assert 'id="bulk-interval" value="4"' in text and 'id="bulk-count" value="2"' in text
    assert text.count('name="account"') >= 2


def test_bulk_send_with_files_gives_each_client_a_copy(client, ctx, world, redis_queue, run_worker):
    """Files given with a bulk message land in each account's chat folder and are attached;
    a refused file type is a form error; the kept originals are removed when done."""
    import io
    from pathlib import Path

    from flask import current_app

    from dashboard.chats.models import ChatAttachment
    from dashboard.documents.models import Document

    client.login(world.a.staff.email)
    accounts = [str(world.a.account.id), str(world.other_account.id)]
    refused = client.post(
        "/clients/bulk-message",
        data={
            "account": accounts,
            "subject": "Letters",
            "message": "See attached",
            "files": [(io.BytesIO(b"MZ"), "tool.exe")],
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422 and b"not accepted" in refused.data
    sent = client.post(
        "/clients/bulk-message",
        data={
            "account": accounts,
            "subject": "Letters",
            "message": "See attached",
            "files": [(io.BytesIO(b"%PDF letter"), "letter.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 303
    run_worker()
    copies = db.session.scalars(select(Document).where(Document.name == "letter.pdf")).all()
    assert sorted(d.account_id for d in copies) == sorted(
        [world.a.account.id, world.other_account.id]
    )
    assert db.session.scalar(select(func.count(ChatAttachment.id))) == 2
    bulk = db.session.scalar(select(BulkSend).where(BulkSend.subject == "Letters"))
    db.session.refresh(bulk)
    assert bulk.state == "done" and bulk.created_count == 2
    kept = Path(current_app.config["UPLOAD_DIR"]) / bulk.files[0]["key"]
    assert not kept.exists()
