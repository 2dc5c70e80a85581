"""When the next reminder goes: local calendar days, inside the recipient's send window (B1).

Pure functions of their arguments, so the rules (DST, weekends, nights) are unit-tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class SendWindow:
    """Working hours [start_hour, end_hour) on the given ISO weekdays (1 = Monday)."""

    start_hour: int = 9
    end_hour: int = 17
    weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})

    @classmethod
    def from_string(cls, start: int, end: int, weekdays: str) -> SendWindow:
        days = frozenset(int(c) for c in weekdays if c.isdigit() and 1 <= int(c) <= 7)
        return cls(start, end, days or frozenset({1, 2, 3, 4, 5}))


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone)


def _at(day, hour_minute: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time on a local day; a time skipped by DST moves forward past the gap."""
    naive = datetime.combine(day, hour_minute)
    aware = naive.replace(tzinfo=zone)
    # Round-trip through UTC: a non-existent local time (spring forward) comes back shifted.
    return aware.astimezone(UTC).astimezone(zone)


def _hour_on(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """Local `hour` o'clock on `day`; 24 means midnight at the end of the day."""
    if hour == 24:
        return _at(day + timedelta(days=1), time(0), zone)
    return _at(day, time(hour), zone)


def into_window(moment: datetime, zone: ZoneInfo, window: SendWindow) -> datetime:
    """The first instant at or after `moment` that is inside the window (UTC result)."""
    local = _local(moment, zone)
    for offset in range(15):
        day = local.date() + timedelta(days=offset)
        if day.isoweekday() not in window.weekdays:
            continue
        opening = _hour_on(day, window.start_hour, zone)
        closing = _hour_on(day, window.end_hour, zone)
        if local >= closing:
            continue
        return max(local, opening).astimezone(UTC)
    raise ValueError("the send window has no day")  # weekdays is never empty


def next_reminder_at(
    timer_from: datetime, interval_days: int, zone_name: str, window: SendWindow
) -> datetime:
    """`interval_days` local calendar days after `timer_from`, same wall-clock time, in window.

    Counting calendar days in the recipient's zone (not 24-hour blocks) keeps "3 days later
    at 10:00" at 10:00 across a daylight-saving change.
    """
    zone = ZoneInfo(zone_name)
    local = _local(timer_from, zone)
    target_day = local.date() + timedelta(days=interval_days)
    wall = time(local.hour, local.minute, local.second, local.microsecond)
    target = _at(target_day, wall, zone)
    return into_window(target, zone, window)
