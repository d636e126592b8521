#!/usr/bin/env bash
# The plug-ins really unplug: copy the repository without the sandbox and the demo shop
# (checkout/sandbox/, tests/sandbox/, checkout/demo_shop/, tests/demo_shop/), run the
# checkout's own tests there, and start the copy in development, where it must say that no
# payment gateway is set instead of failing.
#
#   scripts/check_unplugged.sh                  # every test of the copy
#   scripts/check_unplugged.sh tests/test_x.py  # only these (pytest arguments)
#
# CI runs it after `make test` (.ci/run): never beside another test run on the same
# TEST_DATABASE_URL, whose tables both would drop and create. Uses the project's .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON="$ROOT/.venv/bin/python"
PLUGINS=(checkout/sandbox/ tests/sandbox/ checkout/demo_shop/ tests/demo_shop/)

COPY=$(mktemp -d "${TMPDIR:-/tmp}/checkout-unplugged.XXXXXX")
trap 'rm -rf "$COPY"' EXIT

# What git tracks, and new files not ignored, as they are in the working tree; no .venv,
# no instance/, no caches.
left_out=()
for plugin in "${PLUGINS[@]}"; do left_out+=(-e "^$plugin"); done
git ls-files -z --cached --others --exclude-standard \
  | grep -zv "${left_out[@]}" \
  | tar --null --files-from=- --ignore-failed-read -cf - 2>/dev/null \
  | tar -xf - -C "$COPY"
for plugin in "${PLUGINS[@]}"; do
  if [[ -e "$COPY/$plugin" ]]; then
    echo "check_unplugged: $plugin was copied" >&2
    exit 1
  fi
done

# The project is installed editable from some checkout: its import hook would find the
# plug-ins there. The copy's interpreters see only the copy.
cat >"$COPY/sitecustomize.py" <<'EOF'
import sys

sys.meta_path[:] = [
    finder
    for finder in sys.meta_path
    if not getattr(finder, "__module__", "").startswith("__editable__")
]
EOF
export PYTHONPATH="$COPY"
cd "$COPY"

imported=$("$PYTHON" -c 'import app, checkout; print(app.__file__); print(checkout.__file__)')
if [[ "$imported" != "$COPY/app.py"$'\n'"$COPY/checkout/__init__.py" ]]; then
  echo "check_unplugged: the copy imports another checkout:" >&2
  echo "$imported" >&2
  exit 1
fi
echo "check_unplugged: testing $COPY (no sandbox, no demo shop)"

"$PYTHON" -m pytest -q -p no:cacheprovider "$@"

# Development, no gateway configured and none offered: the app starts, says so in its log,
# and the checkout form answers 503 with the same words.
unset GATEWAY_BASE_URL SANDBOX_ENABLED DEMO_SHOP_ENABLED
started=$(APP_ENV=development DATABASE_URL="sqlite:///$COPY/development.sqlite3" "$PYTHON" -c '
from app import create_app

client = create_app().test_client()
answer = client.get("/")
page = answer.get_data(as_text=True)
assert answer.status_code == 503, (answer.status_code, page)
assert "No payment gateway is set: set GATEWAY_BASE_URL" in page, page
assert client.get("/healthz").status_code == 200
' 2>&1) || { echo "$started" >&2; exit 1; }
if ! grep -q "config_warning.*No payment gateway is set" <<<"$started"; then
  echo "check_unplugged: development started without saying that no gateway is set:" >&2
  echo "$started" >&2
  exit 1
fi
echo "check_unplugged: development starts, and says and shows that no payment gateway is set"
