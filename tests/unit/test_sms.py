"""The SMS provider setting: development logs, production never logs codes, a real gateway is
plugged in by import path, a wrong one stops the start with one clear line."""

from __future__ import annotations

import asyncio
import logging

import pytest

from schema.http_edge.deps import build_deps
from schema.http_edge.settings import SettingsError, load_settings
from schema.sms import DisabledSmsProvider, LogSmsProvider, SmsUnavailable, build_sms_provider

KEY = "A" * 43


class GatewayProvider:
    """A provider as an operator would write one (here it keeps what it would send)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, mobile: str, text: str) -> None:
        self.sent.append((mobile, text))


def make_gateway() -> GatewayProvider:
    return GatewayProvider()


def make_nothing() -> object:
    return object()


def _production(tmp_path, **extra: str) -> dict[str, str]:
    return {
        "ECERT_ENV": "production",
        "ECERT_DATA_DIR": str(tmp_path),
        "ECERT_PII_HMAC_KEY": KEY,
        "ECERT_PII_ENCRYPTION_KEY": KEY,
        "ECERT_SIGNING_PASSPHRASE": "x" * 20,
        "ECERT_PUBLIC_BASE_URL": "https://verify.example",
        **extra,
    }


def test_development_uses_the_logging_provider(tmp_path):
    settings = load_settings({"ECERT_DATA_DIR": str(tmp_path)})
    assert settings.sms_provider == "log"
    assert isinstance(build_deps(settings).sms, LogSmsProvider)


def test_production_without_a_provider_starts_but_refuses_to_send(tmp_path):
    settings = load_settings(_production(tmp_path))
    assert settings.sms_provider == "none"
    provider = build_deps(settings).sms
    assert isinstance(provider, DisabledSmsProvider)
    with pytest.raises(SmsUnavailable, match="ECERT_SMS_PROVIDER"):
        asyncio.run(provider.send("13812341234", "x"))


def test_production_refuses_the_logging_provider(tmp_path):
    with pytest.raises(SettingsError, match="ECERT_SMS_PROVIDER=log"):
        load_settings(_production(tmp_path, ECERT_SMS_PROVIDER="log"))


def test_a_real_provider_is_plugged_in_by_import_path(tmp_path):
    spec = "tests.unit.test_sms:make_gateway"
    settings = load_settings(_production(tmp_path, ECERT_SMS_PROVIDER=spec))
    provider = build_deps(settings).sms
    # (imported by its path, so its class object may be another copy of this module's)
    assert type(provider).__name__ == "GatewayProvider"
    asyncio.run(provider.send("13812341234", "验证码123456"))
    assert getattr(provider, "sent") == [("13812341234", "验证码123456")]  # noqa: B009


@pytest.mark.parametrize(
    "spec", ["sms-gateway", "no_such_module_xyz:make", "tests.unit.test_sms:missing"]
)
def test_a_wrong_provider_stops_the_start(tmp_path, spec):
    with pytest.raises(SettingsError, match="ECERT_SMS_PROVIDER"):
        load_settings({"ECERT_DATA_DIR": str(tmp_path), "ECERT_SMS_PROVIDER": spec})


def test_a_factory_returning_no_provider_is_refused():
    with pytest.raises(ValueError, match="did not return an SMS provider"):
        build_sms_provider("tests.unit.test_sms:make_nothing")


def test_the_development_provider_logs_marked_and_keeps_an_outbox(caplog):
    provider = LogSmsProvider(keep=2)
    with caplog.at_level(logging.INFO, logger="ecert.sms"):
        for n in range(3):
            asyncio.run(provider.send(f"1381234123{n}", f"验证码00000{n}"))
    assert [m.text for m in provider.outbox] == ["验证码000001", "验证码000002"]
    assert provider.last_to("13812341232") is not None
    assert provider.last_to("13812341230") is None  # fell out of the bounded outbox
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 3 and all("DEVELOPMENT SMS (not sent" in m for m in messages)
    assert "138****1232" in messages[-1] and "13812341232" not in messages[-1]
