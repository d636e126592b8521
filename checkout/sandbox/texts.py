"""The hosted form's words in the gateway's languages: EN and RU in full, others in EN."""

from __future__ import annotations

from checkout.catalogue import LANGUAGES_BY_CODE

EN = {
    "title": "Payment",
    "marker": "SANDBOX — no real money",
    "merchant": "Merchant",
    "order": "Order",
    "amount": "Amount to pay",
    "choose_method": "Payment method",
    "method_hint": "You pay with",
    "pay": "Pay",
    "decline": "Decline",
    "unknown_key": "This payment link is not valid.",
    "used_key": "This payment has already been completed.",
    "steps_title": "How to pay by transfer",
    "bank_app": "Bank app",
    "no_method": "Choose a payment method first.",
    "hint.card": "Enter your card details on the next step.",
    "hint.sbp": "Scan the QR code in your bank's app to pay through SBP.",
    "hint.default": "You will confirm the payment with your provider.",
    "steps.sberbank": [
        "Open the Sberbank Online app.",
        "Go to Payments → Transfer to a person by card number.",
        "Enter the card number shown after you press Pay and the exact amount.",
        "Confirm the transfer with the SMS code.",
    ],
    "steps.tbank": [
        "Open the T-Bank app.",
        "Tap Payments → Transfer by card number.",
        "Enter the card number shown after you press Pay and the exact amount.",
        "Confirm the transfer in the app.",
    ],
}

RU = {
    "title": "Оплата",
    "marker": "ПЕСОЧНИЦА — без реальных денег",
    "merchant": "Продавец",
    "order": "Заказ",
    "amount": "Сумма к оплате",
    "choose_method": "Способ оплаты",
    "method_hint": "Вы платите через",
    "pay": "Оплатить",
    "decline": "Отказаться",
    "unknown_key": "Эта ссылка на оплату недействительна.",
    "used_key": "Эта оплата уже завершена.",
    "steps_title": "Как оплатить переводом",
    "bank_app": "Приложение банка",
    "no_method": "Сначала выберите способ оплаты.",
    "hint.card": "Данные карты вы введёте на следующем шаге.",
    "hint.sbp": "Отсканируйте QR-код в приложении банка, чтобы оплатить через СБП.",
    "hint.default": "Вы подтвердите платёж у своего провайдера.",
    "steps.sberbank": [
        "Откройте приложение СберБанк Онлайн.",
        "Перейдите в Платежи → Перевод по номеру карты.",
        "Введите номер карты, показанный после нажатия «Оплатить», и точную сумму.",
        "Подтвердите перевод кодом из SMS.",
    ],
    "steps.tbank": [
        "Откройте приложение Т-Банк.",
        "Нажмите Платежи → Перевод по номеру карты.",
        "Введите номер карты, показанный после нажатия «Оплатить», и точную сумму.",
        "Подтвердите перевод в приложении.",
    ],
}

TRANSLATIONS = {"EN": EN, "RU": RU}


def texts_for(language: str | None) -> dict:
    """Return the words for a gateway language code; untranslated ones fall back to EN."""
    return TRANSLATIONS.get(language or "EN", EN)


def html_lang(language: str | None) -> str:
    """Return the BCP 47 tag of the language the page is actually shown in."""
    code = language if language in TRANSLATIONS else "EN"
    return LANGUAGES_BY_CODE[code].locale
