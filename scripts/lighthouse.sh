#!/usr/bin/env bash
# Lighthouse scores (performance, accessibility, best practices) for the checkout form,
# the payment page, the order page, a merchant's checkout page (/c/<id>) and the demo
# shop's pages, on a fresh development app with its embedded sandbox and demo shop.
#
#   scripts/lighthouse.sh            # Lighthouse's default: a throttled mid-range phone
#   scripts/lighthouse.sh --desktop  # the desktop preset
#
# Not part of the test run. Needs Node.js with npm (Lighthouse is installed on first use
# into ./node_modules) and Debian's Chromium (apt-get install chromium). Starts gunicorn on a
# free loopback port with a temporary SQLite database, makes one order through the real
# form, audits / and /pay/<request_id> while it waits for payment, pays it in the sandbox,
# then audits /orders/<request_id>; then deposits in the demo shop (a checkout made through
# the API), audits the checkout's page, the shop and the deposit's page while it waits, pays
# it and audits the deposit's page credited. Exits 1 when any score is below 0.95.
set -euo pipefail
cd "$(dirname "$0")/.."

# 12.x is the newest line that runs on Node 20 (Lighthouse 13 needs Node 22).
LIGHTHOUSE_VERSION=12.8.2
PRESET=()
if [[ "${1:-}" == "--desktop" ]]; then PRESET=(--preset=desktop); fi

PYTHON=python3
if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; fi
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
if [[ ! -x "$CHROME_PATH" ]]; then
  echo "Lighthouse needs Chromium at $CHROME_PATH: apt-get install chromium" >&2
  exit 2
fi
if [[ ! -x node_modules/.bin/lighthouse ]]; then
  echo "Installing lighthouse@$LIGHTHOUSE_VERSION into ./node_modules ..." >&2
  npm install --prefix . --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "lighthouse@$LIGHTHOUSE_VERSION" >&2
fi

# The same machine flags as the browser tests (scripts/browser.py), plus headless.
CHROME_FLAGS="--headless $("$PYTHON" -c 'from scripts.browser import CHROMIUM_ARGS; print(" ".join(CHROMIUM_ARGS))')"
PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
SERVER=""
cleanup() {
  if [[ -n "$SERVER" ]]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

export APP_ENV=development DATABASE_URL="sqlite:///$WORK/lighthouse.sqlite3" \
  PUBLIC_BASE_URL="$BASE" SANDBOX_CALLBACK_BACKOFF=0.2 \
  GUNICORN_BIND="127.0.0.1:$PORT" WEB_CONCURRENCY=2 GUNICORN_LOG_LEVEL=warning
"$PYTHON" -m flask --app app db upgrade >"$WORK/migrate.log" 2>&1
"$PYTHON" -m gunicorn -c gunicorn.conf.py "app:create_app()" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do
  if curl -fsS "$BASE/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
curl -fsS "$BASE/healthz" >/dev/null || { cat "$WORK/server.log" >&2; exit 1; }

audit() {  # audit NAME PATH
  node_modules/.bin/lighthouse "$BASE$2" "${PRESET[@]}" --quiet \
    --only-categories=performance,accessibility,best-practices \
    --chrome-flags="$CHROME_FLAGS" --output=json --output-path="$WORK/$1.json"
}

REQUEST_ID=$("$PYTHON" -m scripts.lighthouse_steps new-order "$BASE")
audit form /
audit pay "/pay/$REQUEST_ID"
"$PYTHON" -m scripts.lighthouse_steps pay "$BASE" "$REQUEST_ID"
audit order "/orders/$REQUEST_ID"
read -r CHECKOUT DEPOSIT < <("$PYTHON" -m scripts.lighthouse_steps new-deposit "$BASE")
audit checkout "$CHECKOUT"
audit shop /demo-shop/
audit deposit-waiting "$DEPOSIT"
"$PYTHON" -m scripts.lighthouse_steps pay-deposit "$BASE" "$CHECKOUT" "$DEPOSIT"
audit deposit "$DEPOSIT"
"$PYTHON" -m scripts.lighthouse_steps scores "$WORK"/{form,pay,order,checkout,shop,deposit-waiting,deposit}.json
