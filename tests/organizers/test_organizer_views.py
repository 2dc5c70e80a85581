"""Organizer pages through the Flask test client: staff build a template and send; the client
saves answers (one request each), submits; staff reopen, seal, export; tenancy; read-only."""

from __future__ import annotations

import io

from sqlalchemy import select

from dashboard.extensions import db
from dashboard.organizers.models import Organizer, OrganizerTemplate
from tests.organizers.helpers import make_template, sent_organizer, template_form


def test_staff_build_a_template_and_send_it(client, world):
    a = world.a
    client.login(a.staff.email)
    assert client.get("/organizers/templates/new").status_code == 200
    form = template_form()
    form["reminders"], form["interval_days"], form["max_count"] = "on", "5", "3"
    assert client.post("/organizers/templates/new", data=form).status_code == 302
    template = db.session.scalar(select(OrganizerTemplate))
    assert len(template.questions) == 10 and template.interval_days == 5
    assert client.get(f"/organizers/templates/{template.id}").status_code == 200
    assert client.get(f"/clients/{a.account.id}/organizers").status_code == 200
    page = client.get(f"/clients/{a.account.id}/organizers/new?template={template.id}")
    assert page.status_code == 200
    sent = client.post(
        f"/clients/{a.account.id}/organizers/new",
        data={
            "template": template.id,
            "message": "Bonjour",
            "reminders": "on",
            "interval_days": "5",
            "max_count": "3",
        },
    )
    assert sent.status_code == 302
    organizer = db.session.scalar(select(Organizer))
    assert organizer.is_pending and organizer.state == "open"
    assert client.get(f"/clients/{a.account.id}/organizers/{organizer.id}").status_code == 200
    assert client.get("/organizers").status_code == 200


def test_a_template_question_without_choices_is_refused(client, world):
    client.login(world.a.staff.email)
    form = template_form()
    form.setlist("q_options", [""] * 10)
    answer = client.post("/organizers/templates/new", data=form)
    assert answer.status_code == 422 and b"needs at least two choices" in answer.data


def test_client_saves_each_answer_then_submits(client, world):
    a = world.a
    organizer = sent_organizer(a.staff, a.account, make_template(a.firm))
    client.login(a.contact.user.email)
    base = f"/portal/organizers/{organizer.id}"
    assert organizer.title.encode() in client.get("/portal/", follow_redirects=True).data
    assert client.get(base).status_code == 200
    for key, values in (
        ("name", ["Ana"]),
        ("has_kids", ["no"]),
        ("income", ["Salary", "Rent"]),
        ("rent", ["1 200,50"]),
        ("days", ["12"]),
        ("moved", ["2026-03-01"]),
    ):
        saved = client.post(
            f"{base}/answers/{key}", data={"value": values}, headers={"HX-Request": "true"}
        )
        assert saved.status_code == 200 and b'data-state="saved"' in saved.data, key
    refused = client.post(
        f"{base}/answers/rent", data={"value": "abc"}, headers={"HX-Request": "true"}
    )
    assert refused.status_code == 422 and b'data-state="error"' in refused.data
    early = client.post(f"{base}/submit")
    assert early.status_code == 422 and b"Your last payslip" in early.data
    upload = client.post(
        f"{base}/files/payslip",
        data={"file": (io.BytesIO(b"%PDF-1.4 x"), "slip.pdf")},
        content_type="multipart/form-data",
        headers={"HX-Request": "true"},
    )
    assert upload.status_code == 200
    assert client.post(f"{base}/submit").status_code == 302
    db.session.refresh(organizer)
    assert organizer.state == "submitted"
    assert {a.key: a.value for a in organizer.answers}["rent"] == "1200.50"
    assert client.post(f"{base}/answers/name", data={"value": "Changed"}).status_code == 403


def test_seal_locks_edits_with_403_and_staff_export_the_pdf(client, make_client, world):
    from dashboard.organizers import service

    a = world.a
    organizer = sent_organizer(a.staff, a.account, make_template(a.firm))
    client.login(a.staff.email)
    assert client.post(f"/clients/{a.account.id}/organizers/{organizer.id}/seal").status_code == 302
    pdf = client.get(f"/clients/{a.account.id}/organizers/{organizer.id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    portal = make_client()
    portal.login(a.contact.user.email)
    base = f"/portal/organizers/{organizer.id}"
    assert portal.post(f"{base}/answers/name", data={"value": "x"}).status_code == 403
    assert portal.post(f"{base}/submit").status_code == 403
    assert (
        portal.post(
            f"{base}/files/payslip",
            data={"file": (io.BytesIO(b"%PDF x"), "x.pdf")},
            content_type="multipart/form-data",
        ).status_code
        == 403
    )
    assert service.answers_of(organizer) == {}


def test_other_firms_and_accounts_get_404(client, world):
    a, b = world.a, world.b
    theirs = sent_organizer(b.staff, b.account, make_template(b.firm))
    client.login(a.staff.email)
    base = f"/clients/{b.account.id}/organizers/{theirs.id}"
    for url in (
        f"/clients/{b.account.id}/organizers",
        base,
        f"{base}/pdf",
        f"/clients/{a.account.id}/organizers/{theirs.id}",
        f"/organizers/templates/{theirs.template_id}",
        f"/clients/{a.account.id}/organizers/new?template={theirs.template_id}",
    ):
        assert client.get(url).status_code == 404, url
    for action in ("reopen", "seal"):
        assert client.post(f"{base}/{action}").status_code == 404, action
    client.post("/logout")
    client.login(a.contact.user.email)
    for url in (f"/portal/organizers/{theirs.id}",):
        assert client.get(url).status_code == 404
    assert (
        client.post(f"/portal/organizers/{theirs.id}/answers/name", data={"value": "x"}).status_code
        == 404
    )
    assert client.post(f"/portal/organizers/{theirs.id}/submit").status_code == 404
    other = sent_organizer(a.staff, world.other_account, make_template(a.firm))
    assert client.get(f"/portal/organizers/{other.id}").status_code == 404


def test_read_only_view_changes_nothing(client, world):
    a = world.a
    organizer = sent_organizer(a.staff, a.account, make_template(a.firm))
    client.login(a.staff.email)
    client.post(f"/clients/{a.account.id}/contacts/{a.contact.id}/portal-view")
    page = client.get(f"/portal/organizers/{organizer.id}")
    assert page.status_code == 200 and b"hx-post" not in page.data
    assert (
        client.post(
            f"/portal/organizers/{organizer.id}/answers/name", data={"value": "x"}
        ).status_code
        == 403
    )
    assert client.post(f"/portal/organizers/{organizer.id}/submit").status_code == 403


def test_the_sealed_organizer_pdf_is_kept_and_verifies(client, world):
    from dashboard.signatures import sealing
    from dashboard.signatures.models import FirmSealKey

    a = world.a
    organizer = sent_organizer(a.staff, a.account, make_template(a.firm))
    client.login(a.staff.email)
    client.post(f"/clients/{a.account.id}/organizers/{organizer.id}/seal")
    first = client.get(f"/clients/{a.account.id}/organizers/{organizer.id}/pdf").data
    again = client.get(f"/clients/{a.account.id}/organizers/{organizer.id}/pdf").data
    assert first == again  # the kept file, not a new rendering
    key = db.session.scalar(select(FirmSealKey).where(FirmSealKey.firm_id == a.firm.id))
    result = sealing.verify(first, [key.certificate_pem])
    assert result.valid, result.findings
