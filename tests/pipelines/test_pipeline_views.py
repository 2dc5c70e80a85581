"""Pipelines through the test client: the board, moves (POST, CSRF, tenancy), the job page,
the account's Jobs tab and the settings (owners and admins only)."""

from __future__ import annotations

from sqlalchemy import select

from dashboard.extensions import db
from dashboard.pipelines import service
from dashboard.pipelines.models import Job, Pipeline, StageAutomation
from tests.conftest import hx
from tests.factories import make_account, make_user
from tests.pipelines.helpers import make_pipeline, make_templates
from tests.querycount import count_queries


def new_job(world, pipeline, title="2026 tax return", account=None):
    job, _ = service.create_job(world.a.staff, account or world.a.account, pipeline, title)
    db.session.commit()
    return job


def test_board_shows_columns_and_cards(client, ctx, world):
    pipeline = make_pipeline(world.a.firm)
    new_job(world, pipeline)
    client.login(world.a.staff.email)
    page = client.get(f"/pipelines/{pipeline.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for stage in ("Intake", "Documents", "Review", "Done"):
        assert stage in text
    assert "2026 tax return" in text and world.a.account.name in text
    assert "4 automations" in text
    assert client.get("/pipelines").headers["Location"].endswith(f"/pipelines/{pipeline.id}")


def test_moving_a_card_is_a_post_that_writes_the_runs(client, ctx, world, redis_queue):
    pipeline = make_pipeline(world.a.firm)
    job = new_job(world, pipeline)
    client.login(world.a.staff.email)
    documents = pipeline.stages[1]
    page = client.post(
        f"/pipelines/jobs/{job.id}/move",
        data={"stage_id": documents.id, "position": 0},
        headers=hx(),
    )
    assert page.status_code == 200
    assert 'id="pipeline-jobs"' in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Job, job.id).stage_id == documents.id
    assert redis_queue.count == 1  # one worker job for the stage's four runs


def test_a_move_without_the_csrf_token_is_refused(client, ctx, world):
    pipeline = make_pipeline(world.a.firm)
    job = new_job(world, pipeline)
    client.login(world.a.staff.email)
    refused = client.post(
        f"/pipelines/jobs/{job.id}/move",
        data={"stage_id": pipeline.stages[1].id},
        without_csrf=True,
    )
    assert refused.status_code == 400
    db.session.expire_all()
    assert db.session.get(Job, job.id).stage_id == pipeline.stages[0].id


def test_other_firms_jobs_stages_and_pipelines_are_404(client, ctx, world):
    theirs = service.create_pipeline(world.b.firm.id, "Theirs", ["One", "Two"])
    their_job, _ = service.create_job(world.b.staff, world.b.account, theirs, "Their job")
    ours = make_pipeline(world.a.firm)
    our_job = new_job(world, ours)
    db.session.commit()
    client.login(world.a.staff.email)
    for url in (
        f"/pipelines/{theirs.id}",
        f"/pipelines/jobs/{their_job.id}",
        f"/pipelines/{theirs.id}/settings",
        f"/clients/{world.b.account.id}/jobs",
    ):
        assert client.get(url).status_code == 404, url
    posts = [
        (f"/pipelines/jobs/{their_job.id}/move", {"stage_id": theirs.stages[1].id}),
        (f"/pipelines/jobs/{our_job.id}/move", {"stage_id": theirs.stages[1].id}),
        (f"/pipelines/jobs/{their_job.id}/archive", {}),
        (f"/pipelines/{ours.id}/jobs", {"account_id": world.b.account.id, "title": "X"}),
        (f"/pipelines/stages/{theirs.stages[0].id}/rename", {"name": "Mine"}),
    ]
    for url, data in posts:
        assert client.post(url, data=data).status_code == 404, url
    db.session.expire_all()
    assert db.session.get(Job, our_job.id).stage_id == ours.stages[0].id


def test_archive_and_unarchive_from_the_job_page(client, ctx, world):
    pipeline = make_pipeline(world.a.firm)
    job = new_job(world, pipeline)
    client.login(world.a.staff.email)
    page = client.post(
        f"/pipelines/jobs/{job.id}/archive", data={"from": "job"}, follow_redirects=True
    )
    assert "Archived" in page.get_data(as_text=True)
    board = client.get(f"/pipelines/{pipeline.id}").get_data(as_text=True)
    assert "2026 tax return" not in board
    archived = client.get(f"/pipelines/{pipeline.id}?archived=1").get_data(as_text=True)
    assert "2026 tax return" in archived
    client.post(f"/pipelines/jobs/{job.id}/unarchive", data={"from": "job"})
    assert "2026 tax return" in client.get(f"/pipelines/{pipeline.id}").get_data(as_text=True)


def test_account_jobs_tab_creates_a_job(client, ctx, world):
    pipeline = make_pipeline(world.a.firm)
    client.login(world.a.staff.email)
    tab = client.get(f"/clients/{world.a.account.id}/jobs")
    assert tab.status_code == 200 and "No jobs yet." in tab.get_data(as_text=True)
    client.post(
        f"/pipelines/{pipeline.id}/jobs",
        data={"from": "account", "account_id": world.a.account.id, "title": "VAT Q4"},
    )
    tab = client.get(f"/clients/{world.a.account.id}/jobs").get_data(as_text=True)
    assert "VAT Q4" in tab and "Tax returns · Intake" in tab


def test_employees_cannot_change_the_settings(client, ctx, world):
    pipeline = make_pipeline(world.a.firm)
    employee = make_user(world.a.firm, "employee")
    db.session.commit()
    client.login(employee.email)
    assert client.get(f"/pipelines/{pipeline.id}/settings").status_code == 200
    assert client.post(f"/pipelines/{pipeline.id}/stages", data={"name": "X"}).status_code == 403
    assert client.post("/pipelines", data={"name": "P", "stages": "A"}).status_code == 403


def test_owner_adds_a_stage_and_an_automation(client, ctx, world):
    pipeline = service.create_pipeline(world.a.firm.id, "Yearly", ["One"])
    templates = make_templates(world.a.firm)
    db.session.commit()
    client.login(world.a.staff.email)
    page = client.post(f"/pipelines/{pipeline.id}/stages", data={"name": "Filed"}, headers=hx())
    assert page.status_code == 200 and "Filed" in page.get_data(as_text=True)
    db.session.expire_all()
    filed = db.session.get(Pipeline, pipeline.id).stages[-1]
    page = client.post(
        f"/pipelines/stages/{filed.id}/automations",
        data={
            "action": "send_message",
            "template_id": templates["send_message"].id,
            "reminder_source": "own",
            "reminders": "on",
            "interval_days": "4",
            "max_count": "3",
        },
        headers=hx(),
    )
    assert page.status_code == 200
    automation = db.session.scalars(
        select(StageAutomation).where(StageAutomation.stage_id == filed.id)
    ).one()
    assert (automation.reminders_inherit, automation.reminder_interval_days) == (False, 4)
    theirs = make_templates(world.b.firm)["send_message"]
    db.session.commit()
    for template_id in (theirs.id, 999_999):  # another firm's template, or none at all
        wrong = client.post(
            f"/pipelines/stages/{filed.id}/automations",
            data={"action": "send_message", "template_id": template_id},
            headers=hx(),
        )
        assert wrong.status_code == 422


def test_the_board_costs_the_same_with_more_jobs(client, ctx, world, app):
    pipeline = make_pipeline(world.a.firm)
    new_job(world, pipeline)
    client.login(world.a.staff.email)
    urls = [
        f"/pipelines/{pipeline.id}",
        f"/pipelines/{pipeline.id}?view=list",
        f"/clients/{world.a.account.id}/jobs",
    ]

    def costs():
        counts = []
        for url in urls:
            with count_queries(app) as statements:
                assert client.get(url).status_code == 200
            counts.append(len(statements))
        return counts

    few = costs()
    for n in range(8):
        new_job(world, pipeline, f"Job {n}", account=make_account(world.a.firm, f"Client {n}"))
    assert costs() == few
