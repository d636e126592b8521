"""Limits are checked by the limited views alone, and the one private name we rely on holds."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_limiter import Limiter

from checkout.extensions import limiter
from tests.support.checkout import checkout_data


def test_flask_limiter_still_registers_the_hook_we_drop():
    """If an upgrade renames or moves the app-wide check, this fails instead of the check
    quietly costing every request again."""
    app = Flask(__name__)
    app.config["RATELIMIT_STORAGE_URI"] = "memory://"
    fresh = Limiter(lambda: "everyone", app=app)
    assert fresh._check_request_limit in app.before_request_funcs[None]


@pytest.mark.parametrize(
    "app_overrides", [{"RATELIMIT_ENABLED": True, "CHECKOUT_RATE_LIMIT": "2 per minute"}]
)
def test_limited_views_are_limited_and_no_other_request_pays_for_it(app, client):
    assert limiter._check_request_limit not in app.before_request_funcs.get(None, [])
    page = client.get("/").get_data(as_text=True)
    answers = [client.post("/", data=checkout_data(page, amount="")).status_code for _ in range(3)]
    assert answers == [422, 422, 429]
    # The pages that are not limited stay open.
    assert [client.get("/healthz").status_code for _ in range(5)] == [200] * 5


@pytest.mark.parametrize(
    "app_overrides", [{"RATELIMIT_ENABLED": True, "CHECKOUT_RATE_LIMIT": "3 per minute"}]
)
def test_checkout_submissions_are_rate_limited_per_client(client):
    def submit(ip: str):
        return client.post("/", data={"amount": "x"}, environ_base={"REMOTE_ADDR": ip})

    assert [submit("198.51.100.1").status_code for _ in range(3)] == [422, 422, 422]
    limited = submit("198.51.100.1")
    assert limited.status_code == 429
    assert "Too many attempts" in limited.get_data(as_text=True)
    assert "Retry-After" in limited.headers
    assert submit("198.51.100.2").status_code == 422  # another client is not affected
    assert client.get("/").status_code == 200  # the form itself stays available
