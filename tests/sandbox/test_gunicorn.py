"""No deadlock: under gunicorn with ONE sync worker, the app calls its own sandbox and the
sandbox calls back, and a whole checkout still completes.

One sync worker serves one request at a time, so a server that called its own public port
would wait for itself until the gateway time-out. The sandbox's loopback listener and its
background callback delivery must keep every step moving; bounded time-outs turn a
deadlock into a failure instead of a hang.
"""

from __future__ import annotations

import os

import pytest
import requests

from tests.conftest import close_app
from tests.gunicorn_helpers import FOREIGN_SETTINGS, free_port, one_sync_worker_serving
from tests.sandbox.sandbox_helpers import (
    HTTP_TIMEOUT,
    iframe_src,
    make_sandbox_app,
    start_checkout,
    wait_for_status,
)

# Every request the test makes times out after HTTP_TIMEOUT (10 s), as does the app's own
# call to the gateway; the callback must land within CALLBACK_TIMEOUT.
CALLBACK_TIMEOUT = 20
# The sandbox's settings in the developer's shell, besides the checkout's.
SANDBOX_SETTINGS = (
    "SANDBOX_ENABLED",
    "SANDBOX_REDIRECT",
    "SANDBOX_REDIRECT_METHODS",
    "SANDBOX_CALLBACK_URL",
)


@pytest.fixture
def one_sync_worker(tmp_path):
    """Serve the app with `gunicorn -w 1 -k sync` on a free port; yield its URL and log."""
    database_url = f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}"
    close_app(make_sandbox_app(database_url))  # the testing config builds no schema by itself
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    foreign = (*FOREIGN_SETTINGS, *SANDBOX_SETTINGS)
    env = {name: value for name, value in os.environ.items() if name not in foreign}
    env.update(
        APP_ENV="testing",
        DATABASE_URL=database_url,
        PUBLIC_BASE_URL=base,
        SANDBOX_CALLBACK_BACKOFF="0.2",
    )
    log_path = tmp_path / "gunicorn.log"
    with one_sync_worker_serving(port, env, log_path):
        yield base, log_path


def test_a_checkout_completes_under_one_sync_worker(one_sync_worker):
    base, log_path = one_sync_worker
    with requests.Session() as customer:
        location = start_checkout(base, customer, method="card")  # server → its own sandbox
        assert location.startswith("/pay/"), log_path.read_text()
        request_id = location.removeprefix("/pay/")
        form_url = iframe_src(base, customer, request_id)
        assert customer.get(form_url, timeout=HTTP_TIMEOUT).status_code == 200
        answer = customer.post(
            form_url, data={"decision": "pay"}, allow_redirects=False, timeout=HTTP_TIMEOUT
        )
        assert answer.status_code == 303
        assert answer.headers["Location"] == f"{base}/orders/{request_id}/success"
    # The sandbox's callback reaches /callback through the same single worker.
    assert wait_for_status(base, request_id, "paid", timeout=CALLBACK_TIMEOUT) == "paid", (
        log_path.read_text()
    )
