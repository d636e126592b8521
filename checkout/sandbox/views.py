"""The embedded sandbox gateway's endpoints: obtain_token and the hosted payment form."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import structlog
from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from werkzeug.routing import BaseConverter
from werkzeug.wrappers import Response

from checkout import catalogue, safe_json
from checkout.money import format_minor
from checkout.sandbox import payments, scenarios, steps, texts
from checkout.sandbox.delivery import RetryPolicy, callback_body, merchant_callback_url
from checkout.sandbox.models import SandboxPayment, SandboxState
from checkout.sandbox.scenarios import Scenario
from checkout.sandbox.texts import html_lang, language_from_header, lazy_gettext
from checkout.sandbox.validation import (
    SandboxCredentials,
    TokenRequestError,
    validate_token_request,
)

log = structlog.get_logger(__name__)

bp = Blueprint("sandbox", __name__, template_folder="templates", static_folder="static")


class KeyConverter(BaseConverter):
    """A hosted-form key as we issue them (URL-safe base64): anything else is a plain 404."""

    regex = rf"[A-Za-z0-9_-]{{1,{payments.MAX_KEY_LENGTH}}}"


Page = tuple[str, int]
DECISIONS = {"pay": SandboxState.PAID, "decline": SandboxState.DECLINED}


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
    """Answer a merchant's token request like the gateway: a key, a redirect_url, or why not."""
    try:
        params = validate_token_request(json_body(), credentials())
        payment = payments.register(params)
    except TokenRequestError as error:
        return jsonify(error=error.message, field=error.field), error.status
    if wants_redirect(payment.params):
        return jsonify(redirect_url=hosted_form_url(payment)), 200
    return jsonify(key=payment.key), 200


def json_body() -> Any:
    """Return the request's JSON, or None when it is not sent as JSON.

    :raise TokenRequestError: for a JSON body that is invalid or too deeply nested.
    """
    if not request.is_json:
        return None
    try:
        return safe_json.loads(request.get_data())
    except safe_json.JSONInputError as error:
        raise TokenRequestError("body", str(error)) from None


def wants_redirect(params: dict[str, Any]) -> bool:
    """Tell whether the sandbox answers with redirect_url: as configured for the demo, or
    because the amount asks for that scenario."""
    config = current_app.config
    return (
        config["SANDBOX_REDIRECT"]
        or (params.get("method") or "") in config["SANDBOX_REDIRECT_METHODS"]
        or scenarios.from_amount(params["amount"]) == Scenario.REDIRECT_URL
    )


def merchant_site(payment: SandboxPayment) -> str:
    """Return a URL on the merchant's site as the customer's browser reaches it.

    Our server may have called the sandbox on its loopback port, so the request's own
    host is only the last resort.
    """
    params = payment.params
    return (
        params.get("success_url")
        or params.get("fail_url")
        or current_app.config["PUBLIC_BASE_URL"]
        or request.host_url
    )


def hosted_form_url(payment: SandboxPayment) -> str:
    """Return the public URL of a payment's hosted form (the sandbox lives on our site)."""
    parts = urlsplit(merchant_site(payment))
    return f"{parts.scheme}://{parts.netloc}" + url_for("sandbox.hosted_form", key=payment.key)


@bp.get("/api/jsapi/open/<sandbox_key:key>/")
def hosted_form(key: str) -> Page:
    """Show the hosted form at the customer's step, or say why this key opens nothing."""
    payment = payments.find(key)
    if payment is None:
        return unknown_key()
    if not payment.is_open:
        return used_key(payment)
    choice = steps.resolve(payment.params, request.args)
    return render_form(payment, choice, 422 if choice.error else 200)


@bp.post("/api/jsapi/open/<sandbox_key:key>/")
def decide(key: str) -> Response | Page:
    """Take the customer's Pay or Decline once, report it to the merchant, send them back."""
    payment = payments.find(key)
    if payment is None:
        return unknown_key()
    if not payment.is_open:
        return leave(payment)
    choice = steps.resolve(payment.params, request.form)
    state = DECISIONS.get(request.form.get("decision", ""))
    if state is None:
        return render_form(payment, replace(choice, error="bad_decision"), 400)
    scenario = Scenario.DECLINED
    if state == SandboxState.PAID:
        choice = steps.require_complete(choice)
        if choice.error:
            return render_form(payment, choice, 422)
        picked = scenarios.chosen(request.form.get("scenario"), payment.params["amount"])
        if picked is None:
            return render_form(payment, replace(choice, error="bad_scenario"), 400)
        scenario = picked
    plan = scenario_plan(payment, scenario, choice.method)
    # One decision per key, even if Pay is pressed twice or in two tabs: only the request
    # that closed the payment sends the callbacks.
    if payments.close(payment, plan.state):
        send_callbacks(payment, scenario, plan)
    return leave(payment)


def render_form(payment: SandboxPayment, choice: steps.Choice, status: int = 200) -> Page:
    """Render the hosted form at the customer's current step."""
    params = payment.params
    return page(
        "sandbox/form.html",
        payment.language,
        status,
        payment=payment,
        params=params,
        choice=choice,
        Step=steps.Step,
        amount=format_minor(params["amount"], params["currency"], html_lang(payment.language)),
        methods=catalogue.METHODS,
        bank_apps=tuple(catalogue.BankApp),
        scenarios=scenarios.ON_THE_FORM,
        amount_scenario=scenarios.from_amount(params["amount"]),
        scenario_delay=f"{current_app.config['SANDBOX_SCENARIO_DELAY']:g}",
    )


def leave(payment: SandboxPayment) -> Response | Page:
    """Send the customer's top window to the merchant's page for the payment's outcome."""
    url = payment.return_url
    if url:
        return redirect(url, 303)
    return page(
        "sandbox/message.html",
        payment.language,
        200,
        heading=texts.STATES[payment.state],
        message=lazy_gettext("You can close this window."),
    )


def unknown_key() -> Page:
    """Answer 404 for a key the sandbox never issued, in the browser's language."""
    language = request.args.get("lang") or language_from_header(
        request.headers.get("Accept-Language")
    )
    return page(
        "sandbox/message.html",
        language,
        404,
        heading=lazy_gettext("Payment link not found"),
        message=lazy_gettext(
            "This payment link is not valid. Go back to the shop and start the payment again."
        ),
    )


def used_key(payment: SandboxPayment) -> Page:
    """Answer 410 for a payment already decided, saying how it ended, in its language."""
    return page(
        "sandbox/message.html",
        payment.language,
        410,
        heading=lazy_gettext("This payment link has already been used"),
        message=texts.STATES[payment.state],
        return_url=payment.return_url,
    )


def page(template: str, language: str | None, status: int, **context: Any) -> Page:
    """Render a sandbox page in the payment's language (EN when it has no translation)."""
    with texts.speaking(language):
        html = render_template(
            template,
            # The sandbox's own domain, not the checkout's `_`.
            _=texts.gettext,
            texts=texts,
            lang=html_lang(language),
            **context,
        )
    return html, status


def scenario_plan(
    payment: SandboxPayment, scenario: Scenario, method: catalogue.Method | None
) -> scenarios.Plan:
    """Return what the gateway does after the customer's decision, in this test scenario."""
    config = current_app.config
    status = "fail" if scenario == Scenario.DECLINED else "success"
    return scenarios.plan(
        scenario,
        callback_body(payment.params, status, method=method.code if method else None),
        secret=config["GATEWAY_SECRET"],
        scheme=config["GATEWAY_SIGNATURE_SCHEME"],
        delay=config["SANDBOX_SCENARIO_DELAY"],
    )


def send_callbacks(payment: SandboxPayment, scenario: Scenario, plan: scenarios.Plan) -> None:
    """Deliver the signed callbacks of a decided payment in the background."""
    config = current_app.config
    url = merchant_callback_url(config, payment.params.get("success_url") or request.host_url)
    log.info(
        "sandbox_scenario",
        request_id=payment.request_id,
        scenario=str(scenario),
        callbacks=len(plan.sends),
    )
    if plan.sends:
        current_app.extensions["sandbox"].deliveries.start(
            url, plan.sends, RetryPolicy.from_config(config)
        )
