"""Structured logs: one `key=value` line per request and per state change, secrets masked."""

from __future__ import annotations

import json
import logging
import re
import sys
import time

from flask import Flask, g, request
from werkzeug.wrappers import Response

MASK = "***"
# Signatures are as good as secrets for replaying a message: never log them.
SIGNATURE_PATTERN = re.compile(r"(signature[\"']?\s*[=:]\s*[\"']?)[0-9A-Fa-f]{16,}")


class LogfmtFormatter(logging.Formatter):
    """Format records as `time=… level=… logger=… <message>`; messages are key=value pairs."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        line = (
            f"time={stamp}.{int(record.msecs):03d}Z level={record.levelname.lower()} "
            f"logger={record.name} {record.getMessage()}"
        )
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class SecretMaskingFilter(logging.Filter):
    """Replace configured secrets and any signature value in a record with `***`."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret and len(secret) >= 4]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "ignature" in message:  # the regex only where it can match: this runs per line
            message = SIGNATURE_PATTERN.sub(lambda match: match.group(1) + MASK, message)
        for secret in self.secrets:
            if secret in message:
                message = message.replace(secret, MASK)
        # Formatted once here; the formatter then reuses it.
        record.msg, record.args = message, None
        return True


def quote(value: object) -> str:
    """Render a logfmt value; quote and escape it when it could break the line's structure."""
    text = str(value)
    if text == "" or not text.isprintable() or any(char in text for char in ' "='):
        return json.dumps(text, ensure_ascii=False)
    return text


def log_request(response: Response) -> Response:
    """Log one line for the request: route (not raw path), status, time and order id."""
    started = g.get("request_started")
    duration = (time.perf_counter() - started) * 1000 if started else 0.0
    rule = request.url_rule.rule if request.url_rule else "-"
    request_id = (request.view_args or {}).get("request_id") or g.get("order_request_id", "-")
    logging.getLogger("checkout.requests").info(
        "event=request method=%s route=%s status=%s duration_ms=%.1f ip=%s request_id=%s",
        request.method,
        quote(rule),
        response.status_code,
        duration,
        request.remote_addr,
        quote(request_id),
    )
    return response


def start_timer() -> None:
    g.request_started = time.perf_counter()


def init_app(app: Flask) -> None:
    """Send INFO logs to stderr as logfmt, masking the app's secrets, and log each request."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LogfmtFormatter())
    secrets = [app.config["SECRET_KEY"], app.config["GATEWAY_SECRET"]]
    # A short demo password like "admin" would blank out every /admin path; real ones are long.
    if len(app.config.get("ADMIN_PASSWORD") or "") >= 12:
        secrets.append(app.config["ADMIN_PASSWORD"])
    handler.addFilter(SecretMaskingFilter(secrets))
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "checkout_handler", False)]
    handler.checkout_handler = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    if not app.testing:
        root.setLevel(logging.INFO)
    app.logger.setLevel(logging.INFO)
    # Flask's own handler would print each line twice next to ours.
    app.logger.handlers.clear()
    app.before_request(start_timer)
    app.after_request(log_request)
