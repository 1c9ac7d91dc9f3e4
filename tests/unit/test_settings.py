"""Settings from the environment: defaults, secrets hidden, production strictness."""

from __future__ import annotations

import ssl

import pytest

from schema.db import tortoise_config
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


def test_development_qr_codes_point_at_the_port_the_server_listens_on(tmp_path):
    settings = load_settings({"ECERT_DATA_DIR": str(tmp_path), "ECERT_PORT": "8123"})
    assert settings.public_base_url == "http://127.0.0.1:8123", settings.public_base_url


def test_a_server_on_every_interface_still_gets_a_reachable_qr_origin(tmp_path):
    env = {"ECERT_DATA_DIR": str(tmp_path), "ECERT_HOST": "0.0.0.0", "ECERT_PORT": "9000"}  # noqa: S104
    assert load_settings(env).public_base_url == "http://127.0.0.1:9000"


def test_an_origin_too_long_for_the_qr_budget_is_refused(tmp_path):
    env = {"ECERT_DATA_DIR": str(tmp_path), "ECERT_PUBLIC_BASE_URL": "https://" + "v" * 40 + ".cn"}
    with pytest.raises(SettingsError, match="ECERT_PUBLIC_BASE_URL"):
        load_settings(env)


def test_postgresql_scheme_is_accepted(tmp_path):
    url = "postgresql://ecert:s%40cret@db.internal:6432/ecert"
    settings = load_settings({"ECERT_DATA_DIR": str(tmp_path), "ECERT_DATABASE_URL": url})
    credentials = tortoise_config(settings.database_url)["connections"]["default"]["credentials"]
    assert (credentials["host"], credentials["port"], credentials["database"]) == (
        "db.internal",
        6432,
        "ecert",
    )
    assert (credentials["user"], credentials["password"]) == ("ecert", "s@cret")


@pytest.mark.parametrize(
    ("mode", "verify", "hostname"),
    [("require", ssl.CERT_NONE, False), ("verify-ca", ssl.CERT_REQUIRED, False),
     ("verify-full", ssl.CERT_REQUIRED, True)],
)  # fmt: skip
def test_libpq_sslmode_becomes_a_tls_context(mode, verify, hostname):
    config = tortoise_config(f"postgres://u@db.example/ecert?sslmode={mode}")
    context = config["connections"]["default"]["credentials"]["ssl"]
    assert isinstance(context, ssl.SSLContext), f"sslmode={mode} gave {context!r}"
    assert (context.verify_mode, context.check_hostname) == (verify, hostname)


def test_sslmode_disable_turns_tls_off_and_a_bad_mode_is_one_clear_error(tmp_path):
    config = tortoise_config("postgres://u@db.example/ecert?sslmode=disable")
    assert config["connections"]["default"]["credentials"]["ssl"] is False
    env = {"ECERT_DATA_DIR": str(tmp_path), "ECERT_DATABASE_URL": "postgres://u@h/d?sslmode=on"}
    with pytest.raises(SettingsError, match="sslmode must be one of"):
        load_settings(env)
