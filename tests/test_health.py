"""GET /healthz answers without a login and asks the database."""

from __future__ import annotations

from tests.querycount import count_queries


def test_healthz_needs_no_login_and_queries_the_database(app, client):
    """Does /healthz answer 200 "ok" to an anonymous client after one `SELECT 1`?"""
    with count_queries(app) as statements:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"
    assert response.mimetype == "text/plain"
    assert [s.strip().upper() for s in statements] == ["SELECT 1"]
