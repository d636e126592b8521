"""Structured logs through structlog: JSON lines in production, readable lines elsewhere.

Every line — ours and the libraries' — goes through one handler on the root logger whose
last steps mask secrets and signature values and then render, so nothing reaches stderr
unmasked. Each request gets an id (`http_request_id`) bound to every line it logs and sent
back in `X-Request-ID`; the order's own id stays `request_id`, the gateway's name for it.
"""

from __future__ import annotations

import logging
import re
import secrets
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any, cast

import structlog
from flask import Flask, current_app, g, request
from structlog.typing import EventDict, Processor, WrappedLogger
from werkzeug.wrappers import Response

from checkout import client_address

MASK = "***"
# Signatures are as good as secrets for replaying a message: never log them.
# Quotes may come escaped (`\"`) where a body is quoted inside another text.
SIGNATURE_PATTERN = re.compile(r"(signature[\\\"']*\s*[=:]\s*[\\\"']*)[0-9A-Fa-f]{16,}")
REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from a trusted proxy: nginx's $request_id, a UUID, most tracers' ids.
FORWARDED_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
# Settings whose values never reach a log line, whatever their length.
SECRET_SETTINGS = ("SECRET_KEY", "GATEWAY_SECRET", "ADMIN_PASSWORD", "METRICS_TOKEN")
# Values with no text in them, so nothing to mask: most fields of a line.
PLAIN_TYPES = (bool, int, float, type(None))

# Bound once (on first use, after `configure`): the request line is written on every request.
request_log = structlog.get_logger("checkout.requests")


class SecretMasker:
    """A structlog processor replacing secrets and signature values with `***`.

    It masks every text of the event, the rendered exception included: a database error
    quotes the statement it failed on, and a callback's body holds its signature.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        # Every length: a short secret is still a secret (production refuses short ones).
        # Longest first, so a secret containing another is masked whole.
        self.secrets = sorted({secret for secret in secrets if secret}, key=len, reverse=True)

    def mask(self, text: str) -> str:
        """Return `text` with every secret and signature value replaced by `***`."""
        if "ignature" in text:  # the regex only where it can match: this runs per line
            text = SIGNATURE_PATTERN.sub(lambda match: match.group(1) + MASK, text)
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def mask_value(self, value: Any) -> Any:
        """Return a value with every text inside it masked."""
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, PLAIN_TYPES):
            return value
        if isinstance(value, dict):
            return self.mask_fields(value)
        if isinstance(value, list | tuple):
            return [self.mask_value(item) for item in value]
        return self.mask(str(value))

    def mask_fields(self, fields: Mapping[Any, Any]) -> dict[Any, Any]:
        """Return the fields with every text masked, and any signature field's whole value."""
        masked = {}
        for key, value in fields.items():
            # A signature field's value is masked whatever it looks like.
            masked[key] = MASK if "signature" in str(key).lower() else self.mask_value(value)
        return masked

    def __call__(self, _logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
        return self.mask_fields(event_dict)


def shared_processors() -> list[Processor]:
    """Steps every line takes first, ours and the libraries': context, level, time."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def renderer(log_format: str) -> Processor:
    """Return the last step: one JSON object per line, or a line for people to read.

    Both quote what a sender controls, so no value can start a line of its own.
    """
    if log_format == "json":
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(colors=False)


class LineFormatter(structlog.stdlib.ProcessorFormatter):
    """Masks and renders each line: ours straight from their fields, the libraries' through
    the full chain.

    structlog's own formatter copies every record before it renders it, a second record per
    line. Our lines arrive with their fields gathered and their traceback rendered, so they
    need only the masking (which returns a masked copy) and the renderer: the record stays
    as other handlers (pytest's capture) see it.
    """

    def __init__(self, masker: SecretMasker, render: Processor) -> None:
        super().__init__(
            foreign_pre_chain=shared_processors(),
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                masker,
                render,
            ],
        )
        self.masker = masker
        self.render = render

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one masked, rendered line."""
        if not hasattr(record, "_logger"):  # not from structlog: a library's line
            return super().format(record)
        # A masked copy of the fields: the record itself is left as it came.
        fields = self.masker.mask_fields(cast(EventDict, record.msg))
        return cast(str, self.render(None, record.levelname.lower(), fields))


def configure(log_format: str, secrets: Iterable[str]) -> logging.Handler:
    """Route structlog through the standard library, to one masking handler on stderr."""
    structlog.configure(
        processors=[
            *shared_processors(),
            # Rendered here, so that pytest's log capture sees the traceback too.
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LineFormatter(SecretMasker(secrets), renderer(log_format)))
    return handler


def incoming_request_id(trust_proxy: bool) -> str:
    """Return the id a trusted proxy gave this request, when valid, or a new one."""
    if trust_proxy:
        forwarded = request.headers.get(REQUEST_ID_HEADER, "")
        if FORWARDED_REQUEST_ID.fullmatch(forwarded):
            return forwarded
    return new_request_id()


def new_request_id() -> str:
    """Return a new id for a request or a unit of background work: 32 random hex digits."""
    return secrets.token_hex(16)


def current_request_id() -> str | None:
    """Return the id of the request being served, if any (None in CLI commands)."""
    request_id: str | None = g.get("http_request_id")
    return request_id


def start_request() -> None:
    """Give the request its id, bound to every line logged while it is served."""
    g.request_started = time.perf_counter()
    # Behind a proxy that sets it, the proxy's id lets one search its logs and ours alike;
    # without one, a client could choose the id of its lines, so we make our own.
    g.http_request_id = incoming_request_id(current_app.config["PROXY_FIX_HOPS"] > 0)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(http_request_id=g.http_request_id)


def log_request(response: Response) -> Response:
    """Log one line for the request — route (not raw path), status, time, order id — and
    tell the client the request's id."""
    started = g.get("request_started")
    duration = (time.perf_counter() - started) * 1000 if started else 0.0
    order = (request.view_args or {}).get("request_id") or g.get("order_request_id")
    request_log.info(
        "request",
        method=request.method,
        route=request.url_rule.rule if request.url_rule else None,
        status=response.status_code,
        duration_ms=round(duration, 1),
        ip=client_address.current().text,
        request_id=order,
    )
    if g.get("http_request_id"):
        response.headers[REQUEST_ID_HEADER] = g.http_request_id
    return response


def end_request(_error: BaseException | None) -> None:
    """Unbind the request's id, so that a thread's next work does not carry it."""
    structlog.contextvars.clear_contextvars()


def init_app(app: Flask) -> None:
    """Log through structlog to stderr, masking the app's secrets; log each request."""
    log_format = app.config["LOG_FORMAT"]
    handler = configure(log_format, [app.config.get(name) or "" for name in SECRET_SETTINGS])
    root = logging.getLogger()
    # One app per process in production; tests build many: keep only the newest handler.
    root.handlers = [h for h in root.handlers if not getattr(h, "checkout_handler", False)]
    handler.checkout_handler = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    if not app.testing:
        root.setLevel(logging.INFO)
    # Our own lines at INFO in every environment: order changes are the point of them.
    logging.getLogger("checkout").setLevel(logging.INFO)
    # Flask's own handler would print each line twice next to ours.
    app.logger.handlers.clear()
    app.before_request(start_request)
    app.after_request(log_request)
    app.teardown_request(end_request)
