"""JSON from strangers: one error for every body we cannot use, and a bound on nesting.

Python's JSON decoder recurses once per level: a body of 20,000 `[` (40 KB) raises
RecursionError, and anything that later walks a deep value (signing, storing) may too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

# Far deeper than any gateway message; far below the interpreter's recursion limit.
MAX_DEPTH = 32


class JSONInputError(ValueError):
    """A body is not JSON we accept; the message says why and is safe to send back."""


def loads(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Decode JSON, refusing invalid text and values nested deeper than `max_depth`.

    :raise JSONInputError: for invalid JSON or too deep a value.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise too_deep(max_depth) from None
    except ValueError:
        raise JSONInputError("body is not valid JSON") from None
    if deeper_than(value, max_depth):
        raise too_deep(max_depth)
    return value


def too_deep(max_depth: int) -> JSONInputError:
    return JSONInputError(f"body is nested more than {max_depth} levels deep")


def deeper_than(value: Any, max_depth: int) -> bool:
    """Tell whether arrays and objects nest deeper than `max_depth` (the top one is 1)."""
    children: Iterable[Any]
    if isinstance(value, dict):
        children = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return False
    # Recursion stops at max_depth, so this never nears the interpreter's limit.
    return max_depth == 0 or any(deeper_than(child, max_depth - 1) for child in children)
