"""Pipelines, stages, jobs and the automations that run when a job enters a stage (R8)."""
