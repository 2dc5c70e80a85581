"""The client's Organizers: fill in over several visits (each answer saved as it is given),
then submit; afterwards a read-only copy."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import case, select

from dashboard.documents.uploads import UploadRefused
from dashboard.extensions import db
from dashboard.organizers import questions as rules
from dashboard.organizers import service
from dashboard.organizers.models import Organizer
from dashboard.portal.blueprint import bp, portal_accounts
from dashboard.tenancy import client_account_ids, portal_user


def _portal_organizer(organizer_id: int) -> Organizer:
    organizer = db.session.scalar(
        select(Organizer).where(
            Organizer.id == organizer_id,
            Organizer.account_id.in_(client_account_ids()),
            Organizer.state != "cancelled",
        )
    )
    if organizer is None:
        abort(404)
    return organizer


@bp.route("/organizers")
def organizers():
    rows = db.session.scalars(
        select(Organizer)
        .where(Organizer.account_id.in_(client_account_ids()), Organizer.state != "cancelled")
        .order_by(case((Organizer.state == "open", 0), else_=1), Organizer.sent_at.desc())
        .limit(200)
    ).all()
    return render_template(
        "organizers/portal_list.html",
        organizers=rows,
        accounts=portal_accounts(),
        state_labels=service.STATE_LABELS,
        state_badges=service.STATE_BADGES,
    )


def _context(organizer: Organizer, **extra) -> dict:
    answers = service.answers_of(organizer)
    done, total = rules.progress(organizer.questions, answers)
    return {
        "organizer": organizer,
        "answers": answers,
        "done": done,
        "total": total,
        "shown": {q["key"] for q in rules.visible(organizer.questions, answers)},
        "sections": rules.sections(organizer.questions),
        "editable": organizer.state == "open" and not g.read_only,
        "state_labels": service.STATE_LABELS,
        "state_badges": service.STATE_BADGES,
        **extra,
    }


@bp.route("/organizers/<int:organizer_id>")
def organizer(organizer_id: int):
    return render_template(
        "organizers/portal_fill.html", **_context(_portal_organizer(organizer_id))
    )


def _saved(organizer: Organizer, key: str, status: int = 200, error: str | None = None):
    """The question's saved state and the progress, swapped in place (out of band)."""
    return render_template(
        "organizers/_saved.html", key=key, error=error, **_context(organizer)
    ), status


@bp.route("/organizers/<int:organizer_id>/answers/<key>", methods=["POST"])
def save_answer(organizer_id: int, key: str):
    organizer_ = _portal_organizer(organizer_id)
    try:
        service.save_answer(portal_user(), organizer_, key, request.form.getlist("value"))
    except service.OrganizerLocked:
        db.session.rollback()
        abort(403)
    except (rules.AnswerError, service.OrganizerError) as refused:
        db.session.rollback()
        return _saved(_portal_organizer(organizer_id), key, 422, str(refused))
    db.session.commit()
    return _saved(organizer_, key)


@bp.route("/organizers/<int:organizer_id>/files/<key>", methods=["POST"])
def save_file(organizer_id: int, key: str):
    organizer_ = _portal_organizer(organizer_id)
    file = request.files.get("file")
    try:
        if file is None or not file.filename:
            raise service.OrganizerError(_("Choose a file first."))
        service.save_file(portal_user(), organizer_, key, file)
    except service.OrganizerLocked:
        db.session.rollback()
        abort(403)
    except (UploadRefused, service.OrganizerError) as refused:
        db.session.rollback()
        return _saved(_portal_organizer(organizer_id), key, 422, str(refused))
    db.session.commit()
    return _saved(organizer_, key)


@bp.route("/organizers/<int:organizer_id>/submit", methods=["POST"])
def submit(organizer_id: int):
    organizer_ = _portal_organizer(organizer_id)
    try:
        service.submit(portal_user(), organizer_)
    except service.OrganizerLocked:
        db.session.rollback()
        abort(403)
    except service.MissingAnswers as refused:
        db.session.rollback()
        organizer_ = _portal_organizer(organizer_id)
        return render_template(
            "organizers/portal_fill.html",
            missing=refused.missing,
            error=str(refused),
            **_context(organizer_),
        ), 422
    db.session.commit()
    flash(_("Thank you: your answers were sent to your accountant."), "success")
    return redirect(url_for("portal.organizer", organizer_id=organizer_.id))
