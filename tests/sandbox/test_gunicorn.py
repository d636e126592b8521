"""No deadlock: under gunicorn with ONE sync worker, the app calls its own sandbox and the
sandbox calls back, and a whole checkout still completes.

One sync worker serves one request at a time, so a server that called its own public port
would wait for itself until the gateway time-out. The sandbox's loopback listener and its
background callback delivery must keep every step moving; bounded time-outs turn a
deadlock into a failure instead of a hang.
"""

from __future__ import annotations

import pytest
import requests

from tests.sandbox.helpers import (
    HTTP_TIMEOUT,
    hosted_form_url,
    make_sandbox_app,
    start_checkout,
    wait_for_status,
)
from tests.support.apps import close_app
from tests.support.gunicorn import one_sync_worker

# Every request the test makes times out after HTTP_TIMEOUT (10 s), as does the app's own
# call to the gateway; the callback must land within CALLBACK_TIMEOUT.
CALLBACK_TIMEOUT = 20


@pytest.fixture
def served(tmp_path):
    """Serve the app with `gunicorn -w 1 -k sync` on a free port; yield its URL and log."""
    database_url = f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}"
    close_app(make_sandbox_app(database_url))  # the testing config builds no schema by itself
    env = {"APP_ENV": "testing", "DATABASE_URL": database_url, "SANDBOX_CALLBACK_BACKOFF": "0.2"}
    with one_sync_worker(env, tmp_path / "gunicorn.log") as served:
        yield served.url, served.log_path


@pytest.mark.slow
def test_a_checkout_completes_under_one_sync_worker(served):
    base, log_path = served
    with requests.Session() as customer:
        location = start_checkout(base, customer, method="card")  # server → its own sandbox
        assert location.startswith("/pay/"), log_path.read_text()
        request_id = location.removeprefix("/pay/")
        form_url = hosted_form_url(base, customer, request_id)
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
