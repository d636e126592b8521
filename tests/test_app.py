"""The application factory's plug-in step: optional plug-ins load when their package is there
and are skipped, not crashed on, when it is not."""

from __future__ import annotations

import app as app_module
import checkout
from tests.support.apps import close_app, make_app


def test_a_plugins_folder_left_without_its_package_is_skipped(tmp_path, sqlite_url, monkeypatch):
    # `git rm -r checkout/<plug-in>` leaves __pycache__ behind: a namespace package, no module.
    (tmp_path / "leftover" / "__pycache__").mkdir(parents=True)
    monkeypatch.setattr(checkout, "__path__", [*checkout.__path__, str(tmp_path)])
    monkeypatch.setattr(app_module, "OPTIONAL_PLUGINS", ("checkout.leftover", "checkout.nowhere"))
    app = make_app(sqlite_url)
    assert app.test_client().get("/healthz").status_code == 200
    close_app(app)
