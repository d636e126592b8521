"""The one gunicorn launcher of the tests and the benchmarks.

`gunicorn(...)` serves a WSGI target on a free loopback port until its block ends: it polls
until the server answers, yields where it is and what it logged, and stops it. Nothing here
imports pytest: `bench/` uses it too.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.processes import stop
from tests.support.wait import wait_for

ROOT = Path(__file__).resolve().parents[2]
CONFIG_FILE = ROOT / "gunicorn.conf.py"
# Settings of the developer's shell that would change what is served: each launch says
# what it needs. The worker settings unset let gunicorn.conf.py decide.
FOREIGN_SETTINGS = (
    "APP_ENV",
    "DATABASE_URL",
    "PUBLIC_BASE_URL",
    "GATEWAY_BASE_URL",
    "SANDBOX_ENABLED",
    "SANDBOX_REDIRECT",
    "SANDBOX_REDIRECT_METHODS",
    "SANDBOX_CALLBACK_URL",
    "CALLBACK_ALLOWED_NETWORKS",
    "LOG_FORMAT",
    "PROMETHEUS_MULTIPROC_DIR",
    "WEB_CONCURRENCY",
    "GUNICORN_WORKER_CLASS",
    "GUNICORN_THREADS",
    "GUNICORN_BIND",
    "PORT",
)
START_TIMEOUT = 60


@dataclass(frozen=True)
class Served:
    """A running gunicorn: its base URL, its process and the file it logs to."""

    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        """Return everything gunicorn and the app have logged so far."""
        return self.log_path.read_text()


def free_port() -> int:
    """Return a loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def launch_environment(env: Mapping[str, str]) -> dict[str, str]:
    """Return this process's environment without FOREIGN_SETTINGS, with `env` on top."""
    inherited = {name: value for name, value in os.environ.items() if name not in FOREIGN_SETTINGS}
    return {**inherited, **env}


@contextmanager
def gunicorn(
    target: str = "app:create_app()",
    *,
    env: Mapping[str, str],
    workers: int | None = None,
    worker_class: str | None = None,
    config_file: bool = True,
    options: Sequence[str] = (),
    port: int | None = None,
    log_path: Path | None = None,
) -> Iterator[Served]:
    """Serve `target` with gunicorn on 127.0.0.1 until the block ends.

    :param env: settings on top of this environment less FOREIGN_SETTINGS.
    :param workers: the worker count (None: the config file's choice, or gunicorn's one).
    :param worker_class: e.g. ``sync`` or ``gthread`` (None: the config file's, or sync).
    :param config_file: start from gunicorn.conf.py, as production does; without it,
        gunicorn's own defaults — though gunicorn still reads ./gunicorn.conf.py from the
        project's root, so name the workers and threads that matter.
    :param options: more command-line options, e.g. ``["--threads", "4"]``.
    :param port: the port, for a caller that must name its URL in `env` before the start.
    :param log_path: where gunicorn's output goes (a temporary file by default).
    :raise AssertionError: when gunicorn exits or does not answer within START_TIMEOUT.
    """
    port = port or free_port()
    command = [sys.executable, "-m", "gunicorn"]
    if config_file:
        command += ["--config", str(CONFIG_FILE)]
    if workers is not None:
        command += ["--workers", str(workers)]
    if worker_class is not None:
        command += ["--worker-class", worker_class]
    if worker_class == "sync":
        # gunicorn reads ./gunicorn.conf.py even without --config, and a sync worker given
        # its threads would run as a gthread one.
        command += ["--threads", "1"]
    # The control socket's default path is shared by every gunicorn on the machine.
    command += [*options, "--bind", f"127.0.0.1:{port}", "--no-control-socket", target]
    with ExitStack() as cleanup:
        if log_path is None:
            log_dir = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="gunicorn-"))
            log_path = Path(log_dir) / "gunicorn.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=launch_environment(env), stdout=log, stderr=log
            )
        cleanup.callback(stop, process)
        served = Served(f"http://127.0.0.1:{port}", process, log_path)
        wait_for(
            lambda: answers(served),
            START_TIMEOUT,
            lambda: "gunicorn did not start:\n" + served.log(),
        )
        yield served


@contextmanager
def one_sync_worker(env: Mapping[str, str], log_path: Path) -> Iterator[Served]:
    """Serve the app with one sync worker and gunicorn's defaults, its PUBLIC_BASE_URL its own.

    One worker serves one request at a time: the layout in which an app that called its own
    public URL would wait for itself (the deadlock tests of the plug-ins).
    """
    port = free_port()
    own_url = {"PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    with gunicorn(
        env={**env, **own_url},
        workers=1,
        worker_class="sync",
        config_file=False,
        port=port,
        log_path=log_path,
    ) as served:
        yield served


def answers(served: Served) -> bool:
    """Tell whether the server answers HTTP (any status will do: a target may lack routes).

    :raise AssertionError: when gunicorn has exited, with what it logged.
    """
    if served.process.poll() is not None:
        raise AssertionError("gunicorn exited:\n" + served.log())
    try:
        requests.get(served.url + "/healthz", timeout=5)
    except requests.RequestException:  # refused or slow while the workers boot
        return False
    return True
