"""The back office's server-side state: which admin sessions are still valid."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from checkout.extensions import Model


class AdminAccount(Model):
    """One configured admin account; a session is valid only while it carries this version.

    Signing out bumps the version, so every cookie issued before — a copied one too — stops
    working on every worker and machine at once. The account is keyed by a digest of its
    username, since the username comes from configuration and has no length limit.
    """

    __tablename__ = "admin_accounts"

    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_version: Mapped[int] = mapped_column(default=1)
