"""Whether a plug-in unplugs: the files outside it that name it, and a copy of the repository
without it whose interpreters import only the copy."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The project is installed editable from some checkout: its import hook would find the
# plug-ins there. The copy's interpreters (PYTHONPATH=<copy>) see only the copy.
ONLY_THIS_COPY = """import sys

sys.meta_path[:] = [
    finder
    for finder in sys.meta_path
    if not getattr(finder, "__module__", "").startswith("__editable__")
]
"""


def python_files_naming(pattern: str, outside: tuple[str, ...]) -> list[str]:
    """Return the tracked Python files that match `pattern` (an extended regular
    expression), except those under the folders `outside`."""
    found = subprocess.run(
        ["git", "grep", "-l", "-E", pattern, "--", "*.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert found.returncode in (0, 1), found.stderr  # 1: no file matches
    return [path for path in found.stdout.split() if not path.startswith(outside)]


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
