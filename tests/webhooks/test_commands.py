"""`flask webhooks list` and `flask webhooks resend <webhook-id>`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from checkout.webhooks import outbox as webhook_outbox
from tests.support.callbacks import callback_for
from tests.support.fake_gateway import Reply, fake_gateway
from tests.support.orders import make_order
from tests.support.webhooks import deliver_due, outbox, webhook_settings


@pytest.fixture
def app_overrides() -> dict:
    return webhook_settings(WEBHOOK_RETRY_DELAYS=[])


def paid_and_failed(app, client) -> tuple[str, str]:
    """Pay one order and fail another; return their request_ids."""
    with app.app_context():
        paid, failed = make_order(), make_order()
    client.post("/callback", json=callback_for(app, paid))
    client.post("/callback", json=callback_for(app, failed, status="fail"))
    return paid.request_id, failed.request_id


def test_list_shows_events_newest_first_and_filters(app, client, runner):
    paid, failed = paid_and_failed(app, client)

    result = runner.invoke(args=["webhooks", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "order.failed" in lines[1] and failed in lines[1]
    assert "order.paid" in lines[2] and paid in lines[2]
    assert all("pending" in line for line in lines[1:])

    only_paid = runner.invoke(args=["webhooks", "list", "--type", "order.paid"]).output
    assert paid in only_paid and failed not in only_paid
    assert (
        len(runner.invoke(args=["webhooks", "list", "--state", "failed"]).output.splitlines()) == 1
    )


def test_list_shows_the_last_answer(app, client, runner):
    with fake_gateway(Reply(503)) as receiver:
        app.config["MERCHANT_WEBHOOK_URL"] = receiver.url
        paid_and_failed(app, client)
        deliver_due(app)

    result = runner.invoke(args=["webhooks", "list", "--state", "failed"])
    assert result.output.count(" 503") == 2


def test_resend_queues_the_event_again_under_its_id(app, client, runner):
    with fake_gateway(Reply(500)) as receiver:
        app.config["MERCHANT_WEBHOOK_URL"] = receiver.url
        paid_and_failed(app, client)
        deliver_due(app)
        receiver.answer(Reply(200))
        event = outbox(app)[0]
        assert event.state == "failed"

        result = runner.invoke(args=["webhooks", "resend", event.webhook_id])
        assert result.exit_code == 0, result.output
        assert f"Event {event.webhook_id} (order.paid) is queued" in result.output
        deliver_due(app)
    assert [r.headers["webhook-id"] for r in receiver.received].count(event.webhook_id) == 2
    assert outbox(app)[0].state == "delivered"


def test_resend_refuses_an_unknown_id(runner):
    result = runner.invoke(args=["webhooks", "resend", "msg_nothing"])
    assert result.exit_code == 1
    assert "No event with webhook-id 'msg_nothing'" in result.output


def test_resend_refuses_an_event_a_worker_is_delivering(app, client, runner):
    paid_and_failed(app, client)
    with app.app_context():
        [claim] = webhook_outbox.claim_next("busy-worker", timedelta(seconds=60), 1)

    result = runner.invoke(args=["webhooks", "resend", claim.webhook_id])
    assert result.exit_code == 1
    assert "being delivered right now" in result.output
