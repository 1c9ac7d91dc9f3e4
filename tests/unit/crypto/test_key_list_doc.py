"""docs/verification-format.md §13: the worked example of the trusted key list is what the
code signs, verifies under the documented trust root, carries the §9 key with its window,
makes the §9 URL verify, and is refused once expired or under another root."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from crypto.errors import VerificationError
from crypto.key_list import (
    KeyListError,
    KeyListReason,
    TrustRoot,
    parse_trust_root,
    sign_key_list,
    trust_root_jwk,
    verify_key_list,
)
from crypto.keys import kid_for, parse_jwks, private_key_from_seed, public_key_bytes
from crypto.offline import verify_url
from tests.unit.crypto.test_crypto_format_doc import BLOCKS, DOC, _text


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _inputs() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(BLOCKS["key_list_inputs"])
    return result


def _root() -> TrustRoot:
    return parse_trust_root(json.loads(BLOCKS["trust_root_jwk"]))


def test_trust_root_jwk_is_the_documented_seeds_key() -> None:
    key = private_key_from_seed(bytes.fromhex(_inputs()["trust_root_seed"]))
    public = public_key_bytes(key)
    assert bytes.fromhex(_inputs()["trust_root_seed"]) == bytes(range(0x20, 0x40))
    assert trust_root_jwk(TrustRoot(kid_for(public), public)) == json.loads(
        BLOCKS["trust_root_jwk"]
    )


def test_key_list_jws_is_what_the_code_signs() -> None:
    inputs = _inputs()
    jws = sign_key_list(
        issuer=inputs["issuer"],
        keys=parse_jwks(json.loads(BLOCKS["jwks"])),
        issued_at=_utc(inputs["issued_at"]),
        valid_for=timedelta(seconds=inputs["valid_for_seconds"]),
        private_key=private_key_from_seed(bytes.fromhex(inputs["trust_root_seed"])),
    )
    assert jws == _text("key_list_jws")
    assert f"The key list ({len(jws)} characters" in DOC.read_text(encoding="utf-8")


def test_documented_key_list_verifies_and_lets_the_section_9_url_verify() -> None:
    issued = _utc(_inputs()["issued_at"])
    listed = verify_key_list(_text("key_list_jws"), _root(), now=issued + timedelta(days=1))
    assert listed.issuer == "https://verify.ecert.example"
    assert listed.valid_until - listed.issued_at == timedelta(days=7)
    assert listed.keys == parse_jwks(json.loads(BLOCKS["jwks"]))
    verified = verify_url(_text("url"), listed.keys)
    assert verified.kid == listed.keys[0].kid

    # At exp: expired, the answer is "must refresh", never valid.
    with pytest.raises(KeyListError) as expired:
        verify_key_list(_text("key_list_jws"), _root(), now=listed.valid_until)
    assert expired.value.reason is KeyListReason.EXPIRED


def test_another_root_or_a_changed_character_is_refused() -> None:
    jws = _text("key_list_jws")
    issued = _utc(_inputs()["issued_at"])
    other = public_key_bytes(private_key_from_seed(bytes(32)))
    with pytest.raises(KeyListError) as wrong:
        verify_key_list(jws, TrustRoot(kid_for(other), other), now=issued)
    assert wrong.value.reason is KeyListReason.WRONG_ROOT
    header, payload, signature = jws.split(".")
    i = len(payload) // 2
    tampered = f"{header}.{payload[:i]}{'A' if payload[i] != 'A' else 'B'}{payload[i + 1 :]}"
    with pytest.raises(KeyListError) as bad:
        verify_key_list(f"{tampered}.{signature}", _root(), now=issued)
    assert bad.value.reason in (KeyListReason.BAD_SIGNATURE, KeyListReason.MALFORMED)


def test_a_revoked_window_refuses_signatures_from_the_revocation_on() -> None:
    inputs = _inputs()
    (info,) = parse_jwks(json.loads(BLOCKS["jwks"]))
    signed_at = _utc(json.loads(BLOCKS["inputs"])["claims"]["signed_at"])
    revoked = type(info)(
        kid=info.kid, public_key=info.public_key, window=info.window.revoke(signed_at)
    )
    jws = sign_key_list(
        issuer=inputs["issuer"],
        keys=[revoked],
        issued_at=_utc(inputs["issued_at"]),
        valid_for=timedelta(days=7),
        private_key=private_key_from_seed(bytes.fromhex(inputs["trust_root_seed"])),
    )
    listed = verify_key_list(jws, _root(), now=_utc(inputs["issued_at"]))
    assert "ecert_revoked_at" in json.dumps(listed.jwks())
    with pytest.raises(VerificationError):
        verify_url(_text("url"), listed.keys)
