"""The steps of scripts/lighthouse.sh that speak HTTP or read Lighthouse's reports.

  python -m scripts.lighthouse_steps new-order BASE_URL      → prints the new request_id
  python -m scripts.lighthouse_steps pay BASE_URL REQUEST_ID → pays it in the sandbox
  python -m scripts.lighthouse_steps new-deposit BASE_URL    → prints the paths of a demo-shop
                                                               deposit's checkout and its page
  python -m scripts.lighthouse_steps pay-deposit BASE_URL CHECKOUT_PATH DEPOSIT_PATH
                                                             → pays it, waits for the credit
  python -m scripts.lighthouse_steps scores REPORT.json...   → prints scores, failing audits

Orders are made the way a customer makes them: the real forms (with their CSRF and
submission tokens) and the embedded sandbox's hosted form, over HTTP.
"""

from __future__ import annotations

import json
import re
import sys
import time
from html import unescape
from pathlib import Path

import requests

TIMEOUT = 10
CATEGORIES = ("performance", "accessibility", "best-practices")
# Below this a page fails the run; the aim is 1.00 everywhere.
FLOOR = 0.95
HIDDEN = re.compile(r'<input[^>]*name="(csrf_token|submission_token|form_key)"[^>]*value="([^"]*)"')
IFRAME_SRC = re.compile(r'<iframe src="([^"]+)"')


def new_order(base_url: str) -> str:
    """Fill the checkout form once and return the request_id of the order it made."""
    session = requests.Session()
    form = session.get(base_url + "/", timeout=TIMEOUT)
    form.raise_for_status()
    fields = {name: unescape(value) for name, value in HIDDEN.findall(form.text)}
    fields |= {
        "amount": "90.00",
        "currency": "KZT",
        "method": "card",
        "bank_app": "",
        "language": "EN",
        "site_login": "lighthouse",
    }
    answer = session.post(base_url + "/", data=fields, timeout=TIMEOUT, allow_redirects=False)
    location = answer.headers.get("Location", "")
    if answer.status_code != 303 or "/pay/" not in location:
        raise SystemExit(f"the checkout form answered {answer.status_code}, not a payment page")
    return location.rstrip("/").rsplit("/", 1)[1]


def new_deposit(base_url: str) -> str:
    """Deposit 90.00 KZT in the demo shop; return the paths of its checkout and of its page."""
    session = requests.Session()
    shop = session.get(base_url + "/demo-shop/", timeout=TIMEOUT)
    shop.raise_for_status()
    fields = {name: unescape(value) for name, value in HIDDEN.findall(shop.text)}
    fields |= {"amount": "90.00", "currency": "KZT"}
    answer = session.post(
        base_url + "/demo-shop/deposits", data=fields, timeout=TIMEOUT, allow_redirects=False
    )
    if answer.status_code != 303:
        raise SystemExit(f"the demo shop answered {answer.status_code}, not a checkout")
    checkout = answer.headers["Location"].removeprefix(base_url)
    page = session.get(base_url + checkout, timeout=TIMEOUT)
    back = re.compile(r'href="' + re.escape(base_url) + r'(/demo-shop/deposits/[^"]+)"')
    deposit = back.search(page.text)
    if deposit is None:
        raise SystemExit("the checkout's page has no link back to the shop")
    return f"{checkout} {deposit.group(1)}"


def pay_deposit(base_url: str, checkout: str, deposit: str, wait: float = 20.0) -> None:
    """Pay a deposit's checkout in the sandbox and wait until the shop credits it."""
    session = requests.Session()
    page = session.get(base_url + checkout, timeout=TIMEOUT)
    fields = {name: unescape(value) for name, value in HIDDEN.findall(page.text)}
    fields |= {"method": "card", "bank_app": "", "language": "EN"}
    answer = session.post(base_url + checkout, data=fields, timeout=TIMEOUT, allow_redirects=False)
    location = answer.headers.get("Location", "")
    if answer.status_code != 303 or "/pay/" not in location:
        raise SystemExit(f"the checkout answered {answer.status_code}, not a payment page")
    pay(base_url, location.rstrip("/").rsplit("/", 1)[1], wait)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        status = requests.get(f"{base_url}{deposit}/status", timeout=TIMEOUT).json()
        if status["credited"]:
            return
        time.sleep(0.2)
    raise SystemExit(f"the deposit at {deposit} was not credited within {wait:.0f} s")


def pay(base_url: str, request_id: str, wait: float = 20.0) -> None:
    """Press Pay on the order's sandbox form and wait until the callback marks it paid."""
    page = requests.get(f"{base_url}/pay/{request_id}", timeout=TIMEOUT)
    found = IFRAME_SRC.search(page.text)
    if found is None:
        raise SystemExit("the payment page embeds no gateway form")
    requests.post(
        unescape(found.group(1)),
        data={"decision": "pay", "method": "card"},
        timeout=TIMEOUT,
        allow_redirects=False,
    ).raise_for_status()
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        status = requests.get(f"{base_url}/orders/{request_id}/status", timeout=TIMEOUT)
        if status.json()["status"] == "paid":
            return
        time.sleep(0.2)
    raise SystemExit(f"order {request_id} was not paid within {wait:.0f} s")


def failing_audits(report: dict, category: str) -> list[str]:
    """Return the scored audits of a category that did not pass, with their scores."""
    lines = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = report["audits"][ref["id"]]
        if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
            value = f" ({audit['displayValue']})" if audit.get("displayValue") else ""
            lines.append(
                f"    {category}: {ref['id']} {audit['score']:.2f} {audit['title']}{value}"
            )
    return lines


def scores(paths: list[str]) -> int:
    """Print each report's category scores and failing audits; 1 if any is below FLOOR."""
    worst = 1.0
    print(f"{'page':<44}" + "".join(f"{name:>16}" for name in CATEGORIES))
    for path in paths:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
        page = re.sub(r"^https?://[^/]+", "", report["finalDisplayedUrl"]) or "/"
        values = [report["categories"][name]["score"] or 0.0 for name in CATEGORIES]
        worst = min(worst, *values)
        print(f"{page:<44}" + "".join(f"{value:>16.2f}" for value in values))
        for name in CATEGORIES:
            for line in failing_audits(report, name):
                print(line)
    return 0 if worst >= FLOOR else 1


def main(argv: list[str]) -> int:
    command, *args = argv
    if command == "new-order":
        print(new_order(*args))
    elif command == "pay":
        pay(*args)
    elif command == "new-deposit":
        print(new_deposit(*args))
    elif command == "pay-deposit":
        pay_deposit(*args)
    elif command == "scores":
        return scores(args)
    else:
        raise SystemExit(f"unknown step {command!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
