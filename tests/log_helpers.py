"""Transitional: the sandbox's and the demo shop's tests import from here until they move
to tests/sandbox/; everything else imports tests.support.logs."""

from tests.support.logs import logged  # noqa: F401
