"""The one source of "now" (UTC, timezone-aware), so tests can move time."""

from __future__ import annotations

from datetime import UTC, datetime

_frozen: datetime | None = None


def now() -> datetime:
    """Return the current time in UTC, or the time a test has set."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def set_now(moment: datetime | None) -> None:
    """Freeze the clock at `moment` (timezone-aware); None lets it run again."""
    if moment is not None and moment.tzinfo is None:
        raise ValueError("the clock only holds timezone-aware datetimes")
    global _frozen
    _frozen = moment
