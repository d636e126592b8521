"""Security headers on every response: the Content-Security-Policy for each kind of page."""

from __future__ import annotations

import pytest

from tests.support.apps import close_app, make_app


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("POST", "/"),
        ("GET", "/healthz"),
        ("GET", "/pay/nope"),
        ("GET", "/orders/nope"),
        ("GET", "/orders/nope/status"),
        ("POST", "/callback"),
        ("GET", "/static/css/site.css"),
        ("GET", "/sandbox/api/jsapi/open/nope/"),
        ("DELETE", "/"),
        ("GET", "/admin/login"),
        ("GET", "/api/v1/checkouts"),
        ("GET", "/no-such-page"),
    ],
)
def test_security_headers_on_every_response(client, method, path):
    response = client.open(path, method=method)
    [csp] = response.headers.getlist("Content-Security-Policy")  # once: no view adds its own
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # development is plain HTTP
    response.close()


def test_with_the_sandbox_the_policy_allows_our_own_origin_only(client):
    csp = client.get("/").headers["Content-Security-Policy"]
    assert csp.split("; ") == [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
    assert client.get("/").headers["X-Frame-Options"] == "SAMEORIGIN"


def test_frame_src_names_the_live_gateway_only(tmp_path):
    app = make_app(
        f"sqlite:///{tmp_path / 'live.sqlite3'}", GATEWAY_BASE_URL="https://cactusgino.com"
    )
    try:
        csp = app.test_client().get("/").headers["Content-Security-Policy"]
        assert "frame-src https://cactusgino.com;" in csp
        assert "form-action 'self' https://cactusgino.com" in csp
    finally:
        close_app(app)


@pytest.mark.parametrize("gateway", [None, "https://cactusgino.com"])
def test_form_action_allows_every_host_a_gateway_redirect_may_name(tmp_path, gateway):
    app = make_app(
        f"sqlite:///{tmp_path / 'redirect.sqlite3'}",
        GATEWAY_BASE_URL=gateway,
        GATEWAY_ALLOWED_REDIRECT_HOSTS=["Pay.Cactusgino.com", "pay2.example:8443"],
    )
    try:
        csp = app.test_client().get("/").headers["Content-Security-Policy"]
        form_action = next(d for d in csp.split("; ") if d.startswith("form-action "))
        assert form_action.split()[1:] == [
            "'self'",
            *([gateway] if gateway else []),
            "pay.cactusgino.com",
            "pay2.example:8443",
        ]
    finally:
        close_app(app)


@pytest.mark.parametrize(
    ("gateway", "origin"),
    [
        ("https://cactusgino.com/", "https://cactusgino.com"),
        ("https://pay.example:8443/gateway/v2", "https://pay.example:8443"),
        ("http://127.0.0.1:9000/api", "http://127.0.0.1:9000"),
    ],
)
def test_frame_src_is_the_gateways_origin_without_its_path(tmp_path, gateway, origin):
    app = make_app(f"sqlite:///{tmp_path / 'origin.sqlite3'}", GATEWAY_BASE_URL=gateway)
    try:
        csp = app.test_client().get("/").headers["Content-Security-Policy"]
        assert f"frame-src {origin};" in csp
    finally:
        close_app(app)
