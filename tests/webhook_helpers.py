"""Transitional: the demo shop's tests import from here until they move with the sandbox's;
everything else imports tests.support.webhooks."""

from tests.support.webhooks import SECRET  # noqa: F401
