"""Our pages in the customer's language: locale choice, the gateway's matching code, money.

The locale is chosen, first match wins, from `?lang=` (remembered in the session, which is
what the language switcher's links use), then the session, then the browser's
Accept-Language, then English. Blueprints that are not the customer's pages of ours say so
with `english_only`: the back office and the API (for operators and programs), and a
plug-in's pages that choose their language themselves (a gateway's speak the language it
was asked for, as a real gateway's would), so our choice is neither read nor stored there.
"""

from __future__ import annotations

import os

from babel import Locale
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import Babel, get_locale
from werkzeug.wrappers import Response

from checkout import catalogue
from checkout.money import format_minor

TRANSLATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "translations")
DEFAULT_LOCALE = "en"
SESSION_KEY = "locale"
QUERY_ARG = "lang"
EXTENSION = "english_only_blueprints"

# Our locales, built once so that choosing one per request is a dictionary lookup.
LOCALES: dict[str, Locale] = {code: Locale.parse(code) for code in ("en", "ru", "kk", "uk", "az")}
# The gateway's language code for each of our locales (en → EN, uk → UA, kk → KZ, ...).
GATEWAY_LANGUAGES: dict[str, str] = {
    language.locale: language.code for language in catalogue.LANGUAGES if language.locale in LOCALES
}
# Each language named in itself, as the switcher shows it: as on the gateway's language list,
# or as CLDR names it for a language the gateway does not speak.
LOCALE_NAMES: dict[str, str] = {
    code: next(
        (language.label for language in catalogue.LANGUAGES if language.locale == code),
        (locale.get_display_name(locale) or code).capitalize(),
    )
    for code, locale in LOCALES.items()
}

babel = Babel()


def english_only(app: Flask, blueprint: str) -> None:
    """Leave a blueprint's pages out of the locale choice: English, the session untouched."""
    app.extensions.setdefault(EXTENSION, set()).add(blueprint)


def select_locale() -> Locale:
    """Pick the locale of this request: ?lang=, then the session, then Accept-Language."""
    if not has_request_context() or request.blueprint in current_app.extensions.get(EXTENSION, ()):
        return LOCALES[DEFAULT_LOCALE]
    asked = (request.args.get(QUERY_ARG) or "").strip().lower()
    if asked in LOCALES:
        if session.get(SESSION_KEY) != asked:
            session[SESSION_KEY] = asked
        return LOCALES[asked]
    remembered = session.get(SESSION_KEY)
    if remembered in LOCALES:
        return LOCALES[remembered]
    g.locale_from_header = True
    return LOCALES[browser_locale()]


def browser_locale() -> str:
    """Return the browser's most preferred language that we speak, by its primary subtag.

    Werkzeug's `best_match` prefers an exact tag of lower quality, so `en-GB, ru;q=0.5`
    would get Russian; a British English reader wants English.
    """
    for tag, quality in request.accept_languages:
        primary = tag.replace("_", "-").split("-", 1)[0].lower()
        if quality > 0 and primary in LOCALES:
            return primary
    return DEFAULT_LOCALE


def locale_code() -> str:
    """Return the current locale's code (`en` outside a request)."""
    locale = get_locale()
    return str(locale) if locale is not None else DEFAULT_LOCALE


def gateway_language() -> str:
    """Return the gateway's code for the page's language, the form's default choice."""
    return GATEWAY_LANGUAGES.get(locale_code(), catalogue.DEFAULT_LANGUAGE)


def money(minor: int, currency: str) -> str:
    """Format minor units for the page's locale, e.g. `9000, "KZT"` → `90,00 ₸` in Kazakh."""
    return format_minor(minor, currency, locale_code())


def template_context() -> dict[str, object]:
    """Give templates the page's language and the switcher's choices."""
    return {"page_locale": locale_code(), "locale_names": LOCALE_NAMES}


def vary_on_language(response: Response) -> Response:
    """Tell caches that a page chosen by Accept-Language differs per language."""
    if g.get("locale_from_header"):
        response.vary.add("Accept-Language")
    return response


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with our locale choice and give templates the page's language."""
    babel.init_app(
        app,
        default_locale=DEFAULT_LOCALE,
        default_translation_directories=TRANSLATIONS_DIR,
        locale_selector=select_locale,
    )
    # Multi-line {% trans %} blocks become one-line messages, as `pybabel extract` sees them
    # (babel.cfg sets `trimmed` too).
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.context_processor(template_context)
    app.after_request(vary_on_language)
