"""The verification examples of docs/webhooks.md work on real deliveries, and refuse fakes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.apps import close_app, make_app
from tests.support.callbacks import callback_for
from tests.support.fake_gateway import Reply, fake_gateway
from tests.support.orders import make_order
from tests.support.webhooks import SECRET, deliver_due, webhook_settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL)


def example(name: str, monkeypatch):
    """Run the doc's code block that defines `name`, as a merchant would, and return it."""
    monkeypatch.setenv("MERCHANT_WEBHOOK_SECRET", SECRET)
    [code] = [block for block in BLOCKS if f"def {name}(" in block]
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    return namespace[name]


@pytest.fixture
def delivery(sqlite_url):
    """A real delivery of order.paid: its body and headers as the merchant received them."""
    with fake_gateway(Reply(204, body=b"")) as receiver:
        app = make_app(sqlite_url, **webhook_settings(receiver.url))
        try:
            with app.app_context():
                order = make_order()
            app.test_client().post("/callback", json=callback_for(app, order))
            deliver_due(app)
        finally:
            close_app(app)
    [request] = receiver.received
    return request.body, request.headers


@pytest.mark.parametrize("name", ["verify_with_library", "verify_by_hand"])
def test_the_documented_verification_accepts_a_delivery(name, delivery, monkeypatch):
    verify = example(name, monkeypatch)
    body, headers = delivery
    assert verify(body, headers)["type"] == "order.paid"


@pytest.mark.parametrize("name", ["verify_with_library", "verify_by_hand"])
@pytest.mark.parametrize(
    "forge",
    [
        lambda body, headers: (body.replace(b"9000", b"9900"), headers),
        lambda body, headers: (body, {**headers, "webhook-id": "msg_other"}),
        lambda body, headers: (
            body,
            {**headers, "webhook-timestamp": str(int(headers["webhook-timestamp"]) - 600)},
        ),
    ],
    ids=["amount", "id", "old"],
)
def test_the_documented_verification_refuses_a_forgery(name, forge, delivery, monkeypatch):
    verify = example(name, monkeypatch)
    body, headers = forge(*delivery)
    with pytest.raises(Exception):  # noqa: B017  (each example raises its own type)
        verify(body, headers)
