"""Shared by the back-office tests: the configured account and signing in with it."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

USERNAME = "merchant"
PASSWORD = "correct horse battery staple"
CREDENTIALS = {"ADMIN_USERNAME": USERNAME, "ADMIN_PASSWORD": PASSWORD}

ORDER_LINK = re.compile(r'href="/admin/orders/([^"]+)"')


def sign_in(client: FlaskClient, username: str = USERNAME, password: str = PASSWORD):
    """Post the login form and return the response."""
    return client.post("/admin/login", data={"username": username, "password": password})


def listed_request_ids(html: str) -> list[str]:
    """Return the request_ids of the orders a list page links to, in page order."""
    return ORDER_LINK.findall(html)
