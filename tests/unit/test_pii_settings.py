"""Previous PII encryption keys come from the environment (or a file) and only open."""

from __future__ import annotations

import base64

import pytest

from schema.http_edge.deps import pii_protector
from schema.http_edge.settings import SettingsError, load_settings
from schema.pii import PiiProtector
from tests.support.settings import test_environ

HMAC, OLDER, OLD, NEW = (bytes([b]) * 32 for b in (1, 5, 6, 7))


def _b64(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


def _sealed_with(key: bytes) -> str:
    return PiiProtector(hmac_key=HMAC, encryption_key=key).seal_mobile("13812341234")


def test_previous_keys_from_the_environment_open_but_never_seal(tmp_path) -> None:
    settings = load_settings(
        test_environ(
            database_url="sqlite://:memory:",
            data_dir=str(tmp_path),
            ECERT_PII_ENCRYPTION_KEY=_b64(NEW),
            ECERT_PII_PREVIOUS_ENCRYPTION_KEYS=f"{_b64(OLD)}, {_b64(OLDER)}",
        )
    )
    pii = pii_protector(settings)
    assert [pii.open_mobile(_sealed_with(k)) for k in (OLD, OLDER)] == ["13812341234"] * 2
    assert pii.current_kid == PiiProtector(hmac_key=HMAC, encryption_key=NEW).current_kid
    assert "Secret('********')" in repr(settings)  # never printed


def test_previous_keys_from_a_file_one_per_line(tmp_path) -> None:
    keys = tmp_path / "previous"
    keys.write_text(f"{_b64(OLD)}\n{_b64(OLDER)}\n", encoding="utf-8")
    settings = load_settings(
        test_environ(
            database_url="sqlite://:memory:",
            data_dir=str(tmp_path),
            ECERT_PII_PREVIOUS_ENCRYPTION_KEYS_FILE=str(keys),
        )
    )
    assert len(settings.pii_previous_encryption_keys) == 2
    assert pii_protector(settings).open_mobile(_sealed_with(OLDER)) == "13812341234"


def test_no_previous_keys_by_default(tmp_path) -> None:
    settings = load_settings(test_environ(database_url="sqlite://:memory:", data_dir=str(tmp_path)))
    assert settings.pii_previous_encryption_keys == ()


def test_a_previous_key_of_the_wrong_length_is_refused(tmp_path) -> None:
    with pytest.raises(SettingsError, match="ECERT_PII_PREVIOUS_ENCRYPTION_KEYS must decode"):
        load_settings(
            test_environ(
                database_url="sqlite://:memory:",
                data_dir=str(tmp_path),
                ECERT_PII_PREVIOUS_ENCRYPTION_KEYS=_b64(b"short"),
            )
        )
