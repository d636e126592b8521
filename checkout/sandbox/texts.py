"""The hosted form's words in the gateway's languages: EN and RU in full, others in EN.

Each language is a flat dict; `method.<code>`, `hint.<code>`, `bank.<app>` and
`steps.<app>` keys cover every method and bank app of the catalogue (a test checks it).
"""

from __future__ import annotations

from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from checkout.catalogue import LANGUAGES_BY_CODE

Texts = dict[str, str | list[str]]

EN: Texts = {
    "title": "Payment",
    "secure": "Secure payment",
    "marker": "SANDBOX — no real money",
    "marker_detail": "A test gateway built into this demo. Nothing is charged.",
    "merchant": "Merchant",
    "order": "Order",
    "amount": "Amount to pay",
    "choose_method": "Choose a payment method",
    "method": "Payment method",
    "change_method": "Change method",
    "choose_bank_app": "Which bank app will you pay from?",
    "continue": "Continue",
    "pay": "Pay",
    "pay_transfer": "I have made the transfer",
    "decline": "Decline",
    "steps_title": "How to pay",
    "recipient_card": "Recipient card",
    "exact_amount": "Transfer exactly",
    "no_method": "Choose a payment method first.",
    "no_bank_app": "Choose your bank app first.",
    "bad_decision": "Press Pay or Decline.",
    "scenario": "Test scenario",
    "scenario_hint": "Sandbox only: what the gateway does after Pay. The amount picks one too.",
    "scenario.paid": "Paid",
    "scenario.declined": "Declined",
    "scenario.delayed": "Paid, callback delayed",
    "scenario.delivered_3_times": "Paid, callback delivered 3 times",
    "scenario.lost": "Paid, callback lost (the order expires)",
    "scenario.failure_after_success": "Paid, then a failure reported",
    "scenario.amount_mismatch": "Paid, callback with another amount",
    "scenario.bad_signature": "Paid, callback with a bad signature",
    "bad_scenario": "Choose one of the test scenarios.",
    "unknown_key_title": "Payment link not found",
    "unknown_key": (
        "This payment link is not valid. Go back to the shop and start the payment again."
    ),
    "used_key_title": "This payment link has already been used",
    "state.paid": "The payment was made.",
    "state.declined": "The payment was declined.",
    "state.expired": "The payment expired.",
    "close_window": "You can close this window.",
    "back_to_shop": "Return to the shop",
    "footer": "Cactusgino test gateway. Card details are never asked for here.",
    "method.sbp": "SBP (Faster Payments)",
    "method.card": "Bank card",
    "method.qiwi": "QIWI Wallet",
    "method.cash": "Cash",
    "method.mobile": "Mobile payment",
    "method.binance": "Binance Pay",
    "method.MTSPay": "MTS Pay",
    "method.WalletM10": "M10 wallet",
    "method.Emanat": "e-Manat",
    "method.wise": "Wise",
    "method.skrill": "Skrill",
    "method.cis_transfer": "Bank transfer (CIS)",
    "method.cis_transfer_card": "Card transfer (CIS)",
    "method.localbanks": "Local banks",
    "method.papara": "Papara",
    "method.Tbank_card": "T-Bank card",
    "method.PIX": "PIX",
    "hint.sbp": "Scan the QR code in your bank's app to pay through SBP.",
    "hint.card": "Visa, Mastercard or Mir. Your bank may ask you to confirm with a code.",
    "hint.qiwi": "Confirm the payment in your QIWI Wallet.",
    "hint.cash": "Pay at a payment kiosk with the code you will be given.",
    "hint.mobile": "The amount is charged to your mobile phone balance.",
    "hint.binance": "Confirm the payment in the Binance app.",
    "hint.MTSPay": "Confirm the payment in the MTS Pay app.",
    "hint.WalletM10": "Confirm the payment in the M10 app with your phone number.",
    "hint.Emanat": "Pay at an e-Manat terminal or in the e-Manat app.",
    "hint.wise": "Confirm the payment in your Wise account.",
    "hint.skrill": "Sign in to Skrill to confirm the payment.",
    "hint.cis_transfer": "Transfer the amount from your bank app to the account we show you.",
    "hint.cis_transfer_card": "Transfer the amount from your bank app to the card we show you.",
    "hint.localbanks": "Pay through your bank's online banking.",
    "hint.papara": "Confirm the payment in the Papara app.",
    "hint.Tbank_card": "Pay with your T-Bank card and confirm in the T-Bank app.",
    "hint.PIX": "Scan the PIX QR code in your bank's app.",
    "bank.sberbank": "Sberbank",
    "bank.tbank": "T-Bank",
    "steps.sberbank": [
        "Open the SberBank Online app and sign in.",
        "Tap Payments → Transfer → By card number.",
        "Enter the recipient card below and exactly the amount shown.",
        "Confirm with the code from the SMS, then press “I have made the transfer” here.",
    ],
    "steps.tbank": [
        "Open the T-Bank app and sign in.",
        "Tap Payments → Transfer by card number.",
        "Enter the recipient card below and exactly the amount shown.",
        "Confirm the transfer in the T-Bank app, then press “I have made the transfer” here.",
    ],
}

RU: Texts = {
    "title": "Оплата",
    "secure": "Безопасная оплата",
    "marker": "ПЕСОЧНИЦА — без реальных денег",
    "marker_detail": "Тестовый шлюз, встроенный в это демо. Деньги не списываются.",
    "merchant": "Продавец",
    "order": "Заказ",
    "amount": "Сумма к оплате",
    "choose_method": "Выберите способ оплаты",
    "method": "Способ оплаты",
    "change_method": "Сменить способ",
    "choose_bank_app": "Из приложения какого банка вы будете платить?",
    "continue": "Продолжить",
    "pay": "Оплатить",
    "pay_transfer": "Я перевёл(а) деньги",
    "decline": "Отказаться",
    "steps_title": "Как оплатить",
    "recipient_card": "Карта получателя",
    "exact_amount": "Переведите ровно",
    "no_method": "Сначала выберите способ оплаты.",
    "no_bank_app": "Сначала выберите приложение банка.",
    "bad_decision": "Нажмите «Оплатить» или «Отказаться».",
    "scenario": "Тестовый сценарий",
    "scenario_hint": "Только в песочнице: что шлюз сделает после оплаты. Его выбирает и сумма.",
    "scenario.paid": "Оплачено",
    "scenario.declined": "Отклонено",
    "scenario.delayed": "Оплачено, уведомление с задержкой",
    "scenario.delivered_3_times": "Оплачено, уведомление трижды",
    "scenario.lost": "Оплачено, уведомление потеряно (заказ истечёт)",
    "scenario.failure_after_success": "Оплачено, затем сообщение о неудаче",
    "scenario.amount_mismatch": "Оплачено, уведомление с другой суммой",
    "scenario.bad_signature": "Оплачено, уведомление с неверной подписью",
    "bad_scenario": "Выберите один из тестовых сценариев.",
    "unknown_key_title": "Ссылка на оплату не найдена",
    "unknown_key": (
        "Эта ссылка на оплату недействительна. Вернитесь в магазин и начните оплату заново."
    ),
    "used_key_title": "Эта ссылка на оплату уже использована",
    "state.paid": "Оплата проведена.",
    "state.declined": "Оплата отклонена.",
    "state.expired": "Срок оплаты истёк.",
    "close_window": "Это окно можно закрыть.",
    "back_to_shop": "Вернуться в магазин",
    "footer": "Тестовый шлюз Cactusgino. Данные карты здесь никогда не запрашиваются.",
    "method.sbp": "СБП (Система быстрых платежей)",
    "method.card": "Банковская карта",
    "method.qiwi": "QIWI Кошелёк",
    "method.cash": "Наличные",
    "method.mobile": "Мобильный платёж",
    "method.binance": "Binance Pay",
    "method.MTSPay": "MTS Pay",
    "method.WalletM10": "Кошелёк M10",
    "method.Emanat": "e-Manat",
    "method.wise": "Wise",
    "method.skrill": "Skrill",
    "method.cis_transfer": "Банковский перевод (СНГ)",
    "method.cis_transfer_card": "Перевод на карту (СНГ)",
    "method.localbanks": "Местные банки",
    "method.papara": "Papara",
    "method.Tbank_card": "Карта Т-Банка",
    "method.PIX": "PIX",
    "hint.sbp": "Отсканируйте QR-код в приложении банка, чтобы оплатить через СБП.",
    "hint.card": "Visa, Mastercard или «Мир». Банк может попросить подтвердить оплату кодом.",
    "hint.qiwi": "Подтвердите платёж в QIWI Кошельке.",
    "hint.cash": "Оплатите в платёжном терминале по коду, который вы получите.",
    "hint.mobile": "Сумма спишется со счёта вашего мобильного телефона.",
    "hint.binance": "Подтвердите платёж в приложении Binance.",
    "hint.MTSPay": "Подтвердите платёж в приложении MTS Pay.",
    "hint.WalletM10": "Подтвердите платёж в приложении M10 по номеру телефона.",
    "hint.Emanat": "Оплатите в терминале e-Manat или в приложении e-Manat.",
    "hint.wise": "Подтвердите платёж в аккаунте Wise.",
    "hint.skrill": "Войдите в Skrill, чтобы подтвердить платёж.",
    "hint.cis_transfer": "Переведите сумму из приложения банка на счёт, который мы покажем.",
    "hint.cis_transfer_card": "Переведите сумму из приложения банка на карту, которую мы покажем.",
    "hint.localbanks": "Оплатите через интернет-банк вашего банка.",
    "hint.papara": "Подтвердите платёж в приложении Papara.",
    "hint.Tbank_card": "Оплатите картой Т-Банка и подтвердите платёж в приложении Т-Банка.",
    "hint.PIX": "Отсканируйте QR-код PIX в приложении банка.",
    "bank.sberbank": "СберБанк",
    "bank.tbank": "Т-Банк",
    "steps.sberbank": [
        "Откройте приложение СберБанк Онлайн и войдите.",
        "Нажмите Платежи → Перевести → По номеру карты.",
        "Введите карту получателя, указанную ниже, и ровно указанную сумму.",
        "Подтвердите перевод кодом из SMS, затем нажмите здесь «Я перевёл(а) деньги».",
    ],
    "steps.tbank": [
        "Откройте приложение Т-Банк и войдите.",
        "Нажмите Платежи → Перевод по номеру карты.",
        "Введите карту получателя, указанную ниже, и ровно указанную сумму.",
        "Подтвердите перевод в приложении Т-Банка, затем нажмите здесь «Я перевёл(а) деньги».",
    ],
}

TRANSLATIONS: dict[str, Texts] = {"EN": EN, "RU": RU}
DEFAULT = "EN"


def shown_language(language: str | None) -> str:
    """Return the gateway code the page is actually shown in: untranslated ones become EN."""
    return language if language in TRANSLATIONS else DEFAULT


def texts_for(language: str | None) -> Texts:
    """Return the words for a gateway language code; untranslated ones fall back to EN."""
    return TRANSLATIONS[shown_language(language)]


def html_lang(language: str | None) -> str:
    """Return the BCP 47 tag of the language the page is actually shown in."""
    return LANGUAGES_BY_CODE[shown_language(language)].locale


def language_from_header(accept_language: str | None) -> str:
    """Pick the page language from the browser's Accept-Language, for pages without a payment.

    The most preferred language we translate wins, by primary subtag (`en-GB, ru;q=0.5` is
    English: Werkzeug's `best_match` would prefer the exact `ru`); anything else is EN.
    """
    accepted = parse_accept_header(accept_language or "", LanguageAccept)
    by_primary = {html_lang(code): code for code in TRANSLATIONS}
    for tag, quality in accepted:
        primary = tag.replace("_", "-").split("-", 1)[0].lower()
        if quality > 0 and primary in by_primary:
            return by_primary[primary]
    return DEFAULT
