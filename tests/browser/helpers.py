"""What browser tests share: logging in through the form, and a text as the app shows it."""

from __future__ import annotations

import re

from flask import Flask
from flask_babel import force_locale, gettext
from playwright.sync_api import Page, expect

from tests.conftest import DEMO_PASSWORD


def log_in(page: Page, base: str, email: str) -> None:
    """Log in through the login form and wait to leave it."""
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login"))


def shown(app: Flask, locale: str, msgid: str, **variables) -> str:
    """`msgid` in `locale`, through the app's own catalogs."""
    with app.test_request_context(), force_locale(locale):
        return gettext(msgid, **variables)
