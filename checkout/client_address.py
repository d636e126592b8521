"""The client's address: checked before anything trusts it, bounded before anything stores it.

Behind ProxyFix, `request.remote_addr` is what the `X-Forwarded-For` header said, so it is
text a sender may have written. Only a real IP address may open an allow-list or name a
rate-limit bucket; anything else is kept, marked and cut to fit, for the record.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from flask import request

# The width of `callbacks.source_ip`: a longer value would make the record's INSERT fail.
MAX_TEXT = 64
INVALID_MARK = "invalid:"
# Every sender of a malformed address shares one rate-limit bucket: rotating them gains nothing.
INVALID_KEY = "invalid"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class ClientAddress:
    """An address as we were told it: `ip` when it is one, `text` to store and log."""

    ip: IPAddress | None
    text: str

    @property
    def rate_limit_key(self) -> str:
        return str(self.ip) if self.ip is not None else INVALID_KEY


def parse(value: str | None) -> ClientAddress:
    """Validate what we were told; mark and truncate anything that is not an IP address."""
    raw = value or ""
    try:
        ip = ipaddress.ip_address(raw)
    except ValueError:
        # Non-printable characters (NUL above all) would not survive every database.
        shown = "".join(char if char.isprintable() else "?" for char in raw[:MAX_TEXT])
        return ClientAddress(None, (INVALID_MARK + shown)[:MAX_TEXT])
    return ClientAddress(ip, str(ip)[:MAX_TEXT])


def current() -> ClientAddress:
    """Return the address of the client of the current request."""
    return parse(request.remote_addr)


def rate_limit_key() -> str:
    """Key Flask-Limiter's counts by the client's validated address."""
    return current().rate_limit_key
