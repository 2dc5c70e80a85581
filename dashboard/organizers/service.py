"""Organizer rules: templates, sending, answers saved as the client goes, files into the
template's folder, submit (required questions checked, hidden answers dropped), reopen, seal.

Reminders are the engine's: an open organizer is a pending action item until it is submitted
(or sealed by the firm); reopening sends it again and the reminders start over.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import FileStorage

from dashboard.accounts.models import Account, Folder
from dashboard.accounts.service import create_folder
from dashboard.audit.service import record_item_event
from dashboard.auth.models import Firm, User
from dashboard.clock import now
from dashboard.documents.service import upload_documents
from dashboard.extensions import db
from dashboard.items.kinds import notify_recipients
from dashboard.notify.inbox import add_entry, staff_wanting
from dashboard.organizers import questions as rules
from dashboard.organizers.models import Organizer, OrganizerAnswer, OrganizerTemplate
from dashboard.reminders.service import ReminderSettings, complete_item, send_item

STATE_LABELS = {
    "open": _l("In progress"),
    "submitted": _l("Submitted"),
    "sealed": _l("Sealed"),
    "cancelled": _l("Cancelled"),
}
STATE_BADGES = {
    "open": "text-bg-warning",
    "submitted": "text-bg-info",
    "sealed": "text-bg-success",
    "cancelled": "text-bg-secondary",
}


class OrganizerError(ValueError):
    """A change that cannot be made; the message is shown to the user."""


class OrganizerLocked(OrganizerError):
    """The organizer is submitted or sealed: the client can no longer change it (403)."""


class MissingAnswers(OrganizerError):
    def __init__(self, missing: list[dict]) -> None:
        super().__init__(str(_l("Answer the required questions first.")))
        self.missing = missing


def save_template(
    firm: Firm, template: OrganizerTemplate | None, form, settings, inherit: bool = False
):
    """`settings` are the template's own Reminders; `inherit` uses the firm default (B8)."""
    name = " ".join(form.get("name", "").split())[:200]
    if not name:
        raise OrganizerError(str(_l("Give the template a name.")))
    try:
        questions = rules.from_form(form)
    except rules.AnswerError as refused:
        raise OrganizerError(str(refused)) from refused
    if not questions:
        raise OrganizerError(str(_l("Add at least one question.")))
    if template is None:
        template = OrganizerTemplate(firm_id=firm.id, name=name)
        db.session.add(template)
    template.name, template.intro = name, form.get("intro", "").strip()[:5000]
    template.folder_name = (
        " ".join(form.get("folder_name", "").split())[:200] or "Organizer uploads"
    )
    template.questions = questions
    template.set_reminders(inherit, settings)
    db.session.flush()
    return template


def send_organizer(
    actor: User, account: Account, template: OrganizerTemplate, message: str, settings
) -> Organizer:
    """The template's questions frozen on a new organizer, sent to the account (R7)."""
    if not notify_recipients(account.id):
        raise OrganizerError(
            str(_l("No contact of this account can receive it: give one portal access."))
        )
    organizer = Organizer(
        firm_id=account.firm_id,
        account_id=account.id,
        template_id=template.id,
        state="open",
        title=template.name,
        message=message.strip()[:5000],
        intro=template.intro,
        folder_name=template.folder_name,
        questions=list(template.questions),
    )
    db.session.add(organizer)
    db.session.flush()
    send_item(actor, organizer, settings, {"message": organizer.message})
    return organizer


def answers_of(organizer: Organizer) -> dict[str, object]:
    return {a.key: a.value for a in organizer.answers}


def _question(organizer: Organizer, key: str) -> dict:
    question = next((q for q in organizer.questions if q["key"] == key), None)
    if question is None:
        raise OrganizerError(str(_l("This question is not in the organizer.")))
    return question


def _check_open(organizer: Organizer) -> None:
    db.session.refresh(organizer, ["state", "status"])
    if organizer.state != "open":
        raise OrganizerLocked(str(_l("This organizer was submitted; it can no longer be changed.")))


def save_answer(
    client: User, organizer: Organizer, key: str, raw: list[str]
) -> OrganizerAnswer | None:
    """Keep (or clear) one answer; AnswerError leaves the saved answer as it was."""
    _check_open(organizer)
    question = _question(organizer, key)
    if question["type"] == "file":
        raise OrganizerError(str(_l("This question takes a file.")))
    value = rules.read_answer(question, raw)
    answer = next((a for a in organizer.answers if a.key == key), None)
    if value is None:
        if answer is not None:
            organizer.answers.remove(answer)
        db.session.flush()
        return None
    if answer is None:
        answer = OrganizerAnswer(key=key, value=value)
        organizer.answers.append(answer)
    answer.value, answer.updated_at = value, now()
    db.session.flush()
    return answer


def upload_folder(organizer: Organizer, actor: User) -> Folder:
    """The template's folder on this account, created client-visible (clients may upload)."""
    account = db.session.get(Account, organizer.account_id)
    folder = db.session.scalar(
        select(Folder).where(
            Folder.account_id == organizer.account_id,
            Folder.parent_id.is_(None),
            Folder.name == organizer.folder_name,
        )
    )
    if folder is None:
        folder = create_folder(actor, account, organizer.folder_name, "edit")
    elif folder.access == "private":
        raise OrganizerError(str(_l("The folder for uploads is private; ask your accountant.")))
    return folder


def save_file(client: User, organizer: Organizer, key: str, file: FileStorage) -> OrganizerAnswer:
    """The file goes into the template's folder (the documents' upload checks apply)."""
    _check_open(organizer)
    question = _question(organizer, key)
    if question["type"] != "file":
        raise OrganizerError(str(_l("This question does not take a file.")))
    result = upload_documents(client, upload_folder(organizer, client), [file])
    document = result.documents[0]
    answer = next((a for a in organizer.answers if a.key == key), None)
    if answer is None:
        answer = OrganizerAnswer(key=key, value=document.name)
        organizer.answers.append(answer)
    answer.value, answer.document_id, answer.updated_at = document.name, document.id, now()
    db.session.flush()
    return answer


def submit(client: User, organizer: Organizer) -> None:
    """Required questions shown must be answered; hidden questions' answers are dropped."""
    _check_open(organizer)
    answers = answers_of(organizer)
    missing = rules.missing_required(organizer.questions, answers)
    if missing:
        raise MissingAnswers(missing)
    shown = {q["key"] for q in rules.visible(organizer.questions, answers)}
    for answer in [a for a in organizer.answers if a.key not in shown]:
        organizer.answers.remove(answer)
    organizer.state, organizer.submitted_at = "submitted", now()
    complete_item(organizer, "submitted", client)
    record_item_event(organizer, actor=client, action="organizer.submitted", title=organizer.title)
    for staff in staff_wanting(organizer.firm_id, "organizers"):
        add_entry(
            staff.id,
            organizer.firm_id,
            "organizer_submitted",
            account_id=organizer.account_id,
            item_id=organizer.id,
            client=client.name,
            title=organizer.title,
        )
    db.session.flush()


def reopen(actor: User, organizer: Organizer) -> None:
    """Back to the client for changes: sent again, reminders start over."""
    if organizer.state != "submitted":
        raise OrganizerError(str(_l("Only a submitted organizer can be reopened.")))
    organizer.state = "open"
    record_item_event(organizer, actor=actor, action="organizer.reopened", title=organizer.title)
    firm = db.session.get(Firm, organizer.firm_id)
    send_item(actor, organizer, _settings(organizer, firm), {"message": ""})


def _settings(organizer: Organizer, firm: Firm) -> ReminderSettings:
    from dashboard.reminders.models import Reminder

    reminder = db.session.scalar(select(Reminder).where(Reminder.item_id == organizer.id))
    if reminder is None:
        return ReminderSettings.defaults_for(firm)
    return ReminderSettings(
        reminder.enabled, reminder.interval_days, reminder.max_count, reminder.origin
    )


def seal(actor: User, organizer: Organizer) -> None:
    """Locked for good: no more answers, no more reminders; the seal is in the audit trail."""
    if organizer.state not in ("open", "submitted"):
        raise OrganizerError(str(_l("This organizer is already sealed.")))
    if organizer.is_pending:
        complete_item(organizer, "sealed", actor)
    organizer.state, organizer.sealed_at, organizer.sealed_by_id = "sealed", now(), actor.id
    _keep_sealed_pdf(organizer)
    record_item_event(organizer, actor=actor, action="organizer.sealed", title=organizer.title)


def _keep_sealed_pdf(organizer: Organizer) -> None:
    from dashboard.documents import storage
    from dashboard.documents.models import Document
    from dashboard.organizers.pdf import sealed_pdf

    firm = db.session.get(Firm, organizer.firm_id)
    ids = [a.document_id for a in organizer.answers if a.document_id]
    documents = (
        {d.id: d for d in db.session.scalars(select(Document).where(Document.id.in_(ids)))}
        if ids
        else {}
    )
    data = sealed_pdf(organizer, firm, documents)
    organizer.sealed_pdf_key = storage.keep_bytes(data, organizer.firm_id).key


def organizers_select(firm_id: int, account_id: int | None = None):
    stmt = (
        select(Organizer)
        .options(joinedload(Organizer.account))
        .where(Organizer.firm_id == firm_id)
        .order_by(
            case((Organizer.state == "open", 0), (Organizer.state == "submitted", 1), else_=2),
            Organizer.sent_at.desc(),
            Organizer.id.desc(),
        )
    )
    if account_id is not None:
        stmt = stmt.where(Organizer.account_id == account_id)
    return stmt
