"""hub.settings: defaults < TOML file < HUB_* environment < explicit overrides; unsafe values refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from hub.settings import DEFAULT_SECRET, Settings, load_settings
from tests.helpers import TEST_SECRET


def write_toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(text)
    return path


def test_defaults_are_a_working_development_setup() -> None:
    settings = load_settings()
    assert settings.environment == "development"
    assert settings.secret_key == DEFAULT_SECRET
    assert settings.versions_url == "http://127.0.0.1:8080/ocpi/versions"
    assert settings.database_url.startswith("sqlite+aiosqlite://")


def test_file_then_environment_then_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_toml(tmp_path, 'port = 9000\nbusiness_name = "From file"\nparty_id = "fil"\n')
    assert load_settings(config).port == 9000
    assert load_settings(config).business_name == "From file"

    monkeypatch.setenv("HUB_PORT", "9100")
    monkeypatch.setenv("HUB_PARTY_ID", "env")
    from_env = load_settings(config)
    assert (from_env.port, from_env.party_id, from_env.business_name) == (9100, "ENV", "From file")

    overridden = load_settings(config, port=9200, party_id=None)
    assert overridden.port == 9200
    assert overridden.party_id == "ENV"  # a None override means "not given"


def test_config_file_from_hub_config_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_CONFIG", str(write_toml(tmp_path, 'business_name = "Via HUB_CONFIG"\n')))
    assert load_settings().business_name == "Via HUB_CONFIG"


def test_unknown_key_in_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no_such_setting"):
        load_settings(write_toml(tmp_path, "no_such_setting = 1\n"))


def test_production_refuses_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="HUB_SECRET_KEY"):
        Settings(environment="production")
    monkeypatch.setenv("HUB_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="HUB_SECRET_KEY"):
        load_settings()
    monkeypatch.setenv("HUB_SECRET_KEY", TEST_SECRET)
    assert load_settings().environment == "production"


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="16 characters"):
        Settings(secret_key="short")


def test_public_url_must_be_http_and_loses_its_trailing_slash() -> None:
    assert Settings(public_url="https://hub.example.com/").versions_url == "https://hub.example.com/ocpi/versions"
    with pytest.raises(ValidationError, match="public_url"):
        Settings(public_url="hub.example.com")


def test_party_identity_is_upper_cased_and_checked() -> None:
    settings = Settings(country_code="de", party_id="hbx")
    assert (settings.country_code, settings.party_id) == ("DE", "HBX")
    with pytest.raises(ValidationError):
        Settings(party_id="TOOLONG")


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.port = 1  # type: ignore[misc]
