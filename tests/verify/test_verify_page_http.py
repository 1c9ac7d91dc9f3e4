"""The public verification page, from the QR image in the store (both DBs).

The QR code is decoded with zxing-cpp from the PNG rendered at issuance; the decoded URL's
path is requested from the app, in-process (over real HTTP for the first test); the app stands
in for the official origin. The signature is then checked again with PyNaCl from the published JWK Set alone, following
``docs/verification-format.md`` byte by byte.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import cbor2
import pytest
from nacl.signing import VerifyKey

from crypto import (
    build_verification_url,
    decode_claims,
    decode_qr_image,
    generate_key,
    sign_claims,
    unlock,
)
from crypto.signing import parse_cose_sign1
from schema.http_edge.deps import Deps
from schema.models import Certificate, SigningKey
from schema.services import signing_keys
from tests.support.client import ApiClient
from tests.support.factories import NOW
from tests.support.flows import holder_download, issue_yubei_certificate, make_people
from tests.verify.verify_support import (
    PRIVATE_NOTE,
    certificates_in_every_state,
    local_path,
)

JSON = {"Accept": "application/json"}


async def _issued(deps):
    people = await make_people(deps)
    return people, await issue_yubei_certificate(deps, people)


async def _scanned_url(deps, cert: Certificate) -> str:
    png = (await holder_download(deps, cert)).qr_png  # the image the holder prints
    return decode_qr_image(png)


def _assert_unverifiable_html(resp, *, not_shown: tuple[str, ...]) -> None:
    assert resp.status_code == 200
    assert 'data-state="UNVERIFIABLE"' in resp.text and "无法验证" in resp.text
    for text in not_shown:
        assert text not in resp.text


async def test_scanned_qr_shows_valid_page_with_public_fields(
    server: ApiClient, deps: Deps
) -> None:
    _, cert = await _issued(deps)
    url = await _scanned_url(deps, cert)
    assert url == cert.verification_url and url.startswith("HTTPS://VERIFY.ECERT.TEST/V/")

    resp = await server.http.get(local_path(url))
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    page = resp.text
    assert 'data-state="VALID"' in page and ">有效<" in page
    for shown in (
        "张三",
        "5001**********0238",
        "工程师",
        "中级",
        "工程技术",  # series name from the catalog
        "给排水",
        "渝北区人力资源和社会保障局",  # authority name, not its code
        "重庆市工程技术中级职务渝北区评审委员会",
        "2021年12月24日",
        "2022年2月15日",
        cert.number,
        "系统签发",  # an offline review, numbered and signed here
        cert.kid,
        cert.check_code,
        f"/V/{cert.cert_id}/photo",
    ):
        assert shown in page, shown
    # Nothing beyond the public fields: no full ID number, mobile, approval document.
    for hidden in ("500112198503120238", "13812341234", "渝北职改办"):
        assert hidden not in page
    assert "<script" not in page.lower()

    csp = resp.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "script-src" not in csp
    assert resp.headers["referrer-policy"] == "no-referrer"
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["cache-control"] == "no-store"

    photo = await server.http.get(f"/V/{cert.cert_id}/photo")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert photo.content == await deps.store.get(cert.photo_sha256)


async def test_json_by_content_negotiation_and_lower_case_url(api: ApiClient, deps: Deps) -> None:
    _, cert = await _issued(deps)
    path = local_path(await _scanned_url(deps, cert))

    body = (await api.http.get(path, headers=JSON)).json()
    assert body["state"] == "VALID" and body["stateLabel"] == "有效"
    assert body["signatureVerified"] is True
    c = body["certificate"]
    assert c["certId"] == cert.cert_id and c["number"] == cert.number
    assert c["holderName"] == "张三" and c["holderIdMasked"] == "5001**********0238"
    assert c["level"] == {"code": "ZHONG", "name": "中级"}
    assert (
        c["authority"]["code"] == "500112"
        and c["authority"]["name"] == "渝北区人力资源和社会保障局"
    )
    assert c["provenance"] == {"code": "NATIVE", "name": "系统签发"}
    assert c["signature"]["kid"] == cert.kid and c["checkCode"] == cert.check_code
    assert c["obtainedOn"] == "2021-12-24" and c["photoPath"] == f"/V/{cert.cert_id}/photo"
    assert body["superseded"] is None and body["revoked"] is None

    # Some scanners lower-case the whole URL.
    lower = await api.http.get(path.lower(), headers=JSON)
    assert lower.json()["state"] == "VALID"
    # A browser's Accept header gets the page.
    html = await api.http.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert html.headers["content-type"].startswith("text/html")
    # The shared Accept parser: JSON only when named and preferred to HTML.
    for accept, kind in (
        ("*/*", "text/html"),
        ("application/*", "text/html"),
        ("application/json, text/plain, */*", "application/json"),
        ("application/json;q=0.5, text/html", "text/html"),
        ("text/html;q=0.5, application/json", "application/json"),
        ("APPLICATION/JSON", "application/json"),
    ):
        answer = await api.http.get(path, headers={"Accept": accept})
        assert answer.headers["content-type"].startswith(kind), accept
        assert answer.headers["vary"] == "Accept"


async def test_signature_verifies_with_pynacl_from_published_jwks_alone(
    api: ApiClient, deps: Deps
) -> None:
    _, cert = await _issued(deps)
    url = await _scanned_url(deps, cert)

    resp = await api.http.get("/.well-known/jwks.json")
    assert resp.status_code == 200
    assert "max-age=" in resp.headers["cache-control"] and "public" in resp.headers["cache-control"]
    jwks = resp.json()

    # §5/§7: split the URL, strict base32 of the payload.
    _, _, cert_id, payload_b32 = url.rsplit("/", 3)
    cose = base64.b32decode(payload_b32 + "=" * (-len(payload_b32) % 8))
    tagged = cbor2.loads(cose)
    assert tagged.tag == 18
    protected, unprotected, payload, signature = tagged.value
    assert unprotected == {} and len(signature) == 64
    # §3: protected is exactly A2 01 27 04 4A ‖ kid (10 bytes).
    assert protected[:5] == bytes.fromhex("a20127044a") and len(protected) == 15
    kid = base64.b32encode(protected[5:]).decode().rstrip("=")
    [jwk] = [k for k in jwks["keys"] if k["kid"] == kid]
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and "d" not in jwk
    public = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    # §4: the kid is the first 10 bytes of SHA-256 over the public key.
    assert base64.b32encode(hashlib.sha256(public).digest()[:10]).decode().rstrip("=") == kid
    # §3: Sig_structure bytes, built by hand.
    assert 24 <= len(payload) <= 255 or 256 <= len(payload) <= 65535
    header = (
        (b"\x58" + bytes([len(payload)]))
        if len(payload) < 256
        else (b"\x59" + len(payload).to_bytes(2, "big"))
    )
    to_be_signed = (
        bytes.fromhex("846a") + b"Signature1" + b"\x4f" + protected + b"\x40" + header + payload
    )
    VerifyKey(public).verify(to_be_signed, signature)  # raises BadSignatureError otherwise

    # §9 window: nbf <= signed_at < retired/revoked.
    claims = cbor2.loads(payload)
    signed_at = claims[16]
    assert jwk["nbf"] <= signed_at
    assert signed_at < jwk.get("ecert_retired_at", signed_at + 1)
    assert signed_at < jwk.get("ecert_revoked_at", signed_at + 1)
    assert base64.b32encode(claims[2]).decode().rstrip("=") == cert_id == cert.cert_id

    # §6 check code, as printed under the QR and shown on the page.
    code = base64.b32encode(hashlib.sha256(signature).digest()[:5]).decode()
    shown = f"{code[:4]}-{code[4:]}"
    assert shown == cert.check_code
    assert shown in (await api.http.get(local_path(url))).text


async def test_tampered_payload_cannot_be_verified(api: ApiClient, deps: Deps) -> None:
    _, cert = await _issued(deps)
    path = local_path(cert.verification_url)
    prefix, payload = path.rsplit("/", 1)
    middle = len(payload) // 2
    swapped = "A" if payload[middle] != "A" else "B"
    tampered = f"{prefix}/{payload[:middle]}{swapped}{payload[middle + 1 :]}"

    _assert_unverifiable_html(await api.http.get(tampered), not_shown=("张三", cert.number))
    body = (await api.http.get(tampered, headers=JSON)).json()
    assert body["state"] == "UNVERIFIABLE" and body["certificate"] is None
    assert body["signatureVerified"] is False
    # Garbage and a truncated payload: same answer.
    other_id = ("B" if cert.cert_id[0] == "A" else "A") + cert.cert_id[1:]
    for path_ in (prefix + "/AAAA", path[:-3], f"/V/{other_id}/{payload}"):
        assert (await api.http.get(path_, headers=JSON)).json()["state"] == "UNVERIFIABLE"


async def test_signature_by_unknown_key_cannot_be_verified(api: ApiClient, deps: Deps) -> None:
    _, cert = await _issued(deps)
    claims = decode_claims(parse_cose_sign1(bytes(cert.signed_payload)).payload)
    stranger = generate_key(passphrase=b"not ours", now=NOW - timedelta(days=365))
    cose = sign_claims(claims, unlock(stranger, b"not ours"), stranger.kid)
    url = build_verification_url("https://verify.ecert.test", cert.cert_id, cose)

    _assert_unverifiable_html(await api.http.get(local_path(url)), not_shown=("张三",))
    assert (await api.http.get(local_path(url), headers=JSON)).json()["state"] == "UNVERIFIABLE"


async def test_payload_signed_by_our_key_but_never_issued_cannot_be_verified(
    api: ApiClient, deps: Deps
) -> None:
    """A stolen key could sign anything inside its window; the register is the last word."""
    _, cert = await _issued(deps)
    claims = decode_claims(parse_cose_sign1(bytes(cert.signed_payload)).payload)
    row = await SigningKey.get(kid=cert.kid)
    [record] = [r for r in await signing_keys.key_records() if r.kid == row.kid]
    private = unlock(record, deps.settings.signing_passphrase.reveal())
    from dataclasses import replace

    forged = sign_claims(replace(claims, title_name="高级工程师", level="FU_GAO"), private, row.kid)
    url = build_verification_url("https://verify.ecert.test", cert.cert_id, forged)
    body = (await api.http.get(local_path(url), headers=JSON)).json()
    assert body["state"] == "UNVERIFIABLE"
    # A genuine signature over an id that does not exist: the same.
    other = replace(claims, cert_id="A" * 26)
    url = build_verification_url(
        "https://verify.ecert.test", "A" * 26, sign_claims(other, private, row.kid)
    )
    assert (await api.http.get(local_path(url), headers=JSON)).json()["state"] == "UNVERIFIABLE"


async def test_key_revoked_before_signing_time_is_key_revoked_and_after_it_still_verifies(
    api: ApiClient, deps: Deps
) -> None:
    people, cert = await _issued(deps)
    path = local_path(cert.verification_url)
    # Revoked *after* the signature: what it signed before keeps verifying.
    await signing_keys.revoke_key(
        actor=people.signer,
        kid=cert.kid,
        effective_at=NOW + timedelta(hours=1),
        note="密钥保管设备遗失",
        now=NOW + timedelta(hours=2),
    )
    assert (await api.http.get(path, headers=JSON)).json()["state"] == "VALID"
    # Moved earlier, before the signing time: the signature no longer counts.
    row = await SigningKey.get(kid=cert.kid)
    row.revoked_at = NOW - timedelta(days=1)
    await row.save()
    jwk = next(k for k in (await api.http.get("/.well-known/jwks.json")).json()["keys"])
    assert jwk["ecert_revoked_at"] == int((NOW - timedelta(days=1)).timestamp())
    # The certificate we issued (its exact stored bytes): the key-revoked state, never 有效,
    # and nothing from the payload shown (a forgery under the key stays 无法验证: see
    # tests/services/test_key_reissue.py).
    page = await api.http.get(path)
    assert 'data-state="KEY_REVOKED"' in page.text and "签名密钥已停用" in page.text
    assert "张三" not in page.text and ">有效<" not in page.text
    body = (await api.http.get(path, headers=JSON)).json()
    assert (body["state"], body["signatureVerified"]) == ("KEY_REVOKED", False)


async def test_superseded_and_revoked_states(api: ApiClient, deps: Deps) -> None:
    states = await certificates_in_every_state(deps)

    old_path = local_path(states.superseded.verification_url)
    page = (await api.http.get(old_path)).text
    current_path = local_path(states.valid.verification_url)
    assert 'data-state="SUPERSEDED"' in page and ">已更正<" in page
    assert f'href="{current_path}"' in page and "第2版" in page
    assert "更正日期" in page and "2026年11月29日" in page
    body = (await api.http.get(old_path, headers=JSON)).json()
    assert body["state"] == "SUPERSEDED"
    assert body["superseded"]["currentVersion"]["path"] == current_path
    assert body["superseded"]["currentVersion"]["verificationUrl"] == states.valid.verification_url
    assert body["certificate"]["specialty"] == "给排水"  # what the scanned version says

    # Following the link leads to the current version: 有效, with the corrected specialty.
    current = (await api.http.get(current_path, headers=JSON)).json()
    assert current["state"] == "VALID" and current["certificate"]["specialty"] == "暖通空调"
    assert current["certificate"]["version"] == 2

    revoked_path = local_path(states.revoked.verification_url)
    resp = await api.http.get(revoked_path)
    assert 'data-state="REVOKED"' in resp.text and ">已撤销<" in resp.text
    assert "错误发证" in resp.text and "2026年11月30日" in resp.text
    assert PRIVATE_NOTE not in resp.text and "不得公开" not in resp.text
    body = (await api.http.get(revoked_path, headers=JSON)).json()
    assert body["state"] == "REVOKED"
    assert body["revoked"]["reason"] == {"code": "ISSUED_IN_ERROR", "name": "错误发证"}
    assert body["revoked"]["at"].startswith("2026-11-30")
    assert PRIVATE_NOTE not in resp.text and "不得公开" not in str(body)


async def test_rendering_never_generates_a_qr_code(
    api: ApiClient, deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, cert = await _issued(deps)

    def refuse(*args, **kwargs):
        raise AssertionError("the page must not render QR codes")

    import segno

    monkeypatch.setattr(segno, "make_qr", refuse)
    monkeypatch.setattr(segno, "make", refuse)
    resp = await api.http.get(local_path(cert.verification_url))
    assert resp.status_code == 200 and 'data-state="VALID"' in resp.text


async def test_photo_route_serves_only_certificate_photos(api: ApiClient, deps: Deps) -> None:
    _, cert = await _issued(deps)
    assert (await api.http.get(f"/V/{'A' * 26}/photo")).status_code == 404
    # The blob key of a photo is not a way in either.
    assert (await api.http.get(f"/V/{cert.photo_sha256}/photo")).status_code == 404


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
async def test_verification_origin_is_the_configured_one(
    api: ApiClient, deps: Deps, accept: str
) -> None:
    """The Host the request came to is irrelevant: the URL is checked on the official origin."""
    _, cert = await _issued(deps)
    resp = await api.http.get(
        local_path(cert.verification_url), headers={"Accept": accept, "Host": "evil.example"}
    )
    assert resp.status_code == 200
    assert ("VALID" in resp.text) and ("UNVERIFIABLE" not in resp.text)
