"""Every customer page stays light: its HTML and everything it loads from us ≤ 40 KB.

Measured over real HTTP, uncompressed, as a browser would fetch it on a first visit:
the document, then each stylesheet, script, icon and image it links to on our own site,
and the pages of its iframes with theirs (the embedded sandbox's form is served by us too;
a live gateway's form is not ours to weigh).
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.support.api import AUTH
from tests.support.checkout import checkout_data
from tests.support.live import LiveServer

BUDGET = 40 * 1024
TIMEOUT = 10


class Assets(HTMLParser):
    """Collect the URLs a page makes the browser fetch: stylesheets, icons, scripts, images,
    and the documents of its iframes."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.frames: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "link" and found.get("href"):
            self.urls.append(found["href"])
        elif tag in {"script", "img"} and found.get("src"):
            self.urls.append(found["src"])
        elif tag == "iframe" and found.get("src"):
            self.frames.append(found["src"])


def page_weight(session: requests.Session, url: str) -> dict[str, int]:
    """Return the bytes of a page, its frames and each of their own assets, by URL."""
    page = session.get(url, timeout=TIMEOUT)
    assert page.status_code == 200, url
    parser = Assets()
    parser.feed(page.text)
    weights = {url: len(page.content)}
    for asset in dict.fromkeys(urljoin(url, found) for found in parser.urls):
        if urlsplit(asset).netloc != urlsplit(url).netloc:
            continue
        answer = session.get(asset, timeout=TIMEOUT)
        assert answer.status_code == 200, f"{asset} answered {answer.status_code}"
        weights[asset] = len(answer.content)
    for frame in parser.frames:
        frame_url = urljoin(url, frame)
        if urlsplit(frame_url).netloc == urlsplit(url).netloc:
            weights.update(page_weight(session, frame_url))
    return weights


@pytest.fixture
def order_pages(live_server: LiveServer) -> dict[str, str]:
    """Create an order through the real form and sandbox; return the pages to weigh."""
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
