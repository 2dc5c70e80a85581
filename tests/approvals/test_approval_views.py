"""Approvals through the web: staff request, resend, cancel; clients approve or disapprove."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from dashboard.approvals.models import ApprovalRequest
from dashboard.audit.models import AuditEvent
from dashboard.clock import now
from dashboard.extensions import db
from dashboard.items.models import ActionItem
from dashboard.notify.models import InboxEntry, NotificationPreference, OutboxEmail
from dashboard.reminders.models import Reminder
from tests.conftest import hx
from tests.factories import make_approval, make_document
from tests.querycount import count_queries


def _request(client, document, **form):
    data = {
        "message": "Please check page 2",
        "reminders": "on",
        "interval_days": "3",
        "max_count": "2",
        **form,
    }
    return client.post(
        f"/clients/{document.account_id}/documents/{document.id}/approval", data=data, headers=hx()
    )


def test_staff_request_approval_from_the_viewer(client, ctx, world, redis_queue):
    """Does ✓ Request approval create the request, its reminders, its emails and audit entry?"""
    client.login(world.a.staff.email)
    document = world.a.documents["view"]
    viewer = client.get(f"/clients/{document.account_id}/documents/{document.id}")
    assert b'data-testid="viewer-request-approval"' in viewer.data
    response = _request(client, document)
    assert response.status_code == 200
    assert b"Approval requested." in response.data
    request = db.session.scalar(select(ApprovalRequest))
    assert request.status == "pending" and request.message == "Please check page 2"
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == request.id))
    assert (reminder.enabled, reminder.interval_days, reminder.max_count) == (True, 3, 2)
    assert reminder.next_at is not None
    emails = db.session.scalars(
        select(OutboxEmail.to_email).where(OutboxEmail.item_id == request.id)
    ).all()
    assert emails == [world.a.contact.user.email]  # NOTIFY on + portal access only
    assert redis_queue.count == 1  # enqueued after commit
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == "item.sent", AuditEvent.subject_id == request.id
            )
        )
        == 1
    )


def test_settings_out_of_range_are_form_errors(client, ctx, world):
    """Are days 0 or 400 and a count of 11 shown as form errors, never a 500?"""
    client.login(world.a.staff.email)
    document = world.a.documents["view"]
    for field, value in (
        ("interval_days", "0"),
        ("interval_days", "400"),
        ("max_count", "11"),
        ("max_count", "-1"),
        ("interval_days", "abc"),
    ):
        response = _request(client, document, **{field: value})
        assert response.status_code == 422, (field, value)
        assert b"Enter a whole number from" in response.data
        assert b"is-invalid" in response.data
    assert db.session.scalar(select(func.count(ApprovalRequest.id))) == 0


def test_private_folder_and_duplicate_requests_are_refused(client, ctx, world):
    """Can approval be requested for a Private document, or twice at once?"""
    client.login(world.a.staff.email)
    private = _request(client, world.a.documents["private"])
    assert private.status_code == 422 and b"folder the client can view" in private.data
    assert _request(client, world.a.documents["view"]).status_code == 200
    again = _request(client, world.a.documents["view"])
    assert again.status_code == 422 and b"already pending" in again.data


def test_settings_can_be_changed_while_pending(client, ctx, world):
    """Can staff turn reminders off and on again on a pending request (htmx Save)?"""
    request = make_approval(world.a.staff, world.a.documents["view"])
    client.login(world.a.staff.email)
    url = f"/clients/{request.account_id}/items/{request.id}/reminders"
    off = client.post(url, data={"interval_days": "3", "max_count": "1"}, headers=hx())
    assert off.status_code == 200 and b"Reminder settings saved." in off.data
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == request.id))
    db.session.refresh(reminder)
    assert reminder.enabled is False and reminder.next_at is None
    on = client.post(
        url, data={"reminders": "on", "interval_days": "5", "max_count": "4"}, headers=hx()
    )
    assert on.status_code == 200
    db.session.refresh(reminder)
    assert (reminder.enabled, reminder.interval_days, reminder.max_count) == (True, 5, 4)
    assert reminder.next_at is not None
    bad = client.post(url, data={"reminders": "on", "interval_days": "366"}, headers=hx())
    assert bad.status_code == 422 and b"is-invalid" in bad.data


def test_approvals_subtab_columns_and_request_for_pending(client, ctx, world, frozen_clock):
    """Does the Approvals sub-tab list the six columns, and resend all pending at once?"""
    frozen_clock(now() - timedelta(hours=1))
    first = make_approval(world.a.staff, world.a.documents["view"])
    second = make_approval(world.a.staff, world.a.documents["edit"])
    frozen_clock(None)
    client.login(world.a.staff.email)
    page = client.get(f"/clients/{world.a.account.id}/docs/approvals").data.decode()
    for column in (
        "Document name",
        "Request date",
        "Uploaded by",
        "Description",
        "Status",
        "Rejected",
    ):
        assert f">{column}</th>" in page
    assert page.count("Awaiting approval") >= 2
    assert 'data-testid="request-approval-for-pending"' in page
    response = client.post(
        f"/clients/{world.a.account.id}/approvals/resend-pending",
        data={"message": "Still waiting, thanks!"},
        headers=hx(),
    )
    assert b"2 approval requests sent again." in response.data
    resends = db.session.scalars(select(OutboxEmail).where(OutboxEmail.purpose == "resend")).all()
    assert {r.item_id for r in resends} == {first.id, second.id}
    assert all(r.context == {"message": "Still waiting, thanks!"} for r in resends)


def test_cancel_stops_everything(client, ctx, world):
    """Does Cancel approval request stop reminders, cancel queued emails and leave a trail?"""
    request = make_approval(world.a.staff, world.a.documents["view"])
    client.login(world.a.staff.email)
    response = client.post(
        f"/clients/{request.account_id}/approvals/{request.id}/cancel", headers=hx()
    )
    assert response.status_code == 200 and b"Approval request cancelled." in response.data
    db.session.expire_all()
    item = db.session.get(ActionItem, request.id)
    assert item.status == "cancelled"
    assert db.session.scalar(select(Reminder.next_at).where(Reminder.item_id == request.id)) is None
    assert db.session.scalars(
        select(OutboxEmail.state).where(OutboxEmail.item_id == request.id)
    ).all() == ["cancelled"]
    trail = client.get(f"/clients/{request.account_id}/audit").data.decode()
    assert "Cancelled the approval request for view.pdf" in trail


def test_client_disapproves_with_reasons_and_staff_see_more_info(client, make_client, ctx, world):
    """Client disapproves with two reasons and a comment; staff see them under Show more info."""
    request = make_approval(world.a.staff, world.a.documents["view"])
    portal = make_client()
    portal.login(world.a.contact.user.email)
    todo = portal.get("/portal/").data.decode()
    assert f'data-testid="todo-{request.id}"' in todo and "Approve view.pdf" in todo
    page = portal.get(f"/portal/approvals/{request.id}")
    assert page.status_code == 200 and b"Please review" not in page.data
    empty = portal.post(
        f"/portal/approvals/{request.id}/disapprove", data={"comment": "?"}, headers=hx()
    )
    assert empty.status_code == 422 and b"Choose at least one reason." in empty.data
    done = portal.post(
        f"/portal/approvals/{request.id}/disapprove",
        data={"reasons": ["incorrect", "questions"], "comment": "Wrong year"},
    )
    assert done.status_code == 302
    assert f'data-testid="todo-{request.id}"' not in portal.get("/portal/").data.decode()
    client.login(world.a.staff.email)
    tab = client.get(f"/clients/{world.a.account.id}/docs/approvals").data.decode()
    assert f'data-testid="more-info-{request.id}"' in tab
    assert "The information is incorrect" in tab and "I have questions" in tab
    assert "Wrong year" in tab
    inbox = db.session.scalars(
        select(InboxEntry.topic).where(InboxEntry.user_id == world.a.staff.id)
    ).all()
    assert inbox == ["approval_rejected"]
    assert b"Alpha Contact disapproved view.pdf" in client.get("/inbox").data


def test_staff_without_the_approvals_preference_are_not_told(client, make_client, ctx, world):
    """Does switching Approvals off in the preferences stop the email and the Inbox+ entry?"""
    client.login(world.a.staff.email)
    assert client.post("/settings/notifications", data={}).status_code == 302
    assert db.session.scalar(select(NotificationPreference.enabled)) is False
    request = make_approval(world.a.staff, world.a.documents["view"])
    portal = make_client()
    portal.login(world.a.contact.user.email)
    portal.post(f"/portal/approvals/{request.id}/approve")
    assert db.session.scalar(select(func.count(InboxEntry.id))) == 0
    assert (
        db.session.scalar(
            select(func.count(OutboxEmail.id)).where(OutboxEmail.purpose == "approval_approved")
        )
        == 0
    )


def test_approved_document_moves_to_the_top_of_recent(
    client, make_client, ctx, world, frozen_clock
):
    """Does an approved document move to the top of the firm's Recent list (D4, D5)?"""
    frozen_clock(now() - timedelta(days=2))
    request = make_approval(world.a.staff, world.a.documents["view"])
    for n in range(3):
        make_document(world.a.folders["view"], f"newer{n}.pdf")
    db.session.commit()
    frozen_clock(None)
    portal = make_client()
    portal.login(world.a.contact.user.email)
    portal.post(f"/portal/approvals/{request.id}/approve")
    client.login(world.a.staff.email)
    recent = client.get("/documents").data.decode()
    assert recent.index("view.pdf") < recent.index("newer0.pdf")
    approved = client.get("/documents?tab=recent&status=approved").data.decode()
    assert "view.pdf" in approved and "newer0.pdf" not in approved
    awaiting = client.get("/documents?tab=recent&status=awaiting").data.decode()
    assert "view.pdf" not in awaiting
    approvals = client.get("/documents?tab=approvals&status=approved").data.decode()
    assert "view.pdf" in approvals


def test_recent_is_the_last_30_days(client, ctx, world, frozen_clock):
    """Are documents untouched for more than 30 days left out of Recent?"""
    frozen_clock(now() - timedelta(days=31))
    make_document(world.a.folders["view"], "ancient.pdf")
    db.session.commit()
    frozen_clock(None)
    client.login(world.a.staff.email)
    page = client.get("/documents").data.decode()
    assert "ancient.pdf" not in page and "view.pdf" in page


def test_clients_filter_awaiting_approval(client, ctx, world):
    """Does the Clients list filter Awaiting approval keep only accounts with a pending request?"""
    make_approval(world.a.staff, world.a.documents["view"])
    client.login(world.a.staff.email)
    page = client.get("/clients?filter=awaiting_approval").data.decode()
    assert "Alpha Client" in page and "Alpha Other" not in page


def test_other_firm_and_other_client_get_404(client, make_client, ctx, world):
    """Are the new routes closed to another firm's staff and another account's client?"""
    request = make_approval(world.a.staff, world.a.documents["view"])
    aid, rid, did = request.account_id, request.id, request.document_id
    client.login(world.b.staff.email)
    for method, url in (
        ("GET", f"/clients/{aid}/documents/{did}"),
        ("GET", f"/clients/{aid}/docs/approvals"),
        ("POST", f"/clients/{aid}/documents/{did}/approval"),
        ("POST", f"/clients/{aid}/approvals/{rid}/resend"),
        ("POST", f"/clients/{aid}/approvals/{rid}/cancel"),
        ("POST", f"/clients/{aid}/approvals/resend-pending"),
        ("GET", f"/clients/{aid}/items/{rid}/reminders"),
        ("POST", f"/clients/{aid}/items/{rid}/reminders"),
        ("POST", f"/clients/{aid}/items/{rid}/resend"),
        ("GET", f"/clients/{aid}/items/{rid}/open"),
    ):
        response = client.open(url, method=method)
        assert response.status_code == 404, (method, url)
    other = make_client()
    other.login(world.other_contact.user.email)
    assert other.get(f"/portal/approvals/{rid}").status_code == 404
    assert other.post(f"/portal/approvals/{rid}/approve").status_code == 404
    db.session.expire_all()
    assert db.session.get(ActionItem, rid).status == "pending"


def test_read_only_view_cannot_approve(client, ctx, world):
    """Inside the read-only portal view, is Approve refused with 403 and nothing changed?"""
    request = make_approval(world.a.staff, world.a.documents["view"])
    client.login(world.a.staff.email)
    contact = world.a.contact
    client.post(f"/clients/{contact.account_id}/contacts/{contact.id}/portal-view")
    page = client.get(f"/portal/approvals/{request.id}")
    assert page.status_code == 200 and b"<fieldset disabled" in page.data
    for action in ("approve", "disapprove"):
        response = client.post(
            f"/portal/approvals/{request.id}/{action}", data={"reasons": ["other"]}
        )
        assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(ActionItem, request.id).status == "pending"


def test_pending_list_and_approvals_tab_in_constant_queries(app, client, make_client, ctx, world):
    """Do the client's to-do list and the Approvals sub-tab cost the same for 1 or 6 items?"""
    make_approval(world.a.staff, world.a.documents["view"])
    portal = make_client()
    portal.login(world.a.contact.user.email)
    client.login(world.a.staff.email)
    tab = f"/clients/{world.a.account.id}/docs/approvals"
    with count_queries(app) as few_portal:
        portal.get("/portal/")
    with count_queries(app) as few_tab:
        client.get(tab)
    for n in range(5):
        make_approval(world.a.staff, make_document(world.a.folders["view"], f"more{n}.pdf"))
    with count_queries(app) as many_portal:
        portal.get("/portal/")
    with count_queries(app) as many_tab:
        client.get(tab)
    assert len(many_portal) == len(few_portal)
    assert len(many_tab) == len(few_tab)


def test_request_approval_at_upload(client, ctx, world):
    """Can staff ask for approval of documents while uploading them (D1)?"""
    import io

    client.login(world.a.staff.email)
    folder = world.a.folders["view"]
    response = client.post(
        f"/clients/{folder.account_id}/folders/{folder.id}/documents",
        data={
            "files": [(io.BytesIO(b"%PDF a"), "a.pdf"), (io.BytesIO(b"%PDF b"), "b.pdf")],
            "request_approval": "on",
        },
        content_type="multipart/form-data",
        headers=hx(),
    )
    assert response.status_code == 200
    names = db.session.scalars(
        select(ApprovalRequest).where(ApprovalRequest.status == "pending")
    ).all()
    assert sorted(r.document.name for r in names) == ["a.pdf", "b.pdf"]
    assert b"Awaiting approval" in response.data


def test_reminders_cli_status_and_sweep(app, ctx, world, frozen_clock):
    """Do `flask reminders status` and `flask reminders sweep` report and act?"""
    from datetime import UTC, datetime

    frozen_clock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))  # Monday 10:00 in Paris
    make_approval(world.a.staff, world.a.documents["view"])
    runner = app.test_cli_runner()
    status = runner.invoke(args=["reminders", "status"])
    assert "due now: 0" in status.output and "planned: 1" in status.output
    assert "emails queued: 1" in status.output and "last sweep: never" in status.output
    frozen_clock(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))  # a Tuesday, in the window
    swept = runner.invoke(args=["reminders", "sweep"])
    assert "reminders sent: 1" in swept.output
    after = runner.invoke(args=["reminders", "status"])
    assert "planned: 0" in after.output and "last sweep: " in after.output
    assert "never" not in after.output


def test_resend_from_the_viewer_can_change_the_reminders(client, ctx, world, frozen_clock):
    """Does Resend approval request in the viewer carry a message and new reminder settings?"""
    frozen_clock(now() - timedelta(hours=1))
    request = make_approval(world.a.staff, world.a.documents["view"])
    frozen_clock(None)
    client.login(world.a.staff.email)
    response = client.post(
        f"/clients/{request.account_id}/approvals/{request.id}/resend",
        data={
            "from": "viewer",
            "message": "One more look?",
            "reminders": "on",
            "interval_days": "2",
            "max_count": "4",
        },
        headers=hx(),
    )
    assert response.status_code == 200 and b"Approval request sent again." in response.data
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == request.id))
    db.session.refresh(reminder)
    assert (reminder.interval_days, reminder.max_count) == (2, 4)
    resend = db.session.scalar(select(OutboxEmail).where(OutboxEmail.purpose == "resend"))
    assert resend.context == {"message": "One more look?"}


def test_a_document_with_an_approval_request_is_kept(client, ctx, world):
    """Is deleting a document that an approval request refers to refused with a message?"""
    request = make_approval(world.a.staff, world.a.documents["view"])
    client.login(world.a.staff.email)
    response = client.post(
        f"/clients/{request.account_id}/documents/{request.document_id}/delete", headers=hx()
    )
    assert response.status_code == 422
    assert b"is kept: an approval request or a conversation refers to it" in response.data
    db.session.expire_all()
    from dashboard.documents.models import Document

    assert db.session.get(Document, request.document_id) is not None
