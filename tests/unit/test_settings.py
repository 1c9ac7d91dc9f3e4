"""Settings from the environment: defaults, secrets hidden, production strictness."""

from __future__ import annotations

import pytest

from schema.http_edge.settings import SettingsError, load_settings


def test_development_defaults_generate_secrets_once(tmp_path):
    env = {"ECERT_DATA_DIR": str(tmp_path)}
    first, second = load_settings(env), load_settings(env)
    assert first.database_url == f"sqlite://{tmp_path / 'ecert.sqlite3'}"
    assert (first.host, first.port, first.graphiql_enabled) == ("127.0.0.1", 8000, True)
    assert first.pii_hmac_key == second.pii_hmac_key
    assert oct((tmp_path / "dev-secrets.json").stat().st_mode)[-3:] == "600"


def test_secrets_never_show_in_repr(tmp_path):
    settings = load_settings({"ECERT_DATA_DIR": str(tmp_path)})
    assert settings.pii_encryption_key.reveal().hex() not in repr(settings)


def test_production_requires_secrets(tmp_path):
    with pytest.raises(SettingsError, match="ECERT_PII_HMAC_KEY"):
        load_settings({"ECERT_ENV": "production", "ECERT_DATA_DIR": str(tmp_path)})


def test_production_requires_https_public_url(tmp_path):
    key = "A" * 43
    env = {
        "ECERT_ENV": "production",
        "ECERT_DATA_DIR": str(tmp_path),
        "ECERT_PII_HMAC_KEY": key,
        "ECERT_PII_ENCRYPTION_KEY": key,
        "ECERT_SIGNING_PASSPHRASE": "x" * 20,
        "ECERT_PUBLIC_BASE_URL": "http://verify.example",
    }
    with pytest.raises(SettingsError, match="https"):
        load_settings(env)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ECERT_PORT", "eighty"),
        ("ECERT_DATABASE_URL", "mysql://x"),
        ("ECERT_PUBLIC_BASE_URL", "verify"),
    ],
)
def test_bad_values_are_refused(tmp_path, name, value):
    with pytest.raises(SettingsError, match=name):
        load_settings({"ECERT_DATA_DIR": str(tmp_path), name: value})
