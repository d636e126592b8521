"""Requests released at the same moment, so that races happen in the database, not by luck."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests


def fire_at_once(url: str, bodies: list[dict]) -> list[requests.Response]:
    """POST every body from its own thread, all released at the same moment."""
    barrier = threading.Barrier(len(bodies))

    def post(body: dict) -> requests.Response:
        with requests.Session() as session:
            barrier.wait(timeout=30)
            return session.post(url, json=body, timeout=60)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies))
