"""The webhook tests reuse the gunicorn launcher of the multi-process callback test."""

from tests.test_gunicorn_multiprocess import gunicorn  # noqa: F401  (a fixture)
