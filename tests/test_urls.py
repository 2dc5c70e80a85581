"""url_for from per-shape templates (dashboard/urls.py) builds what Flask builds."""

from __future__ import annotations

import random

import pytest
from flask import Flask, url_for
from werkzeug.routing import BuildError, IntegerConverter

from dashboard.urls import RelanceFlask, url_maker


def _flask_url_for(app, endpoint, **values):
    return Flask.url_for(app, endpoint, **values)


def _id_rules(app):
    for rule in app.url_map.iter_rules():
        names = sorted(rule.arguments)
        if names and all(isinstance(rule._converters[n], IntegerConverter) for n in names):
            yield rule.endpoint, names


def test_the_app_builds_urls_from_templates(app):
    assert isinstance(app, RelanceFlask)


@pytest.mark.parametrize("script_root", ["", "/relance"])
def test_every_id_route_builds_what_flask_builds(app, script_root):
    picked = random.Random(3)
    checked = 0
    with app.test_request_context("/", base_url=f"http://example.test{script_root}"):
        for endpoint, names in _id_rules(app):
            for _ in range(3):
                values = {
                    n: picked.choice([0, 1, 7, 42, 2**31 - 1, picked.randrange(10**6)])
                    for n in names
                }
                assert url_for(endpoint, **values) == _flask_url_for(app, endpoint, **values)
                # Extra values go to the query string, in the order given.
                extra = {**values, "page": picked.randrange(100), "q": "a b&c"}
                assert url_for(endpoint, **extra) == _flask_url_for(app, endpoint, **extra)
                make = url_maker(endpoint, *names)
                assert make(*values.values()) == _flask_url_for(app, endpoint, **values)
                checked += 1
            assert url_for(endpoint, _anchor="x", **values) == _flask_url_for(
                app, endpoint, _anchor="x", **values
            )
            assert url_for(endpoint, _external=True, **values) == _flask_url_for(
                app, endpoint, _external=True, **values
            )
    assert checked > 100


def test_string_values_booleans_and_errors_are_flasks(app):
    with app.test_request_context("/"):
        for values in ({"filename": "app.css"}, {"filename": "vendor/x y.js"}):
            assert url_for("static", **values) == _flask_url_for(app, "static", **values)
        assert url_for("accounts.clients", q="x", page=2) == "/clients?q=x&page=2"
        assert url_for("accounts.clients", flag=True) == _flask_url_for(
            app, "accounts.clients", flag=True
        )
        assert url_for("accounts.clients", flag=1) == _flask_url_for(
            app, "accounts.clients", flag=1
        )
        with pytest.raises(BuildError):
            url_for("documents.viewer", account_id=1)
        with pytest.raises(BuildError):
            url_for("no.such_endpoint", account_id=1)


def test_routes_with_defaults_are_not_templated(app):
    """A rule with defaults picks its URL by value: Flask builds it every time."""
    defaults = [r for r in app.url_map.iter_rules() if r.defaults]
    with app.test_request_context("/"):
        for rule in defaults:
            names = sorted(a for a in rule.arguments if a not in rule.defaults)
            values = dict.fromkeys(names, 5)
            try:
                expected = _flask_url_for(app, rule.endpoint, **values)
            except BuildError:
                continue
            assert url_for(rule.endpoint, **values) == expected
