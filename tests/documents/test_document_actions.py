"""Kinds on documents through the registry: badges, ⋯ entries, upload options, filters, viewer."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from dashboard.approvals.models import ApprovalRequest
from dashboard.clock import now
from dashboard.documents.models import Document
from dashboard.extensions import db
from dashboard.items.document_actions import document_actions
from tests.conftest import hx
from tests.factories import make_approval
from tests.querycount import count_queries


def test_approvals_register_a_document_action(app):
    """Is approvals' contribution to documents found through the registry?"""
    assert "approvals" in {action.name for action in document_actions()}


def test_docs_tab_shows_the_kinds_badges_and_menu_entries(client, ctx, world):
    """Does the Docs tab show the approval badge and the entries approvals add to ⋯?"""
    client.login(world.a.staff.email)
    pending = make_approval(world.a.staff, world.a.documents["view"])
    page = client.get(f"/clients/{world.a.account.id}/docs").get_data(as_text=True)
    view_id, edit_id = world.a.documents["view"].id, world.a.documents["edit"].id
    assert f'data-testid="badge-{view_id}-pending"' in page
    assert f'data-testid="resend-approval-{view_id}"' in page
    assert f'data-testid="cancel-approval-{view_id}"' in page
    assert f"/approvals/{pending.id}/cancel" in page
    assert f'data-testid="request-approval-{edit_id}"' in page
    private_id = world.a.documents["private"].id
    assert f'data-testid="request-approval-{private_id}"' not in page  # nothing for Private


def test_docs_tab_costs_the_same_queries_with_more_documents(client, ctx, world):
    """Does each kind answer once per page, not once per document?"""
    client.login(world.a.staff.email)
    url = f"/clients/{world.a.account.id}/docs"
    client.get(url)
    with count_queries(ctx) as few:
        client.get(url)
    from tests.factories import make_document

    for n in range(8):
        document = make_document(world.a.folders["view"], f"more-{n}.pdf")
        make_approval(world.a.staff, document)
    with count_queries(ctx) as many:
        client.get(url)
    assert len(many) == len(few)


def test_resend_from_the_list_opens_the_viewers_form(client, ctx, world):
    """Does ⋯ Resend approval request lead to the viewer's form with message and reminders?"""
    client.login(world.a.staff.email)
    document = world.a.documents["view"]
    make_approval(world.a.staff, document)
    page = client.get(f"/clients/{document.account_id}/documents/{document.id}?resend=1")
    text = page.get_data(as_text=True)
    assert 'class="collapse mb-3 show" id="resend-approval"' in text
    assert 'name="interval_days"' in text and 'name="message"' in text


def test_upload_option_requests_approval_and_keeps_the_description(client, ctx, world):
    """Uploading with Request approval ticked and a description: one request per file,
    each document described?"""
    client.login(world.a.staff.email)
    folder = world.a.folders["view"]
    response = client.post(
        f"/clients/{folder.account_id}/folders/{folder.id}/documents",
        data={
            "files": [(io.BytesIO(b"%PDF a"), "a.pdf"), (io.BytesIO(b"%PDF b"), "b.pdf")],
            "request_approval": "on",
            "description": "  2025   accounts ",
        },
        headers=hx(),
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    uploaded = db.session.scalars(select(Document).where(Document.name.in_(["a.pdf", "b.pdf"])))
    documents = list(uploaded)
    assert {d.description for d in documents} == {"2025 accounts"}
    requests = db.session.scalars(
        select(ApprovalRequest).where(ApprovalRequest.document_id.in_([d.id for d in documents]))
    ).all()
    assert len(requests) == 2


def test_upload_form_offers_request_approval_only_where_the_client_can_view(client, ctx, world):
    """Is the Request approval option absent from a Private folder's upload form?"""
    client.login(world.a.staff.email)
    page = client.get(f"/clients/{world.a.account.id}/docs").get_data(as_text=True)
    assert f'data-testid="request_approval-{world.a.folders["view"].id}"' in page
    assert f'data-testid="request_approval-{world.a.folders["private"].id}"' not in page


def test_description_is_edited_from_the_viewer(client, ctx, world):
    """Can staff edit a document's description, and is another firm's document 404?"""
    client.login(world.a.staff.email)
    document = world.a.documents["view"]
    response = client.post(
        f"/clients/{document.account_id}/documents/{document.id}/description",
        data={"description": "Signed copy\nfor the bank"},
        headers=hx(),
    )
    assert response.status_code == 200 and b"Description saved." in response.data
    db.session.expire_all()
    assert db.session.get(Document, document.id).description == "Signed copy for the bank"
    foreign = world.b.documents["view"]
    refused = client.post(
        f"/clients/{foreign.account_id}/documents/{foreign.id}/description",
        data={"description": "x"},
        headers=hx(),
    )
    assert refused.status_code == 404


def test_folder_access_changes_from_the_folders_menu(client, ctx, world):
    """Is the access level offered in the folder's ⋯ menu (no always-visible select)?"""
    client.login(world.a.staff.email)
    folder = world.a.folders["private"]
    page = client.get(f"/clients/{world.a.account.id}/docs").get_data(as_text=True)
    assert f'data-testid="folder-menu-{folder.id}"' in page
    assert f'data-testid="access-{folder.id}-view"' in page
    assert '<select class="form-select form-select-sm" name="access"' not in page
    response = client.post(
        f"/clients/{folder.account_id}/folders/{folder.id}/access",
        data={"access": "view"},
        headers=hx(),
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(type(folder), folder.id).access == "view"


def test_documents_page_filters_come_from_the_kinds(client, ctx, world):
    """Do the Documents page filters (Awaiting approval, …) filter through the registry?"""
    client.login(world.a.staff.email)
    make_approval(world.a.staff, world.a.documents["view"])
    awaiting = client.get("/documents?tab=recent&status=awaiting").get_data(as_text=True)
    assert "view.pdf" in awaiting and "edit.pdf" not in awaiting
    every = client.get("/documents?tab=recent&status=all").get_data(as_text=True)
    assert "view.pdf" in every and "edit.pdf" in every
    tab = client.get("/documents?tab=approvals").get_data(as_text=True)
    assert 'data-testid="documents-tab-approvals"' in tab and "view.pdf" in tab


def test_resend_within_the_guard_says_when_it_can_go(client, ctx, world, frozen_clock):
    """Resending moments after the request: does the answer say when it can be sent again?"""
    moment = now().replace(hour=10, minute=0, second=0, microsecond=0)
    frozen_clock(moment)
    client.login(world.a.staff.email)
    request = make_approval(world.a.staff, world.a.documents["view"])
    frozen_clock(moment + timedelta(minutes=3))
    response = client.post(
        f"/clients/{request.account_id}/approvals/{request.id}/resend",
        data={"from": "viewer"},
        headers=hx(),
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "It can be sent again at" in text
    frozen_clock(moment + timedelta(minutes=11))
    again = client.post(
        f"/clients/{request.account_id}/approvals/{request.id}/resend",
        data={"from": "viewer"},
        headers=hx(),
    )
    assert again.status_code == 200 and b"Approval request sent again." in again.data


def test_request_approval_for_pending_says_why_nothing_went(client, ctx, world):
    """Request approval for pending with nothing pending, then with a request just sent:
    does it say why nothing was sent?"""
    client.login(world.a.staff.email)
    url = f"/clients/{world.a.account.id}/approvals/resend-pending"
    nothing = client.post(url, data={"message": ""}, headers=hx()).get_data(as_text=True)
    assert "Nothing was sent: no approval request is pending." in nothing
    make_approval(world.a.staff, world.a.documents["view"])
    too_soon = client.post(url, data={"message": ""}, headers=hx()).get_data(as_text=True)
    assert "Nothing was sent: the pending request was sent less than 10 minutes ago." in too_soon
