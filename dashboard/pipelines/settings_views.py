"""The pipeline settings' changes: name, stages (add, rename, reorder, delete) and each
stage's automations. Owners and admins make them; every answer is the settings page."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from dashboard.extensions import db
from dashboard.htmx import is_partial, render_partial
from dashboard.pipelines import service as pipelines
from dashboard.pipelines.models import Pipeline, PipelineStage, StageAutomation
from dashboard.pipelines.views import _require_editor, _settings_context, bp
from dashboard.reminders.service import ReminderSettings, SettingsError
from dashboard.tenancy import current_firm, firm_get


def _done(pipeline: Pipeline, error: str | None = None, success: str | None = None, **extra):
    """The stages panel for htmx, else back to the settings page with a flash."""
    if is_partial():
        status = 422 if error else 200
        context = _settings_context(pipeline, error=error, success=success, **extra)
        return render_partial("pipelines/_stages.html", status, **context)
    if error:
        flash(error, "danger")
    elif success:
        flash(success, "success")
    return redirect(url_for("pipelines.settings", pipeline_id=pipeline.id))


def _apply(pipeline: Pipeline, change, success: str):
    _require_editor()
    try:
        change()
    except pipelines.PipelineError as refused:
        db.session.rollback()
        return _done(pipeline, error=str(refused))
    db.session.commit()
    return _done(pipeline, success=success)


@bp.route("/pipelines/<int:pipeline_id>/rename", methods=["POST"])
def rename_pipeline(pipeline_id: int):
    """Rename the pipeline."""
    pipeline = firm_get(Pipeline, pipeline_id)
    name = request.form.get("name", "")
    return _apply(pipeline, lambda: pipelines.rename_pipeline(pipeline, name), _("Saved."))


@bp.route("/pipelines/<int:pipeline_id>/stages", methods=["POST"])
def add_stage(pipeline_id: int):
    """Add a stage at the end."""
    pipeline = firm_get(Pipeline, pipeline_id)
    name = request.form.get("name", "")
    return _apply(pipeline, lambda: pipelines.add_stage(pipeline, name), _("Stage added."))


def _stage(stage_id: int) -> PipelineStage:
    return firm_get(PipelineStage, stage_id)


@bp.route("/pipelines/stages/<int:stage_id>/rename", methods=["POST"])
def rename_stage(stage_id: int):
    """Rename a stage."""
    stage = _stage(stage_id)
    name = request.form.get("name", "")
    return _apply(stage.pipeline, lambda: pipelines.rename_stage(stage, name), _("Saved."))


@bp.route("/pipelines/stages/<int:stage_id>/move", methods=["POST"])
def move_stage(stage_id: int):
    """Move a stage one place left or right."""
    stage = _stage(stage_id)
    offset = -1 if request.form.get("direction") == "left" else 1
    return _apply(stage.pipeline, lambda: pipelines.move_stage(stage, offset), _("Saved."))


@bp.route("/pipelines/stages/<int:stage_id>/delete", methods=["POST"])
def delete_stage(stage_id: int):
    """Delete an empty stage."""
    stage = _stage(stage_id)
    pipeline = stage.pipeline
    return _apply(pipeline, lambda: pipelines.delete_stage(stage), _("Stage deleted."))


def _automation_input(stage: PipelineStage):
    """(action, template id, inherit, settings) from the form; SettingsError when out of range."""
    firm = current_firm()
    inherit = request.form.get("reminder_source", "firm") == "firm"
    defaults = ReminderSettings.defaults_for(firm)
    settings = defaults if inherit else ReminderSettings.parse(request.form, defaults)
    return (
        request.form.get("action", ""),
        request.form.get("template_id", type=int),
        inherit,
        settings,
    )


def _save_automation(stage: PipelineStage, automation: StageAutomation | None):
    _require_editor()
    try:
        action, template_id, inherit, settings = _automation_input(stage)
        pipelines.save_automation(stage, automation, action, template_id, inherit, settings)
    except SettingsError as invalid:
        db.session.rollback()
        return _done(stage.pipeline, error=_("Check the reminders."), errors=invalid.errors)
    except pipelines.PipelineError as refused:
        db.session.rollback()
        return _done(stage.pipeline, error=str(refused))
    db.session.commit()
    return _done(stage.pipeline, success=_("Automation saved."))


@bp.route("/pipelines/stages/<int:stage_id>/automations", methods=["POST"])
def add_automation(stage_id: int):
    """Add an automation to a stage: what it does, Select template, Reminders."""
    return _save_automation(_stage(stage_id), None)


@bp.route("/pipelines/automations/<int:automation_id>", methods=["POST"])
def edit_automation(automation_id: int):
    """Change an automation."""
    automation = firm_get(StageAutomation, automation_id)
    return _save_automation(automation.stage, automation)


@bp.route("/pipelines/automations/<int:automation_id>/delete", methods=["POST"])
def delete_automation(automation_id: int):
    """Remove an automation (what it already created stays)."""
    automation = firm_get(StageAutomation, automation_id)
    pipeline = automation.stage.pipeline
    return _apply(
        pipeline, lambda: pipelines.delete_automation(automation), _("Automation removed.")
    )
