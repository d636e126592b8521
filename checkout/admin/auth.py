"""Who may use the back office: one merchant account from configuration, kept in the session.

The back office is off (404) unless both `ADMIN_USERNAME` and `ADMIN_PASSWORD` are set, in
every environment, so a deployment that forgot them exposes nothing. The session cookie is
checked against a version kept in the database (`AdminAccount`), so signing out revokes it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, redirect, request, session, url_for
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from checkout.admin import repository
from checkout.extensions import db
from config import ConfigError

SESSION_KEY = "admin"
# A stolen cookie stops working after a working day; people sign in again.
MAX_SESSION_SECONDS = 12 * 60 * 60
MIN_PRODUCTION_PASSWORD = 12
PUBLIC_ENDPOINTS = frozenset({"admin.login"})


def check_config(config: Mapping[str, Any]) -> None:
    """Refuse admin credentials that are half set, or too weak for production.

    :raise ConfigError: naming the setting at fault.
    """
    username, password = config.get("ADMIN_USERNAME"), config.get("ADMIN_PASSWORD")
    if bool(username) != bool(password):
        raise ConfigError("set both ADMIN_USERNAME and ADMIN_PASSWORD, or neither")
    if (
        password
        and config.get("APP_ENV") == "production"
        and len(password) < MIN_PRODUCTION_PASSWORD
    ):
        raise ConfigError(
            f"ADMIN_PASSWORD must have at least {MIN_PRODUCTION_PASSWORD} characters in production"
        )


def is_enabled() -> bool:
    """Tell whether the back office exists at all: only with credentials configured."""
    config = current_app.config
    return bool(config.get("ADMIN_USERNAME") and config.get("ADMIN_PASSWORD"))


def _digest(text: str) -> bytes:
    # Equal-length digests keep compare_digest from leaking the secret's length.
    return hashlib.sha256(text.encode("utf-8")).digest()


def check_credentials(username: str, password: str) -> bool:
    """Compare what was typed with the configured account, in constant time."""
    config = current_app.config
    user_ok = hmac.compare_digest(_digest(username), _digest(config["ADMIN_USERNAME"]))
    password_ok = hmac.compare_digest(_digest(password), _digest(config["ADMIN_PASSWORD"]))
    return user_ok & password_ok  # both compared every time: no early exit


def _fingerprint() -> str:
    """Return a value that changes with the credentials, so a new password signs everyone out."""
    config = current_app.config
    account = f"{config['ADMIN_USERNAME']}\0{config['ADMIN_PASSWORD']}".encode()
    return hmac.new(config["SECRET_KEY"].encode(), account, hashlib.sha256).hexdigest()


def _account_key() -> str:
    return hashlib.sha256(current_app.config["ADMIN_USERNAME"].encode()).hexdigest()


def _session_version() -> int | None:
    """Return the version a session must carry to be valid (None before the first sign-in)."""
    return repository.session_version(_account_key())


def _ensure_account() -> int:
    """Return the account's session version, creating its row on the very first sign-in."""
    version = _session_version()
    if version is not None:
        return version
    try:
        repository.insert_account(_account_key())
        db.session.commit()
    except IntegrityError:  # a sign-in on another worker created it first
        db.session.rollback()
    return repository.existing_session_version(_account_key())


def log_in() -> None:
    """Start a fresh admin session (nothing from before the login survives)."""
    session.clear()
    session[SESSION_KEY] = {
        "account": _fingerprint(),
        "since": int(time.time()),
        "version": _ensure_account(),
    }


def log_out() -> None:
    """End the admin session and revoke every cookie issued for the account until now."""
    repository.bump_session_version(_account_key())
    db.session.commit()
    session.pop(SESSION_KEY, None)


def is_logged_in() -> bool:
    """Tell whether this session belongs to a signed-in merchant whose login is still valid."""
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return False
    account, since, version = data.get("account"), data.get("since"), data.get("version")
    if not isinstance(account, str) or not isinstance(since, int):
        return False
    if time.time() - since > MAX_SESSION_SECONDS:
        return False
    if not hmac.compare_digest(account, _fingerprint()):
        return False
    return isinstance(version, int) and version == _session_version()


def safe_next(target: str | None) -> str:
    """Return where to go after signing in: a back-office path of ours, never another site."""
    if target and target.startswith("/admin") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("admin.orders")


def guard() -> Response | None:
    """Hide the back office when it is off; send visitors who are not signed in to the login.

    :raise 404: when no admin credentials are configured.
    """
    if not is_enabled():
        abort(404)
    if request.endpoint in PUBLIC_ENDPOINTS or is_logged_in():
        return None
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("admin.login", next=target), 303)
