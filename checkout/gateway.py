"""Client of the Cactusgino jsapi: ask for a payment key, and nothing else.

Every failure becomes a `GatewayError` whose `customer_message` is safe to show and whose
`reason` says what happened for the order's record. Secrets and signatures never leave
this module except in the request body itself.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

import requests
from flask_babel import lazy_gettext

from checkout import signing

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


class GatewayError(Exception):
    """The gateway gave no usable answer; `customer_message` is fit for the checkout page."""

    def __init__(self, reason: str, customer_message: str = UNAVAILABLE) -> None:
        super().__init__(reason)
        self.reason = reason
        self.customer_message = customer_message

    def without(self, *hidden: str) -> GatewayError:
        """Return this error with every `hidden` text masked in its reason (any letter case)."""
        reason = self.reason
        for text in filter(None, hidden):
            reason = re.sub(re.escape(text), "***", reason, flags=re.IGNORECASE)
        return GatewayError(reason, self.customer_message)


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

    def fields(self) -> dict:
        """Return the JSON body's fields without the signature, empty ones left out."""
        return {name: value for name, value in asdict(self).items() if value not in (None, "")}


@dataclass(frozen=True)
class TokenAnswer:
    """What the gateway answered: a key for the embedded form and/or a page to redirect to."""

    key: str | None
    redirect_url: str | None


def open_url(browser_base_url: str, key: str) -> str:
    """Return the URL of the gateway's hosted form for a payment key."""
    return browser_base_url.rstrip("/") + OPEN_PATH.format(key=requests.utils.quote(key, safe=""))


def host_of(url: str) -> str:
    """Return the lowercase host (with port, if any) of a URL."""
    return urlsplit(url).netloc.lower()


class GatewayClient:
    """Signs and posts obtain_token requests over a pooled HTTP session with time-outs."""

    def __init__(
        self,
        api_base_url: str,
        secret: str,
        scheme: str,
        timeout: tuple[float, float],
        allowed_redirect_hosts: frozenset[str],
        session: requests.Session | None = None,
    ) -> None:
        signing.check_scheme(scheme)
        self.api_base_url = api_base_url.rstrip("/")
        self.secret = secret
        self.scheme = scheme
        self.timeout = timeout
        self.allowed_redirect_hosts = allowed_redirect_hosts
        self.session = session or requests.Session()

    def obtain_token(self, token_request: TokenRequest) -> TokenAnswer:
        """Ask the gateway for a payment key.

        :raise GatewayError: on a time-out, refused connection, non-2xx, non-JSON answer,
            an answer with neither key nor redirect_url, or a redirect to a foreign host.
        """
        body = signing.signed(token_request.fields(), self.secret, self.scheme)
        try:
            return self._post(body)
        except GatewayError as error:
            # A gateway may echo what it received: the reason is logged and stored.
            raise error.without(self.secret, body[signing.SIGNATURE_FIELD]) from None

    def _post(self, body: dict) -> TokenAnswer:
        try:
            # A 3xx is no answer: following it would re-send the signed body elsewhere.
            response = self.session.post(
                self.api_base_url + TOKEN_PATH,
                json=body,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            raise GatewayError("gateway timed out") from None
        except requests.RequestException as error:
            raise GatewayError(f"gateway unreachable: {type(error).__name__}") from None
        if not 200 <= response.status_code < 300:
            customer_message = REFUSED if 400 <= response.status_code < 500 else UNAVAILABLE
            raise GatewayError(
                f"gateway answered HTTP {response.status_code}: {_gateway_message(response)}",
                customer_message,
            )
        return self._read_answer(response)

    def _read_answer(self, response: requests.Response) -> TokenAnswer:
        try:
            payload = response.json()
        except ValueError:
            raise GatewayError("gateway answer is not JSON") from None
        if not isinstance(payload, dict):
            raise GatewayError("gateway answer is not a JSON object")
        key = payload.get("key")
        redirect_url = payload.get("redirect_url")
        key = key if isinstance(key, str) and key.strip() else None
        redirect_url = redirect_url if isinstance(redirect_url, str) and redirect_url else None
        if key is None and redirect_url is None:
            raise GatewayError(f"gateway answer has no key: {_gateway_message(response)}")
        if key is not None and len(key) > MAX_KEY_LENGTH:
            raise GatewayError("gateway key is too long")
        if redirect_url is not None:
            self._check_redirect(redirect_url)
        return TokenAnswer(key=key, redirect_url=redirect_url)

    def _check_redirect(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or parts.netloc.lower() not in (
            self.allowed_redirect_hosts
        ):
            raise GatewayError(f"gateway redirect to a host not allowed: {parts.netloc!r}")


def _gateway_message(response: requests.Response) -> str:
    """Return a short, log-safe excerpt of what the gateway said."""
    try:
        payload = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(payload, dict):
        for name in ("error", "message", "detail"):
            if isinstance(payload.get(name), str):
                return payload[name][:200]
    return str(payload)[:200]
