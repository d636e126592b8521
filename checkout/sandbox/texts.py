"""The hosted form's words, through the sandbox's own Babel translation domain (`sandbox`).

The catalogues are in `checkout/sandbox/translations/` (docs/sandbox.md, "Translating"),
apart from the checkout's, so the plug-in brings its words with it. The form speaks the
gateway language the merchant asked for in obtain_token, as a real gateway's would:
EN, RU, KZ, UA and AZ are translated, the others are shown in English.

Labels that depend on a code (a method, a bank app, a scenario, a state) are lazy strings
in dictionaries keyed by that code; a test checks that they cover the catalogue.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import Domain, force_locale
from flask_babel.speaklater import LazyString  # type: ignore[import-untyped]
from markupsafe import escape
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from checkout.catalogue import LANGUAGES_BY_CODE

TRANSLATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "translations")
domain = Domain(translation_directories=TRANSLATIONS_DIR, domain="sandbox")


def gettext(string: str) -> str:
    """Translate a text of the sandbox into the current locale."""
    return str(domain.gettext(string))


class LazyText(LazyString):  # type: ignore[misc]
    """A text translated when it is shown, and escaped in pages like any other text
    (flask_babel's lazy strings declare themselves markup: a translation would not be)."""

    def __html__(self) -> str:
        return str(escape(str(self)))


def lazy_gettext(string: str) -> LazyText:
    """Return a text of the sandbox translated when it is shown (labels, constants)."""
    return LazyText(gettext, string)


# The gateway languages the form is translated into, by their locale.
TRANSLATED = ("EN", "RU", "KZ", "UA", "AZ")
DEFAULT = "EN"

# Shown on the checkout's own pages while the sandbox plays the gateway, in their language.
BANNER = lazy_gettext("Test mode — payments go to the built-in sandbox, no real money moves.")

METHODS = {
    "sbp": lazy_gettext("SBP (Faster Payments)"),
    "card": lazy_gettext("Bank card"),
    "qiwi": lazy_gettext("QIWI Wallet"),
    "cash": lazy_gettext("Cash"),
    "mobile": lazy_gettext("Mobile payment"),
    "binance": lazy_gettext("Binance Pay"),
    "MTSPay": lazy_gettext("MTS Pay"),
    "WalletM10": lazy_gettext("M10 wallet"),
    "Emanat": lazy_gettext("e-Manat"),
    "wise": lazy_gettext("Wise"),
    "skrill": lazy_gettext("Skrill"),
    "cis_transfer": lazy_gettext("Bank transfer (CIS)"),
    "cis_transfer_card": lazy_gettext("Card transfer (CIS)"),
    "localbanks": lazy_gettext("Local banks"),
    "papara": lazy_gettext("Papara"),
    "Tbank_card": lazy_gettext("T-Bank card"),
    "PIX": lazy_gettext("PIX"),
}

HINTS = {
    "sbp": lazy_gettext("Scan the QR code in your bank's app to pay through SBP."),
    "card": lazy_gettext("Visa, Mastercard or Mir. Your bank may ask you to confirm with a code."),
    "qiwi": lazy_gettext("Confirm the payment in your QIWI Wallet."),
    "cash": lazy_gettext("Pay at a payment kiosk with the code you will be given."),
    "mobile": lazy_gettext("The amount is charged to your mobile phone balance."),
    "binance": lazy_gettext("Confirm the payment in the Binance app."),
    "MTSPay": lazy_gettext("Confirm the payment in the MTS Pay app."),
    "WalletM10": lazy_gettext("Confirm the payment in the M10 app with your phone number."),
    "Emanat": lazy_gettext("Pay at an e-Manat terminal or in the e-Manat app."),
    "wise": lazy_gettext("Confirm the payment in your Wise account."),
    "skrill": lazy_gettext("Sign in to Skrill to confirm the payment."),
    "cis_transfer": lazy_gettext(
        "Transfer the amount from your bank app to the account we show you."
    ),
    "cis_transfer_card": lazy_gettext(
        "Transfer the amount from your bank app to the card we show you."
    ),
    "localbanks": lazy_gettext("Pay through your bank's online banking."),
    "papara": lazy_gettext("Confirm the payment in the Papara app."),
    "Tbank_card": lazy_gettext("Pay with your T-Bank card and confirm in the T-Bank app."),
    "PIX": lazy_gettext("Scan the PIX QR code in your bank's app."),
}

BANK_APPS = {
    "sberbank": lazy_gettext("Sberbank"),
    "tbank": lazy_gettext("T-Bank"),
}

# How to pay from each bank app, step by step.
BANK_STEPS = {
    "sberbank": [
        lazy_gettext("Open the SberBank Online app and sign in."),
        lazy_gettext("Tap Payments → Transfer → By card number."),
        lazy_gettext("Enter the recipient card below and exactly the amount shown."),
        lazy_gettext(
            "Confirm with the code from the SMS, then press “I have made the transfer” here."
        ),
    ],
    "tbank": [
        lazy_gettext("Open the T-Bank app and sign in."),
        lazy_gettext("Tap Payments → Transfer by card number."),
        lazy_gettext("Enter the recipient card below and exactly the amount shown."),
        lazy_gettext(
            "Confirm the transfer in the T-Bank app, then press “I have made the transfer” here."
        ),
    ],
}

SCENARIOS = {
    "paid": lazy_gettext("Paid"),
    "declined": lazy_gettext("Declined"),
    "delayed": lazy_gettext("Paid, callback delayed"),
    "delivered_3_times": lazy_gettext("Paid, callback delivered 3 times"),
    "lost": lazy_gettext("Paid, callback lost (the order expires)"),
    "failure_after_success": lazy_gettext("Paid, then a failure reported"),
    "amount_mismatch": lazy_gettext("Paid, callback with another amount"),
    "bad_signature": lazy_gettext("Paid, callback with a bad signature"),
}

# What went wrong on the form, by `steps.Choice.error`.
ERRORS = {
    "no_method": lazy_gettext("Choose a payment method first."),
    "no_bank_app": lazy_gettext("Choose your bank app first."),
    "bad_decision": lazy_gettext("Press Pay or Decline."),
    "bad_scenario": lazy_gettext("Choose one of the test scenarios."),
}

# How a payment ended, by `SandboxState`.
STATES = {
    "paid": lazy_gettext("The payment was made."),
    "declined": lazy_gettext("The payment was declined."),
    "expired": lazy_gettext("The payment expired."),
}


def shown_language(language: str | None) -> str:
    """Return the gateway code the page is actually shown in: untranslated ones become EN."""
    return language if language in TRANSLATED else DEFAULT


def html_lang(language: str | None) -> str:
    """Return the BCP 47 tag of the language the page is actually shown in."""
    return LANGUAGES_BY_CODE[shown_language(language)].locale


@contextmanager
def speaking(language: str | None) -> Iterator[None]:
    """Translate, within the block, into the gateway language (EN when untranslated)."""
    with force_locale(html_lang(language)):
        yield


def language_from_header(accept_language: str | None) -> str:
    """Pick the page language from the browser's Accept-Language, for pages without a payment.

    The most preferred language we translate wins, by primary subtag (`en-GB, ru;q=0.5` is
    English: Werkzeug's `best_match` would prefer the exact `ru`); anything else is EN.
    """
    accepted = parse_accept_header(accept_language or "", LanguageAccept)
    by_primary = {html_lang(code): code for code in TRANSLATED}
    for tag, quality in accepted:
        primary = tag.replace("_", "-").split("-", 1)[0].lower()
        if quality > 0 and primary in by_primary:
            return by_primary[primary]
    return DEFAULT
