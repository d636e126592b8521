"""The back office's forms: signing in, and the orders filter (read from the query string)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, PasswordField, SearchField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from checkout import catalogue
from checkout.admin.repository import OrderFilter, is_searchable
from checkout.models import OrderStatus

ANY = ""


class LoginForm(FlaskForm):
    """The merchant's username and password (CSRF-protected like every form of ours)."""

    username = StringField(
        "Username",
        validators=[InputRequired("Enter your username."), Length(max=200)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class OrderFilterForm(FlaskForm):
    """The orders list filter; a GET form, so its values live in shareable URLs."""

    class Meta:
        csrf = False  # reading is safe, and filtered links must work when shared

    q = SearchField("Search", validators=[Optional(), Length(max=64)])
    status = SelectField("Status", default=ANY)
    method = SelectField("Method", default=ANY)
    currency = SelectField("Currency", default=ANY)
    date_from = DateField("Created from (UTC)", validators=[Optional()])
    date_to = DateField("Created to (UTC)", validators=[Optional()])
    flagged = BooleanField("Flagged for review only")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]  # FlaskForm is unannotated
        self.status.choices = [(ANY, "Any status")] + [
            (status.value, status.value.capitalize()) for status in OrderStatus
        ]
        self.method.choices = [(ANY, "Any method")] + [
            (method.code, method.label) for method in catalogue.METHODS
        ]
        self.currency.choices = [(ANY, "Any currency")] + [
            (code, code) for code in current_app.config["CHECKOUT_CURRENCIES"]
        ]

    def validate_q(self, field: SearchField) -> None:
        if field.data and not is_searchable(field.data):
            raise ValidationError("The search cannot contain control characters.")

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")
        # The filter ends at the start of the next day, which must exist.
        if field.data == date.max:
            raise ValidationError(f"Choose an end date before {date.max.isoformat()}.")

    def to_filter(self) -> OrderFilter:
        """Return the filter the valid fields describe (a field in error filters nothing)."""

        def value(field: Any) -> Any:
            return None if field.errors else (field.data or None)

        date_from, date_to = value(self.date_from), value(self.date_to)
        status = value(self.status)
        return OrderFilter(
            status=OrderStatus(status) if status else None,
            method=value(self.method),
            currency=value(self.currency),
            since=start_of(date_from) if date_from else None,
            until=start_of(date_to + timedelta(days=1)) if date_to else None,
            search=value(self.q),
            flagged=bool(self.flagged.data),
        )


def start_of(day: date) -> datetime:
    """Return midnight UTC at the start of `day`, as stored (naive UTC)."""
    return datetime.combine(day, time.min)
