"""Unsafe redirect targets are dropped, never a 500 (issue 12 §5.5)."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_PASSWORD

BAD = [
    "/\r\nLocation: https://evil.example",
    "//evil.example",
    "/\\evil.example",
    "https://evil.example/",
]


@pytest.mark.parametrize("target", BAD)
def test_login_next_with_a_line_break_or_another_site(client, world, target):
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": world.a.staff.email, "password": DEMO_PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] in ("/clients", "http://localhost/clients")


@pytest.mark.parametrize("target", BAD)
def test_language_switch_with_an_unsafe_next(client, world, target):
    client.login(world.a.staff.email)
    response = client.post("/language", data={"language": "fr", "next": target})
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"] and "\n" not in response.headers["Location"]
