"""The app served over real HTTP from a thread of the test process, on a free port."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from werkzeug.serving import make_server


@dataclass
class LiveServer:
    """The app served over real HTTP on a free loopback port."""

    app: Flask
    url: str


def serve(app: Flask) -> tuple[LiveServer, Callable[[], None]]:
    """Serve an app on a free port in a thread; return it and a function that stops it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = url
    # A short poll interval lets shutdown() return at once instead of after half a second.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return LiveServer(app, url), stop
