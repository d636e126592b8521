"""The back office's checkouts: the list, one checkout with its orders, a payment link by hand.

A payment link shows its URL to copy and a QR code, drawn by segno as inline SVG: the page
asks no third party for anything.
"""

from __future__ import annotations

import segno
from flask import abort, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from checkout import checkouts
from checkout.admin import repository
from checkout.admin.checkout_forms import CheckoutFilterForm, PaymentLinkForm
from checkout.admin.views import bp, page_number
from checkout.objects import checkout_url


@bp.get("/checkouts")
def checkouts_list() -> str:
    form = CheckoutFilterForm(request.args)
    form.validate()
    page = repository.page_of_checkouts(form.to_filter(), page_number())
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
            checkout = checkouts.create_payment_link(checkout_request)
            return redirect(url_for("admin.checkout_detail", checkout_id=checkout.public_id), 303)
        return render_template("admin/checkout_new.html", form=form), 422
    return render_template("admin/checkout_new.html", form=form), 200
