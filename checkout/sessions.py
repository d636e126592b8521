"""Flask's signed session cookie, with its serializer built once per set of keys.

Flask builds a new `URLSafeTimedSerializer` each time it opens or saves a session: twice
for most requests, for keys that never change while the process runs.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

Keys = tuple[str | bytes, ...]


class SessionInterface(SecureCookieSessionInterface):
    """Flask's own session cookie, signed by a serializer kept until the keys change."""

    def __init__(self) -> None:
        self.built: tuple[Keys, URLSafeTimedSerializer] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Return the serializer for the app's current keys, built on their first use.

        The keys are compared on every call, so a SECRET_KEY or SECRET_KEY_FALLBACKS set
        after start (as tests do) is honoured as Flask's own interface would.
        """
        if not app.secret_key:
            return None
        keys: Keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        built = self.built  # one read: another thread may replace it meanwhile
        if built is not None and built[0] == keys:
            return built[1]
        serializer = super().get_signing_serializer(app)
        if serializer is not None:
            self.built = (keys, serializer)
        return serializer


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
