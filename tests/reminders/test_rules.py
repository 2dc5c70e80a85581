"""Unit rules of the engine: settings validation and when reminders stop."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from werkzeug.datastructures import MultiDict

from dashboard.reminders.schedule import SendWindow
from dashboard.reminders.service import ReminderSettings, SettingsError, next_state

DEFAULTS = ReminderSettings(True, 3, 1)
MONDAY_10_PARIS = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def parse(**form):
    return ReminderSettings.parse(MultiDict(form), DEFAULTS)


def test_defaults_fill_missing_numbers():
    """Do missing days and number fall back to the defaults, and the toggle to off?"""
    assert parse(reminders="on") == ReminderSettings(True, 3, 1)
    assert parse() == ReminderSettings(False, 3, 1)
    assert parse(reminders="on", interval_days=" 7 ", max_count="0") == ReminderSettings(True, 7, 0)


@pytest.mark.parametrize(
    "field, value",
    [
        ("interval_days", "0"),
        ("interval_days", "366"),
        ("interval_days", "2.5"),
        ("interval_days", "x"),
        ("max_count", "11"),
        ("max_count", "-1"),
    ],
)
def test_out_of_range_values_are_refused_with_a_message(field, value):
    """Is every out-of-range value refused with the field named?"""
    with pytest.raises(SettingsError) as refused:
        parse(reminders="on", **{field: value})
    assert set(refused.value.errors) == {field}


def test_bounds_are_accepted():
    assert parse(reminders="on", interval_days="1", max_count="10") == ReminderSettings(True, 1, 10)
    assert parse(reminders="on", interval_days="365") == ReminderSettings(True, 365, 1)


def state(**overrides):
    values = dict(
        pending=True,
        enabled=True,
        sent_count=0,
        max_count=1,
        timer_from=MONDAY_10_PARIS,
        interval_days=3,
        zone="Europe/Paris",
        window=SendWindow(),
    )
    values.update(overrides)
    return next_state(**values)


def test_stop_conditions():
    """Do reminders stop when completed, turned off or when the count is reached?"""
    assert state(pending=False) == (None, "completed")
    assert state(enabled=False) == (None, "disabled")
    assert state(sent_count=1, max_count=1) == (None, "count_reached")
    assert state(max_count=0) == (None, "count_reached")
    assert state() == (datetime(2026, 11, 26, 9, 0, tzinfo=UTC), None)


def test_completion_wins_over_everything_else():
    """Is a completed item stopped even with reminders left and the toggle on?"""
    assert state(pending=False, sent_count=0, max_count=10) == (None, "completed")
