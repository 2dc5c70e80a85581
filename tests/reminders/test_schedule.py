"""Unit rules: next send time in local calendar days, inside the send window, across DST."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from dashboard.reminders.schedule import SendWindow, into_window, next_reminder_at

WINDOW = SendWindow()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


@pytest.mark.parametrize(
    "zone, sent, days, expected",
    [
        # Lisbon springs forward on Sun 29 Mar 2026: Fri 10:00 + 3 days = Mon 10:00 local.
        (
            "Europe/Lisbon",
            ("Europe/Lisbon", 2026, 3, 27, 10, 0),
            3,
            ("Europe/Lisbon", 2026, 3, 30, 10, 0),
        ),
        # Amsterdam falls back on Sun 25 Oct 2026: Thu 11:00 + 4 days = Mon 11:00 local.
        (
            "Europe/Amsterdam",
            ("Europe/Amsterdam", 2026, 10, 22, 11, 0),
            4,
            ("Europe/Amsterdam", 2026, 10, 26, 11, 0),
        ),
        # New York springs forward on Sun 8 Mar 2026: Tue 14:30 + 7 days = Tue 14:30 local.
        (
            "America/New_York",
            ("America/New_York", 2026, 3, 3, 14, 30),
            7,
            ("America/New_York", 2026, 3, 10, 14, 30),
        ),
        # New York falls back on Sun 1 Nov 2026: Fri 9:15 + 3 days = Mon 9:15 local.
        (
            "America/New_York",
            ("America/New_York", 2026, 10, 30, 9, 15),
            3,
            ("America/New_York", 2026, 11, 2, 9, 15),
        ),
    ],
)
def test_days_are_local_calendar_days_across_dst(zone, sent, days, expected):
    """Does "N days later" keep the local wall-clock time across a daylight-saving change?"""
    assert next_reminder_at(local(*sent), days, zone, WINDOW) == local(*expected)


def test_a_reminder_due_at_night_waits_for_the_morning():
    """Is a reminder falling at 20:00 moved to 09:00 the next working day?"""
    sent = local("Europe/Paris", 2026, 11, 23, 20, 0)  # Monday evening
    assert next_reminder_at(sent, 1, "Europe/Paris", WINDOW) == local(
        "Europe/Paris", 2026, 11, 25, 9, 0
    )


def test_a_reminder_due_before_opening_waits_until_nine():
    sent = local("Europe/Paris", 2026, 11, 23, 6, 30)
    assert next_reminder_at(sent, 2, "Europe/Paris", WINDOW) == local(
        "Europe/Paris", 2026, 11, 25, 9, 0
    )


def test_a_weekend_reminder_waits_for_monday():
    """Does a reminder due on Saturday go on Monday at 09:00?"""
    sent = local("Europe/Lisbon", 2026, 11, 25, 11, 0)  # Wednesday
    assert next_reminder_at(sent, 3, "Europe/Lisbon", WINDOW) == local(
        "Europe/Lisbon", 2026, 11, 30, 9, 0
    )


def test_friday_after_closing_goes_monday():
    moment = local("Europe/Amsterdam", 2026, 11, 27, 17, 0)  # Friday 17:00 (closing)
    assert into_window(moment, ZoneInfo("Europe/Amsterdam"), WINDOW) == local(
        "Europe/Amsterdam", 2026, 11, 30, 9, 0
    )


def test_inside_the_window_nothing_moves():
    moment = local("Europe/Amsterdam", 2026, 11, 26, 16, 59)
    assert into_window(moment, ZoneInfo("Europe/Amsterdam"), WINDOW) == moment


def test_the_window_is_the_recipients_not_the_servers():
    """Is 09:00 in Lisbon an hour later in UTC than 09:00 in Paris?"""
    sent = utc(2026, 11, 23, 22, 0)
    lisbon = next_reminder_at(sent, 1, "Europe/Lisbon", WINDOW)
    paris = next_reminder_at(sent, 1, "Europe/Paris", WINDOW)
    assert lisbon == utc(2026, 11, 25, 9, 0) and paris == utc(2026, 11, 25, 8, 0)


def test_custom_window_and_weekdays():
    """Does a firm's own window (08-12, Mon-Sat) apply?"""
    window = SendWindow.from_string(8, 12, "123456")
    friday_noon = local("Europe/Paris", 2026, 11, 27, 10, 0)
    assert next_reminder_at(friday_noon, 1, "Europe/Paris", window) == local(
        "Europe/Paris", 2026, 11, 28, 10, 0
    )  # Saturday is a working day here
    friday_afternoon = local("Europe/Paris", 2026, 11, 27, 13, 0)
    assert next_reminder_at(friday_afternoon, 1, "Europe/Paris", window) == local(
        "Europe/Paris", 2026, 11, 30, 8, 0
    )  # Saturday 13:00 is closed, Sunday is off
