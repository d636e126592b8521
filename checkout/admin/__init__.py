"""The merchant's back office at /admin: orders, their timelines and CSV exports; checkouts
and payment links; webhooks.

Self-contained: `init_app` checks the credentials and mounts the blueprint; the pages
answer 404 while no credentials are configured.
"""

from __future__ import annotations

from flask import Flask

from checkout import i18n
from checkout.admin import (  # noqa: F401  (their routes join the blueprint)
    auth,
    checkout_views,
    webhook_views,
)
from checkout.admin.views import bp


def init_app(app: Flask) -> None:
    """Refuse half-set credentials, then mount the back office."""
    auth.check_config(app.config)
    app.register_blueprint(bp)
    # For operators: English.
    i18n.english_only(app, bp.name)
