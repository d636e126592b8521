"""The session cookie's serializer is built once per set of keys, and key rotation through
SECRET_KEY_FALLBACKS still reads cookies signed with an earlier key."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.support.apps import close_app, make_app

OLD_KEY = "an-earlier-secret-key-of-32-characters"
NEW_KEY = "the-current-secret-key-of-32-characters"


@pytest.fixture
def rotated_app(tmp_path):
    app = make_app(
        f"sqlite:///{tmp_path / 'db.sqlite3'}", SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY]
    )
    yield app
    close_app(app)


def cookie_signed_with(app: Flask, key: str) -> str:
    """Return a session cookie holding {"cart": 7}, signed with `key`."""
    current = app.secret_key
    app.secret_key = key
    try:
        return app.session_interface.get_signing_serializer(app).dumps({"cart": 7})
    finally:
        app.secret_key = current


def session_read(app: Flask, cookie: str) -> dict:
    """Return the session the app opens from a request carrying `cookie`."""
    name = app.config["SESSION_COOKIE_NAME"]
    with app.test_request_context("/", headers={"Cookie": f"{name}={cookie}"}) as context:
        return dict(app.session_interface.open_session(app, context.request) or {})


def test_the_serializer_is_built_once_for_the_same_keys(app):
    interface = app.session_interface
    assert interface.get_signing_serializer(app) is interface.get_signing_serializer(app)


def test_cookies_signed_with_a_fallback_key_are_still_read(rotated_app):
    assert session_read(rotated_app, cookie_signed_with(rotated_app, NEW_KEY)) == {"cart": 7}
    assert session_read(rotated_app, cookie_signed_with(rotated_app, OLD_KEY)) == {"cart": 7}
    assert session_read(rotated_app, cookie_signed_with(rotated_app, "x" * 40)) == {}


def test_a_key_changed_after_start_is_honoured(rotated_app):
    old_cookie = cookie_signed_with(rotated_app, OLD_KEY)
    assert session_read(rotated_app, old_cookie) == {"cart": 7}  # the serializer is built
    rotated_app.config["SECRET_KEY_FALLBACKS"] = []
    assert session_read(rotated_app, old_cookie) == {}
    rotated_app.secret_key = OLD_KEY
    assert session_read(rotated_app, old_cookie) == {"cart": 7}
