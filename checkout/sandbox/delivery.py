"""The sandbox's callbacks: signed like the gateway's, delivered server-to-server with
exponential backoff until the merchant answers 200, each try logged."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import structlog

from checkout import signing

log = structlog.get_logger(__name__)

CALLBACK_PATH = "/callback"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to deliver: `tries` attempts, delays doubling from `base`."""

    tries: int = 6
    base_delay: float = 2.0
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RetryPolicy:
        """Return the policy set by SANDBOX_CALLBACK_TRIES and SANDBOX_CALLBACK_BACKOFF."""
        return cls(
            tries=max(1, int(config["SANDBOX_CALLBACK_TRIES"])),
            base_delay=float(config["SANDBOX_CALLBACK_BACKOFF"]),
        )

    def delay_before(self, attempt: int) -> float:
        """Return the pause before attempt number `attempt` (1-based; none before the first)."""
        return 0.0 if attempt <= 1 else self.base_delay * 2 ** (attempt - 2)


@dataclass(frozen=True)
class Send:
    """One signed callback to deliver (retried until 200), `after` seconds after the last."""

    fields: dict[str, Any]
    after: float = 0.0


def callback_body(
    params: Mapping[str, Any],
    status: str,
    *,
    method: str | None = None,
    amount: int | None = None,
) -> dict[str, Any]:
    """Return the callback the gateway sends about a payment, unsigned (docs/callbacks.md)."""
    fields = {
        "request_id": params["request_id"],
        "invoice_id": "sbx-" + params["request_id"],
        "status": status,
        "amount": params["amount"] if amount is None else amount,
        "currency": params["currency"],
        "method": method or params.get("method"),
    }
    return {name: value for name, value in fields.items() if value is not None}


def callback_fields(
    params: Mapping[str, Any],
    status: str,
    *,
    secret: str,
    scheme: str,
    method: str | None = None,
    amount: int | None = None,
) -> dict[str, Any]:
    """Return the signed callback the gateway sends about a payment (see docs/callbacks.md)."""
    body = callback_body(params, status, method=method, amount=amount)
    return signing.signed(body, secret, scheme)


def merchant_callback_url(config: Mapping[str, Any], site_url: str | None = None) -> str | None:
    """Return where the merchant takes callbacks, as its gateway cabinet would say.

    SANDBOX_CALLBACK_URL wins; else `/callback` under PUBLIC_BASE_URL; else `/callback` on
    the site at `site_url` (the merchant's success_url, or the request's own host).
    """
    if config.get("SANDBOX_CALLBACK_URL"):
        return str(config["SANDBOX_CALLBACK_URL"])
    if config.get("PUBLIC_BASE_URL"):
        return str(config["PUBLIC_BASE_URL"]).rstrip("/") + CALLBACK_PATH
    if site_url:
        parts = urlsplit(site_url)
        return f"{parts.scheme}://{parts.netloc}{CALLBACK_PATH}"
    return None


def post_callback(url: str, fields: Mapping[str, Any], timeout: float) -> requests.Response:
    """POST one callback as JSON.

    :raise requests.RequestException: when the merchant cannot be reached in time.
    """
    return requests.post(url, json=dict(fields), timeout=timeout)


def deliver(
    url: str,
    fields: Mapping[str, Any],
    policy: RetryPolicy,
    stop: threading.Event | None = None,
) -> bool:
    """POST a signed callback until the merchant answers 200, the tries run out, or `stop`.

    :return: whether the merchant acknowledged it.
    """
    stop = stop or threading.Event()
    request_id = fields.get("request_id")
    for attempt in range(1, policy.tries + 1):
        if stop.wait(policy.delay_before(attempt)):
            log.info("sandbox_callback_stopped", request_id=request_id, attempt=attempt)
            return False
        try:
            answer = str(post_callback(url, fields, policy.timeout).status_code)
        except requests.RequestException as error:
            answer = type(error).__name__
        log.info(
            "sandbox_callback",
            request_id=request_id,
            status=fields.get("status"),
            attempt=f"{attempt}/{policy.tries}",
            url=url,
            answer=answer,
        )
        if answer == "200":
            return True
    log.warning("sandbox_callback_gave_up", request_id=request_id, tries=policy.tries)
    return False


class Deliveries:
    """Callbacks being delivered on background threads, so the customer is never kept waiting.

    Kept so that a test or a shutdown can wait for them, or stop them between tries.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()
        self._stop = threading.Event()

    def start(self, url: str, sends: Sequence[Send], policy: RetryPolicy) -> threading.Thread:
        """Deliver callbacks one after the other on a daemon thread (a test scenario delays
        one, or sends several)."""
        request_id = sends[0].fields.get("request_id") if sends else None
        thread = threading.Thread(
            target=self._run,
            args=(url, list(sends), policy, self._stop),
            name=f"sandbox-callback-{request_id}",
            daemon=True,
        )
        with self._lock:
            self._threads.add(thread)
        thread.start()
        return thread

    def _run(
        self,
        url: str,
        sends: list[Send],
        policy: RetryPolicy,
        stop: threading.Event,
    ) -> None:
        """Deliver the callbacks in turn, then forget the thread whatever happened."""
        try:
            for send in sends:
                if stop.wait(send.after):
                    return
                deliver(url, send.fields, policy, stop)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the deliveries under way to finish; return whether they all did."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in threads)

    def stop(self, timeout: float = 5.0) -> bool:
        """Abandon the deliveries under way at their next pause and wait for them."""
        self._stop.set()
        finished = self.wait(timeout)
        self._stop = threading.Event()
        return finished
