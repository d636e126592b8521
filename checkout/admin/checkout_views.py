"""The back office's checkouts: the list, one checkout with its orders, a payment link by hand.

A payment link shows its URL to copy and a QR code, drawn by segno as inline SVG: the page
asks no third party for anything.
"""

from __future__ import annotations

import segno
from flask import abort, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import Text, cast, select
from werkzeug.wrappers import Response

from checkout import checkouts
from checkout.admin.checkout_forms import CheckoutFilterForm, PaymentLinkForm
from checkout.admin.views import bp
from checkout.extensions import db
from checkout.models import Checkout
from checkout.objects import checkout_url

PER_PAGE = 50


def filtered_checkouts(form: CheckoutFilterForm):
    """Return the query for the checkouts the filter describes, newest first."""
    query = select(Checkout).order_by(Checkout.id.desc())
    if form.status.data:
        query = query.where(Checkout.status == form.status.data)
    if form.login.data and not form.login.errors:
        query = query.where(Checkout.site_login.icontains(form.login.data.strip(), autoescape=True))
    if form.metadata.data and not form.metadata.errors:
        # The JSON as text: finds a key or a value, on SQLite and PostgreSQL alike.
        term = form.metadata.data.strip()
        query = query.where(cast(Checkout.meta, Text).icontains(term, autoescape=True))
    return query


@bp.get("/checkouts")
def checkouts_list() -> str:
    form = CheckoutFilterForm(request.args)
    form.validate()
    page = db.paginate(
        filtered_checkouts(form),
        page=request.args.get("page", 1, type=int),
        per_page=PER_PAGE,
        error_out=False,
    )
    filter_args = {name: value for name, value in request.args.items() if name != "page" and value}
    return render_template("admin/checkouts.html", form=form, page=page, filter_args=filter_args)


def qr_code(url: str) -> Markup:
    """Return a QR code of the URL as inline SVG."""
    svg = segno.make(url, error="m").svg_inline(scale=4, dark="#1b1f2a", light="#fff")
    # segno writes the markup, of a URL we built: nothing from outside is in it.
    return Markup(svg)


@bp.get("/checkouts/<request_id:checkout_id>")
def checkout_detail(checkout_id: str) -> str:
    checkout = checkouts.get_checkout(checkout_id)
    if checkout is None:
        abort(404, description="There is no checkout with this id.")
    url = checkout_url(checkout)
    return render_template("admin/checkout.html", checkout=checkout, url=url, qr=qr_code(url))


@bp.route("/checkouts/new", methods=["GET", "POST"])
def new_checkout() -> Response | tuple[str, int]:
    form = PaymentLinkForm()
    if form.is_submitted():
        checkout_request = form.checkout_request() if form.validate() else None
        if checkout_request is not None:
            checkout = checkouts.create_checkout(checkout_request)
            db.session.commit()
            return redirect(url_for("admin.checkout_detail", checkout_id=checkout.public_id), 303)
        return render_template("admin/checkout_new.html", form=form), 422
    return render_template("admin/checkout_new.html", form=form), 200
