"""POSTing one event to the merchant: a pooled session, a deadline, no redirects followed.

`requests` bounds each wait for the network, not the whole exchange: an answer trickled
one byte at a time would hold a worker for ever. So every request also runs against a
deadline that cuts its connection when the total time-out passes.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool

from checkout import http_session

USER_AGENT = "Cactus-Checkout-Webhooks/1"
# What we keep of an answer, and how much we read at most so the connection can be reused.
KEEP_BYTES = 1024
DRAIN_BYTES = 64 * 1024

_current = threading.local()


@dataclass(frozen=True)
class Answer:
    """What one attempt got back: a status code and the start of the body, or an error."""

    duration_ms: int
    status_code: int | None = None
    response: str | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        """Only a 2xx is delivery; a redirect or any other status is a failed attempt."""
        return self.status_code is not None and 200 <= self.status_code < 300


class _Deadline:
    """Cuts the connection of one request once its time is up (from the watchdog thread)."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds
        self.connection: Any = None
        self.passed = False

    def cut(self) -> None:
        self.passed = True
        sock = getattr(self.connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One thread per client that enforces the deadline of the request under way.

    A thread per request (threading.Timer) would cost a thread start on every delivery,
    and waking the thread on every request would cost two switches between threads. It
    sleeps until the deadline it last saw: every later deadline comes after it, so the
    thread needs waking only when it sleeps with no deadline at all (or for a sooner one).
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._deadline: _Deadline | None = None
        # When the thread wakes by itself next (monotonic time), None: only when woken.
        self._wakes_at: float | None = None
        self._closed = False
        self._thread: threading.Thread | None = None

    def watch(self, deadline: _Deadline | None) -> None:
        """Enforce `deadline` from now on (None: the request is over)."""
        with self._changed:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="webhook-deadline", daemon=True
                )
                self._thread.start()
            self._deadline = deadline
            if deadline is not None and (self._wakes_at is None or deadline.at < self._wakes_at):
                self._changed.notify()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify()

    def _run(self) -> None:
        with self._changed:
            while not self._closed:
                deadline = self._deadline
                if deadline is not None and time.monotonic() >= deadline.at:
                    deadline.cut()
                    self._deadline = deadline = None
                self._wakes_at = deadline.at if deadline is not None else None
                self._changed.wait(deadline.at - time.monotonic() if deadline is not None else None)


class _Watched:
    """A connection pool that hands the connection it lends to the request's deadline.

    urllib3 has no public hook for the connection a request gets, so this overrides its
    pool's `_get_conn`: the one private name of urllib3 we use, in this one place. The
    deadline test (`test_the_total_time_out_bounds_an_answer_that_trickles`) fails if an
    upgrade changes it.
    """

    def _get_conn(self, timeout: float | None = None) -> Any:
        connection = super()._get_conn(timeout)  # type: ignore[misc]
        deadline = getattr(_current, "deadline", None)
        if deadline is not None:
            deadline.connection = connection
        return connection


class _WatchedHTTPPool(_Watched, HTTPConnectionPool):
    pass


class _WatchedHTTPSPool(_Watched, HTTPSConnectionPool):
    pass


WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _DeadlineAdapter(HTTPAdapter):
    """The default adapter, with pools (direct or through a proxy) a deadline can cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        manager.pool_classes_by_scheme = WATCHED_POOLS
        return manager


class DeliveryClient:
    """Posts events over a pooled session, one at a time (one client per worker thread)."""

    def __init__(self, connect_timeout: float, total_timeout: float) -> None:
        self.connect_timeout = min(connect_timeout, total_timeout)
        self.total_timeout = total_timeout
        self.session = http_session.Session()
        adapter = _DeadlineAdapter()
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = USER_AGENT
        self.watchdog = _Watchdog()

    def post(self, url: str, body: str, headers: dict[str, str]) -> Answer:
        """POST the body and return what came of it; never raises for the network's faults."""
        started = time.monotonic()
        deadline = _Deadline(self.total_timeout)
        _current.deadline = deadline
        self.watchdog.watch(deadline)
        try:
            response = self.session.post(
                url,
                data=body.encode("utf-8"),
                headers={"Content-Type": "application/json", **headers},
                timeout=(self.connect_timeout, self.total_timeout),
                allow_redirects=False,
                stream=True,
            )
            try:
                text = _read_start(response)
            finally:
                response.close()
            if deadline.passed:
                raise requests.Timeout("total time-out")
        except requests.RequestException as error:
            return Answer(_since(started), error=self.describe(error, deadline.passed))
        finally:
            self.watchdog.watch(None)
            _current.deadline = None
        return Answer(_since(started), status_code=response.status_code, response=text)

    def describe(self, error: requests.RequestException, deadline_passed: bool) -> str:
        """Say what went wrong without the URL, which may carry the merchant's token."""
        if deadline_passed or isinstance(error, requests.ReadTimeout):
            return f"no complete answer within {self.total_timeout:g} s"
        if isinstance(error, requests.ConnectTimeout):
            return f"could not connect within {self.connect_timeout:g} s"
        if isinstance(error, requests.exceptions.SSLError):
            return "TLS handshake or certificate check failed"
        if isinstance(error, requests.ConnectionError):
            cause = _os_error(error)
            return f"connection failed: {cause.strerror if cause else type(error).__name__}"
        return f"request failed: {type(error).__name__}"

    def close(self) -> None:
        self.watchdog.close()
        self.session.close()


def _read_start(response: requests.Response) -> str:
    """Return the first KB of the body, reading a short body whole to reuse the connection."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(8192):
        chunks.append(chunk)
        size += len(chunk)
        if size > DRAIN_BYTES:
            break
    return b"".join(chunks)[:KEEP_BYTES].decode("utf-8", errors="replace")


def _os_error(error: BaseException) -> OSError | None:
    """Return the operating system's error behind a wrapped network error, if any."""
    pending: list[BaseException] = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            return current
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        linked += list(current.args)
        pending += [item for item in linked if isinstance(item, BaseException)]
    return None


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
