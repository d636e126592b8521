"""Webhook settings that cannot work are refused at start-up, naming the setting."""

from __future__ import annotations

import pytest

from checkout.config_checks import ConfigError, check
from checkout.webhooks.signing import secret_bytes
from config import DEV_WEBHOOK_SECRET, TestingConfig
from tests.support.webhooks import SECRET, webhook_settings


def settings(**overrides) -> dict:
    config = {name: getattr(TestingConfig, name) for name in dir(TestingConfig) if name.isupper()}
    return {**config, **webhook_settings(), **overrides}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"MERCHANT_WEBHOOK_URL": "ftp://shop.example/hooks"}, "MERCHANT_WEBHOOK_URL"),
        ({"MERCHANT_WEBHOOK_URL": "shop.example/hooks"}, "MERCHANT_WEBHOOK_URL"),
        ({"MERCHANT_WEBHOOK_SECRET": "s3cret"}, "MERCHANT_WEBHOOK_SECRET must start with whsec_"),
        ({"MERCHANT_WEBHOOK_SECRET": "whsec_not base64!"}, "MERCHANT_WEBHOOK_SECRET must be"),
        ({"MERCHANT_WEBHOOK_SECRET": "whsec_"}, "MERCHANT_WEBHOOK_SECRET must be"),
        ({"MERCHANT_WEBHOOK_SECRET": None}, "MERCHANT_WEBHOOK_SECRET"),
        ({"WEBHOOK_RETRY_DELAYS": ["5", "soon"]}, "WEBHOOK_RETRY_DELAYS: 'soon'"),
        ({"WEBHOOK_RETRY_DELAYS": ["-5"]}, "WEBHOOK_RETRY_DELAYS"),
        ({"WEBHOOK_RETRY_DELAYS": ["nan"]}, "WEBHOOK_RETRY_DELAYS"),
        ({"WEBHOOK_TIMEOUT": 0}, "WEBHOOK_TIMEOUT"),
        ({"WEBHOOK_CONNECT_TIMEOUT": -1}, "WEBHOOK_CONNECT_TIMEOUT"),
        ({"WEBHOOK_POLL_INTERVAL": 0}, "WEBHOOK_POLL_INTERVAL"),
        ({"WEBHOOK_TIMEOUT": 60, "WEBHOOK_CLAIM_LEASE": 60}, "WEBHOOK_CLAIM_LEASE"),
        ({"WEBHOOK_CLAIM_BATCH": 0}, "WEBHOOK_CLAIM_BATCH must be a whole number from 1"),
        ({"WEBHOOK_CLAIM_BATCH": 1001}, "WEBHOOK_CLAIM_BATCH"),
        ({"WEBHOOK_CLAIM_BATCH": "many"}, "WEBHOOK_CLAIM_BATCH"),
        ({"HOUSEKEEPING_INTERVAL": 0}, "HOUSEKEEPING_INTERVAL"),
        ({"ORDERS_EXPIRE_AFTER": "half an hour"}, "ORDERS_EXPIRE_AFTER"),
        ({"ORDERS_EXPIRE_AFTER": "10s", "GATEWAY_TIMEOUT": 10.0}, "ORDERS_EXPIRE_AFTER"),
        ({"WEBHOOK_TIMEOUT": "ten"}, "WEBHOOK_TIMEOUT must be a positive number"),
        ({"WEBHOOK_CLAIM_LEASE": float("inf")}, "WEBHOOK_CLAIM_LEASE"),
        ({"HOUSEKEEPING_INTERVAL": "often"}, "HOUSEKEEPING_INTERVAL"),
    ],
)
def test_bad_webhook_settings_are_refused_by_name(overrides, message):
    with pytest.raises(ConfigError, match=message):
        check(settings(**overrides))


def test_development_signs_with_the_documented_default_secret():
    assert TestingConfig.MERCHANT_WEBHOOK_SECRET == DEV_WEBHOOK_SECRET
    assert secret_bytes(DEV_WEBHOOK_SECRET) == b"cactus-checkout-demo-webhook-key"
    check(settings(MERCHANT_WEBHOOK_SECRET=DEV_WEBHOOK_SECRET))


def test_the_default_retry_schedule_is_about_27_hours():
    from checkout.webhooks.delivery import retry_delays

    delays = retry_delays(TestingConfig.WEBHOOK_RETRY_DELAYS)
    assert delays == [5, 300, 1800, 7200, 18000, 36000, 36000]
    assert 26 * 3600 < sum(delays) < 28 * 3600


def test_good_settings_pass():
    check(settings(MERCHANT_WEBHOOK_SECRET=SECRET))
