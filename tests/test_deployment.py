"""The production layout of docs/deploying.md, run for real, without containers.

nginx with deploy/nginx.conf (TLS on a high port, run as an unprivileged user) in front of
gunicorn with gunicorn.conf.py in production mode (two workers), a webhook worker beside
it, PostgreSQL migrated by `flask db upgrade`, Redis for the rate limits; a customer walks
a checkout through it all with the sandbox gateway, whose callback comes back through nginx
too, and the worker tells the merchant's server.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shutil
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import requests
from pytest_httpserver import HTTPServer
from sqlalchemy import select, text
from standardwebhooks import Webhook

from app import create_app
from checkout.extensions import db
from checkout.models import CallbackRecord, Order
from config import TestingConfig
from tests.sandbox_helpers import IFRAME_SRC
from tests.support.apps import close_app, make_app
from tests.support.checkout import checkout_data
from tests.support.gunicorn import ROOT, free_port, gunicorn, launch_environment
from tests.support.metrics import TOKEN, parse, value
from tests.support.processes import stop
from tests.support.services import required_postgres_url, required_redis_url, unavailable
from tests.support.wait import wait_for
from tests.support.webhooks import SECRET, start_worker

# Slow: nginx, gunicorn, a worker, PostgreSQL and Redis.
pytestmark = [pytest.mark.slow, pytest.mark.postgres]

NGINX_HINT = "the deployment test needs nginx (apt-get install nginx; CI installs it)"
TIMEOUT = 10
NGINX_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Layout:
    """The running layout: the public https address, gunicorn's own, and their files."""

    site: str
    app: str
    certificate: Path
    nginx_dir: Path
    app_log: Path
    worker_log: Path
    webhooks: HTTPServer
    redis_url: str
    database_url: str
    key_prefix: str


def nginx_binary() -> str:
    """Return nginx's path, skipping the test without it (failing it in CI)."""
    return (
        shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin") or unavailable(NGINX_HINT)
    )


def empty_database(url: str) -> None:
    """Leave the PostgreSQL database without any table, as before a first deploy."""
    app = make_app(url)
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
    close_app(app)


def self_signed_certificate(directory: Path) -> Path:
    """Make a certificate for 127.0.0.1 and its key in `directory`; return the certificate."""
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(directory / "shop.key"), "-out", str(directory / "shop.crt"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return directory / "shop.crt"


def nginx_site(directory: Path, https_port: int, http_port: int, upstream: str) -> str:
    """Return deploy/nginx.conf with compose's addresses and paths replaced by ours."""
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    changes = {
        "server web:8000;  # deploy: upstream": f"server {upstream};",
        "listen 80;  # deploy: http": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl;  # deploy: https": f"listen 127.0.0.1:{https_port} ssl;",
        "/etc/nginx/certs/": f"{directory}/",
        "/var/log/nginx/": f"{directory}/",
    }
    for old, new in changes.items():
        assert old in site, f"deploy/nginx.conf changed: {old!r} is gone"
        site = site.replace(old, new)
    return site


def nginx_main(directory: Path) -> str:
    """Return the top of an nginx configuration that includes the site, all paths ours."""
    return f"""
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log;
events {{ worker_connections 64; }}
http {{
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/site.conf;
}}
"""


def start_nginx(directory: Path, site: str) -> subprocess.Popen:
    """Start nginx in the foreground, as `nobody` when we are root: no privilege needed."""
    (directory / "site.conf").write_text(site)
    (directory / "nginx.conf").write_text(nginx_main(directory))
    command = [
        nginx_binary(),
        "-p", str(directory), "-c", str(directory / "nginx.conf"),
        "-e", str(directory / "error.log"), "-g", "daemon off;",
    ]  # fmt: skip
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        for path in [directory, *directory.iterdir()]:
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
        command = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                   "--clear-groups", *command]  # fmt: skip
    with (directory / "stderr.log").open("w") as log:
        return subprocess.Popen(command, stdout=log, stderr=log)


@contextmanager
def https_receiver(certificate: Path) -> Iterator[HTTPServer]:
    """The merchant's webhook endpoint over https (production wants one): answers 200 and
    keeps what it receives in its `log`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, certificate.with_suffix(".key"))
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.expect_request("/hooks", method="POST").respond_with_data("")
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


@pytest.fixture
def layout(tmp_path) -> Iterator[Layout]:
    database_url = required_postgres_url()
    redis_url = required_redis_url()
    nginx_binary()
    empty_database(database_url)
    # Outside pytest's directory, which only root may enter.
    nginx_dir = Path(tempfile.mkdtemp(prefix="checkout-nginx-"))
    nginx_dir.chmod(0o755)
    certificate = self_signed_certificate(nginx_dir)
    # Whatever happens from here on, each thing started is stopped, the last first.
    with ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, nginx_dir, ignore_errors=True)
        receiver = cleanup.enter_context(https_receiver(certificate))
        https_port, http_port, app_port = free_port(), free_port(), free_port()
        site = f"https://127.0.0.1:{https_port}"
        key_prefix = "deploy-" + secrets.token_hex(6)
        env = {
            "APP_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "GATEWAY_SECRET": secrets.token_urlsafe(24),
            "MERCHANT_ID": "superkey",
            "SITE_ID": "42",
            "PUBLIC_BASE_URL": site,
            # The demo's gateway, in production: no gateway account on this machine.
            "SANDBOX_ENABLED": "1",
            "SANDBOX_CALLBACK_BACKOFF": "0.2",
            "DATABASE_URL": database_url,
            "RATELIMIT_STORAGE_URI": redis_url,
            "RATELIMIT_KEY_PREFIX": key_prefix,
            "METRICS_TOKEN": TOKEN,
            "WEB_CONCURRENCY": "2",
            # The sandbox posts its callback to PUBLIC_BASE_URL: our certificate must be trusted.
            "REQUESTS_CA_BUNDLE": str(certificate),
            "MERCHANT_WEBHOOK_URL": receiver.url_for("/hooks"),
            "MERCHANT_WEBHOOK_SECRET": SECRET,
            "WEBHOOK_POLL_INTERVAL": "0.1",
        }
        migrated = subprocess.run(
            [sys.executable, "-m", "flask", "db", "upgrade"],
            cwd=ROOT,
            env=launch_environment(env),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert migrated.returncode == 0, migrated.stderr
        app = cleanup.enter_context(
            gunicorn(env=env, port=app_port, log_path=tmp_path / "gunicorn.log")
        )
        worker_log = tmp_path / "worker.log"
        cleanup.callback(stop, start_worker(launch_environment(env), worker_log))
        nginx = start_nginx(
            nginx_dir, nginx_site(nginx_dir, https_port, http_port, f"127.0.0.1:{app_port}")
        )
        cleanup.callback(stop, nginx)
        wait_for(
            lambda: answers_over_https(site, certificate, nginx, nginx_dir),
            20,
            "nginx did not start",
        )
        yield Layout(
            site=site,
            app=app.url,
            certificate=certificate,
            nginx_dir=nginx_dir,
            app_log=app.log_path,
            worker_log=worker_log,
            webhooks=receiver,
            redis_url=redis_url,
            database_url=database_url,
            key_prefix=key_prefix,
        )


def answers_over_https(site: str, certificate: Path, nginx: subprocess.Popen, logs: Path) -> bool:
    """Tell whether nginx answers; fail at once, with its log, if it has exited."""
    assert nginx.poll() is None, (logs / "stderr.log").read_text()
    try:
        requests.get(site + "/healthz", verify=str(certificate), timeout=TIMEOUT)
    except requests.ConnectionError:
        return False
    return True


def pay_through(layout: Layout) -> str:
    """Walk a checkout as a customer over https through nginx; return its request_id."""
    with requests.Session() as customer:
        customer.verify = str(layout.certificate)
        customer.trust_env = False  # else REQUESTS_CA_BUNDLE would win over `verify`
        # Over https Flask-WTF wants a same-origin Referer on form posts, as browsers send.
        customer.headers["Referer"] = layout.site + "/"
        form = customer.get(layout.site + "/", timeout=TIMEOUT)
        assert form.status_code == 200, form.text
        assert NGINX_ID.fullmatch(form.headers["X-Request-ID"])  # nginx's, kept by the app
        answer = customer.post(
            layout.site + "/", data=checkout_data(form.text), allow_redirects=False, timeout=TIMEOUT
        )
        assert answer.status_code == 303, answer.text
        request_id = answer.headers["Location"].removeprefix("/pay/")
        page = customer.get(f"{layout.site}/pay/{request_id}", timeout=TIMEOUT)
        form_url = IFRAME_SRC.search(page.text).group(1)
        assert form_url.startswith(layout.site + "/sandbox/")
        assert customer.get(form_url, timeout=TIMEOUT).status_code == 200
        paid = customer.post(
            form_url, data={"decision": "pay"}, allow_redirects=False, timeout=TIMEOUT
        )
        assert paid.headers["Location"] == f"{layout.site}/orders/{request_id}/success"

        def paid() -> bool:  # the callback travels sandbox → nginx → gunicorn
            status = customer.get(f"{layout.site}/orders/{request_id}/status", timeout=TIMEOUT)
            return status.json()["status"] == "paid"

        wait_for(paid, 20, layout.app_log.read_text)
        return request_id


def test_a_checkout_through_nginx_gunicorn_postgresql_and_redis(layout):
    request_id = pay_through(layout)

    # The callback came through nginx: stored with nginx's request id, in both logs.
    reader = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": layout.database_url})
    try:
        with reader.app_context():
            order = db.session.scalar(select(Order).where(Order.request_id == request_id))
            [callback] = db.session.scalars(
                select(CallbackRecord).where(CallbackRecord.order_id == order.id)
            ).all()
        assert (order.status, callback.outcome) == ("paid", "accepted")
        assert NGINX_ID.fullmatch(callback.http_request_id)
    finally:
        close_app(reader)
    access_log = (layout.nginx_dir / "access.log").read_text()
    assert f"request_id={callback.http_request_id}" in access_log
    app_lines = [
        json.loads(line) for line in layout.app_log.read_text().splitlines() if line[:1] == "{"
    ]
    [paid_line] = [
        line
        for line in app_lines
        if line["event"] == "order_state" and line.get("to_status") == "paid"
    ]
    assert paid_line["request_id"] == request_id
    assert paid_line["http_request_id"] == callback.http_request_id

    # The webhook worker told the merchant, signed as Standard Webhooks says.
    wait_for(lambda: layout.webhooks.log, 20, layout.worker_log.read_text)
    [(delivery, _)] = layout.webhooks.log
    headers = {name.lower(): value for name, value in delivery.headers.items()}
    event = Webhook(SECRET).verify(delivery.get_data(), headers)
    assert (event["type"], event["data"]["request_id"]) == ("order.paid", request_id)
    # The worker logs its attempt once the receiver has answered.
    attempt_lines = wait_for(
        lambda: logged_attempts(layout.worker_log), 20, layout.worker_log.read_text
    )
    [attempt_line] = attempt_lines
    assert attempt_line["status"] == 200 and NGINX_ID.fullmatch(attempt_line["http_request_id"])

    # The rate limit counted in Redis.
    keys = redis.Redis.from_url(layout.redis_url).keys(f"LIMITS:LIMITER/{layout.key_prefix}/*")
    assert keys

    # Ready, as the load balancer sees it; metrics only inside, with the token.
    verify = str(layout.certificate)
    ready = requests.get(layout.site + "/readyz", verify=verify, timeout=TIMEOUT)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "rate_limit_storage": "ok",
    }
    assert requests.get(layout.site + "/metrics", verify=verify, timeout=TIMEOUT).status_code == 404
    # The worker stores its attempts with their batch, a moment after logging each.
    scraped = wait_for(lambda: scrape_once_delivered(layout), 20, layout.worker_log.read_text)
    samples = parse(scraped.text)
    assert value(samples, "checkout_callbacks_total", outcome="accepted") == 1
    created = {"from_status": "created", "to_status": "pending"}
    paid = {"from_status": "pending", "to_status": "paid"}
    assert value(samples, "checkout_order_transitions_total", **created) == 1
    assert value(samples, "checkout_order_transitions_total", **paid) == 1
    assert value(samples, "checkout_order_time_to_paid_seconds_count") == 1
    assert value(samples, "checkout_gateway_obtain_token_duration_seconds_count") == 1
    posted = {"endpoint": "checkout.submit_checkout", "method": "POST", "status": "303"}
    assert value(samples, "checkout_http_requests_total", **posted) == 1
    assert value(samples, "checkout_orders_pending_past_expiry") == 0
    assert value(samples, "checkout_webhook_attempts_recent", result="delivered") == 1
    assert value(samples, "checkout_webhook_backlog") == 0
    excerpt = [
        line
        for line in scraped.text.splitlines()
        if line.startswith("checkout_") and "_bucket" not in line
    ]
    print("\n".join(excerpt))


def scrape_once_delivered(layout: Layout) -> requests.Response | None:
    """Scrape gunicorn's /metrics; None until they count a delivered webhook attempt."""
    scraped = requests.get(
        layout.app + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=TIMEOUT
    )
    assert scraped.status_code == 200
    delivered = value(parse(scraped.text), "checkout_webhook_attempts_recent", result="delivered")
    return scraped if delivered else None


def logged_attempts(worker_log: Path) -> list[dict]:
    """Return the worker's `webhook_attempt` lines logged so far."""
    lines = [json.loads(line) for line in worker_log.read_text().splitlines() if line[:1] == "{"]
    return [line for line in lines if line["event"] == "webhook_attempt"]
