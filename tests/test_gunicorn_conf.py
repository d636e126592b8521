"""gunicorn.conf.py's workers: sync by default, 2 × cores + 1; gthread with settable threads."""

from __future__ import annotations

import multiprocessing
import runpy
from pathlib import Path

import pytest

GUNICORN_CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
SETTINGS = ("WEB_CONCURRENCY", "GUNICORN_WORKER_CLASS", "GUNICORN_THREADS")


@pytest.fixture
def settings(monkeypatch, tmp_path):
    """Return a function reading the file's worker settings under the given environment."""

    def read(**env: str) -> tuple[str, int, int]:
        for name in SETTINGS:
            monkeypatch.delenv(name, raising=False)
        # The file writes these back to the environment: keep them to this test.
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        conf = runpy.run_path(str(GUNICORN_CONF))
        monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
        return conf["worker_class"], conf["workers"], conf["threads"]

    return read


def test_sync_workers_serve_by_default_two_per_core_and_one(settings):
    """As fast as threads for callbacks here, with the lower tail (docs/performance.md)."""
    assert settings() == ("sync", 2 * multiprocessing.cpu_count() + 1, 1)


def test_gthread_serves_one_process_per_core_with_four_threads(settings):
    """While one thread waits on the database (a callback's commit), another runs."""
    assert settings(GUNICORN_WORKER_CLASS="gthread") == ("gthread", multiprocessing.cpu_count(), 4)


def test_the_thread_count_is_read_from_the_environment(settings):
    assert settings(GUNICORN_WORKER_CLASS="gthread", GUNICORN_THREADS="8", WEB_CONCURRENCY="3") == (
        "gthread",
        3,
        8,
    )


def test_empty_settings_are_unset_as_in_env_example(settings):
    cores = multiprocessing.cpu_count()
    empty = {name: "" for name in SETTINGS}
    assert settings(**empty) == ("sync", 2 * cores + 1, 1)


def test_sync_workers_stay_single_threaded_with_more_processes(settings):
    """gunicorn would turn sync workers with threads into gthread ones behind our back."""
    cores = multiprocessing.cpu_count()
    assert settings(GUNICORN_WORKER_CLASS="sync", GUNICORN_THREADS="8") == (
        "sync",
        2 * cores + 1,
        1,
    )
