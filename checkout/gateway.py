"""Client of the Cactusgino jsapi: ask for a payment key, and nothing else.

Every failure becomes a `GatewayError` whose `customer_message` is safe to show and whose
`reason` says what happened for the order's record. Secrets and signatures never leave
this module except in the request body itself.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlsplit

import requests
import urllib3
from flask_babel import lazy_gettext

from checkout import http_session, safe_text, signing

TOKEN_PATH = "/api/jsapi/obtain_token/"
OPEN_PATH = "/api/jsapi/open/{key}/"
# Lazy: translated into the customer's language when the page shows them.
UNAVAILABLE = lazy_gettext(
    "The payment service is not available right now. Please try again in a minute."
)
REFUSED = lazy_gettext(
    "The payment service refused this payment. Please check the details or try later."
)
# The orders table keeps the key in a column of this size.
MAX_KEY_LENGTH = 255
# A token answer is a few hundred bytes: anything this large is not one.
MAX_ANSWER_BYTES = 64 * 1024
READ_CHUNK_BYTES = 4096


class Failure(StrEnum):
    """Why the gateway gave no usable answer, in a few words an operator can count and alert on."""

    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    HTTP_ERROR = "http_error"
    BAD_ANSWER = "bad_answer"
    MISCONFIGURED = "misconfigured"
    CRASHED = "crashed"


class GatewayError(Exception):
    """The gateway gave no usable answer; `customer_message` is fit for the checkout page."""

    def __init__(
        self,
        reason: str,
        customer_message: str = UNAVAILABLE,
        kind: Failure = Failure.BAD_ANSWER,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.customer_message = customer_message
        self.kind = kind

    def without(self, *hidden: str) -> GatewayError:
        """Return this error with every `hidden` text masked in its reason (any letter case)."""
        reason = self.reason
        for text in filter(None, hidden):
            reason = re.sub(re.escape(text), "***", reason, flags=re.IGNORECASE)
        return GatewayError(reason, self.customer_message, self.kind)


@dataclass(frozen=True)
class TokenRequest:
    """The parameters of obtain_token, as documented (amount in minor units)."""

    merchant_id: str
    site_id: int
    site_login: str
    request_id: str
    amount: int
    currency: str
    language: str
    customer_type: str
    method: str | None = None
    success_url: str | None = None
    fail_url: str | None = None
    additional_fields: dict[str, str] | None = field(default=None)

    def fields(self) -> dict[str, Any]:
        """Return the JSON body's fields without the signature, empty ones left out."""
        return {name: value for name, value in asdict(self).items() if value not in (None, "")}


@dataclass(frozen=True)
class TokenAnswer:
    """What the gateway answered: a key for the embedded form and/or a page to redirect to."""

    key: str | None
    redirect_url: str | None


def open_url(browser_base_url: str, key: str) -> str:
    """Return the URL of the gateway's hosted form for a payment key."""
    return browser_base_url.rstrip("/") + OPEN_PATH.format(key=quote(key, safe=""))


def host_of(url: str) -> str:
    """Return the lowercase host (with port, if any) of a URL."""
    return urlsplit(url).netloc.lower()


class GatewayClient:
    """Signs and posts obtain_token requests over a pooled HTTP session, within a deadline."""

    def __init__(
        self,
        api_base_url: str,
        secret: str,
        scheme: str,
        connect_timeout: float,
        total_timeout: float,
        allowed_redirect_hosts: frozenset[str],
        session: requests.Session | None = None,
    ) -> None:
        signing.check_scheme(scheme)
        self.api_base_url = api_base_url.rstrip("/")
        self.secret = secret
        self.scheme = scheme
        self.connect_timeout = connect_timeout
        # Seconds for the whole exchange: connecting, sending, and reading every byte back.
        self.total_timeout = total_timeout
        self.allowed_redirect_hosts = allowed_redirect_hosts
        self.session = session or http_session.Session()

    def obtain_token(self, token_request: TokenRequest) -> TokenAnswer:
        """Ask the gateway for a payment key, giving up after `total_timeout` seconds.

        :raise GatewayError: on a time-out, refused connection, non-2xx, an answer that is
            not a JSON object (or too large or deep to read), has neither a usable key nor
            redirect_url, or redirects to a foreign host — and on unusable time-outs.
        """
        body = signing.signed(token_request.fields(), self.secret, self.scheme)
        try:
            return self._ask(body)
        except GatewayError as error:
            # A gateway may echo what it received: the reason is logged and stored.
            raise error.without(self.secret, body[signing.SIGNATURE_FIELD]) from None

    def _ask(self, body: dict[str, Any]) -> TokenAnswer:
        if not all(_is_positive(value) for value in (self.connect_timeout, self.total_timeout)):
            raise GatewayError(
                "gateway time-outs must be positive seconds, not "
                f"connect={self.connect_timeout!r} total={self.total_timeout!r}",
                kind=Failure.MISCONFIGURED,
            )
        answer = self._within_deadline(body)
        if not 200 <= answer.status < 300:
            customer_message = REFUSED if 400 <= answer.status < 500 else UNAVAILABLE
            raise GatewayError(
                f"gateway answered HTTP {answer.status}: {answer.excerpt()}",
                customer_message,
                Failure.HTTP_ERROR,
            )
        return self._read_answer(answer)

    def _within_deadline(self, body: dict[str, Any]) -> RawAnswer:
        """Run the HTTP exchange in a helper thread; wait for it until the deadline only.

        Socket time-outs bound each read, not their sum: a gateway trickling its answer a
        byte at a time — status line and headers included — would hold the customer for
        as long as it liked. Abandoned, the helper stops at its next read after the
        deadline, or at its per-read time-out.
        """
        deadline = time.monotonic() + self.total_timeout
        outcome: Future[RawAnswer] = Future()

        def exchange() -> None:
            try:
                outcome.set_result(self._exchange(body, deadline))
            except Exception as error:  # handed over to the waiting caller
                outcome.set_exception(error)

        threading.Thread(target=exchange, name="obtain-token", daemon=True).start()
        try:
            return outcome.result(timeout=self.total_timeout)
        except TimeoutError:
            raise GatewayError("gateway timed out", kind=Failure.TIMEOUT) from None

    def _exchange(self, body: dict[str, Any], deadline: float) -> RawAnswer:
        try:
            # A 3xx is no answer: following it would re-send the signed body elsewhere.
            with self.session.post(
                self.api_base_url + TOKEN_PATH,
                json=body,
                timeout=(min(self.connect_timeout, self.total_timeout), self.total_timeout),
                allow_redirects=False,
                stream=True,
            ) as response:
                return RawAnswer(response.status_code, _read_body(response, deadline))
        # The body is read from urllib3 directly, whose errors requests does not wrap.
        except (requests.Timeout, urllib3.exceptions.TimeoutError):
            raise GatewayError("gateway timed out", kind=Failure.TIMEOUT) from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as error:
            raise GatewayError(
                f"gateway unreachable: {type(error).__name__}", kind=Failure.UNREACHABLE
            ) from None

    def _read_answer(self, answer: RawAnswer) -> TokenAnswer:
        payload = answer.json()
        if not isinstance(payload, dict):
            raise GatewayError("gateway answer is not a JSON object")
        key = payload.get("key")
        redirect_url = payload.get("redirect_url")
        key = key if isinstance(key, str) and key.strip() else None
        redirect_url = redirect_url if isinstance(redirect_url, str) and redirect_url else None
        if key is None and redirect_url is None:
            raise GatewayError(f"gateway answer has no key: {answer.excerpt()}")
        if key is not None:
            _check_key(key)
        if redirect_url is not None:
            self._check_redirect(redirect_url)
        return TokenAnswer(key=key, redirect_url=redirect_url)

    def _check_redirect(self, url: str) -> None:
        # The URL goes into a Location header and the database: it must be one line of
        # visible characters that parses as a URL, on a host we allow.
        if not (_is_visible(url) and _parses(url)):
            raise GatewayError(f"gateway redirect_url is not a URL: {safe_text.escaped(url[:200])}")
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or parts.netloc.lower() not in (
            self.allowed_redirect_hosts
        ):
            raise GatewayError(f"gateway redirect to a host not allowed: {parts.netloc!r}")


@dataclass(frozen=True)
class RawAnswer:
    """The gateway's HTTP answer as received: status and at most MAX_ANSWER_BYTES of body."""

    status: int
    body: bytes

    def json(self) -> Any:
        """Return the body read as JSON.

        :raise GatewayError: when it is not JSON, or nested too deep to read.
        """
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            raise GatewayError("gateway answer is not JSON") from None

    def excerpt(self) -> str:
        """Return a short, log-safe excerpt of what the gateway said."""
        try:
            payload = self.json()
        except GatewayError:
            payload = None
        if isinstance(payload, dict):
            for name in ("error", "message", "detail"):
                if isinstance(payload.get(name), str):
                    return safe_text.escaped(payload[name][:200])
        return safe_text.escaped(self.body[:200].decode("utf-8", errors="replace"))


def _read_body(response: requests.Response, deadline: float) -> bytes:
    """Read the body as it arrives, refusing it once too large or past the deadline."""
    body = bytearray()
    while chunk := response.raw.read1(READ_CHUNK_BYTES, decode_content=True):
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise GatewayError("gateway answer is too large")
        if time.monotonic() > deadline:
            raise GatewayError("gateway timed out", kind=Failure.TIMEOUT)
    return bytes(body)


def _check_key(key: str) -> None:
    if len(key) > MAX_KEY_LENGTH:
        raise GatewayError("gateway key is too long")
    if not key.isprintable():
        raise GatewayError(
            f"gateway key has characters that cannot be stored: {safe_text.escaped(key)}"
        )


def _is_positive(seconds: float) -> bool:
    """Tell whether a time-out is a finite number of seconds above zero."""
    return isinstance(seconds, (int, float)) and math.isfinite(seconds) and seconds > 0


def _parses(url: str) -> bool:
    """Tell whether a URL parses, its port included (`http://[::1/pay` does not)."""
    try:
        urlsplit(url).port  # noqa: B018 - reading the port is what checks it
    except ValueError:
        return False
    return True


def _is_visible(text: str) -> bool:
    """Tell whether text is one line of visible characters: no space, control or surrogate."""
    return text.isprintable() and not any(char.isspace() for char in text)
