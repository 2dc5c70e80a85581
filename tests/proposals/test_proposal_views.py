"""Proposal pages through the Flask test client: staff write, send, cancel; the client reads,
signs or declines; tenancy and the read-only view on every route."""

from __future__ import annotations

from sqlalchemy import select

from dashboard.extensions import db
from dashboard.proposals.models import Proposal, ProposalTemplate
from tests.proposals.helpers import BODY, sent_proposal
from tests.signatures.helpers import TINY_PNG


def _form(**extra):
    return {
        "title": "Lettre de mission 2027",
        "body_html": BODY + '<script>alert(1)</script><p onclick="x()">ok</p>',
        "description": ["Comptes annuels", "Tenue comptable"],
        "quantity": ["1", "1"],
        "unit_price": ["1 800,00", "250"],
        "vat_rate": ["21", "21"],
        "recurrence": ["once", "month"],
        "create_invoice": "on",
        "reminders": "on",
        "interval_days": "4",
        "max_count": "2",
        "message": "Merci de signer.",
        **extra,
    }


def test_staff_writes_a_draft_then_sends_it(client, world):
    a = world.a
    client.login(a.staff.email)
    assert client.get(f"/clients/{a.account.id}/proposals").status_code == 200
    assert client.get(f"/clients/{a.account.id}/proposals/new").status_code == 200
    saved = client.post(f"/clients/{a.account.id}/proposals/new", data=_form(action="draft"))
    assert saved.status_code == 302
    proposal = db.session.scalar(select(Proposal))
    assert proposal.state == "draft" and "<script" not in proposal.body_html
    assert "onclick" not in proposal.body_html
    assert [line["recurrence"] for line in proposal.fee_lines] == ["once", "month"]
    page = client.get(f"/clients/{a.account.id}/proposals/{proposal.id}")
    assert page.status_code == 200 and b"Comptes annuels" in page.data
    sent = client.post(f"/clients/{a.account.id}/proposals/{proposal.id}/send")
    assert sent.status_code == 302
    db.session.refresh(proposal)
    assert proposal.state == "sent" and proposal.content_sha256
    assert client.get("/proposals").status_code == 200
    assert b"Lettre de mission 2027" in client.get("/proposals?state=open").data


def test_refused_form_keeps_what_was_typed(client, world):
    a = world.a
    client.login(a.staff.email)
    response = client.post(
        f"/clients/{a.account.id}/proposals/new", data=_form(action="send", title="  ")
    )
    assert response.status_code == 422
    assert b"Comptes annuels" in response.data and b"Give it a title." in response.data


def test_templates_save_and_fill_a_new_proposal(client, world):
    a = world.a
    client.login(a.staff.email)
    assert client.get("/proposals/templates").status_code == 200
    form = _form(action="save_exit", title="EL standard", valid_days="30", reminders="")
    assert client.post("/proposals/templates/new", data=form).status_code == 302
    template = db.session.scalar(select(ProposalTemplate))
    assert template.valid_days == 30 and template.reminders_enabled is False
    page = client.get(f"/clients/{a.account.id}/proposals/new?template={template.id}")
    assert (
        page.status_code == 200 and b"EL standard" in page.data and b"Tenue comptable" in page.data
    )


def test_client_reads_and_signs_in_the_portal(client, world):
    a = world.a
    proposal = sent_proposal(a.staff, a.account)
    client.login(a.contact.user.email)
    pending = client.get("/portal/", follow_redirects=True)
    assert proposal.title.encode() in pending.data
    page = client.get(f"/portal/proposals/{proposal.id}")
    assert page.status_code == 200 and proposal.content_sha256.encode() in page.data
    db.session.refresh(proposal)
    assert proposal.state == "viewed"
    refused = client.post(
        f"/portal/proposals/{proposal.id}/sign",
        data={
            "method": "typed",
            "typed_name": "Alpha Contact",
            "document_sha256": proposal.content_sha256,
        },
    )
    assert refused.status_code == 422  # no consent tick
    signed = client.post(
        f"/portal/proposals/{proposal.id}/sign",
        data={
            "method": "drawn",
            "typed_name": "Alpha Contact",
            "drawing": "data:image/png;base64," + __import__("base64").b64encode(TINY_PNG).decode(),
            "consent": "on",
            "document_sha256": proposal.content_sha256,
        },
    )
    assert signed.status_code == 302
    db.session.refresh(proposal)
    assert proposal.state == "signed" and proposal.method == "drawn"
    assert client.get(f"/portal/proposals/{proposal.id}/pdf").status_code == 404  # not sealed yet


def test_client_declines_with_a_reason(client, world):
    a = world.a
    proposal = sent_proposal(a.staff, a.account)
    client.login(a.contact.user.email)
    assert (
        client.post(f"/portal/proposals/{proposal.id}/decline", data={"reason": ""}).status_code
        == 422
    )
    assert (
        client.post(
            f"/portal/proposals/{proposal.id}/decline", data={"reason": "Trop cher"}
        ).status_code
        == 302
    )
    db.session.refresh(proposal)
    assert proposal.state == "declined" and proposal.decline_reason == "Trop cher"


def test_other_firms_and_accounts_get_404(client, world):
    a, b = world.a, world.b
    theirs = sent_proposal(b.staff, b.account)
    template = ProposalTemplate(firm_id=b.firm.id, name="Theirs")
    db.session.add(template)
    db.session.commit()
    client.login(a.staff.email)
    base = f"/clients/{b.account.id}/proposals/{theirs.id}"
    for url in (
        f"/clients/{b.account.id}/proposals",
        base,
        f"{base}/edit",
        f"{base}/pdf",
        f"/clients/{a.account.id}/proposals/{theirs.id}",
        f"/proposals/templates/{template.id}",
        f"/clients/{a.account.id}/proposals/new?template={template.id}",
    ):
        assert client.get(url).status_code == 404, url
    for action in ("send", "cancel", "resend", "delete"):
        assert client.post(f"{base}/{action}").status_code == 404, action
    assert (
        client.post(f"/proposals/templates/{template.id}", data={"title": "x"}).status_code == 404
    )
    client.post("/logout")
    client.login(a.contact.user.email)
    for url in (f"/portal/proposals/{theirs.id}", f"/portal/proposals/{theirs.id}/pdf"):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(f"/portal/proposals/{theirs.id}/decline", data={"reason": "x"}).status_code
        == 404
    )
    other = sent_proposal(a.staff, world.other_account)  # same firm, another client
    assert client.get(f"/portal/proposals/{other.id}").status_code == 404
    draft = db.session.get(Proposal, other.id)
    draft.state = "draft"
    db.session.commit()


def test_read_only_view_changes_nothing(client, world):
    a = world.a
    proposal = sent_proposal(a.staff, a.account)
    client.login(a.staff.email)
    client.post(f"/clients/{a.account.id}/contacts/{a.contact.id}/portal-view")
    page = client.get(f"/portal/proposals/{proposal.id}")
    assert page.status_code == 200
    for action, data in (
        ("sign", {"consent": "on", "typed_name": "X", "method": "typed"}),
        ("decline", {"reason": "no"}),
    ):
        assert (
            client.post(f"/portal/proposals/{proposal.id}/{action}", data=data).status_code == 403
        )
    db.session.refresh(proposal)
    assert proposal.state == "sent" and proposal.viewed_at is None  # not even a view recorded


def test_staff_cancels_and_the_client_can_no_longer_sign(client, world):
    a = world.a
    proposal = sent_proposal(a.staff, a.account)
    client.login(a.staff.email)
    assert client.post(f"/clients/{a.account.id}/proposals/{proposal.id}/cancel").status_code == 302
    db.session.refresh(proposal)
    assert proposal.state == "cancelled"
    client.post("/logout")
    client.login(a.contact.user.email)
    page = client.get(f"/portal/proposals/{proposal.id}")
    assert page.status_code == 200 and b"sign-form" not in page.data


def test_lists_cost_the_same_with_more_proposals(client, world, app):
    """The tab, the firm's page and the portal list run a constant number of queries."""
    from tests.querycount import count_queries

    a = world.a
    sent_proposal(a.staff, a.account)
    client.login(a.staff.email)
    urls = [f"/clients/{a.account.id}/proposals", "/proposals?state=all"]

    def costs(session, pages):
        counts = []
        for url in pages:
            with count_queries(app) as statements:
                assert session.get(url).status_code == 200
            counts.append(len(statements))
        return counts

    few = costs(client, urls)
    for _ in range(6):
        sent_proposal(a.staff, a.account)
    assert costs(client, urls) == few
    portal = app.test_client()
    portal.login(a.contact.user.email)
    one = costs(portal, ["/portal/proposals"])
    sent_proposal(a.staff, a.account)
    assert costs(portal, ["/portal/proposals"]) == one


def test_new_from_the_firm_page_needs_an_own_account(client, world):
    a, b = world.a, world.b
    client.login(a.staff.email)
    assert client.get(f"/proposals/new?account={b.account.id}").status_code == 404
    answer = client.get(f"/proposals/new?account={a.account.id}")
    assert answer.status_code == 302 and f"/clients/{a.account.id}/proposals/new" in answer.location
