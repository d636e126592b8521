"""A stand-in for the live gateway: a real HTTP server on loopback whose answers tests script.

Hand-written rather than pytest-httpserver, which answers whole responses only: the client's
time-out tests need an answer trickled a byte at a time (status line and headers included),
a delay that ends as soon as the test does, connections kept open or closed at will (to see
the client's pooling), and the client's port of each request.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    """One request as the fake gateway received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    client_port: int = 0

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    """What the fake gateway answers: status, raw body or JSON, and an optional delay.

    With `trickle`, the whole answer — status line, headers and body — is sent one byte
    at a time, `trickle` seconds apart: every read gets a byte long before a time-out.
    """

    status: int = 200
    json: Any = None
    body: bytes | None = None
    content_type: str = "application/json"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    trickle: float = 0.0

    def payload(self) -> bytes:
        if self.body is not None:
            return self.body
        return json.dumps(self.json).encode()


Responder = Callable[[Received], Reply]


@dataclass
class FakeGateway:
    """The server's address, what it received, and how it answers (changeable mid-test)."""

    url: str
    respond: Responder
    received: list[Received] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, reply: Reply | Responder) -> None:
        """Answer every following request with `reply` (or what a function returns)."""
        self.respond = reply if callable(reply) else (lambda _request: reply)

    @property
    def token_calls(self) -> list[Received]:
        """The obtain_token requests received so far."""
        with self.lock:
            return [r for r in self.received if r.path.endswith("/api/jsapi/obtain_token/")]


class Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = Received(
            method=self.command,
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length),
            client_port=self.client_address[1],
        )
        gateway = self.server.gateway
        with gateway.lock:
            gateway.received.append(request)
        reply = gateway.respond(request)
        # The wait ends early when the test is over, so closing never waits for a sleeper.
        if reply.delay and gateway.stopping.wait(reply.delay):
            return
        payload = reply.payload()
        if reply.trickle:
            self._trickle(reply, payload)
            return
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # the client gave up (a time-out test): nothing to tell it
            pass

    def _trickle(self, reply: Reply, payload: bytes) -> None:
        head = (
            f"HTTP/1.1 {reply.status} Trickle\r\nContent-Type: {reply.content_type}\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
        ).encode()
        stopping = self.server.gateway.stopping
        try:
            for index in range(len(head + payload)):
                self.wfile.write((head + payload)[index : index + 1])
                self.wfile.flush()
                if stopping.wait(reply.trickle):
                    return
        except OSError:  # the client gave up, as it should
            pass
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


class KeepAliveHandler(Handler):
    """Keeps connections open between requests (HTTP/1.1), so pooling can be observed."""

    protocol_version = "HTTP/1.1"


class _Server(ThreadingHTTPServer):
    gateway: FakeGateway


@contextmanager
def fake_gateway(
    reply: Reply | Responder | None = None, keep_alive: bool = False
) -> Iterator[FakeGateway]:
    """Run a fake gateway on a free loopback port for the duration of a `with` block."""
    server = _Server(("127.0.0.1", 0), KeepAliveHandler if keep_alive else Handler)
    gateway = FakeGateway(url=f"http://127.0.0.1:{server.server_port}", respond=lambda _r: Reply())
    gateway.answer(reply or Reply(json={"key": "fake-key"}))
    server.gateway = gateway
    # A short poll interval keeps shutdown (once per test) fast.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        gateway.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()


def refused_url() -> str:
    """Return the URL of a loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
