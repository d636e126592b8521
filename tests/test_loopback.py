"""The loopback listener: real HTTP to this app's own routes, and only those under its prefix."""

from __future__ import annotations

import requests
from flask import Flask

from checkout.loopback import LoopbackServer


def test_the_listener_serves_its_prefix_and_nothing_else(app: Flask) -> None:
    loopback = LoopbackServer(app, "/api/v1")
    try:
        base = loopback.api_base_url()
        assert base.startswith("http://127.0.0.1:") and base.endswith("/api/v1")
        # The description of the API is public: served through the listener like any route.
        assert requests.get(base + "/openapi.json", timeout=5).status_code == 200
        # The rest of the site stays behind the public port.
        other = requests.get(base.removesuffix("/api/v1") + "/", timeout=5)
        assert other.status_code == 404
        assert other.text == "Not found: this listener serves /api/v1/ only.\n"
        # Started once per process: the same port every time.
        assert loopback.api_base_url() == base
    finally:
        loopback.shutdown()
