"""Outgoing HTTP (webhooks, the gateway) takes its proxy settings from the environment as it
was when the client was made, through a real local proxy, and NO_PROXY still applies."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from checkout import http_session
from checkout.webhooks.client import DeliveryClient

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


class Proxy(BaseHTTPRequestHandler):
    """A forward proxy that answers every request itself, keeping the URL it was asked for."""

    def do_POST(self) -> None:
        self.server.asked.append(self.path)  # type: ignore[attr-defined]
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    server.asked = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def clean_environment(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


def test_a_webhook_goes_through_the_proxy_set_at_start(proxy, clean_environment):
    clean_environment.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_port}")
    client = DeliveryClient(connect_timeout=2, total_timeout=5)
    clean_environment.delenv("HTTP_PROXY")  # read at start: changing it now changes nothing
    try:
        answer = client.post("http://merchant.invalid/hooks", "{}", {})
    finally:
        client.close()
    assert (answer.status_code, answer.error) == (204, None)
    assert proxy.asked == ["http://merchant.invalid/hooks"]


def test_no_proxy_hosts_are_reached_directly(proxy, clean_environment):
    clean_environment.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    clean_environment.setenv("NO_PROXY", "localhost,127.0.0.1")
    session = http_session.Session()
    clean_environment.delenv("NO_PROXY")
    try:
        response = session.post(f"http://127.0.0.1:{proxy.server_port}/direct", data=b"{}")
    finally:
        session.close()
    assert response.status_code == 204
    assert proxy.asked == ["/direct"]  # asked as a server, not as a proxy


def test_without_proxy_settings_requests_go_directly(proxy, clean_environment):
    session = http_session.Session()
    clean_environment.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # set too late to matter
    try:
        response = session.post(f"http://127.0.0.1:{proxy.server_port}/direct", data=b"{}")
    finally:
        session.close()
    assert response.status_code == 204
    assert session.proxies == {}


def test_the_ca_bundle_is_read_at_start(clean_environment, tmp_path):
    clean_environment.delenv("CURL_CA_BUNDLE", raising=False)
    clean_environment.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "ca.pem"))
    assert http_session.Session().verify == str(tmp_path / "ca.pem")
