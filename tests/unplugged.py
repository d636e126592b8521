"""A copy of the repository without some plug-ins, whose interpreters import only the copy."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project is installed editable from some checkout: its import hook would find the
# plug-ins there. The copy's interpreters (PYTHONPATH=<copy>) see only the copy.
ONLY_THIS_COPY = """import sys

sys.meta_path[:] = [
    finder
    for finder in sys.meta_path
    if not getattr(finder, "__module__", "").startswith("__editable__")
]
"""


def copy_without(target: Path, left_out: tuple[str, ...]) -> Path:
    """Copy what git tracks (and new files it does not ignore) to `target`, leaving out the
    paths that start with any of `left_out`; return `target`."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    for name in files:
        if not name or name.startswith(left_out):
            continue
        source, copied = ROOT / name, target / name
        if source.is_file():
            copied.parent.mkdir(parents=True, exist_ok=True)
            copied.write_bytes(source.read_bytes())
    (target / "sitecustomize.py").write_text(ONLY_THIS_COPY)
    return target
