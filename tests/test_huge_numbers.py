"""Huge ids and page numbers answer 404 and the last page, never 500 (issue 12 §5.3)."""

from __future__ import annotations

import pytest


def _get_rules_with_ids(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or set())
        and rule.arguments
        and not rule.rule.startswith("/static")
        and all(rule._converters[a].__class__.__name__ == "DatabaseInt" for a in rule.arguments)
    ]


@pytest.mark.parametrize("huge", [2**31, 2**63, 10**30])
def test_huge_ids_are_not_found(app, client, world, huge):
    client.login(world.a.staff.email)
    rules = _get_rules_with_ids(app)
    assert len(rules) > 20
    for rule in rules:
        url = rule.build({a: huge for a in rule.arguments}, append_unknown=False)[1]
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("page", ["9223372036854775808", "99999", "-5", "x"])
def test_huge_page_numbers_show_a_page(client, world, page):
    client.login(world.a.staff.email)
    for url in (
        "/clients",
        f"/clients/{world.a.account.id}/audit",
        f"/clients/{world.a.account.id}/docs/approvals",
        f"/clients/{world.a.account.id}/docs/signatures",
        f"/clients/{world.a.account.id}/invoices",
        "/invoices",
        "/documents",
    ):
        assert client.get(f"{url}?page={page}").status_code == 200, url
