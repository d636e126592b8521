"""A stand-in for Sentry: a real HTTP server on loopback that keeps every envelope it gets."""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeSentry:
    """The DSN to give the SDK, and the envelopes received (decompressed, as sent)."""

    dsn: str
    envelopes: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def events(self) -> list[dict[str, Any]]:
        """Return the error events of every envelope (their items of type `event`)."""
        found = []
        with self.lock:
            envelopes = list(self.envelopes)
        for envelope in envelopes:
            lines = envelope.split(b"\n")
            # An envelope: its header line, then each item's header line and payload line.
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        with self.server.sentry.lock:
            self.server.sentry.envelopes.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


class _Server(ThreadingHTTPServer):
    sentry: FakeSentry


@contextmanager
def fake_sentry() -> Iterator[FakeSentry]:
    """Run a fake Sentry on a free loopback port for the duration of a `with` block."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.sentry = FakeSentry(dsn=f"http://publickey@127.0.0.1:{server.server_port}/1")
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server.sentry
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
