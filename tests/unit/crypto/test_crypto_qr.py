"""Verification URL, QR symbol, check code and offline verification."""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Callable

import cbor2
import nacl.exceptions
import pytest
import segno
from crypto_test_support import (
    BASE_URL,
    PASSPHRASE,
    SEED,
    at,
    make_record,
    nacl_verify,
    realistic_claims,
)
from nacl.encoding import URLSafeBase64Encoder
from PIL import Image

from crypto._util import b32encode_nopad
from crypto.canonical import decode_claims
from crypto.errors import (
    QRDecodeError,
    QRTooLargeError,
    UrlFormatError,
    VerificationError,
    VerificationReason,
)
from crypto.keys import SigningKeyRecord, jwks, unlock
from crypto.offline import decode_qr_image, verify_offline, verify_url
from crypto.qr import (
    build_verification_url,
    check_code,
    make_qr,
    parse_verification_path,
    parse_verification_url,
    qr_png,
    qr_svg,
    qr_version,
    qr_version_for_claims,
    qr_version_for_length,
    verification_url_length,
)
from crypto.signing import cose_sign1_length, parse_cose_sign1, sign_claims

ALNUM = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def _issue(**changes: object) -> tuple[SigningKeyRecord, bytes, str]:
    record = make_record(now=at(2024, 1, 1), seed=SEED)
    claims = realistic_claims(**changes)
    cose = sign_claims(claims, unlock(record, PASSPHRASE), record.kid)
    return record, cose, build_verification_url(BASE_URL, claims.cert_id, cose)


def test_url_shape_and_alphanumeric_charset() -> None:
    _, _, url = _issue()
    assert url.startswith("HTTPS://VERIFY.ECERT.EXAMPLE/V/UCQ2FI5EUWTKPKFJVKV2ZLNOV4/")
    assert set(url) <= ALNUM, "URL leaves the QR alphanumeric set"
    assert make_qr(url).mode == "alphanumeric"


def test_parse_round_trip() -> None:
    _, cose, url = _issue()
    assert parse_verification_url(url) == ("UCQ2FI5EUWTKPKFJVKV2ZLNOV4", cose)


def test_parse_accepts_lower_and_mixed_case_and_whitespace() -> None:
    _, cose, url = _issue()
    assert parse_verification_url(url.lower())[1] == cose, "lower-case scan rejected"
    mixed = "https://verify.ecert.example" + url[len(BASE_URL) :]
    assert parse_verification_url(f"  {mixed}\n")[1] == cose


@pytest.mark.parametrize(
    ("label", "transform"),
    [
        ("query string", lambda u: u + "?utm=1"),
        ("trailing slash", lambda u: u + "/"),
        ("fragment", lambda u: u + "#x"),
        ("padding", lambda u: u + "="),
        ("base32 digit 1", lambda u: u[:-1] + "1"),
        ("wrong path marker", lambda u: u.replace("/V/", "/X/")),
        ("short cert id", lambda u: u.replace("/UCQ2FI5EUWTKPKFJVKV2ZLNOV4/", "/UCQ2/")),
        ("ftp scheme", lambda u: u.replace("HTTPS", "FTP")),
        ("path in base", lambda u: u.replace(".EXAMPLE/", ".EXAMPLE/X/")),
        ("impossible base32 length", lambda u: u + "AA"),  # 441 % 8 == 1
    ],
)
def test_parse_is_strict(label: str, transform: Callable[[str], str]) -> None:
    _, _, url = _issue()
    with pytest.raises(UrlFormatError):
        parse_verification_url(transform(url))
        pytest.fail(label)


@pytest.mark.parametrize(
    ("label", "transform"),
    [
        ("base32 digit 1", lambda u: u[:-1] + "1"),
        ("short cert id", lambda u: u.replace("/UCQ2FI5EUWTKPKFJVKV2ZLNOV4/", "/UCQ2/")),
        ("impossible base32 length", lambda u: u + "AA"),
        ("padding", lambda u: u + "="),
    ],
)
def test_parse_path_is_the_url_parse_after_the_origin(
    label: str, transform: Callable[[str], str]
) -> None:
    """The server parses only ``/V/{CERT_ID}/{PAYLOAD}``: the same result and the same
    refusals as the whole URL."""
    _, cose, url = _issue()
    cert_id, payload = url.rsplit("/", 2)[1:]
    assert parse_verification_path(cert_id, payload) == parse_verification_url(url)
    assert parse_verification_path(cert_id.lower(), payload.lower())[1] == cose
    bad_id, bad_payload = transform(url).rsplit("/", 2)[1:]
    with pytest.raises(UrlFormatError):
        parse_verification_path(bad_id, bad_payload)
        pytest.fail(label)


def test_check_code_of_a_parsed_message_is_the_same() -> None:
    _, cose, _ = _issue()
    assert check_code(parse_cose_sign1(cose)) == check_code(cose)


def test_parse_checks_expected_origin_case_insensitively() -> None:
    _, _, url = _issue()
    parse_verification_url(url, expected_base="https://Verify.Ecert.Example/")
    with pytest.raises(UrlFormatError, match="official"):
        parse_verification_url(url, expected_base="https://evil.example")


@pytest.mark.parametrize("base", ["https://x.example/path", "https://user@x.example", "x.example"])
def test_build_rejects_base_that_is_not_an_origin(base: str) -> None:
    with pytest.raises(UrlFormatError):
        build_verification_url(base, "UCQ2FI5EUWTKPKFJVKV2ZLNOV4", b"\x00")


def test_realistic_certificate_fits_version_15_at_level_m() -> None:
    _, _, url = _issue()
    version = qr_version(url)
    assert version <= 15, f"realistic certificate needs QR version {version}"
    assert make_qr(url).error in {"M", "Q", "H"}, "error correction below M"


def test_qr_version_limit_is_enforced() -> None:
    url = "HTTPS://VERIFY.ECERT.EXAMPLE/V/UCQ2FI5EUWTKPKFJVKV2ZLNOV4/" + "A" * 1000
    with pytest.raises(QRTooLargeError):
        make_qr(url)


def test_png_decodes_back_with_zxing_and_verifies_with_pynacl_from_jwks_only() -> None:
    record, _, url = _issue()
    published = jwks([record])  # the only thing the verifier gets
    text = decode_qr_image(qr_png(url, scale=3))
    assert text == url, "zxing-cpp read different text from our PNG"

    _, scanned_cose = parse_verification_url(text)
    (jwk,) = published["keys"]
    public_key = URLSafeBase64Encoder.decode(jwk["x"].encode() + b"=")
    try:
        payload = nacl_verify(scanned_cose, public_key)
    except nacl.exceptions.BadSignatureError:
        pytest.fail("PyNaCl rejects the signature read back from the QR image")
    assert decode_claims(payload) == realistic_claims()
    assert verify_offline(text, published).claims == realistic_claims()


def test_jpeg_photo_like_image_decodes() -> None:
    _, _, url = _issue()
    image = Image.open(io.BytesIO(qr_png(url, scale=4))).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=70)
    assert decode_qr_image(out.getvalue()) == url


def test_decode_qr_image_errors() -> None:
    with pytest.raises(QRDecodeError, match="image"):
        decode_qr_image(b"not an image")
    blank = io.BytesIO()
    Image.new("L", (64, 64), 255).save(blank, format="PNG")
    with pytest.raises(QRDecodeError, match="no QR"):
        decode_qr_image(blank.getvalue())


def test_svg_is_generated() -> None:
    _, _, url = _issue()
    svg = qr_svg(url)
    assert svg.startswith(b"<svg") and b"</svg>" in svg


def test_verify_offline_accepts_lower_case_url() -> None:
    record, _, url = _issue()
    assert verify_offline(url.lower(), jwks([record])).kid == record.kid


def test_verify_url_rejects_cert_id_swapped_in_path() -> None:
    record, cose, _ = _issue()
    other_id = b32encode_nopad(bytes(16))
    forged = build_verification_url(BASE_URL, other_id, cose)
    with pytest.raises(VerificationError) as info:
        verify_url(forged, [record.public_info()])
    assert info.value.reason is VerificationReason.MALFORMED


def test_verify_url_maps_bad_url_to_verification_error() -> None:
    record, _, _ = _issue()
    with pytest.raises(VerificationError):
        verify_url("https://example.com/", [record.public_info()])


def test_verify_offline_unknown_key_when_jwks_lacks_it() -> None:
    _, _, url = _issue()
    with pytest.raises(VerificationError) as info:
        verify_offline(url, jwks([make_record()]))
    assert info.value.reason is VerificationReason.UNKNOWN_KEY


def test_check_code_format_and_derivation() -> None:
    _, cose, _ = _issue()
    code = check_code(cose)
    assert code == "2EOK-NVLM", "check code changed (see docs §9)"
    signature = cbor2.loads(cose).value[3]
    expected = base64.b32encode(hashlib.sha256(signature).digest()[:5]).decode()
    assert code == f"{expected[:4]}-{expected[4:]}", "not base32(SHA-256(signature)[:5])"


def test_long_but_plausible_certificate_still_fits_version_15() -> None:
    _, _, url = _issue(
        holder_name="欧阳娜娜娜",
        specialty="建筑电气与智能化工程",
        review_body="重庆市工程技术高级职务（正高级）评审委员会",
        title_name="正高级工程师",
        level="ZHENG_GAO",
        number="0113201500123",
        provenance="PAPER",
        authority_code="MUNICIPAL",
        version=12,
    )
    assert qr_version(url) <= 15, f"long certificate needs version {qr_version(url)}"


def test_make_qr_refuses_non_alphanumeric_content() -> None:
    _, _, url = _issue()
    with pytest.raises(UrlFormatError):
        make_qr(url.lower())  # would silently become a much larger byte-mode symbol


@pytest.mark.parametrize("specialty_chars", [0, 7, 25, 64, 100])
def test_predicted_url_length_and_version_equal_the_signed_ones(specialty_chars: int) -> None:
    """The entry-time budget (schema.qr_fit) predicts without signing: it must be exact."""
    claims = realistic_claims(specialty="专" * specialty_chars)
    _, cose, url = _issue(specialty="专" * specialty_chars)
    assert cose_sign1_length(claims) == len(cose), "predicted COSE length differs"
    assert verification_url_length(len(BASE_URL), claims) == len(url), "URL length differs"
    predicted = qr_version_for_claims(claims, base_url_length=len(BASE_URL))
    actual = segno.make_qr(url, error="M", mode="alphanumeric").version
    assert predicted == actual, f"predicted version {predicted}, segno chose {actual}"


def test_version_for_length_matches_segno_at_every_boundary() -> None:
    for length in (*range(1, 60), *range(60, 1700, 31)):
        text = "A" * length
        assert qr_version_for_length(length) == segno.make_qr(
            text, error="M", mode="alphanumeric"
        ).version, f"version differs for {length} characters"


def test_a_base_url_longer_than_the_budget_is_refused() -> None:
    with pytest.raises(UrlFormatError):
        build_verification_url("HTTPS://" + "A" * 33 + ".CN", "UCQ2FI5EUWTKPKFJVKV2ZLNOV4", b"x")
