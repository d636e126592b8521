"""The embedded sandbox gateway's endpoints: obtain_token and the hosted payment form."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select, update
from werkzeug.wrappers import Response

from checkout import catalogue, signing
from checkout.extensions import db
from checkout.models import utcnow
from checkout.money import format_minor
from checkout.sandbox.delivery import RetryPolicy, deliver_in_background
from checkout.sandbox.models import SandboxPayment, SandboxState
from checkout.sandbox.texts import html_lang, texts_for
from checkout.sandbox.validation import (
    SandboxCredentials,
    TokenRequestError,
    validate_token_request,
)

bp = Blueprint("sandbox", __name__, template_folder="templates", static_folder="static")


def credentials() -> SandboxCredentials:
    """Return the merchant credentials the sandbox accepts (the app's own, as configured)."""
    config = current_app.config
    return SandboxCredentials(
        merchant_id=config["MERCHANT_ID"],
        site_id=int(config["SITE_ID"]),
        secret=config["GATEWAY_SECRET"],
        scheme=config["GATEWAY_SIGNATURE_SCHEME"],
    )


@bp.post("/api/jsapi/obtain_token/")
def obtain_token() -> tuple[Response, int]:
    payload = request.get_json(silent=True)
    try:
        params = validate_token_request(payload, credentials())
    except TokenRequestError as error:
        return jsonify(error=error.message, field=error.field), error.status
    payment = db.session.scalar(
        select(SandboxPayment).where(SandboxPayment.request_id == params["request_id"])
    )
    if payment is None:
        params.pop("signature")
        payment = SandboxPayment(
            key=secrets.token_urlsafe(24), request_id=params["request_id"], params=params
        )
        db.session.add(payment)
        db.session.commit()
    if wants_redirect(payment.params.get("method")):
        return jsonify(redirect_url=hosted_form_url(payment)), 200
    return jsonify(key=payment.key), 200


def wants_redirect(method: str | None) -> bool:
    """Tell whether the sandbox answers with redirect_url, as configured for the demo."""
    config = current_app.config
    return config["SANDBOX_REDIRECT"] or (method or "") in config["SANDBOX_REDIRECT_METHODS"]


def hosted_form_url(payment: SandboxPayment) -> str:
    """Return the public URL of a payment's hosted form.

    The sandbox lives on the merchant's own site, so it is found where the merchant's
    success_url points (our server may have reached us on a loopback port).
    """
    origin = request.host_url.rstrip("/")
    success_url = payment.params.get("success_url")
    if success_url:
        parts = urlsplit(success_url)
        origin = f"{parts.scheme}://{parts.netloc}"
    return origin + url_for("sandbox.hosted_form", key=payment.key)


def payment_or_404(key: str) -> SandboxPayment:
    payment = db.session.get(SandboxPayment, key) if len(key) <= 64 else None
    if payment is None:
        abort(404, description=texts_for(request.args.get("lang"))["unknown_key"])
    return payment


@bp.get("/api/jsapi/open/<key>/")
def hosted_form(key: str) -> tuple[str, int]:
    payment = payment_or_404(key)
    params = payment.params
    language = params.get("language")
    status = 200 if payment.state == SandboxState.OPEN else 410
    return render_template(
        "sandbox/form.html",
        payment=payment,
        params=params,
        texts=texts_for(language),
        lang=html_lang(language),
        amount=format_minor(params["amount"], params["currency"], html_lang(language)),
        methods=catalogue.METHODS,
        method=catalogue.METHODS_BY_CODE.get(params.get("method") or ""),
        bank_app_labels=catalogue.BANK_APP_LABELS,
        error=None,
    ), status


@bp.post("/api/jsapi/open/<key>/")
def decide(key: str) -> Response | tuple[str, int]:
    payment = payment_or_404(key)
    params = payment.params
    paid = request.form.get("decision") == "pay"
    method = params.get("method") or request.form.get("method") or None
    if paid and method not in catalogue.METHODS_BY_CODE:
        return hosted_form(key)[0], 422
    new_state = SandboxState.PAID if paid else SandboxState.DECLINED
    # One decision per key, even if Pay is clicked twice or in two tabs.
    decided = (
        db.session.execute(
            update(SandboxPayment)
            .where(SandboxPayment.key == key, SandboxPayment.state == SandboxState.OPEN)
            .values(state=new_state, decided_at=utcnow())
        ).rowcount
        == 1
    )
    db.session.commit()
    if decided:
        send_callback(params, "success" if paid else "fail", method)
    target = params.get("success_url") if paid else params.get("fail_url")
    return redirect(target or request.url, 303)


def callback_fields(
    params: dict, status: str, method: str | None, amount: int | None = None
) -> dict:
    """Return the signed callback the gateway sends about a payment."""
    fields = {
        "request_id": params["request_id"],
        "invoice_id": "sbx-" + params["request_id"],
        "status": status,
        "amount": params["amount"] if amount is None else amount,
        "currency": params["currency"],
        "method": method,
    }
    config = current_app.config
    return signing.signed(
        {name: value for name, value in fields.items() if value is not None},
        config["GATEWAY_SECRET"],
        config["GATEWAY_SIGNATURE_SCHEME"],
    )


def callback_url(params: dict) -> str:
    """Return the merchant's callback URL: configured, or `/callback` beside success_url."""
    configured = current_app.config.get("SANDBOX_CALLBACK_URL")
    if configured:
        return configured
    parts = urlsplit(params.get("success_url") or request.host_url)
    return f"{parts.scheme}://{parts.netloc}/callback"


def send_callback(params: dict, status: str, method: str | None) -> None:
    """Deliver the callback for a decided payment in the background."""
    config = current_app.config
    policy = RetryPolicy(
        tries=config["SANDBOX_CALLBACK_TRIES"], base_delay=config["SANDBOX_CALLBACK_BACKOFF"]
    )
    deliver_in_background(callback_url(params), callback_fields(params, status, method), policy)
