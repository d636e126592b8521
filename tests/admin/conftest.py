"""The back office's tests run with admin credentials configured, and can sign in."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.support.admin import CREDENTIALS, sign_in


@pytest.fixture
def app_overrides() -> dict:
    return dict(CREDENTIALS)


@pytest.fixture
def admin(client: FlaskClient) -> FlaskClient:
    """A test client signed in to the back office."""
    sign_in(client)
    return client
