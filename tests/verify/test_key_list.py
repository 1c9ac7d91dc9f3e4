"""The trusted key list (docs/verification-format.md §13) through the real use cases on both
backends: the list published under the trust root with every key's window, re-signed when a
key is revoked, the offline verifier (``ecert verify --fetch``, ``--key-list``) refusing a
signature made after the revocation, an expired list and a list of another root, and CORS on
the two new public URLs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto._util import b64url_decode
from crypto.errors import VerificationError
from crypto.key_list import (
    KEY_LIST_NOT_BEFORE,
    TrustRoot,
    parse_trust_root,
    sign_key_list,
    trust_root_jwk,
    verify_key_list,
)
from crypto.keys import kid_for, public_key_bytes
from crypto.offline import verify_url
from schema.errors import InvalidState
from schema.models import AuditRecord
from schema.services.key_list import (
    KEY_LIST_VALIDITY,
    init_trust_root,
    published_key_list,
    trust_root,
)
from schema.services.signing_keys import key_records, revoke_key
from tests.support.client import ApiClient
from tests.support.factories import NOW
from tests.support.flows import issue_yubei_certificate, make_people
from tests.verify.test_keys_and_offline_cli import _env, ecert_async


async def _published(deps, now: datetime | None = None) -> str:
    return await published_key_list(
        passphrase=deps.settings.signing_passphrase.reveal(),
        public_base_url=deps.settings.public_base_url,
        now=now or datetime.now(UTC),
    )


async def _setup(deps):
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    await init_trust_root(
        actor=people.signer, passphrase=deps.settings.signing_passphrase.reveal(), now=NOW
    )
    return people, cert


async def test_published_list_verifies_under_the_root_and_changes_on_revocation(db, deps):
    people, cert = await _setup(deps)
    with pytest.raises(InvalidState) as again:
        await init_trust_root(
            actor=people.signer, passphrase=deps.settings.signing_passphrase.reveal(), now=NOW
        )
    assert again.value.code == "TRUST_ROOT_EXISTS"
    root = await trust_root()
    assert await AuditRecord.filter(action="trust_root.created", entity_id=root.kid).exists()

    now = datetime.now(UTC)
    jws = await _published(deps, now)
    listed = verify_key_list(jws, root, now=now)
    assert listed.issuer == deps.settings.public_base_url.lower().rstrip("/")
    assert listed.valid_until - listed.issued_at == KEY_LIST_VALIDITY
    (record,) = await key_records()
    assert [k.kid for k in listed.keys] == [cert.kid] == [record.kid]
    assert listed.keys[0].window == record.window
    payload = json.loads(b64url_decode(jws.split(".")[1]))
    (jwk,) = payload["keys"]["keys"]
    assert {k: jwk[k] for k in ("kty", "crv", "use", "alg")} == {
        "kty": "OKP",
        "crv": "Ed25519",
        "use": "sig",
        "alg": "EdDSA",
    }
    assert jwk[KEY_LIST_NOT_BEFORE] == int(record.window.not_before.timestamp())
    assert "nbf" not in jwk and "d" not in jwk
    assert verify_url(cert.verification_url or "", listed.keys).kid == cert.kid
    assert await _published(deps, now) == jws  # cached while nothing changes

    await revoke_key(
        actor=people.signer,
        kid=cert.kid,
        effective_at=NOW - timedelta(days=1),
        note="泄露",
        now=NOW,
    )
    revoked = await _published(deps, now)
    assert revoked != jws  # re-signed at once
    after = verify_key_list(revoked, root, now=now)
    assert after.keys[0].window.revoked_at == (NOW - timedelta(days=1))
    # The certificate was signed after the revocation instant: refused.
    with pytest.raises(VerificationError):
        verify_url(cert.verification_url or "", after.keys)


async def test_offline_verifier_with_the_key_list(server, deps, tmp_path):
    people, cert = await _setup(deps)
    url = cert.verification_url or ""
    verifier = tmp_path / "verifier"
    env = _env("sqlite://unused", verifier)  # a verifier with no database at all

    code, out, err = await ecert_async(env, "verify", url, "--fetch", server.base_url)
    assert code == 0, out + err
    assert "pinned trust root" in out and "结果：有效" in out
    assert (verifier / "ecert-keys.jwt").is_file()
    pinned = parse_trust_root(json.loads((verifier / "ecert-trust-root.jwk").read_text()))
    assert pinned == await trust_root()

    # Fetched again: the same root, no new pin; the cached list alone also verifies.
    code, out, _ = await ecert_async(env, "verify", url, "--fetch", server.base_url)
    assert code == 0 and "pinned trust root" not in out
    code, out, _ = await ecert_async(env, "verify", url)
    assert code == 0 and "结果：有效" in out, out

    # A stale list (signed by the use case with a `now` 8 days ago): exit 2, never valid.
    stale = verifier / "stale.jwt"
    stale.write_text(await _published(deps, datetime.now(UTC) - timedelta(days=8)))
    code, out, err = await ecert_async(env, "verify", url, "--key-list", str(stale))
    assert code == 2, out + err
    assert "key list expired: refresh with --fetch" in err and "有效" not in out

    # A list signed by another root: refused in one line.
    other = Ed25519PrivateKey.generate()
    forged = verifier / "forged.jwt"
    forged.write_text(
        sign_key_list(
            issuer="https://verify.ecert.test",
            keys=[r.public_info() for r in await key_records()],
            issued_at=datetime.now(UTC),
            valid_for=timedelta(days=7),
            private_key=other,
        )
    )
    code, out, err = await ecert_async(env, "verify", url, "--key-list", str(forged))
    assert code == 2 and "not signed by the pinned trust root" in err, out + err
    assert "有效" not in out and len(err.strip().splitlines()) == 1

    # The key is revoked before the signature: the refreshed list refuses the certificate.
    await revoke_key(
        actor=people.signer,
        kid=cert.kid,
        effective_at=NOW - timedelta(days=1),
        note="泄露",
        now=NOW,
    )
    code, out, _ = await ecert_async(env, "verify", url, "--fetch", server.base_url)
    assert code == 1 and "无法验证" in out, out

    # A different root at the origin later (here: a different pinned one) is refused.
    public = public_key_bytes(other)
    (verifier / "ecert-trust-root.jwk").write_text(
        json.dumps(trust_root_jwk(TrustRoot(kid_for(public), public)))
    )
    code, out, err = await ecert_async(env, "verify", url, "--fetch", server.base_url)
    assert code == 2 and "differs from the one pinned" in err, out + err
    assert len(err.strip().splitlines()) == 1


async def test_key_list_urls_allow_cors_and_404_before_the_root(api: ApiClient, deps) -> None:
    origin = {"Origin": "https://other.example"}
    missing = await api.http.get("/.well-known/ecert-keys.jwt", headers=origin)
    assert missing.status_code == 404
    await _setup(deps)
    for path in ("/.well-known/ecert-keys.jwt", "/.well-known/ecert-trust-root.jwk"):
        answer = await api.http.get(path, headers=origin)
        assert answer.status_code == 200, path
        assert answer.headers.get("access-control-allow-origin") == "*", path
        preflight = await api.http.options(
            path, headers={**origin, "Access-Control-Request-Method": "GET"}
        )
        assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"]
    root = parse_trust_root((await api.http.get("/.well-known/ecert-trust-root.jwk")).json())
    assert root == await trust_root()
    jws = (await api.http.get("/.well-known/ecert-keys.jwt")).text
    assert verify_key_list(jws, root, now=datetime.now(UTC)).keys
