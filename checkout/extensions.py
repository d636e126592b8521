"""Extension objects, created once and bound to the app in `create_app`."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from checkout import client_address


class Base(DeclarativeBase):
    pass


# Objects stay readable after a commit: state changes are explicit compare-and-sets that
# refresh what they need, and reloading every attribute after each commit only costs queries.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
csrf = CSRFProtect()
migrate = Migrate()
# Keyed by client address (after ProxyFix, the real client behind the load balancer),
# validated: malformed forwarded addresses share one bucket instead of one each.
limiter = Limiter(client_address.rate_limit_key)
