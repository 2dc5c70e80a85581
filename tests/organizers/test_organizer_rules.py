"""Organizer rules: answers of every type, conditions, submit, reopen, seal, files."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from dashboard.documents.models import Document
from dashboard.extensions import db
from dashboard.organizers import questions as rules
from dashboard.organizers import service
from dashboard.reminders.models import Reminder
from tests.organizers.helpers import make_template, sent_organizer


def _reminder(item):
    return db.session.scalar(select(Reminder).where(Reminder.item_id == item.id))


def test_template_keeps_types_conditions_and_order(world):
    template = make_template(world.a.firm)
    assert [q["key"] for q in template.questions][:3] == ["name", "notes", "has_kids"]
    children = next(q for q in template.questions if q["key"] == "children")
    assert children["options"] == ["1", "2", "3+"] and children["show_if"] == {
        "key": "has_kids",
        "values": ["yes"],
    }
    assert {q["type"] for q in template.questions} == set(rules.TYPES)


def test_each_type_reads_and_refuses(world):
    q = {t: {"key": t, "type": t, "options": ["A", "B"]} for t in rules.TYPES}
    assert rules.read_answer(q["short_text"], ["  Ana   Silva "]) == "Ana Silva"
    assert rules.read_answer(q["yes_no"], ["yes"]) == "yes"
    assert rules.read_answer(q["multiple"], ["A", "B"]) == ["A", "B"]
    assert rules.read_answer(q["amount"], ["1 234,50"]) == "1234.50"
    assert rules.read_answer(q["number"], ["12"]) == "12"
    assert rules.read_answer(q["date"], ["2026-03-01"]) == "2026-03-01"
    assert rules.read_answer(q["single"], [""]) is None
    for kind, bad in (("yes_no", "maybe"), ("single", "C"), ("amount", "abc"), ("date", "31/02")):
        with pytest.raises(rules.AnswerError):
            rules.read_answer(q[kind], [bad])


def test_answers_survive_three_visits_and_a_refused_one_changes_nothing(world):
    a = world.a
    organizer = sent_organizer(a.staff, a.account, make_template(a.firm))
    client = a.contact.user
    service.save_answer(client, organizer, "name", ["Ana Silva"])
    service.save_answer(client, organizer, "income", ["Salary", "Rent"])
    db.session.commit()
    db.session.expire_all()  # a second visit
    service.save_answer(client, organizer, "rent", ["1 200,00"])
    db.session.commit()
    with pytest.raises(rules.AnswerError):
        service.save_answer(client, organizer, "rent", ["twelve"])
    db.session.rollback()
    db.session.expire_all()  # a third visit
    answers = service.answers_of(organizer)
    assert answers == {"name": "Ana Silva", "income": ["Salary", "Rent"], "rent": "1200.00"}


def test_conditions_hide_questions_and_hidden_ones_are_neither_required_nor_kept(world):
    a = world.a
    organizer = sent_organizer(a.staff, a.account, make_template(a.firm))
    client = a.contact.user
    for key, value in (
        ("name", ["Ana"]),
        ("has_kids", ["yes"]),
        ("children", ["2"]),
        ("names", ["Rui, Eva"]),
        ("income", ["Salary"]),
    ):
        service.save_answer(client, organizer, key, value)
    shown = [q["key"] for q in rules.visible(organizer.questions, service.answers_of(organizer))]
    assert "names" in shown and "rent" not in shown
    service.save_answer(client, organizer, "has_kids", ["no"])  # children and names now hidden
    missing = rules.missing_required(organizer.questions, service.answers_of(organizer))
    assert [q["key"] for q in missing] == ["payslip"]
    service.save_file(client, organizer, "payslip", _pdf())
    service.submit(client, organizer)
    db.session.commit()
    assert set(service.answers_of(organizer)) == {"name", "has_kids", "income", "payslip"}


def test_submit_names_the_missing_required_questions(world):
    a = world.a
    organizer = sent_organizer(a.staff, a.account, make_template(a.firm))
    service.save_answer(a.contact.user, organizer, "name", ["Ana"])
    with pytest.raises(service.MissingAnswers) as refused:
        service.submit(a.contact.user, organizer)
    assert [q["label"] for q in refused.value.missing] == [
        "Do you have children?",
        "Income sources",
        "Your last payslip",
    ]
    assert organizer.state == "open" and organizer.is_pending


def _pdf(name="payslip.pdf"):
    from werkzeug.datastructures import FileStorage

    return FileStorage(
        io.BytesIO(b"%PDF-1.4 payslip"), filename=name, content_type="application/pdf"
    )


def _complete(organizer, client):
    for key, value in (("name", ["Ana"]), ("has_kids", ["no"]), ("income", ["Salary"])):
        service.save_answer(client, organizer, key, value)
    service.save_file(client, organizer, "payslip", _pdf())
    service.submit(client, organizer)
    db.session.commit()


def test_submit_stops_reminders_reopen_restarts_them_seal_locks(world):
    a = world.a
    organizer = sent_organizer(a.staff, a.account, make_template(a.firm))
    assert _reminder(organizer).next_at is not None
    _complete(organizer, a.contact.user)
    assert organizer.state == "submitted" and _reminder(organizer).next_at is None
    service.reopen(a.staff, organizer)
    db.session.commit()
    reminder = _reminder(organizer)
    assert organizer.state == "open" and organizer.is_pending
    assert reminder.next_at is not None and reminder.sent_count == 0 and reminder.round == 2
    service.seal(a.staff, organizer)
    db.session.commit()
    assert organizer.state == "sealed" and _reminder(organizer).next_at is None
    with pytest.raises(service.OrganizerLocked):
        service.save_answer(a.contact.user, organizer, "name", ["Changed"])


def test_a_file_question_stores_the_file_in_the_templates_folder_with_upload_checks(world):
    from dashboard.documents.uploads import UploadRefused

    a = world.a
    organizer = sent_organizer(a.staff, a.account, make_template(a.firm))
    answer = service.save_file(a.contact.user, organizer, "payslip", _pdf())
    db.session.commit()
    document = db.session.get(Document, answer.document_id)
    assert document.folder.name == "Organizer 2026" and document.folder.access == "edit"
    with pytest.raises(UploadRefused):
        service.save_file(a.contact.user, organizer, "payslip", _pdf("run.exe"))
    db.session.rollback()
    assert db.session.scalar(select(Document.id).where(Document.name == "run.exe")) is None


def test_reminder_email_says_how_far_the_client_got_and_links_to_the_next_question(world, app):
    from flask_babel import force_locale

    from dashboard.items.kinds import kind_of

    a = world.a
    organizer = sent_organizer(a.staff, a.account, make_template(a.firm))
    service.save_answer(a.contact.user, organizer, "name", ["Ana"])
    kind = kind_of(organizer)
    with app.test_request_context(), force_locale("en"):
        content = kind.email(organizer, "reminder", {"firm": "Firm"})
    assert "You answered 1 of 7 questions so far." in content.intro
    assert kind.portal_path(organizer).endswith("#q-notes")
