"""Staff routes for pipelines: the board and list of jobs, a job's page, the account's Jobs
tab, and the pipeline's settings (stages and their automations)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import Select, func, select

from dashboard.accounts.models import Account
from dashboard.accounts.views import render_account_tab
from dashboard.audit.service import describe
from dashboard.auth.models import User
from dashboard.extensions import db
from dashboard.htmx import is_partial, render_partial
from dashboard.pagination import paginate
from dashboard.pipelines import automations, board
from dashboard.pipelines import service as pipelines
from dashboard.pipelines.models import AutomationRun, Job, Pipeline, PipelineStage
from dashboard.pipelines.service import ITEM_STATUS_LABELS
from dashboard.tenancy import current_firm, current_firm_id, firm_get

bp = Blueprint("pipelines", __name__)
PER_PAGE = 50


@bp.before_request
@login_required
def require_staff() -> None:
    """Only staff reach these routes."""
    current_firm_id()


def _staff() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.firm_id == current_firm_id(), User.role != "client")
            .order_by(User.name, User.email)
        )
    )


def _pipelines() -> list[Pipeline]:
    return list(
        db.session.scalars(
            select(Pipeline).where(Pipeline.firm_id == current_firm_id()).order_by(Pipeline.name)
        )
    )


def _int(name: str) -> int | None:
    value = request.values.get(name, type=int)
    return value if value and 0 < value < 2**31 else None


def _enqueue_after_commit(run_ids: list[int]) -> None:
    db.session.commit()
    automations.enqueue_runs(run_ids)


# --- the board and the list ----------------------------------------------------------------


@bp.route("/pipelines")
def index():
    """The first pipeline's board, or a start page that creates one."""
    chosen = _pipelines()
    if chosen:
        return redirect(url_for("pipelines.board_page", pipeline_id=chosen[0].id))
    return render_template("pipelines/start.html", can_edit=_can_edit())


@bp.route("/pipelines", methods=["POST"])
def create_pipeline():
    """Create a pipeline from a name and its stages, one per line."""
    _require_editor()
    try:
        pipeline = pipelines.create_pipeline(
            current_firm_id(),
            request.form.get("name", ""),
            request.form.get("stages", "").splitlines(),
        )
    except pipelines.PipelineError as refused:
        db.session.rollback()
        flash(str(refused), "danger")
        return redirect(request.referrer or url_for("pipelines.index"))
    db.session.commit()
    return redirect(url_for("pipelines.settings", pipeline_id=pipeline.id))


def _filters() -> dict:
    archived = request.args.get("archived") == "1"
    return {
        "assignee": request.args.get("assignee", ""),
        # Archived jobs are off the board: they are shown as a list.
        "view": "list" if archived or request.args.get("view") == "list" else "board",
        "archived": archived,
    }


def _board_context(pipeline: Pipeline, **extra) -> dict:
    filters = _filters()
    context = {
        "pipeline": pipeline,
        "filters": filters,
        "pipelines": _pipelines(),
        "staff": _staff(),
        "can_edit": _can_edit(),
        "automation_labels": automations.ACTION_LABELS,
        "reason_labels": automations.REASON_LABELS,
        **extra,
    }
    jobs = board.jobs_select(pipeline, filters)
    if filters["view"] == "list":
        listed = board.with_names(jobs).order_by(Job.created_at.desc(), Job.id.desc())
        page = paginate(listed, PER_PAGE)
        context.update(page=page, summaries=board.summaries([job.id for job in page.items]))
    else:
        context.update(columns=board.columns(pipeline, jobs))
    return context


@bp.route("/pipelines/<int:pipeline_id>")
def board_page(pipeline_id: int):
    """The board (columns = stages, cards = jobs) or the list, with filters."""
    pipeline = firm_get(Pipeline, pipeline_id)
    context = _board_context(pipeline)
    if is_partial() and request.headers.get("HX-Target") == "pipeline-jobs":
        return render_partial("pipelines/_jobs.html", **context)
    return render_template("pipelines/board.html", **context)


def _board_response(pipeline: Pipeline, status: int = 200, **extra):
    return render_partial("pipelines/_jobs.html", status, **_board_context(pipeline, **extra))


@bp.route("/pipelines/<int:pipeline_id>/jobs/new")
def new_job(pipeline_id: int):
    """+ New job: choose the client, the stage it starts in, a title and an assignee."""
    pipeline = firm_get(Pipeline, pipeline_id)
    accounts = db.session.execute(
        select(Account.id, Account.name)
        .where(Account.firm_id == current_firm_id())
        .order_by(Account.name)
        .limit(2000)
    ).all()
    return render_template(
        "pipelines/new_job.html", pipeline=pipeline, accounts=accounts, staff=_staff()
    )


@bp.route("/pipelines/<int:pipeline_id>/jobs", methods=["POST"])
def create_job(pipeline_id: int):
    """Create the job: it enters its first (or chosen) stage, whose automations then run."""
    pipeline = firm_get(Pipeline, _int("pipeline_id") or pipeline_id)
    account_id = _int("account_id")
    account = firm_get(Account, account_id) if account_id else None
    stage_id = _int("stage_id")
    stage = firm_get(PipelineStage, stage_id, pipeline_id=pipeline.id) if stage_id else None
    try:
        if account is None:
            raise pipelines.PipelineError(_("Choose a client."))
        job, runs = pipelines.create_job(
            current_user,
            account,
            pipeline,
            request.form.get("title", ""),
            _int("assignee_id"),
            stage,
        )
    except pipelines.PipelineError as refused:
        db.session.rollback()
        return _refused(str(refused), pipeline, account)
    _enqueue_after_commit(runs)
    if request.form.get("from") == "account" and account is not None:
        return redirect(url_for("pipelines.jobs_tab", account_id=account.id))
    if is_partial():
        return _board_response(pipeline, success=_("Job created."))
    return redirect(url_for("pipelines.board_page", pipeline_id=pipeline.id))


def _refused(message: str, pipeline: Pipeline, account: Account | None):
    if request.form.get("from") == "account" and account is not None:
        flash(message, "danger")
        return redirect(url_for("pipelines.jobs_tab", account_id=account.id))
    if is_partial():
        return _board_response(pipeline, 422, error=message)
    flash(message, "danger")
    return redirect(url_for("pipelines.board_page", pipeline_id=pipeline.id))


@bp.route("/pipelines/jobs/<int:job_id>/move", methods=["POST"])
def move_job(job_id: int):
    """Drop a card on a column (or choose Move to in its menu): the job enters the stage."""
    job = firm_get(Job, job_id)
    stage = firm_get(PipelineStage, _int("stage_id") or 0, pipeline_id=job.pipeline_id)
    position = request.form.get("position", type=int)
    try:
        runs = pipelines.move_job(current_user, job, stage, position)
    except pipelines.PipelineError as refused:
        db.session.rollback()
        return _after_job_change(job, error=str(refused), status=422)
    _enqueue_after_commit(runs)
    return _after_job_change(job)


def _after_job_change(job: Job, status: int = 200, **extra):
    """The board for the board's requests; the job page otherwise."""
    if request.form.get("from") == "job" or not is_partial():
        for category in ("error", "success"):
            if extra.get(category):
                flash(extra[category], "danger" if category == "error" else "success")
        return redirect(url_for("pipelines.job_page", job_id=job.id))
    return _board_response(firm_get(Pipeline, job.pipeline_id), status, **extra)


@bp.route("/pipelines/jobs/<int:job_id>/archive", methods=["POST"])
def archive_job(job_id: int):
    """Archive: off the board, and its items' reminders stop."""
    job = firm_get(Job, job_id)
    stopped = pipelines.archive_job(current_user, job)
    db.session.commit()
    message = ngettext(
        "Job archived; reminders stopped on %(num)d item.",
        "Job archived; reminders stopped on %(num)d items.",
        stopped,
    )
    return _after_job_change(job, success=message)


@bp.route("/pipelines/jobs/<int:job_id>/unarchive", methods=["POST"])
def unarchive_job(job_id: int):
    """Back on the board; nothing is sent at once."""
    job = firm_get(Job, job_id)
    pipelines.unarchive_job(current_user, job)
    db.session.commit()
    return _after_job_change(job, success=_("Job back on the board."))


@bp.route("/pipelines/jobs/<int:job_id>", methods=["GET", "POST"])
def job_page(job_id: int):
    """A job: its stage, assignee, what its automations did, its items; Save changes."""
    job = firm_get(Job, job_id)
    if request.method == "POST":
        try:
            pipelines.rename_job(current_user, job, request.form.get("title", ""))
            pipelines.assign_job(current_user, job, _int("assignee_id"))
        except pipelines.PipelineError as refused:
            db.session.rollback()
            flash(str(refused), "danger")
        else:
            db.session.commit()
            flash(_("Job saved."), "success")
        return redirect(url_for("pipelines.job_page", job_id=job.id))
    return render_template(
        "pipelines/job.html",
        **board.job_details(job),
        staff=_staff(),
        action_labels=automations.ACTION_LABELS,
        reason_labels=automations.REASON_LABELS,
        status_labels=ITEM_STATUS_LABELS,
        describe=describe,
    )


@bp.route("/clients/<int:account_id>/jobs")
def jobs_tab(account_id: int):
    """The account's Jobs tab: its jobs in every pipeline, and + New job."""
    account = firm_get(Account, account_id)
    jobs: Select = (
        board.with_names(select(Job))
        .where(Job.firm_id == current_firm_id(), Job.account_id == account.id)
        .order_by(Job.archived_at.is_not(None), Job.created_at.desc(), Job.id.desc())
    )
    page = paginate(jobs, PER_PAGE)
    return render_account_tab(
        account,
        "jobs",
        "pipelines/_tab_jobs.html",
        page=page,
        summaries=board.summaries([job.id for job in page.items]),
        names=board.names_of(page.items),
        pipelines=_pipelines(),
        staff=_staff(),
    )


# --- settings: stages and automations -------------------------------------------------------


def _can_edit() -> bool:
    return current_user.role in ("owner", "admin")


def _require_editor() -> None:
    if not _can_edit():
        abort(403)


@bp.route("/pipelines/<int:pipeline_id>/settings")
def settings(pipeline_id: int):
    """The pipeline's stages, each with its automations (R8)."""
    pipeline = firm_get(Pipeline, pipeline_id)
    return render_template("pipelines/settings.html", **_settings_context(pipeline))


def _settings_context(pipeline: Pipeline, **extra) -> dict:
    firm = current_firm()
    return {
        "pipeline": pipeline,
        "firm": firm,
        "can_edit": _can_edit(),
        "action_labels": automations.ACTION_LABELS,
        "choices": {
            action: automations.template_choices(firm.id, action)
            for action in automations.TEMPLATE_MODELS
        },
        "template_names": automations.template_names(firm.id),
        "live_jobs": dict(
            db.session.execute(
                select(Job.stage_id, func.count(Job.id))
                .where(Job.pipeline_id == pipeline.id, Job.archived_at.is_(None))
                .group_by(Job.stage_id)
            ).all()
        ),
        "runs": db.session.scalar(
            select(func.count(AutomationRun.id)).join(Job).where(Job.pipeline_id == pipeline.id)
        ),
        **extra,
    }


from dashboard.pipelines import settings_views  # noqa: E402,F401  (the settings' POST routes)
