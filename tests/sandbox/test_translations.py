"""The sandbox's own catalogues (domain `sandbox`) are complete and compiled, in the app's five
languages: a forgotten extract, translation or compile fails (docs/sandbox.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import render_template_string

from checkout.i18n import LOCALES
from checkout.sandbox import texts

SANDBOX = Path(texts.__file__).resolve().parent
TRANSLATIONS = Path(texts.TRANSLATIONS_DIR)
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None}


def read(path: Path, locale: str | None = None) -> Catalog:
    with open(path, "rb") as file:
        return read_po(file, locale=locale)


def ids(catalog: Catalog) -> set[str]:
    return {message.id for message in catalog if message.id}


def catalogue(locale: str) -> Catalog:
    return read(TRANSLATIONS / locale / "LC_MESSAGES" / "sandbox.po", locale)


def test_the_template_holds_exactly_the_sandboxs_messages():
    with open(SANDBOX / "babel.cfg") as file:
        method_map, options_map = parse_mapping_cfg(file, "babel.cfg")
    found = {
        message
        for _name, _line, message, _comments, _context in extract_from_dir(
            str(SANDBOX), method_map, options_map, keywords=KEYWORDS
        )
    }
    assert found == ids(read(TRANSLATIONS / "sandbox.pot")), "run pybabel extract (docs/sandbox.md)"


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_each_language_translates_every_message(locale):
    translated = catalogue(locale)
    assert ids(translated) == ids(read(TRANSLATIONS / "sandbox.pot"))
    assert [m.id for m in translated if m.id and (m.fuzzy or not m.string)] == []


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_each_compiled_catalogue_says_what_its_source_says(locale):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "sandbox.mo", "rb") as file:
        compiled = read_mo(file)
    source = catalogue(locale)
    assert {m.id: m.string for m in compiled if m.id} == {m.id: m.string for m in source if m.id}


def test_its_words_are_escaped_in_pages_like_any_text(app):
    """A translation is text, not markup, whatever flask_babel's lazy strings claim."""
    with app.test_request_context():
        shown = render_template_string("{{ word }}", word=texts.lazy_gettext("Pay <b>now</b> & go"))
    assert shown == "Pay &lt;b&gt;now&lt;/b&gt; &amp; go"
