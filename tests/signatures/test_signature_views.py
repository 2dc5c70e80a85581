"""Signature pages through the Flask test client: staff request, client sign, and who may not."""

from __future__ import annotations

import base64
import io

from sqlalchemy import select

from dashboard.documents import storage
from dashboard.extensions import db
from dashboard.reminders.models import Reminder
from dashboard.signatures import service
from dashboard.signatures.models import SignatureRequest, Signer
from tests.conftest import hx
from tests.factories import make_contact
from tests.signatures.helpers import TINY_PNG, add_pdf, make_request, sample_pdf


def _pdf(world):
    return add_pdf(world.a.folders["view"], world.a.staff)


def _sign_form(request, **extra):
    return {
        "method": "typed",
        "typed_name": "Alpha Contact",
        "consent": "on",
        "document_sha256": request.document_sha256,
        **extra,
    }


def test_staff_request_signatures_with_places_in_order(client, world):
    """Can staff request two signers in order, one placed on page 2, from the viewer form?"""
    a = world.a
    second = make_contact(a.account, name="Bea").user
    db.session.commit()
    document = _pdf(world)
    client.login(a.staff.email)
    uid1, uid2 = a.contact.user_id, second.id
    response = client.post(
        f"/clients/{a.account.id}/documents/{document.id}/signature",
        data={
            "signer": [str(uid2), str(uid1)],  # the order shown: Bea first
            f"page_{uid2}": "2",
            f"x_{uid2}": "0.25",
            f"y_{uid2}": "0.8",
            "in_order": "on",
            "message": "Please sign the letter",
            "reminders": "on",
            "interval_days": "4",
            "max_count": "2",
        },
        headers=hx(),
    )
    assert response.status_code == 200, response.data
    assert b'data-testid="pending-signature-status"' in response.data
    request = db.session.scalar(select(SignatureRequest))
    assert request.in_order and request.message == "Please sign the letter"
    signers = [(s.user_id, s.position, s.page, s.x, s.y) for s in request.signers]
    assert signers == [(uid2, 1, 2, 0.25, 0.8), (uid1, 2, None, None, None)]


def test_a_contact_without_portal_access_cannot_sign(client, world):
    """Is a contact without portal access refused as a signer, with the reason shown?"""
    a = world.a
    document = _pdf(world)
    client.login(a.staff.email)
    viewer = client.get(f"/clients/{a.account.id}/documents/{document.id}").data.decode()
    assert f'data-testid="signer-reason-{a.silent_contact.user_id}"' in viewer
    response = client.post(
        f"/clients/{a.account.id}/documents/{document.id}/signature",
        data={"signer": [str(a.silent_contact.user_id)]},
        headers=hx(),
    )
    assert response.status_code == 422
    assert db.session.scalar(select(SignatureRequest)) is None


def test_only_pdfs_in_client_folders_can_be_signed(client, world):
    """Are a Private folder's PDF and a non-PDF refused?"""
    a = world.a
    private = add_pdf(a.folders["private"], a.staff, "private-letter.pdf")
    client.login(a.staff.email)
    for document in (private,):
        response = client.post(
            f"/clients/{a.account.id}/documents/{document.id}/signature",
            data={"signer": [str(a.contact.user_id)]},
            headers=hx(),
        )
        assert response.status_code == 422
    assert db.session.scalar(select(SignatureRequest)) is None


def test_another_firm_cannot_request_or_cancel(client, world):
    """Do another firm's staff get 404 on this firm's document and request?"""
    document = _pdf(world)
    request = make_request(world.a.staff, document, [world.a.contact.user])
    client.login(world.b.staff.email)
    base = f"/clients/{world.a.account.id}"
    assert (
        client.post(
            f"{base}/documents/{document.id}/signature",
            data={"signer": [str(world.a.contact.user_id)]},
        ).status_code
        == 404
    )
    assert client.post(f"{base}/signatures/{request.id}/cancel").status_code == 404
    assert client.post(f"{base}/signatures/{request.id}/resend").status_code == 404
    assert client.get(f"{base}/docs/signatures").status_code == 404


def test_client_signs_typed_in_the_portal(client, world):
    """Does a typed signature record the evidence: time, IP, browser, hash, consent version?"""
    document = _pdf(world)
    request = make_request(world.a.staff, document, [world.a.contact.user])
    signer = request.signers[0]
    client.login(world.a.contact.user.email)
    page = client.get(f"/portal/signatures/{request.id}")
    assert page.status_code == 200 and b'data-testid="sign-submit"' in page.data
    response = client.post(
        f"/portal/signatures/{request.id}/signers/{signer.id}/sign",
        data=_sign_form(request),
        headers={"User-Agent": "Phone/1.0"},
        environ_base={"REMOTE_ADDR": "198.51.100.4"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    signer = db.session.get(Signer, signer.id)
    assert signer.state == "signed" and signer.method == "typed"
    assert (signer.ip, signer.user_agent) == ("198.51.100.4", "Phone/1.0")
    assert signer.document_sha256 == request.document_sha256
    assert signer.consent_version and signer.viewed_at is not None
    assert db.session.get(SignatureRequest, request.id).seal_state == "queued"


def test_client_signs_drawn(client, world):
    """Is a drawn signature stored as the PNG the pad sent; is a broken image refused?"""
    document = _pdf(world)
    request = make_request(world.a.staff, document, [world.a.contact.user])
    signer = request.signers[0]
    client.login(world.a.contact.user.email)
    url = f"/portal/signatures/{request.id}/signers/{signer.id}/sign"
    broken = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\nnot really").decode()
    refused = client.post(url, data=_sign_form(request, method="drawn", drawing=broken))
    assert refused.status_code == 422
    good = "data:image/png;base64," + base64.b64encode(TINY_PNG).decode()
    assert (
        client.post(url, data=_sign_form(request, method="drawn", drawing=good)).status_code == 302
    )
    db.session.expire_all()
    assert db.session.get(Signer, signer.id).drawing_png == TINY_PNG


def test_consent_is_required(client, world):
    document = _pdf(world)
    request = make_request(world.a.staff, document, [world.a.contact.user])
    signer = request.signers[0]
    client.login(world.a.contact.user.email)
    form = _sign_form(request)
    del form["consent"]
    response = client.post(f"/portal/signatures/{request.id}/signers/{signer.id}/sign", data=form)
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Signer, signer.id).state == "waiting"


def test_another_account_cannot_see_sign_or_decline(client, world):
    """Does a client of another account get 404 on the page, the sign and the decline?"""
    document = _pdf(world)
    request = make_request(world.a.staff, document, [world.a.contact.user])
    signer = request.signers[0]
    client.login(world.other_contact.user.email)
    assert client.get(f"/portal/signatures/{request.id}").status_code == 404
    base = f"/portal/signatures/{request.id}/signers/{signer.id}"
    assert client.post(f"{base}/sign", data=_sign_form(request)).status_code == 404
    assert client.post(f"{base}/decline", data={"reason": "no"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Signer, signer.id).state == "waiting"


def test_a_cosigner_cannot_sign_for_the_other(client, world):
    """Does a signer posting to another signer's sign URL of the same request get 404?"""
    a = world.a
    second = make_contact(a.account, name="Bea").user
    db.session.commit()
    request = make_request(a.staff, _pdf(world), [a.contact.user, second])
    other = next(s for s in request.signers if s.user_id == second.id)
    client.login(a.contact.user.email)
    url = f"/portal/signatures/{request.id}/signers/{other.id}/sign"
    assert client.post(url, data=_sign_form(request)).status_code == 404
    db.session.expire_all()
    assert db.session.get(Signer, other.id).state == "waiting"


def test_not_your_turn_yet(client, world):
    """In order, can signer 2 sign before signer 1? (No: 422, and the page says so.)"""
    a = world.a
    second = make_contact(a.account, name="Bea").user
    db.session.commit()
    request = make_request(a.staff, _pdf(world), [a.contact.user, second], in_order=True)
    later = next(s for s in request.signers if s.user_id == second.id)
    client.login(second.email)
    assert b'data-testid="not-your-turn"' in client.get(f"/portal/signatures/{request.id}").data
    url = f"/portal/signatures/{request.id}/signers/{later.id}/sign"
    assert client.post(url, data=_sign_form(request)).status_code == 422


def test_read_only_view_cannot_sign(client, world):
    """Does the staff's read-only view of the client's portal answer 403 to sign and decline,
    and record no view?"""
    request = make_request(world.a.staff, _pdf(world), [world.a.contact.user])
    signer = request.signers[0]
    client.login(world.a.staff.email)
    client.post(f"/clients/{world.a.account.id}/contacts/{world.a.contact.id}/portal-view")
    page = client.get(f"/portal/signatures/{request.id}")
    assert page.status_code == 200
    base = f"/portal/signatures/{request.id}/signers/{signer.id}"
    assert client.post(f"{base}/sign", data=_sign_form(request)).status_code == 403
    assert client.post(f"{base}/decline", data={"reason": "x"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Signer, signer.id).viewed_at is None


def test_signature_cannot_be_replayed_after_the_document_changed(client, world):
    """Is a sign form carrying another hash, or a file changed on disk, refused?"""
    document = _pdf(world)
    request = make_request(world.a.staff, document, [world.a.contact.user])
    signer = request.signers[0]
    client.login(world.a.contact.user.email)
    url = f"/portal/signatures/{request.id}/signers/{signer.id}/sign"
    stale = _sign_form(request, document_sha256="0" * 64)
    assert client.post(url, data=stale).status_code == 422
    storage.path_for(document.storage_key).write_bytes(sample_pdf(3))  # the file changed
    assert client.post(url, data=_sign_form(request)).status_code == 422
    db.session.expire_all()
    assert db.session.get(Signer, signer.id).state == "waiting"


def test_sign_needs_csrf(client, world):
    request = make_request(world.a.staff, _pdf(world), [world.a.contact.user])
    signer = request.signers[0]
    client.login(world.a.contact.user.email)
    response = client.post(
        f"/portal/signatures/{request.id}/signers/{signer.id}/sign",
        data=_sign_form(request),
        without_csrf=True,
    )
    assert response.status_code == 400


def test_pending_action_lists_the_request_for_the_signer(client, world):
    request = make_request(world.a.staff, _pdf(world), [world.a.contact.user])
    client.login(world.a.contact.user.email)
    page = client.get("/portal/").data.decode()
    assert f'href="/portal/signatures/{request.id}"' in page
    assert "Sign contract.pdf" in page


def test_signatures_subtab_and_filters(client, world):
    """Do the Signatures sub-tab, the Clients filter and the Documents page filter show it?"""
    a = world.a
    request = make_request(a.staff, _pdf(world), [a.contact.user])
    client.login(a.staff.email)
    tab = client.get(f"/clients/{a.account.id}/docs/signatures").data.decode()
    assert f'data-testid="signature-status-{request.id}"' in tab and "Awaiting signature" in tab
    clients = client.get("/clients?filter=pending_signatures").data.decode()
    assert a.account.name in clients and world.other_account.name not in clients
    documents = client.get("/documents?status=signatures").data.decode()
    assert "contract.pdf" in documents and "private.pdf" not in documents


def test_request_signature_at_upload(client, world):
    """Does ticking Request signature at upload send the PDF for signature to the contacts
    who can sign (and not to the one without portal access), with the firm's reminder
    defaults?"""
    a = world.a
    a.firm.reminder_interval_days, a.firm.reminder_max_count = 6, 2  # the firm's defaults
    db.session.commit()
    client.login(a.staff.email)
    response = client.post(
        f"/clients/{a.account.id}/folders/{a.folders['view'].id}/documents",
        data={
            "files": (io.BytesIO(sample_pdf(1)), "upload.pdf"),
            "request_signature": "on",
        },
        content_type="multipart/form-data",
        headers=hx(),
    )
    assert response.status_code == 200, response.data
    request = db.session.scalar(select(SignatureRequest))
    assert [s.user_id for s in request.signers] == [a.contact.user_id]
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == request.id))
    assert (reminder.enabled, reminder.interval_days, reminder.max_count) == (True, 6, 2)


def test_decline_from_the_portal(client, world):
    request = make_request(world.a.staff, _pdf(world), [world.a.contact.user])
    signer = request.signers[0]
    client.login(world.a.contact.user.email)
    base = f"/portal/signatures/{request.id}/signers/{signer.id}"
    assert client.post(f"{base}/decline", data={"reason": ""}).status_code == 422
    assert client.post(f"{base}/decline", data={"reason": "Wrong year"}).status_code == 302
    db.session.expire_all()
    assert service.status_of(db.session.get(SignatureRequest, request.id)) == "declined"


def test_portal_documents_point_to_the_signed_copy(client, world):
    """On the portal's Documents page, does a signed original offer its sealed copy, and a
    pending one *Review and sign*?"""
    from dashboard.signatures.signed_copy import make_signed_copy
    from tests.signatures.helpers import sign_as

    a = world.a
    signed = make_request(a.staff, _pdf(world), [a.contact.user])
    sign_as(signed, a.contact.user)
    assert make_signed_copy(signed.id)
    pending = make_request(
        a.staff, add_pdf(a.folders["view"], a.staff, "second.pdf"), [a.contact.user]
    )
    db.session.refresh(signed)
    client.login(a.contact.user.email)
    page = client.get(f"/portal/documents/folders/{a.folders['view'].id}").data.decode()
    assert f"/portal/documents/{signed.signed_document_id}/download" in page
    assert f'href="/portal/signatures/{pending.id}"' in page


def test_the_documents_menu_requests_then_resends_or_cancels(client, world):
    """Does a shared PDF's ⋯ menu offer Request signature (the viewer opens with the form
    shown), then, once requested, Resend and Cancel instead, whose Cancel cancels; and does a
    Private folder's PDF get no entry?"""
    a = world.a
    document = _pdf(world)
    client.login(a.staff.email)
    listing = f"/clients/{a.account.id}/docs/folders/{a.folders['view'].id}"
    viewer = f"/clients/{a.account.id}/documents/{document.id}"
    page = client.get(listing).data.decode()
    assert f'href="{viewer}?request_signature=1#request-signature"' in page
    assert f'data-testid="request-signature-{document.id}"' in page
    private = client.get(f"/clients/{a.account.id}/docs/folders/{a.folders['private'].id}")
    assert f"request-signature-{a.documents['private'].id}" not in private.data.decode()
    shown = client.get(f"{viewer}?request_signature=1").data.decode()
    assert 'collapse show" id="request-signature"' in shown
    assert 'collapse show" id="request-signature"' not in client.get(viewer).data.decode()

    request = make_request(a.staff, document, [a.contact.user])
    page = client.get(listing).data.decode()
    assert f'data-testid="request-signature-{document.id}"' not in page
    assert f'href="{viewer}?resend_signature=1#resend-signature"' in page
    cancel = f"/clients/{a.account.id}/signatures/{request.id}/cancel"
    assert f'action="{cancel}"' in page and f'data-testid="cancel-signature-{document.id}"' in page
    assert client.post(cancel).status_code == 302
    db.session.expire_all()
    assert service.status_of(db.session.get(SignatureRequest, request.id)) == "cancelled"
    assert f'data-testid="request-signature-{document.id}"' in client.get(listing).data.decode()


def test_the_viewer_shows_the_reminder_timeline(client, world, frozen_clock):
    """Does the viewer of a document awaiting signature show the item's reminder settings
    and timeline: the request sent to the signer and the next reminder planned?"""
    from datetime import UTC, datetime

    frozen_clock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    a = world.a
    request = make_request(a.staff, _pdf(world), [a.contact.user], interval=4, count=2)
    client.login(a.staff.email)
    page = client.get(f"/clients/{a.account.id}/documents/{request.document_id}").data.decode()
    start = page.index(f'id="item-reminders-{request.id}"')
    panel = page[start : page.index("</section>", start)]
    assert f'data-testid="save-reminders-{request.id}"' in panel
    assert 'value="4"' in panel and 'value="2"' in panel
    timeline = panel[panel.index('class="list-unstyled timeline') :]
    assert a.contact.user.email in timeline  # the request's email, to the signer
    assert 'class="timeline-entry planned' in timeline  # the next reminder


def test_pending_action_is_bumped_on_resend(client, world, frozen_clock):
    """Does a resent request move to the top of the signer's Pending action?"""
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    a = world.a
    frozen_clock(start)
    older = make_request(a.staff, _pdf(world), [a.contact.user])
    frozen_clock(start + timedelta(hours=1))
    newer = make_request(
        a.staff, add_pdf(a.folders["view"], a.staff, "second.pdf"), [a.contact.user]
    )
    client.login(a.contact.user.email)

    def order() -> list[int]:
        page = client.get("/portal/").data.decode()
        places = {r.id: page.index(f'href="/portal/signatures/{r.id}"') for r in (older, newer)}
        return sorted(places, key=places.__getitem__)

    assert order() == [newer.id, older.id]
    frozen_clock(start + timedelta(hours=2))
    assert service.resend_request(a.staff, older)
    db.session.commit()
    assert order() == [older.id, newer.id]


def test_resend_from_the_viewer_with_new_reminder_settings(client, world, frozen_clock):
    """Does the viewer's Resend signature request (htmx) queue one email to the signer who
    has not signed, with the message, save the reminder settings sent along and restart the
    timer; and is a resend moments later refused (B7)?"""
    from datetime import UTC, datetime, timedelta

    from dashboard.notify.models import OutboxEmail
    from tests.signatures.helpers import sign_as

    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    frozen_clock(start)
    a = world.a
    second = make_contact(a.account, name="Bea").user
    db.session.commit()
    request = make_request(a.staff, _pdf(world), [a.contact.user, second])
    sign_as(request, a.contact.user)
    frozen_clock(start + timedelta(hours=1))
    client.login(a.staff.email)
    url = f"/clients/{a.account.id}/signatures/{request.id}/resend"
    form = {
        "from": "viewer",
        "message": "Only your signature is missing",
        "reminders": "on",
        "interval_days": "6",
        "max_count": "3",
    }
    response = client.post(url, data=form, headers=hx())
    assert response.status_code == 200 and b'id="viewer-panel"' in response.data
    rows = db.session.scalars(select(OutboxEmail).where(OutboxEmail.purpose == "resend")).all()
    assert [(r.recipient_id, r.context.get("message")) for r in rows] == [
        (second.id, "Only your signature is missing")
    ]
    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == request.id))
    db.session.refresh(reminder)
    assert (reminder.interval_days, reminder.max_count) == (6, 3)
    assert reminder.timer_from.replace(tzinfo=UTC) == start + timedelta(hours=1)
    frozen_clock(start + timedelta(hours=1, minutes=2))
    assert client.post(url, data=form, headers=hx()).status_code == 422
    assert (
        len(db.session.scalars(select(OutboxEmail).where(OutboxEmail.purpose == "resend")).all())
        == 1
    )
