"""The payment page with the sandbox's form in its iframe — both served by us — stays within
the customer pages' budget (tests/test_page_weight.py)."""

from __future__ import annotations

import requests

from tests.support.checkout import checkout_data
from tests.support.live import LiveServer
from tests.support.page_weight import BUDGET, TIMEOUT, page_weight


def test_the_payment_page_with_the_sandboxs_form_weighs_at_most_40_kb(live_server: LiveServer):
    session = requests.Session()
    form = session.get(live_server.url + "/", timeout=TIMEOUT)
    answer = session.post(
        live_server.url + "/", data=checkout_data(form.text), timeout=TIMEOUT, allow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    weights = page_weight(session, live_server.url + answer.headers["Location"])
    assert any("/sandbox/api/jsapi/open/" in url for url in weights), "the form was not weighed"
    assert sum(weights.values()) <= BUDGET, weights
