"""The catalogues are complete and compiled: a forgotten extract, translation or compile fails.

The chain checked here is docs/languages.md's: `pybabel extract` (the .pot has exactly the
messages in the code and templates), `pybabel update` and translating (every .po has every
message, translated, none fuzzy, placeholders kept), `pybabel compile` (each committed .mo
says what its .po says).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from checkout.i18n import LOCALES, TRANSLATIONS_DIR
from tests.support.i18n import LOCALES as TESTED_LOCALES

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = Path(TRANSLATIONS_DIR)
# The keywords of docs/languages.md's `pybabel extract -k lazy_gettext`.
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalogue_path(locale: str, suffix: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / f"messages.{suffix}"


def read_template() -> Catalog:
    with open(TRANSLATIONS / "messages.pot", "rb") as file:
        return read_po(file)


def read_translation(locale: str) -> Catalog:
    with open(catalogue_path(locale, "po"), "rb") as file:
        return read_po(file, locale=locale)


def ids(catalog: Catalog) -> set[str | tuple[str, ...]]:
    """Return the message ids of a catalogue, without its header."""
    return {message.id for message in catalog if message.id}


def extracted_ids() -> set[str | tuple[str, ...]]:
    """Extract the messages from the sources now, as `pybabel extract -F babel.cfg` does."""
    with open(ROOT / "babel.cfg") as file:
        method_map, options_map = parse_mapping_cfg(file, "babel.cfg")
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message)
    return found


def test_every_locale_we_offer_has_a_catalogue() -> None:
    assert set(LOCALES) == set(TESTED_LOCALES)
    for locale in LOCALES:
        assert catalogue_path(locale, "po").is_file(), locale
        assert catalogue_path(locale, "mo").is_file(), locale


def test_template_holds_exactly_the_messages_of_the_code_and_templates() -> None:
    """Fails when a string was added or changed without `pybabel extract`."""
    template = ids(read_template())
    current = extracted_ids()
    assert sorted(map(str, current - template)) == [], "run pybabel extract (see docs/languages.md)"
    assert sorted(map(str, template - current)) == [], "run pybabel extract (see docs/languages.md)"


@pytest.mark.parametrize("locale", TESTED_LOCALES)
def test_catalogue_has_exactly_the_templates_messages(locale: str) -> None:
    """Fails when `pybabel update` was forgotten after an extract."""
    assert ids(read_translation(locale)) == ids(read_template())


@pytest.mark.parametrize("locale", TESTED_LOCALES)
def test_every_message_is_translated(locale: str) -> None:
    catalog = read_translation(locale)
    missing = [
        message.id
        for message in catalog
        if message.id
        and (
            message.fuzzy
            or not message.string
            or (isinstance(message.string, tuple) and not all(message.string))
        )
    ]
    assert missing == []


@pytest.mark.parametrize("locale", TESTED_LOCALES)
def test_translations_pass_babels_checks(locale: str) -> None:
    """Placeholders of compatible types, and as many plural forms as the language has."""
    catalog = read_translation(locale)
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
    assert problems == []


@pytest.mark.parametrize("locale", TESTED_LOCALES)
def test_every_translation_keeps_every_placeholder(locale: str) -> None:
    """An amount, a currency or a limit dropped from a message would mislead a customer.

    Babel's own check allows a translation without placeholders; we do not.
    """
    dropped = []
    for message in read_translation(locale):
        if not message.id:
            continue
        wanted = set(PLACEHOLDER.findall(" ".join(as_tuple(message.id))))
        for form in as_tuple(message.string):
            if set(PLACEHOLDER.findall(form)) != wanted:
                dropped.append(form)
    assert dropped == []


@pytest.mark.parametrize("locale", TESTED_LOCALES)
def test_compiled_catalogue_matches_its_source(locale: str) -> None:
    """Fails when a .po was changed without `pybabel compile`."""
    with open(catalogue_path(locale, "mo"), "rb") as file:
        compiled = read_mo(file)
    source = read_translation(locale)
    assert messages(compiled) == messages(source)


def as_tuple(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


def messages(catalog: Catalog) -> dict:
    """Return a catalogue's usable translations, plural ones as tuples (.mo reads lists)."""
    return {frozen(m.id): frozen(m.string) for m in catalog if m.id and not m.fuzzy}


def frozen(value: str | list[str] | tuple[str, ...]) -> str | tuple[str, ...]:
    """Return a plural id or translation as a tuple, so both files compare equal."""
    return tuple(value) if isinstance(value, list | tuple) else value
