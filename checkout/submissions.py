"""One rendered form, one order — for the browser session that rendered and posts it.

The form's hidden token makes a double click, a back-button resubmit or a retried POST
land on the order the first post made. Alone, it would also let anyone else who posts
that token with the same details (a form saved and posted from elsewhere, a token seen in
a proxy's log) land on that customer's payment page. So an order keeps a digest of the
token together with a random value kept in the poster's session: the same browser finds
its order again, and any other session gets an order of its own.
"""

from __future__ import annotations

import hashlib
import secrets

from flask import session

SESSION_KEY = "checkout_nonce"
NONCE_BYTES = 16


def session_nonce() -> str:
    """Return this browser session's random value, creating it on first use.

    The form page calls this too, so that the session cookie exists before the first post:
    two copies of a first post from a cookie-less browser would otherwise be two sessions.
    """
    nonce = session.get(SESSION_KEY)
    if not isinstance(nonce, str) or not nonce:
        nonce = session[SESSION_KEY] = secrets.token_urlsafe(NONCE_BYTES)
    return nonce


def submission_key(token: str) -> str:
    """Return what the order stores for a form token posted from this session (64 hex)."""
    return hashlib.sha256(f"{session_nonce()}:{token}".encode()).hexdigest()
