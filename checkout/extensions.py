"""Extension objects, created once and bound to the app in `create_app`."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
if TYPE_CHECKING:
    # mypy cannot take an attribute as a base class (python/mypy#8603); db.Model derives
    # from Base, so the models are checked against Base.
    Model = Base
else:
    Model = db.Model
csrf = CSRFProtect()
migrate = Migrate()
# Keyed by client address (after ProxyFix, the real client behind the load balancer),
# validated: malformed forwarded addresses share one bucket instead of one each.
limiter = Limiter(client_address.rate_limit_key)
