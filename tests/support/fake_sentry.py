"""A stand-in for Sentry: pytest-httpserver on loopback, keeping every envelope it gets."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pytest_httpserver import HTTPServer

DECOMPRESS = {"gzip": gzip.decompress, "deflate": zlib.decompress}


@dataclass
class FakeSentry:
    """The DSN to give the SDK, and what it received."""

    dsn: str
    server: HTTPServer

    @property
    def envelopes(self) -> list[bytes]:
        """Return every envelope received, decompressed, as the SDK wrote it."""
        return [
            DECOMPRESS.get(request.headers.get("Content-Encoding", ""), bytes)(request.get_data())
            for request, _ in self.server.log
        ]

    def events(self) -> list[dict[str, Any]]:
        """Return the error events of every envelope (their items of type `event`)."""
        found = []
        for envelope in self.envelopes:
            lines = envelope.split(b"\n")
            # An envelope: its header line, then each item's header line and payload line.
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found


@contextmanager
def fake_sentry() -> Iterator[FakeSentry]:
    """Run a fake Sentry on a free loopback port for the duration of a `with` block."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request("/api/1/envelope/", method="POST").respond_with_json({})
    server.start()
    try:
        yield FakeSentry(f"http://publickey@127.0.0.1:{server.port}/1", server)
    finally:
        server.clear()
        server.stop()
