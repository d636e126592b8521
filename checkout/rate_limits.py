"""Rate limits on the few views that need them (the checkout's POSTs, the admin login).

Flask-Limiter checks limits twice: in the decorator of each limited view, and in an
app-wide `before_request` hook meant for app-wide limits. We set none, so the hook only
cost every other request its time — about 0.1 ms, a fifth of a status poll, paid by the
gateway's callbacks and the customers' polls above all.
"""

from __future__ import annotations

from flask import Flask

from checkout.extensions import limiter


def init_app(app: Flask) -> None:
    """Bind the limiter, leaving the limits to the views that declare them."""
    limiter.init_app(app)
    drop_app_wide_check(app)


def drop_app_wide_check(app: Flask) -> None:
    """Unregister Flask-Limiter's app-wide check (absent when RATELIMIT_ENABLED is off).

    Flask-Limiter 4 has no setting for this, so we name its hook, a private method: the
    one reach into its internals, kept here. `tests/test_rate_limits.py` fails if an
    upgrade renames the hook, rather than letting its cost come back unnoticed.
    """
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:
        hooks.remove(limiter._check_request_limit)
