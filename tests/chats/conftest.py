"""Chat tests. The browser ones launch Debian's Chromium exactly as tests/browser does."""

from __future__ import annotations

# Re-exported so that pytest-playwright's `browser`/`page` fixtures use the system Chromium (never
# `playwright install`) in this folder too. The single definition stays in tests/browser.
from tests.browser.conftest import browser_type_launch_args  # noqa: F401
