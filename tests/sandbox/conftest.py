"""The sandbox's tests: the app's gateway is the embedded sandbox (not the fake gateway of
the checkout's own tests), on its own table."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.sandbox.helpers import make_sandbox_app
from tests.support.apps import close_app


@pytest.fixture
def app(sqlite_url: str, app_overrides: dict) -> Iterator[Flask]:
    app = make_sandbox_app(sqlite_url, **app_overrides)
    yield app
    close_app(app)
