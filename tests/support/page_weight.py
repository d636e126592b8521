"""Weighing a page as a browser fetches it on a first visit: the document, each stylesheet,
script, icon and image it links to on the same site, and its iframes' pages with theirs."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests

# Every customer page: its HTML and everything it loads from us.
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
