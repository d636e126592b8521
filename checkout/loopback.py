"""A loopback HTTP listener through which our server calls its own routes over HTTP.

Calling this site through its public port from inside a request would deadlock a server
whose workers are all busy waiting for themselves (gunicorn's sync workers, one request per
process). Each process therefore serves the same app on its own loopback port from a daemon
thread, started on first use, and the caller posts there: real HTTP, no in-process shortcut,
and no worker of the public pool is ever needed to answer it. A plug-in whose server-side
calls land on this very site (a gateway the app plays itself, a merchant's server calling
the Checkouts API) runs one, serving only its own path prefix.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

# How often the listener checks for shutdown (seconds): quick enough for tests to stop it.
POLL_INTERVAL = 0.05


class OnlyUnder:
    """WSGI middleware answering 404 outside one path prefix.

    A listener exists for one caller's routes alone: the rest of the site stays behind the
    public port and whatever guards it there.
    """

    def __init__(self, app: Flask, prefix: str) -> None:
        self.app = app
        self.prefix = prefix.rstrip("/") + "/"

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """Pass requests under the prefix to the app; answer anything else with 404."""
        if environ.get("PATH_INFO", "").startswith(self.prefix):
            return self.app(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [f"Not found: this listener serves {self.prefix} only.\n".encode()]


class LoopbackServer:
    """Serves an app's routes under one path prefix on 127.0.0.1 at a free port, once per
    process."""

    def __init__(self, app: Flask, path_prefix: str) -> None:
        self.app = app
        self.path_prefix = path_prefix
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._pid: int | None = None

    def api_base_url(self) -> str:
        """Return the base URL of the prefix on the loopback listener, starting it if need be."""
        with self._lock:
            # A forked worker inherits the parent's object but not its thread: start anew.
            if self._server is None or self._pid != os.getpid():
                self._server = make_server(
                    "127.0.0.1", 0, OnlyUnder(self.app, self.path_prefix), threaded=True
                )
                self._pid = os.getpid()
                thread = threading.Thread(
                    target=self._server.serve_forever,
                    args=(POLL_INTERVAL,),
                    name=f"loopback{self.path_prefix}",
                    daemon=True,
                )
                thread.start()
            port = self._server.server_port
        return f"http://127.0.0.1:{port}{self.path_prefix}"

    def shutdown(self) -> None:
        """Stop the listener (tests call this to free the port)."""
        with self._lock:
            if self._server is not None and self._pid == os.getpid():
                self._server.shutdown()
                self._server.server_close()
            self._server = None
