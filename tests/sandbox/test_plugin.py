"""The sandbox as a plug-in: it offers itself as the gateway (banner included) in development,
is off in production unless asked for (then loudly), brings its settings, checks, table and
migrations, and a core that never imports it still starts when it is deleted."""

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
from checkout import gateway_config
from checkout.extensions import db
from checkout.sandbox import MIGRATIONS_DIR, SCHEMA, settings
from checkout.sandbox.models import SandboxBase
from config import Config, ConfigError, ProductionConfig, TestingConfig
from tests.support.apps import PRODUCTION_SETTINGS, close_app
from tests.support.i18n import client_in
from tests.support.logs import logged
from tests.support.unplugged import copy_without, python_files_naming

ROOT = Path(__file__).resolve().parents[2]
TABLES = {"sandbox_payments", SCHEMA.version_table}


def production(tmp_path, **overrides):
    database = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite3'}"}
    return create_app(ProductionConfig, {**PRODUCTION_SETTINGS, **database, **overrides})


def test_the_sandbox_offers_itself_as_the_gateway_on_our_site(app):
    with app.test_request_context(base_url="http://localhost:5000"):
        gateway = gateway_config.current_gateway()
        assert gateway is not None
        assert gateway.browser_base_url() == "http://localhost:5000/sandbox"
        assert gateway.api_base_url().startswith("http://127.0.0.1:")
        assert gateway_config.gateway_origin() == "'self'"


@pytest.mark.parametrize(
    ("locale", "banner"),
    [
        ("en", "Test mode — payments go to the built-in sandbox, no real money moves."),
        ("ru", "Тестовый режим — платежи уходят во встроенную песочницу"),
        ("kk", "Сынақ режимі — төлемдер кіріктірілген тест шлюзіне жіберіледі"),
    ],
)
def test_its_banner_is_on_our_pages_in_their_language(app, locale, banner):
    assert banner in client_in(app, locale).get("/").get_data(as_text=True)


def test_production_has_no_sandbox(tmp_path):
    app = production(tmp_path)
    assert "sandbox" not in app.blueprints
    assert app.test_client().get("/sandbox/api/jsapi/open/x/").status_code == 404


def test_production_runs_the_sandbox_only_when_asked_and_says_so_loudly(tmp_path, caplog):
    app = production(tmp_path, GATEWAY_BASE_URL=None, SANDBOX_ENABLED=True)
    assert "sandbox" in app.blueprints
    [warning] = [
        line for line in logged(caplog, "config_warning") if line["setting"] == "SANDBOX_ENABLED"
    ]
    assert "no money moves" in warning["reason"]


def test_the_sandbox_is_never_mounted_beside_another_gateway(tmp_path):
    assert "sandbox" not in production(tmp_path, SANDBOX_ENABLED=True).blueprints


def test_development_with_the_sandbox_off_has_no_gateway(tmp_path):
    database = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.sqlite3'}"}
    app = create_app(Config, {**database, "GATEWAY_BASE_URL": None, "SANDBOX_ENABLED": False})
    answer = app.test_client().get("/")
    assert answer.status_code == 503
    assert "No payment gateway is set" in answer.get_data(as_text=True)
    close_app(app)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("SANDBOX_CALLBACK_TRIES", -1, "SANDBOX_CALLBACK_TRIES must be a whole number, not -1"),
        ("SANDBOX_CALLBACK_BACKOFF", -1, "SANDBOX_CALLBACK_BACKOFF must be a number of seconds"),
        ("SANDBOX_SCENARIO_DELAY", float("inf"), "SANDBOX_SCENARIO_DELAY must be a number of"),
    ],
)
def test_the_sandbox_refuses_a_setting_it_cannot_work_with(app, setting, value, message):
    with pytest.raises(ConfigError, match="^" + message):
        settings.check({**app.config, setting: value})


@pytest.mark.slow  # a Python process per setting
@pytest.mark.parametrize(
    "variable", ["SANDBOX_CALLBACK_TRIES", "SANDBOX_CALLBACK_BACKOFF", "SANDBOX_SCENARIO_DELAY"]
)
def test_a_number_setting_that_is_not_a_number_is_refused_by_name(tmp_path, variable):
    environment = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.sqlite3'}",
        "SANDBOX_ENABLED": "1",
        variable: "ten",
    }
    environment.pop("GATEWAY_BASE_URL", None)
    started = subprocess.run(
        [sys.executable, "-c", "from app import create_app; create_app()"],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 1
    assert "Traceback" not in started.stderr
    assert f"Configuration error: {variable} must be" in started.stderr


def test_development_builds_the_sandboxs_table_with_its_own_migrations(tmp_path):
    database = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.sqlite3'}"}
    app = create_app(Config, {**database, "GATEWAY_BASE_URL": None})
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert TABLES | {"orders", "alembic_version"} <= tables
    close_app(app)


def sandbox_app(database_url: str):
    """Return a test app with the sandbox and none of its tables."""
    app = create_app(
        TestingConfig, {"SQLALCHEMY_DATABASE_URI": database_url, "GATEWAY_BASE_URL": None}
    )
    with app.app_context():
        SandboxBase.metadata.drop_all(db.engine)
        with db.engine.begin() as connection:
            connection.execute(text(f"DROP TABLE IF EXISTS {SCHEMA.version_table}"))
    return app


def test_the_sandboxs_migrations_build_its_table_and_nothing_else(database_url):
    app = sandbox_app(database_url)
    with app.app_context():
        before = set(inspect(db.engine).get_table_names())
        flask_migrate.upgrade(directory=MIGRATIONS_DIR)
        assert set(inspect(db.engine).get_table_names()) - before == TABLES
        with db.engine.connect() as connection:
            ours = {
                "include_name": lambda name, kind, _: (
                    kind != "table" or name in SandboxBase.metadata.tables
                )
            }
            context = MigrationContext.configure(connection, opts=ours)
            differences = compare_metadata(context, SandboxBase.metadata)
        assert differences == [], "sandbox models changed without a migration in its folder"
        flask_migrate.downgrade(directory=MIGRATIONS_DIR, revision="base")
        assert "sandbox_payments" not in inspect(db.engine).get_table_names()
    close_app(app)


def test_a_database_that_got_the_table_from_the_checkouts_migrations_keeps_it(database_url):
    """Databases migrated before the sandbox had its own migrations hold its table already."""
    app = sandbox_app(database_url)
    with app.app_context():
        SandboxBase.metadata.create_all(db.engine)
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO sandbox_payments (key, request_id, params, state, created_at) "
                    "VALUES ('k1', 'r1', '{}', 'open', CURRENT_TIMESTAMP)"
                )
            )
        flask_migrate.upgrade(directory=MIGRATIONS_DIR)
        with db.engine.connect() as connection:
            kept = connection.execute(text("SELECT key FROM sandbox_payments")).scalars().all()
            version = connection.execute(
                text(f"SELECT version_num FROM {SCHEMA.version_table}")
            ).scalar_one()
        assert kept == ["k1"]
        assert version == "5b0c3e9d7a21"
        flask_migrate.downgrade(directory=MIGRATIONS_DIR, revision="base")
    close_app(app)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/sandbox/api/jsapi/open/%00/"),
        ("POST", "/sandbox/api/jsapi/open/%00/"),
        ("GET", "/sandbox/api/jsapi/open/%C3%A9/"),
    ],
)
def test_keys_outside_their_alphabet_are_the_normal_404(client, method, path):
    response = client.open(path, method=method)
    assert response.status_code == 404
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]


def test_token_errors_are_json_whatever_the_method(client):
    response = client.get("/sandbox/api/jsapi/obtain_token/")
    assert (response.status_code, response.mimetype) == (405, "application/json")


def test_nothing_outside_the_plug_in_imports_it():
    """Only app.py names it, in its list of optional plug-ins."""
    imports = r"checkout\.sandbox|from checkout import .*\bsandbox\b"
    plugin = ("checkout/sandbox/", "tests/sandbox/")
    assert python_files_naming(imports, outside=plugin) == ["app.py"]


@pytest.mark.slow
def test_with_the_sandbox_deleted_development_starts_and_says_no_gateway_is_set(tmp_path):
    copy = copy_without(tmp_path / "without-sandbox", ("checkout/sandbox/", "tests/sandbox/"))
    environment = {
        **os.environ,
        "PYTHONPATH": str(copy),
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.sqlite3'}",
    }
    environment.pop("GATEWAY_BASE_URL", None)
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "import checkout; from app import create_app; c = create_app().test_client(); "
            "answer = c.get('/'); print(checkout.__file__); print(answer.status_code); "
            "print(answer.get_data(as_text=True))",
        ],
        cwd=copy,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = started.stdout.splitlines()
    assert lines[:2] == [str(copy / "checkout" / "__init__.py"), "503"], started.stderr[-3000:]
    assert "No payment gateway is set: set GATEWAY_BASE_URL" in started.stdout
    assert "config_warning" in started.stderr and "No payment gateway is set" in started.stderr
