"""The demo shop as a plug-in: on in development, off in production unless asked for (then
loudly), its own tables and migrations, the webhook URL it gives development, and a core
that never imports it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from app import create_app
from checkout.demo_shop import MIGRATIONS_DIR
from checkout.demo_shop.models import ShopBase
from checkout.extensions import db
from config import Config, ProductionConfig, TestingConfig
from tests.conftest import PRODUCTION_SETTINGS, close_app
from tests.log_helpers import logged
from tests.webhook_helpers import SECRET

ROOT = Path(__file__).resolve().parents[2]
ONLY_THIS_COPY = """import sys

sys.meta_path[:] = [
    finder
    for finder in sys.meta_path
    if not getattr(finder, "__module__", "").startswith("__editable__")
]
"""
SHOP_TABLES = {"demo_shop_deposits", "demo_shop_webhooks", "demo_shop_handled_events"}
SHOP_IN_PRODUCTION = {
    **PRODUCTION_SETTINGS,
    "DEMO_SHOP_ENABLED": True,
    "MERCHANT_API_KEY": "k" * 40,
    "MERCHANT_WEBHOOK_URL": "https://shop.example/demo-shop/webhooks",
    "MERCHANT_WEBHOOK_SECRET": SECRET,
}


@pytest.fixture
def development(tmp_path, monkeypatch):
    """Build a development app (it migrates its database at start, as `make demo` does)."""
    monkeypatch.delenv("FLASK_RUN_PORT", raising=False)
    built = []

    def build(**overrides):
        database = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.sqlite3'}"}
        app = create_app(Config, {**database, "MERCHANT_WEBHOOK_URL": None, **overrides})
        built.append(app)
        return app

    yield build
    for app in built:
        worker = app.extensions.get("webhook_worker")
        if worker is not None:
            worker.stop()
        if "demo_shop" in app.extensions:
            app.extensions["demo_shop"].shutdown()
        close_app(app)


def production(tmp_path, **overrides):
    database = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite3'}"}
    return create_app(ProductionConfig, {**PRODUCTION_SETTINGS, **database, **overrides})


def test_development_serves_the_shop_on_tables_its_own_migrations_made(development):
    app = development()
    assert app.test_client().get("/demo-shop/").status_code == 200
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert SHOP_TABLES | {"demo_shop_alembic_version", "orders"} <= tables


def test_production_has_no_shop(tmp_path):
    app = production(tmp_path)
    assert "demo_shop" not in app.blueprints
    assert app.test_client().get("/demo-shop/").status_code == 404
    assert app.test_client().post("/demo-shop/webhooks").status_code == 404


def test_production_runs_the_shop_only_when_asked_and_says_so_loudly(tmp_path, caplog):
    app = production(tmp_path, **SHOP_IN_PRODUCTION)
    assert "demo_shop" in app.blueprints
    [warning] = [
        line for line in logged(caplog, "config_warning") if line["setting"] == "DEMO_SHOP_ENABLED"
    ]
    assert warning["setting"] == "DEMO_SHOP_ENABLED"
    assert "anyone can open /demo-shop/" in warning["reason"]
    assert warning["level"] == "warning"


@pytest.mark.parametrize(
    ("missing", "named"),
    [("MERCHANT_API_KEY", "MERCHANT_API_KEY"), ("MERCHANT_WEBHOOK_URL", "MERCHANT_WEBHOOK_URL")],
)
def test_production_refuses_a_shop_that_could_not_work(tmp_path, missing, named):
    with pytest.raises(SystemExit, match=f"Configuration error: DEMO_SHOP_ENABLED=1 needs {named}"):
        production(tmp_path, **{**SHOP_IN_PRODUCTION, missing: None})


def test_the_environment_turns_the_shop_on_and_off(tmp_path, monkeypatch):
    monkeypatch.setenv("DEMO_SHOP_ENABLED", "0")
    database = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite3'}"}
    assert "demo_shop" not in create_app(TestingConfig, database).blueprints
    monkeypatch.setenv("DEMO_SHOP_ENABLED", "1")
    assert "demo_shop" in create_app(TestingConfig, database).blueprints


def test_development_sends_webhooks_to_the_shop_where_flask_run_serves_it(development):
    assert development().config["MERCHANT_WEBHOOK_URL"] == (
        "http://127.0.0.1:5000/demo-shop/webhooks"
    )


def test_development_follows_flask_run_port(development, monkeypatch):
    monkeypatch.setenv("FLASK_RUN_PORT", "8123")
    assert development().config["MERCHANT_WEBHOOK_URL"] == (
        "http://127.0.0.1:8123/demo-shop/webhooks"
    )


def test_development_sends_webhooks_to_the_public_base_url(development):
    app = development(PUBLIC_BASE_URL="http://shop.lan:8000/")
    assert app.config["MERCHANT_WEBHOOK_URL"] == "http://shop.lan:8000/demo-shop/webhooks"


def test_a_configured_webhook_url_is_kept(development):
    app = development(MERCHANT_WEBHOOK_URL="https://merchant.example/hooks")
    assert app.config["MERCHANT_WEBHOOK_URL"] == "https://merchant.example/hooks"


def test_development_without_the_shop_sends_no_webhooks(development):
    assert development(DEMO_SHOP_ENABLED=False).config["MERCHANT_WEBHOOK_URL"] is None


def test_the_shops_migrations_build_its_tables_and_nothing_else(database_url):
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        ShopBase.metadata.drop_all(db.engine)
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS demo_shop_alembic_version"))
        before = set(inspect(db.engine).get_table_names())
        flask_migrate.upgrade(directory=MIGRATIONS_DIR)
        after = set(inspect(db.engine).get_table_names())
        assert after - before == SHOP_TABLES | {"demo_shop_alembic_version"}
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "include_name": lambda name, kind, _: (
                        kind != "table" or name in ShopBase.metadata.tables
                    )
                },
            )
            differences = compare_metadata(context, ShopBase.metadata)
        assert differences == [], "shop models changed without a migration in its folder"
        flask_migrate.downgrade(directory=MIGRATIONS_DIR, revision="base")
        assert not SHOP_TABLES & set(inspect(db.engine).get_table_names())
        db.session.remove()
        db.engine.dispose()


def test_nothing_outside_the_plug_in_imports_it():
    """Only app.py names it, in its list of optional plug-ins."""
    mentions = subprocess.run(
        ["git", "grep", "-l", "demo_shop", "--", "*.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    outside = [
        path
        for path in mentions
        if not path.startswith(("checkout/demo_shop/", "tests/demo_shop/"))
    ]
    assert outside == ["app.py"]


def test_the_checkout_works_with_the_plug_in_deleted(tmp_path):
    """Copy the repository without the shop and its tests; the core's own tests still pass."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    copy = tmp_path / "without-shop"
    for name in files:
        if not name or name.startswith(("checkout/demo_shop/", "tests/demo_shop/")):
            continue
        source, target = ROOT / name, copy / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    # The project is installed editable from the original: its import hook would find the
    # plug-in there. The copy's interpreters see only the copy.
    (copy / "sitecustomize.py").write_text(ONLY_THIS_COPY)
    env = {**os.environ, "PYTHONPATH": str(copy)}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-x",
            "-p",
            "no:cacheprovider",
            "tests/test_migrations.py",
            "tests/test_sandbox_end_to_end.py",
            "tests/api/test_api_checkouts.py",
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    development = subprocess.run(
        [
            sys.executable,
            "-c",
            "from app import create_app; c = create_app().test_client(); "
            "print(c.get('/').status_code, c.get('/demo-shop/').status_code)",
        ],
        cwd=copy,
        env={
            **env,
            "APP_ENV": "development",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.sqlite3'}",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert development.stdout.split()[-2:] == ["200", "404"], development.stderr[-3000:]
