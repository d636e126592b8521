"""Every customer page stays light: its HTML and everything it loads from us ≤ 40 KB.

Measured over real HTTP, uncompressed, as a browser would fetch it on a first visit:
the document, then each stylesheet, script, icon and image it links to on our own site,
and the pages of its iframes served by us with theirs (the embedded sandbox's form, weighed
in tests/sandbox; a live gateway's form is not ours to weigh).
"""

from __future__ import annotations

import pytest
import requests

from tests.support.api import AUTH
from tests.support.checkout import checkout_data
from tests.support.live import LiveServer
from tests.support.page_weight import BUDGET, TIMEOUT, page_weight


@pytest.fixture
def order_pages(live_server: LiveServer) -> dict[str, str]:
    """Create an order through the real form and the gateway; return the pages to weigh."""
    session = requests.Session()
    form = session.get(live_server.url + "/", timeout=TIMEOUT)
    answer = session.post(
        live_server.url + "/",
        data=checkout_data(form.text),
        timeout=TIMEOUT,
        allow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    request_id = answer.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    checkout = session.post(
        live_server.url + "/api/v1/checkouts",
        json={"site_login": "alice", "amount": 9000, "currency": "KZT"},
        headers=AUTH,
        timeout=TIMEOUT,
    )
    assert checkout.status_code == 201, checkout.text
    return {
        "form": "/",
        "pay": f"/pay/{request_id}",
        "order": f"/orders/{request_id}",
        "merchant's checkout": "/c/" + checkout.json()["id"],
    }


@pytest.mark.parametrize("name", ["form", "pay", "order", "merchant's checkout"])
def test_page_with_its_assets_weighs_at_most_40_kb(
    live_server: LiveServer, order_pages: dict[str, str], name: str
) -> None:
    weights = page_weight(requests.Session(), live_server.url + order_pages[name])

    assert len(weights) > 1, "the page loads none of its assets"
    assert sum(weights.values()) <= BUDGET, weights
