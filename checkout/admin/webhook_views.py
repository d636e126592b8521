"""The back office's webhooks page: every event, its attempts, and a Resend button."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

# types-WTForms 3.2 predates SelectChoice, which WTForms 3.3 added.
from wtforms import SelectChoice, SelectField  # type: ignore[attr-defined]

from checkout.admin.views import bp, page_number
from checkout.webhooks import outbox
from checkout.webhooks import repository as stored_webhooks
from checkout.webhooks.models import DeliveryState, EventType, WebhookEvent

ANY = ""


class EventFilterForm(FlaskForm):
    """The events filter; a GET form, so its values live in shareable URLs."""

    class Meta:
        csrf = False  # reading is safe, and filtered links must work when shared

    type = SelectField(
        "Event type",
        choices=[SelectChoice(ANY, "Any type")] + [SelectChoice(item, item) for item in EventType],
    )
    state = SelectField(
        "Delivery state",
        choices=[SelectChoice(ANY, "Any state")]
        + [SelectChoice(item, item.capitalize()) for item in DeliveryState],
    )

    def to_filter(self) -> stored_webhooks.EventFilter:
        """Return the filter the valid fields describe (a field in error filters nothing)."""
        self.validate()
        event_type = None if self.type.errors else self.type.data
        state = None if self.state.errors else self.state.data
        return stored_webhooks.EventFilter(
            type=EventType(event_type) if event_type else None,
            state=DeliveryState(state) if state else None,
        )


def filter_args() -> dict[str, Any]:
    """Return the filter's query arguments, to carry into page links and back from a resend."""
    return {
        name: value for name, value in request.args.items() if name in {"type", "state"} and value
    }


@bp.get("/webhooks")
def webhooks() -> str:
    form = EventFilterForm(request.args)
    page = stored_webhooks.page_of_events(form.to_filter(), page_number())
    return render_template(
        "admin/webhooks.html",
        form=form,
        page=page,
        filter_args=filter_args(),
        resent=request.args.get("resent"),
        busy=request.args.get("busy"),
    )


@bp.post("/webhooks/<webhook_id>/resend")
def resend_webhook(webhook_id: str) -> Response:
    """Queue the event again under its webhook-id (CSRF-checked like every POST of ours).

    Answers with the events page, or with the order's page when `?back=order` says the
    button was on its timeline.
    """
    event: WebhookEvent | None
    outcome: dict[str, Any]
    try:
        event = outbox.resend(webhook_id)
        outcome = {"resent": webhook_id}
    except outbox.EventNotFound:
        abort(404, description="There is no event with this webhook-id.")
    except outbox.EventBusy:
        event, outcome = stored_webhooks.find_event(webhook_id), {"busy": webhook_id}
    if event is not None and request.args.get("back") == "order":
        return redirect(url_for("admin.order_detail", request_id=event.order.request_id), 303)
    return redirect(url_for("admin.webhooks", **outcome, **filter_args()), 303)
