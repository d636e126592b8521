"""The hosted form's steps: method, then bank app (transfers only), then Pay or Decline.

Each step is a plain GET form, so the page works without JavaScript; what the merchant
pre-selected in obtain_token is fixed and its step skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from checkout.catalogue import METHODS_BY_CODE, BankApp, Method

# Where the sandbox tells customers to transfer to. Not real cards: they fail the Luhn check.
RECIPIENT_CARDS = {
    BankApp.SBERBANK: "2202 2000 1234 5670",
    BankApp.TBANK: "2200 7000 1234 5671",
}


class Step(StrEnum):
    METHOD = "method"
    BANK_APP = "bank_app"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class Choice:
    """What the customer has chosen so far, whether the merchant fixed it, and what is wrong."""

    method: Method | None
    bank_app: BankApp | None
    method_fixed: bool
    error: str | None = None  # a key of `texts`

    @property
    def step(self) -> Step:
        """Return the step the customer is on: the first one still missing an answer."""
        if self.method is None:
            return Step.METHOD
        if self.method.needs_bank_app and self.bank_app is None:
            return Step.BANK_APP
        return Step.CONFIRM

    @property
    def recipient_card(self) -> str | None:
        """Return the card a transfer goes to, for the bank app's instructions."""
        return RECIPIENT_CARDS.get(self.bank_app) if self.bank_app else None


def resolve(params: Mapping[str, Any], submitted: Mapping[str, str]) -> Choice:
    """Return the customer's choice from the merchant's obtain_token and the submitted steps.

    An invalid value, or a step submitted with nothing chosen, leaves the step open with
    an error to show.
    """
    preset_method = params.get("method") or None
    method_code = preset_method or submitted.get("method") or None
    method = METHODS_BY_CODE.get(method_code or "")
    error = None
    if method is None and (method_code or submitted.get("step") == Step.METHOD):
        error = "no_method"
    bank_app = None
    if method is not None and method.needs_bank_app:
        preset_bank_app = (params.get("additional_fields") or {}).get("bank_app")
        code = preset_bank_app or submitted.get("bank_app") or None
        bank_app = BankApp(code) if code in tuple(BankApp) else None
        if bank_app is None and (code or submitted.get("step") == Step.BANK_APP):
            error = "no_bank_app"
    return Choice(method, bank_app, method_fixed=bool(preset_method), error=error)


def require_complete(choice: Choice) -> Choice:
    """Return the choice with an error when Pay was pressed before every step was answered."""
    missing = {Step.METHOD: "no_method", Step.BANK_APP: "no_bank_app"}.get(choice.step)
    return replace(choice, error=missing) if missing else choice
