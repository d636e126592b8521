"""Test scenarios: how the sandbox behaves after Pay, so every failure can be watched end to end.

A scenario is picked on the hosted form's "test scenario" selector, which starts at the one
the amount names (docs/sandbox.md): the last two digits of the amount in minor units, so
`90.02` KZT (or `9002` of a currency without minor units) is declined. `redirect_url` is
decided earlier, by obtain_token, so only the amount can ask for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from checkout import signing
from checkout.sandbox.delivery import Send
from checkout.sandbox.models import SandboxState


class Scenario(StrEnum):
    PAID = "paid"
    DECLINED = "declined"
    DELIVERED_3_TIMES = "delivered_3_times"
    LOST = "lost"
    FAILURE_AFTER_SUCCESS = "failure_after_success"
    AMOUNT_MISMATCH = "amount_mismatch"
    BAD_SIGNATURE = "bad_signature"
    REDIRECT_URL = "redirect_url"
    DELAYED = "delayed"


# The last two digits of the amount in minor units → the scenario it asks for.
MAGIC_ENDINGS: dict[int, Scenario] = {
    1: Scenario.PAID,
    2: Scenario.DECLINED,
    3: Scenario.DELIVERED_3_TIMES,
    4: Scenario.LOST,
    5: Scenario.FAILURE_AFTER_SUCCESS,
    6: Scenario.AMOUNT_MISMATCH,
    7: Scenario.BAD_SIGNATURE,
    8: Scenario.REDIRECT_URL,
    20: Scenario.DELAYED,
}
# What the form's selector offers: redirect_url was decided before the form opened.
ON_THE_FORM = tuple(scenario for scenario in Scenario if scenario != Scenario.REDIRECT_URL)


def from_amount(amount: int) -> Scenario:
    """Return the scenario an amount in minor units asks for (PAID for ordinary amounts)."""
    return MAGIC_ENDINGS.get(amount % 100, Scenario.PAID)


def chosen(submitted: str | None, amount: int) -> Scenario | None:
    """Return the scenario picked on the form, the amount's when none was sent, or None
    for a value the selector never offers."""
    if not submitted:
        return from_amount(amount)
    try:
        scenario = Scenario(submitted)
    except ValueError:
        return None
    return scenario if scenario in ON_THE_FORM else None


@dataclass(frozen=True)
class Plan:
    """What the gateway does after Pay: the state it records and the callbacks it sends."""

    state: SandboxState
    sends: tuple[Send, ...]


def plan(
    scenario: Scenario,
    callback: Mapping[str, Any],
    *,
    secret: str,
    scheme: str,
    delay: float,
) -> Plan:
    """Return the plan of a scenario, given the unsigned success callback of the payment.

    :param delay: seconds the DELAYED scenario holds its callback (SANDBOX_SCENARIO_DELAY).
    """

    def signed(**changes: Any) -> dict[str, Any]:
        return signing.signed({**callback, **changes}, secret, scheme)

    success = signed()
    if scenario == Scenario.DECLINED:
        return Plan(SandboxState.DECLINED, (Send(signed(status="fail")),))
    if scenario == Scenario.DELAYED:
        return Plan(SandboxState.PAID, (Send(success, after=delay),))
    if scenario == Scenario.DELIVERED_3_TIMES:
        return Plan(SandboxState.PAID, (Send(success),) * 3)
    if scenario == Scenario.LOST:
        return Plan(SandboxState.PAID, ())
    if scenario == Scenario.FAILURE_AFTER_SUCCESS:
        return Plan(SandboxState.PAID, (Send(success), Send(signed(status="fail"))))
    if scenario == Scenario.AMOUNT_MISMATCH:
        amount = callback["amount"]
        # One minor unit short: the customer paid less than was asked.
        reported = amount - 1 if amount > 1 else amount + 1
        return Plan(SandboxState.PAID, (Send(signed(amount=reported)),))
    if scenario == Scenario.BAD_SIGNATURE:
        # Signed, but with a key the merchant does not hold.
        forged = signing.signed(dict(callback), "not-" + secret, scheme)
        return Plan(SandboxState.PAID, (Send(forged),))
    return Plan(SandboxState.PAID, (Send(success),))
