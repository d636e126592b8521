"""The shop's side of the Checkouts API: what a merchant's server sends, over real HTTP.

Nothing here knows that the API is served by the same app: the shop is given a base URL
(this site's own, through a loopback listener) and the key, as a merchant's server would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

# Seconds to connect, and to wait for the answer: the API answers at once or not at all.
TIMEOUT = (3.05, 10.0)
DETAIL_CHARS = 300


class MerchantApiError(Exception):
    """The API did not create the checkout; the message says why, for the shop's page."""


@dataclass(frozen=True)
class CreatedCheckout:
    """The part of the checkout object the shop keeps: its id, and where to send the user."""

    id: str
    url: str


def create_checkout(
    api_base_url: str,
    api_key: str,
    idempotency_key: str,
    body: dict[str, Any],
    *,
    host: str | None = None,
) -> CreatedCheckout:
    """POST a checkout; the same key and body again get the same checkout (no second one).

    :param host: the `Host` the API is asked under, so that the checkout's `url` names the
        site the user's browser reached (the listener itself is reached as 127.0.0.1).
    :raise MerchantApiError: when no checkout comes back.
    """
    headers = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": idempotency_key}
    if host:
        headers["Host"] = host
    try:
        answer = requests.post(
            api_base_url.rstrip("/") + "/checkouts", json=body, headers=headers, timeout=TIMEOUT
        )
    except requests.RequestException as error:
        raise MerchantApiError(
            f"the Checkouts API could not be reached ({type(error).__name__})"
        ) from None
    if answer.status_code != 201:
        raise MerchantApiError(f"the Checkouts API answered {answer.status_code}: {detail(answer)}")
    try:
        checkout = answer.json()
        created = CreatedCheckout(id=checkout["id"], url=checkout["url"])
    except (ValueError, KeyError, TypeError):
        raise MerchantApiError("the Checkouts API's answer is not a checkout") from None
    if not (isinstance(created.id, str) and isinstance(created.url, str)):
        raise MerchantApiError("the Checkouts API's answer is not a checkout")
    if not created.url.startswith(("https://", "http://")):
        raise MerchantApiError("the Checkouts API's answer has no http(s) url")
    return created


def detail(answer: requests.Response) -> str:
    """Return what an error answer says: its problem's detail (and errors), or its text."""
    try:
        problem = answer.json()
        text = str(problem.get("detail") or problem.get("title") or "")
        if problem.get("errors"):
            text += " " + "; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in problem["errors"].items()
            )
    except (ValueError, AttributeError, TypeError):
        text = answer.text
    return " ".join(text.split())[:DETAIL_CHARS] or answer.reason or "no detail"
