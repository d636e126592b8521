"""Without PUBLIC_BASE_URL our absolute URLs come from the Host header, so only this
machine's own names (or TRUSTED_HOSTS) are believed; any other Host gets a 400."""

from __future__ import annotations

import pytest

from checkout.extensions import db
from checkout.models import Order
from checkout.sandbox.models import SandboxPayment
from tests.support.checkout import checkout_data

FOREIGN = "evil.example"
PUBLIC = {"PUBLIC_BASE_URL": "https://shop.example"}


def submit(client, host: str):
    """Post a valid checkout as it reaches us under `host`."""
    form = client.get("/", base_url=f"http://{host}").get_data(as_text=True)
    return client.post("/", data=checkout_data(form), base_url=f"http://{host}")


def success_urls(app) -> list[str]:
    with app.app_context():
        return [payment.params["success_url"] for payment in db.session.query(SandboxPayment)]


@pytest.mark.parametrize("host", ["localhost:5000", "127.0.0.1:5000", "[::1]:5000", "localhost"])
def test_the_machines_own_names_decide_our_urls(app, client, host):
    assert submit(client, host).status_code == 303
    [url] = success_urls(app)
    assert url.startswith(f"http://{host}/orders/")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("POST", "/"), ("GET", "/orders/x"), ("POST", "/callback")],
)
def test_a_foreign_host_is_refused_with_a_400(app, client, method, path):
    response = client.open(path, method=method, base_url=f"http://{FOREIGN}", data={})
    assert response.status_code == 400
    assert f"Host '{FOREIGN}' is not trusted" in response.get_data(as_text=True)


def test_a_foreign_host_cannot_start_a_payment(app, client):
    form = client.get("/").get_data(as_text=True)
    response = client.post("/", data=checkout_data(form), base_url=f"http://{FOREIGN}")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.query(Order).count() == 0
    assert success_urls(app) == []


@pytest.mark.parametrize(
    "app_overrides",
    [{"TRUSTED_HOSTS": ["shop.lan"]}, {"TRUSTED_HOSTS": ["shop.lan"], **PUBLIC}],
)
def test_trusted_hosts_adds_names_and_restricts_even_with_a_public_base_url(app, client):
    assert submit(client, "shop.lan:5000").status_code == 303
    assert client.get("/", base_url="http://localhost").status_code == 200
    assert client.get("/", base_url=f"http://{FOREIGN}").status_code == 400


@pytest.mark.parametrize("app_overrides", [PUBLIC])
def test_with_a_public_base_url_the_host_header_decides_nothing(app, client):
    assert submit(client, FOREIGN).status_code == 303
    [url] = success_urls(app)
    assert url.startswith("https://shop.example/orders/")
