"""The back office's webhooks: the events page, its filters, attempts, Resend, the timeline."""

from __future__ import annotations

import re

import pytest

from tests.support.admin import CREDENTIALS, PASSWORD, USERNAME
from tests.support.apps import close_app, make_app
from tests.support.callbacks import callback_for
from tests.support.checkout import CSRF_FIELD
from tests.support.fake_gateway import Reply, fake_gateway
from tests.support.orders import make_order
from tests.support.webhooks import deliver_due, outbox, webhook_settings


@pytest.fixture
def app_overrides() -> dict:
    return {**CREDENTIALS, **webhook_settings(WEBHOOK_RETRY_DELAYS=[])}


@pytest.fixture
def delivered(app, client) -> dict[str, str]:
    """A paid order whose webhook the merchant refused, and a failed one still pending."""
    with app.app_context():
        paid, failed = make_order(site_login="paula"), make_order(site_login="fred")
    client.post("/callback", json=callback_for(app, paid))
    with fake_gateway(Reply(500, body=b"merchant says no")) as receiver:
        app.config["MERCHANT_WEBHOOK_URL"] = receiver.url
        deliver_due(app)
    client.post("/callback", json=callback_for(app, failed, status="fail"))
    return {"paid": paid.request_id, "failed": failed.request_id}


def test_the_page_needs_a_signed_in_merchant(client):
    assert client.get("/admin/webhooks").status_code == 303
    assert client.post("/admin/webhooks/msg_x/resend").status_code == 303


def test_the_page_lists_events_with_their_attempts(admin, delivered):
    page = admin.get("/admin/webhooks").get_data(as_text=True)

    assert page.index("<h2>order.failed") < page.index("<h2>order.paid"), "newest first"
    assert delivered["paid"] in page and delivered["failed"] in page
    assert "HTTP 500" in page and "merchant says no" in page
    assert page.count(">Resend</button>") == 2
    assert "2</strong> events found" in page


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("type=order.paid", "paid", "failed"),
        ("type=order.failed", "failed", "paid"),
        ("state=failed", "paid", "failed"),
        ("state=pending", "failed", "paid"),
        ("state=nonsense", "paid", None),
    ],
)
def test_events_filter_by_type_and_delivery_state(admin, delivered, query, shown, hidden):
    page = admin.get(f"/admin/webhooks?{query}").get_data(as_text=True)
    assert delivered[shown] in page
    if hidden:
        assert delivered[hidden] not in page


def test_resend_queues_the_event_under_the_same_id(app, admin, delivered):
    event = next(event for event in outbox(app) if event.type == "order.paid")
    assert event.state == "failed"

    response = admin.post(f"/admin/webhooks/{event.webhook_id}/resend?state=failed")
    assert response.status_code == 303
    assert response.location == f"/admin/webhooks?resent={event.webhook_id}&state=failed"
    assert "is queued for delivery" in admin.get(response.location).get_data(as_text=True)
    [again] = [item for item in outbox(app) if item.webhook_id == event.webhook_id]
    assert (again.state, again.attempts) == ("pending", 0)


def test_resend_of_an_unknown_event_is_404(admin):
    assert admin.post("/admin/webhooks/msg_unknown/resend").status_code == 404


def test_resend_needs_the_csrf_token(sqlite_url):
    app = make_app(sqlite_url, **CREDENTIALS, **webhook_settings(), WTF_CSRF_ENABLED=True)
    try:
        with app.app_context():
            order = make_order()
        client = app.test_client()
        client.post("/callback", json=callback_for(app, order))
        login = client.get("/admin/login").get_data(as_text=True)
        token = CSRF_FIELD.search(login).group(1)
        client.post(
            "/admin/login", data={"username": USERNAME, "password": PASSWORD, "csrf_token": token}
        )
        [event] = outbox(app)
        page = client.get("/admin/webhooks").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        url = f"/admin/webhooks/{event.webhook_id}/resend"

        assert client.post(url).status_code == 400
        assert client.post(url, data={"csrf_token": token}).status_code == 303
    finally:
        close_app(app)


def test_the_order_timeline_shows_its_webhooks_and_attempts(app, admin, delivered):
    page = admin.get(f"/admin/orders/{delivered['paid']}").get_data(as_text=True)
    [event] = [item for item in outbox(app) if item.type == "order.paid"]

    assert f"Webhook order.paid written ({event.webhook_id}), failed" in page
    assert re.search(r"Webhook order\.paid sent: HTTP 500 in \d+ ms", page)
    assert "merchant says no" in page
    assert "&#34;type&#34;: &#34;order.paid&#34;" in page, "the body sent, indented"
    response = admin.post(f"/admin/webhooks/{event.webhook_id}/resend?back=order")
    assert response.location == f"/admin/orders/{delivered['paid']}"


def test_the_cli_shows_webhooks_on_the_order(app, delivered, runner):
    output = runner.invoke(args=["orders", "show", delivered["paid"]]).output
    assert "Webhook order.paid written" in output and "HTTP 500" in output
