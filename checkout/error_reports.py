"""Error reports to Sentry when SENTRY_DSN is set, scrubbed before they leave the process.

A report of a failed callback would otherwise carry its body, its signature and the
merchant's cookies to a third party. So bodies are never attached, local variables never
captured, and `scrub` removes cookies and credentials and masks every secret and
signature value left anywhere in the event, breadcrumbs and exception texts included.
"""

from __future__ import annotations

import sentry_sdk
from flask import Flask
from sentry_sdk.integrations.flask import FlaskIntegration
from sentry_sdk.integrations.logging import ignore_logger
from sentry_sdk.types import Event, Hint

from checkout import logs

# Headers that authenticate someone: dropped from every report whatever their value.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})


class Scrubber:
    """Sentry's `before_send`: the event without bodies, cookies or credentials, masked."""

    def __init__(self, masker: logs.SecretMasker) -> None:
        self.masker = masker

    def __call__(self, event: Event, _hint: Hint) -> Event:
        request = event.get("request")
        if isinstance(request, dict):
            request.pop("data", None)
            request.pop("cookies", None)
            headers = request.get("headers")
            if isinstance(headers, dict):
                request["headers"] = {
                    name: value
                    for name, value in headers.items()
                    if name.lower() not in CREDENTIAL_HEADERS and "signature" not in name.lower()
                }
        masked: Event = self.masker.mask_value(event)
        return masked


def init_app(app: Flask) -> None:
    """Send unexpected errors to Sentry, scrubbed, when SENTRY_DSN is set."""
    dsn = app.config["SENTRY_DSN"]
    if not dsn:
        return
    secrets = [app.config.get(name) or "" for name in logs.SECRET_SETTINGS]
    sentry_sdk.init(
        dsn=dsn,
        environment=app.config["APP_ENV"],
        release=app.config["SENTRY_RELEASE"],
        integrations=[FlaskIntegration()],
        # No user, no bodies, no local variables (a callback's body is in one), no SQL values.
        data_collection={
            "user_info": False,
            "http_bodies": [],
            "stack_frame_variables": False,
            "database_query_data": False,
        },
        before_send=Scrubber(logs.SecretMasker(secrets)),
    )
    # errors.handle_unexpected reports its exception with the traceback itself; its log
    # line would be a second, traceback-less report of the same failure.
    ignore_logger("checkout.errors")


def report(error: BaseException) -> None:
    """Send an exception we handled to Sentry (nothing happens while it is off)."""
    sentry_sdk.capture_exception(error)
