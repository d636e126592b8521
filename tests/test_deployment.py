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
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy import select, text
from standardwebhooks import Webhook

from app import create_app
from checkout.extensions import db
from checkout.models import CallbackRecord, Order
from config import TestingConfig
from tests.sandbox_helpers import IFRAME_SRC
from tests.support.apps import close_app, make_app
from tests.support.checkout import checkout_data
from tests.support.metrics import TOKEN, parse, value
from tests.support.services import required_postgres_url, required_redis_url
from tests.support.webhooks import SECRET
from tests.test_sandbox_gunicorn import FOREIGN_SETTINGS, free_port, wait_until_healthy

ROOT = Path(__file__).resolve().parent.parent
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
    webhooks: list[Delivery]
    redis_url: str
    database_url: str
    key_prefix: str


def nginx_binary() -> str:
    """Return nginx's path, skipping the test without it (failing it in CI)."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must provide nginx: " + NGINX_HINT)
        pytest.skip(NGINX_HINT)
    return found


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


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]
    body: bytes


@contextmanager
def https_receiver(certificate: Path) -> Iterator[tuple[str, list[Delivery]]]:
    """The merchant's webhook endpoint over https (production wants one): answers 200 and
    keeps what it receives."""
    received: list[Delivery] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append(Delivery({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Keep test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, certificate.with_suffix(".key"))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_port}/hooks", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


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
    # Left last: the receiver and the directory, whatever happens from here on.
    with ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, nginx_dir, ignore_errors=True)
        webhook_url, webhooks = cleanup.enter_context(https_receiver(certificate))
        https_port, http_port, app_port = free_port(), free_port(), free_port()
        site = f"https://127.0.0.1:{https_port}"
        key_prefix = "deploy-" + secrets.token_hex(6)
        env = {name: value for name, value in os.environ.items() if name not in FOREIGN_SETTINGS}
        for name in ("APP_ENV", "PUBLIC_BASE_URL", "PROMETHEUS_MULTIPROC_DIR", "LOG_FORMAT"):
            env.pop(name, None)
        env.update(
            APP_ENV="production",
            SECRET_KEY=secrets.token_urlsafe(48),
            GATEWAY_SECRET=secrets.token_urlsafe(24),
            MERCHANT_ID="superkey",
            SITE_ID="42",
            PUBLIC_BASE_URL=site,
            # The demo's gateway, in production: no gateway account on this machine.
            SANDBOX_ENABLED="1",
            SANDBOX_CALLBACK_BACKOFF="0.2",
            DATABASE_URL=database_url,
            RATELIMIT_STORAGE_URI=redis_url,
            RATELIMIT_KEY_PREFIX=key_prefix,
            METRICS_TOKEN=TOKEN,
            PORT=str(app_port),
            WEB_CONCURRENCY="2",
            # The sandbox posts its callback to PUBLIC_BASE_URL: our certificate must be trusted.
            REQUESTS_CA_BUNDLE=str(certificate),
            MERCHANT_WEBHOOK_URL=webhook_url,
            MERCHANT_WEBHOOK_SECRET=SECRET,
            WEBHOOK_POLL_INTERVAL="0.1",
        )
        migrated = subprocess.run(
            [sys.executable, "-m", "flask", "db", "upgrade"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert migrated.returncode == 0, migrated.stderr
        app_log = tmp_path / "gunicorn.log"
        with app_log.open("w") as log:
            gunicorn = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:create_app()"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
            )
        worker_log = tmp_path / "worker.log"
        with worker_log.open("w") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "flask", "webhooks", "worker"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
            )
        nginx = None
        try:
            wait_until_healthy(f"http://127.0.0.1:{app_port}", gunicorn, app_log)
            nginx = start_nginx(
                nginx_dir, nginx_site(nginx_dir, https_port, http_port, f"127.0.0.1:{app_port}")
            )
            deadline = time.monotonic() + 20
            while True:
                try:
                    requests.get(site + "/healthz", verify=str(certificate), timeout=TIMEOUT)
                    break
                except requests.ConnectionError:
                    assert nginx.poll() is None, (nginx_dir / "stderr.log").read_text()
                    assert time.monotonic() < deadline, "nginx did not start"
                    time.sleep(0.1)
            yield Layout(
                site=site,
                app=f"http://127.0.0.1:{app_port}",
                certificate=certificate,
                nginx_dir=nginx_dir,
                app_log=app_log,
                worker_log=worker_log,
                webhooks=webhooks,
                redis_url=redis_url,
                database_url=database_url,
                key_prefix=key_prefix,
            )
        finally:
            if nginx is not None:
                stop(nginx)
            stop(worker)
            stop(gunicorn)


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
        deadline = time.monotonic() + 20
        while True:  # the callback travels sandbox → nginx → gunicorn
            status = customer.get(f"{layout.site}/orders/{request_id}/status", timeout=TIMEOUT)
            if status.json()["status"] == "paid":
                return request_id
            assert time.monotonic() < deadline, layout.app_log.read_text()
            time.sleep(0.1)


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
    deadline = time.monotonic() + 20
    while not layout.webhooks:
        assert time.monotonic() < deadline, layout.worker_log.read_text()
        time.sleep(0.1)
    [delivery] = layout.webhooks
    event = Webhook(SECRET).verify(delivery.body, delivery.headers)
    assert (event["type"], event["data"]["request_id"]) == ("order.paid", request_id)
    # The worker logs its attempt once the receiver has answered and the attempt is stored.
    while not (attempt_lines := logged_attempts(layout.worker_log)):
        assert time.monotonic() < deadline, layout.worker_log.read_text()
        time.sleep(0.1)
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
    scraped = requests.get(
        layout.app + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=TIMEOUT
    )
    assert scraped.status_code == 200
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


def logged_attempts(worker_log: Path) -> list[dict]:
    """Return the worker's `webhook_attempt` lines logged so far."""
    lines = [json.loads(line) for line in worker_log.read_text().splitlines() if line[:1] == "{"]
    return [line for line in lines if line["event"] == "webhook_attempt"]
