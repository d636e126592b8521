"""The back office's pages: sign in and out, the orders list, its CSV, one order's story."""

from __future__ import annotations

from datetime import datetime

import structlog
from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from werkzeug.wrappers import Response

from checkout import client_address
from checkout.admin import auth, export, repository, timeline
from checkout.admin.forms import LoginForm, OrderFilterForm
from checkout.extensions import limiter
from checkout.models import Order, utcnow
from checkout.orders import get_order
from checkout.repository import MAX_PAGE
from checkout.security import no_store

log = structlog.get_logger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(auth.guard)


@bp.after_request
def keep_private(response: Response) -> Response:
    """Keep order data out of every cache and out of search engines."""
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return no_store(response)


@bp.app_template_filter("admin_time")
def admin_time(value: datetime | None, seconds: bool = False) -> str:
    """Show a stored UTC time plainly, saying it is UTC."""
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + " UTC"


@bp.route("/login", methods=["GET", "POST"])
# Slow down password guessing; the storage is shared across machines like the checkout's.
@limiter.limit(lambda: current_app.config["ADMIN_LOGIN_RATE_LIMIT"], methods=["POST"])
def login() -> Response | tuple[str, int]:
    if auth.is_logged_in():
        return redirect(url_for("admin.orders"), 303)
    form = LoginForm()
    message, status = None, 200
    if form.is_submitted():
        if not form.validate():
            message, status = "Enter your username and password.", 422
        elif auth.check_credentials(form.username.data or "", form.password.data or ""):
            auth.log_in()
            log.info("admin_login", ip=client_address.current().text)
            return redirect(auth.safe_next(request.args.get("next")), 303)
        else:
            log.warning("admin_login_refused", ip=client_address.current().text)
            message, status = "Wrong username or password.", 403
    return render_template("admin/login.html", form=form, message=message), status


@bp.post("/logout")
def logout() -> Response:
    auth.log_out()
    return redirect(url_for("admin.login"), 303)


def filter_args() -> dict[str, str]:
    """Return the filter's query arguments, to carry into page and export links."""
    return {name: value for name, value in request.args.items() if name != "page" and value}


@bp.get("/", strict_slashes=False)
def orders() -> tuple[str, int]:
    form = OrderFilterForm(request.args)
    # An invalid filter is explained by its field and ignored; the answer says so: 400.
    status = 200 if form.validate() else 400
    order_filter = form.to_filter()
    return render_template(
        "admin/orders.html",
        form=form,
        page=repository.page_of_orders(order_filter, page_number()),
        totals=repository.paid_totals(order_filter),
        filter_args=filter_args(),
    ), status


def page_number() -> int:
    """Return the page asked for in the query string (1 when none is).

    :raise 400: for anything but a whole number from 1 to MAX_PAGE.
    """
    text = request.args.get("page", "1").strip()
    # Short and ASCII before int(): Python refuses very long numbers, the database large ones.
    if text.isascii() and text.isdigit() and len(text) <= 19 and 1 <= int(text) <= MAX_PAGE:
        return int(text)
    abort(400, description=f"The page must be a whole number from 1 to {MAX_PAGE}.")


@bp.get("/orders.csv")
def export_csv() -> Response:
    form = OrderFilterForm(request.args)
    if not form.validate():
        # An export of other orders than asked for would be worse than none.
        problems = "; ".join(
            f"{form[name].label.text}: {' '.join(errors)}" for name, errors in form.errors.items()
        )
        abort(400, description=f"The filters are not valid — {problems}")
    lines = export.iter_csv(repository.iter_orders(form.to_filter()))
    filename = f"orders-{utcnow():%Y%m%d-%H%M%S}.csv"
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def order_or_404(request_id: str) -> Order:
    """Return the order or answer 404."""
    order = get_order(request_id)
    if order is None:
        abort(404, description="There is no order with this request_id.")
    return order


@bp.get("/orders/<request_id:request_id>")
def order_detail(request_id: str) -> str:
    order = order_or_404(request_id)
    return render_template("admin/order.html", order=order, entries=timeline.order_timeline(order))
