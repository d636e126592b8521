"""No reach into other libraries' private names, except in the one named place for each."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "app.py", *sorted((ROOT / "checkout").rglob("*.py"))]
# Underscored by convention, public by documentation.
PUBLIC = {
    "_asdict",  # SQLAlchemy's Row, as namedtuple's
    "_get_current_object",  # Flask's documented way to unwrap current_app
}
# The private names we do rely on, each in one module that says why and has a test.
ALLOWED = {
    "_check_request_limit": "checkout/rate_limits.py",
    "_get_conn": "checkout/webhooks/client.py",
}
# Other libraries' state that only looks public: WTForms renders what it computes here.
FORBIDDEN_WRITES = {"current_token"}


def reaches(path: Path) -> list[str]:
    """Return the private names a module reaches on objects other than its own."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute):
            owner = node.value
            own = isinstance(owner, ast.Name) and owner.id in {"self", "cls"}
            if node.attr.startswith("_") and not node.attr.startswith("__") and not own:
                if node.attr not in PUBLIC and ALLOWED.get(node.attr) != relative(path):
                    found.append(node.attr)
            if node.attr in FORBIDDEN_WRITES and isinstance(node.ctx, ast.Store):
                found.append(f"{node.attr} (written)")
    return found


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name


def test_no_module_reaches_into_private_names():
    offenders = {relative(path): found for path in SOURCES if (found := reaches(path))}
    assert offenders == {}


def test_the_check_sees_a_reach(tmp_path):
    module = tmp_path / "views.py"
    module.write_text(
        "hooks.remove(limiter._check_request_limit)\n"
        "form.csrf_token.current_token = 'x'\n"
        "self._mine = row._asdict()\n"
    )
    assert sorted(reaches(module)) == ["_check_request_limit", "current_token (written)"]
