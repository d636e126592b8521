"""config.py: choosing the settings class by `APP_ENV`, refused with the one ConfigError."""

from __future__ import annotations

import pytest

from app import create_app
from config import CONFIGS, ConfigError, config_from_env


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_app_env_names_its_settings_class(monkeypatch, name):
    monkeypatch.setenv("APP_ENV", name)
    assert config_from_env() is CONFIGS[name]


def test_app_env_defaults_to_development(monkeypatch):
    monkeypatch.delenv("APP_ENV", raising=False)
    assert config_from_env() is CONFIGS["development"]


def test_unknown_app_env_is_a_configuration_error(monkeypatch):
    monkeypatch.setenv("APP_ENV", "staging")
    with pytest.raises(ConfigError, match="APP_ENV must be one of .* not 'staging'"):
        config_from_env()


def test_unknown_app_env_stops_the_app_like_every_bad_setting(monkeypatch):
    monkeypatch.setenv("APP_ENV", "staging")
    with pytest.raises(SystemExit, match="^Configuration error: APP_ENV must be one of"):
        create_app()
