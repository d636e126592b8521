"""Structured logs: one `key=value` line per request and per state change, secrets masked."""

from __future__ import annotations

import json
import logging
import re
import sys
import time

from flask import Flask, g, request
from werkzeug.wrappers import Response

from checkout import client_address

MASK = "***"
# Signatures are as good as secrets for replaying a message: never log them.
# Quotes may come escaped (`\"`) where a body is quoted inside another text.
SIGNATURE_PATTERN = re.compile(r"(signature[\\\"']*\s*[=:]\s*[\\\"']*)[0-9A-Fa-f]{16,}")
# Renders exception text for masking before our (or anyone's) formatter sees the record.
EXCEPTION_FORMATTER = logging.Formatter()


class LogfmtFormatter(logging.Formatter):
    """Format records as `time=… level=… logger=… <message>`; messages are key=value pairs."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        line = (
            f"time={stamp}.{int(record.msecs):03d}Z level={record.levelname.lower()} "
            f"logger={record.name} {record.getMessage()}"
        )
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line += "\n" + record.exc_text
        return line


class SecretMaskingFilter(logging.Filter):
    """Replace configured secrets and any signature value in a record with `***`.

    The exception text is masked too: a database error quotes the statement it failed on,
    and a callback's body holds its signature.
    """

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
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

    def filter(self, record: logging.LogRecord) -> bool:
        # Formatted once here; the formatter then reuses the message and exception text.
        record.msg, record.args = self.mask(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = EXCEPTION_FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
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
        quote(client_address.current().text),
        quote(request_id),
    )
    return response


def start_timer() -> None:
    g.request_started = time.perf_counter()


def init_app(app: Flask) -> None:
    """Send INFO logs to stderr as logfmt, masking the app's secrets, and log each request."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LogfmtFormatter())
    secrets = [app.config[name] or "" for name in ("SECRET_KEY", "GATEWAY_SECRET")]
    # Even a short demo password like "admin", at the price of `/***` in the demo's paths.
    secrets.append(app.config.get("ADMIN_PASSWORD") or "")
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
