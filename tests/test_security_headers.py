"""Security headers on every page (issue 12 §5.6, the parts that need no page changes)."""

from __future__ import annotations


def test_policy_headers(client):
    response = client.get("/login")
    policy = response.headers["Content-Security-Policy"]
    for part in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert part in policy
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP here


def test_hsts_over_https(client):
    response = client.get("/login", base_url="https://portal.example.test")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
