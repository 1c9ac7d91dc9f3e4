"""Compare QR payload formats for a realistic certificate.

Run:  uv run python bench/bench_qr_formats.py [--rounds N]

Rows:
  (a) ours: COSE_Sign1 in base32 inside the upper-case URL (one alphanumeric segment)
  (b) compact JWS (base64url, JSON payload) in a URL -- needs byte mode
  (c) the same COSE in base45 (RFC 9285); NOT URL-safe (space, %, /, ...), reference only
  (d) the same COSE as decimal digits in a numeric segment after an alphanumeric
      URL prefix (URL-safe, needs a mixed-mode QR); shown for completeness

Timings are per QR symbol construction (segno, level M), in this process,
with the ratio against (a).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, date, datetime

import segno
from segno import consts

from crypto import CertificateClaims, build_verification_url, encode_claims, sign_claims
from crypto._util import b64url_encode
from crypto.keys import kid_for, private_key_from_seed, public_key_bytes

BASE = "https://verify.ecert.example"
_B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def base45_encode(data: bytes) -> str:
    """RFC 9285 §4: two bytes -> three characters (little-end first), one byte -> two."""
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        c, n = n % 45, n // 45
        d, e = n % 45, n // 45
        out += [_B45[c], _B45[d], _B45[e]]
    if len(data) % 2:
        n = data[-1]
        out += [_B45[n % 45], _B45[n // 45]]
    return "".join(out)


def base45_decode(text: str) -> bytes:
    """Inverse of :func:`base45_encode` (used only to self-check the encoder)."""
    values = [_B45.index(ch) for ch in text]
    out = bytearray()
    for i in range(0, len(values) - 2, 3):
        n = values[i] + values[i + 1] * 45 + values[i + 2] * 45 * 45
        out += n.to_bytes(2, "big")
    if len(values) % 3 == 2:
        out.append(values[-2] + values[-1] * 45)
    return bytes(out)


def decimal_encode(data: bytes) -> str:
    """7-byte chunks -> 17 digits (2**56 < 10**17); a last short chunk gets
    the fewest digits that can hold it.  Fixed widths make it reversible."""
    widths = {1: 3, 2: 5, 3: 8, 4: 10, 5: 13, 6: 15, 7: 17}
    parts = []
    for i in range(0, len(data), 7):
        chunk = data[i : i + 7]
        parts.append(str(int.from_bytes(chunk, "big")).zfill(widths[len(chunk)]))
    return "".join(parts)


def realistic_claims() -> CertificateClaims:
    return CertificateClaims(
        cert_id="7TQXJYJQYB2DH2BGC2LYFZLPF4",
        version=1,
        holder_name="欧阳娜娜",
        holder_id_masked="5001**********006X",
        level="ZHONG",
        series_code="05",
        title_name="工程师",
        specialty="给排水",
        authority_code="500112",
        review_body="重庆市工程技术中级职务渝北区评审委员会",
        obtained_on=date(2022, 12, 30),
        issued_on=date(2023, 3, 15),
        number="2022505000001237",
        provenance="NATIVE",
        signed_at=datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
    )


def jws_compact(claims: CertificateClaims, sign: Callable[[bytes], bytes], kid: str) -> str:
    header = {"alg": "EdDSA", "kid": kid}
    body = asdict(claims)
    body["obtained_on"] = claims.obtained_on.isoformat()
    body["issued_on"] = claims.issued_on.isoformat()
    body["signed_at"] = int(claims.signed_at.timestamp())
    signing_input = ".".join(
        b64url_encode(json.dumps(part, ensure_ascii=False, separators=(",", ":")).encode())
        for part in (header, body)
    )
    return signing_input + "." + b64url_encode(sign(signing_input.encode("ascii")))


def time_qr(content: object, rounds: int) -> float:
    """Median seconds per segno.make_qr at level M."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        segno.make_qr(content, error="m", boost_error=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    key = private_key_from_seed(bytes(range(32)))
    kid = kid_for(public_key_bytes(key))
    claims = realistic_claims()
    cose = sign_claims(claims, key, kid)
    jws = jws_compact(claims, key.sign, kid)

    b45 = base45_encode(cose)
    assert base45_decode(b45) == cose
    url_a = build_verification_url(BASE, claims.cert_id, cose)
    prefix = url_a.rsplit("/", 1)[0] + "/"
    url_b = f"{BASE}/v/{claims.cert_id}/{jws}"
    url_c = prefix + b45
    digits = decimal_encode(cose)
    content_d = [(prefix, consts.MODE_ALPHANUMERIC), (digits, consts.MODE_NUMERIC)]

    # JWS "bytes": header JSON + payload JSON + signature before base64url.
    jws_raw = sum(len(p) * 3 // 4 for p in jws.split("."))
    rows = [
        ("(a) COSE base32 URL [ours]", len(cose), url_a, url_a),
        ("(b) JWS base64url URL", jws_raw, url_b, url_b),
        ("(c) COSE base45 (not URL-safe)", len(cose), url_c, url_c),
        ("(d) COSE decimal, mixed segs", len(cose), prefix + digits, content_d),
    ]

    time_qr(url_a, 3)  # warm-up: imports, caches
    times = [time_qr(content, args.rounds) for _, _, _, content in rows]
    print(
        f"claims CBOR {len(encode_claims(claims))} B, COSE_Sign1 {len(cose)} B,"
        f" JWS JSON payload {len(jws.split('.')[1]) * 3 // 4} B; rounds={args.rounds}"
    )
    header = f"{'format':32} {'bytes':>5} {'URL len':>7} {'QR mode':>22} {'ver(M)':>6}"
    header += f" {'ms/QR':>6} {'ratio':>5}"
    print(header)
    print("-" * len(header))
    for (name, nbytes, text, content), spent in zip(rows, times, strict=True):
        qr = segno.make_qr(content, error="m", boost_error=False)
        mode = qr.mode or "alphanumeric+numeric"
        print(
            f"{name:32} {nbytes:5d} {len(text):7d} {mode:>22} {qr.version:6d}"
            f" {spent * 1000:6.2f} {spent / times[0]:5.2f}"
        )


if __name__ == "__main__":
    main()
