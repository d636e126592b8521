"""Text from strangers, made fit to store: PostgreSQL's text holds neither NUL nor non-UTF-8.

Such characters are kept as evidence, written as backslash escapes (`\\x00`, `\\xff`,
`\\ud800`) — the one form in which SQLite and PostgreSQL can both store them.
"""

from __future__ import annotations

NUL = "\x00"
ESCAPED_NUL = "\\x00"


def decode_body(raw: bytes) -> str:
    """Return a request body as storable text: bytes that are not UTF-8 and NUL escaped."""
    return raw.decode("utf-8", errors="backslashreplace").replace(NUL, ESCAPED_NUL)


def storable(text: str) -> str:
    """Return text the database can store: NUL and lone surrogates escaped."""
    if text.isprintable():  # the common case, and printable text holds neither
        return text
    return text.replace(NUL, ESCAPED_NUL).encode("utf-8", errors="backslashreplace").decode()


def escaped(text: str, keep: str = "") -> str:
    """Return text with what is not printable (but the characters in `keep`) as escapes.

    For terminals, logs and error messages: text from outside can neither drive a
    terminal nor hide in a line, and the escapes read like Python's (`\\x1b`, `\\u2028`).
    """
    return "".join(
        char if char.isprintable() or char in keep else ascii(char)[1:-1] for char in text
    )
