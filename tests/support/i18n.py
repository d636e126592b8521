"""Helpers for the language tests: a client in a language, and what a page shows in words."""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser

from flask import Flask
from flask.testing import FlaskClient

LOCALES = ("en", "ru", "kk", "uk", "az")
TRANSLATED = ("ru", "kk", "uk", "az")
GATEWAY_CODES = {"en": "EN", "ru": "RU", "kk": "KZ", "uk": "UA", "az": "AZ"}

# Words a page rightly shows the same in every language: the brand, the languages named in
# themselves, and payment methods that are brand names.
SAME_EVERYWHERE = frozenset(
    {
        "Cactus Checkout",
        "English",
        "Русский",
        "Қазақша",
        "Українська",
        "Azərbaycanca",
        "Bahasa Indonesia",
        "हिन्दी",
        "QIWI",
        "Binance Pay",
        "MTS Pay",
        "e-Manat",
        "Wise",
        "Skrill",
        "Papara",
        "PIX",
    }
)
# Bank brands Azerbaijani writes in Latin letters, exactly as English does.
SAME_IN = {"az": frozenset({"Sberbank", "T-Bank"})}
# Attributes whose values people read or hear.
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
HTML_LANG = re.compile(r'<html lang="([^"]*)"')


class Words(HTMLParser):
    """Collect the text a person reads on a page: text nodes and the attributes they hear."""

    def __init__(self) -> None:
        super().__init__()
        self.segments: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skipping += 1
        found = dict(attrs)
        for name in READ_ATTRIBUTES:
            self._add(found.get(name))
        if tag == "meta" and found.get("name") == "description":
            self._add(found.get("content"))

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._add(data)

    def _add(self, text: str | None) -> None:
        text = " ".join((text or "").split())
        if text:
            self.segments.append(text)


def segments(html: str) -> list[str]:
    """Return the page's readable text, one entry per text node or read attribute."""
    parser = Words()
    parser.feed(html)
    return parser.segments


def untranslated(page: str, english_page: str, locale: str, names: Iterable[str] = ()) -> set[str]:
    """Return the words a page in `locale` still shows exactly as its English rendering does.

    Names that read the same in every language, the page's own `names` (an order's id),
    codes and numbers (nothing but digits, punctuation and upper-case codes) do not count.
    """
    allowed = SAME_EVERYWHERE | SAME_IN.get(locale, frozenset()) | set(names)
    english = set(segments(english_page))
    return {
        text
        for text in segments(page)
        if text in english and text not in allowed and re.search(r"[a-z]", text)
    }


def html_lang(page: str) -> str:
    """Return the page's `<html lang>`."""
    match = HTML_LANG.search(page)
    assert match, "no <html lang> on the page"
    return match.group(1)


def client_in(app: Flask, locale: str) -> FlaskClient:
    """Return a client that chose `locale` with `?lang=`, as the switcher's links do."""
    client = app.test_client()
    response = client.get(f"/?lang={locale}")
    assert response.status_code == 200
    assert html_lang(response.get_data(as_text=True)) == locale
    return client
