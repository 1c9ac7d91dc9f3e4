"""A batch-report verifier written from ``docs/verification-format.md`` §15 (and the JWK
members of §4) alone: standard library JSON and base64, and an Ed25519 check. It shares no
code with ``crypto`` so that the document, not the implementation, is what it tests."""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = ["ReportRefused", "verify_report_from_the_document"]

_MEMBERS = {
    "iss",
    "iat",
    "batchId",
    "employer",
    "submittedAt",
    "asOf",
    "lineCount",
    "summary",
    "lines",
}


class ReportRefused(Exception):
    pass


def _b64(text: str) -> bytes:
    if "=" in text:
        raise ReportRefused("padded base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_report_from_the_document(jws: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """The payload of a report that verifies as §15 says; ReportRefused otherwise."""
    parts = jws.strip().split(".")
    if len(parts) != 3:
        raise ReportRefused("not three parts")
    header = json.loads(_b64(parts[0]))
    if set(header) != {"alg", "kid", "typ"} or (header["alg"], header["typ"]) != (
        "EdDSA",
        "ecert-batch-report+jwt",
    ):
        raise ReportRefused("header")
    keys = [
        k
        for k in jwks["keys"]
        if k.get("kty") == "OKP" and k.get("crv") == "Ed25519" and k.get("kid") == header["kid"]
    ]
    if len(keys) != 1:
        raise ReportRefused("unknown key")
    key = keys[0]
    try:
        Ed25519PublicKey.from_public_bytes(_b64(key["x"])).verify(
            _b64(parts[2]), f"{parts[0]}.{parts[1]}".encode("ascii")
        )
    except InvalidSignature:
        raise ReportRefused("signature") from None
    payload = json.loads(_b64(parts[1]).decode("utf-8"))
    iat = payload["iat"]
    ends = [key[m] for m in ("ecert_retired_at", "ecert_revoked_at") if m in key]
    if not (key["nbf"] <= iat and all(iat < end for end in ends)):
        raise ReportRefused("key window")
    if set(payload) != _MEMBERS or payload["lineCount"] != len(payload["lines"]):
        raise ReportRefused("members")
    numbers = [line["n"] for line in payload["lines"]]
    if numbers != sorted(set(numbers)):
        raise ReportRefused("line numbers")
    counted: dict[str, int] = {}
    for line in payload["lines"]:
        counted[line["state"]] = counted.get(line["state"], 0) + 1
        if ("asOfState" in line) != (payload["asOf"] is not None):
            raise ReportRefused("asOf members")
    if counted != payload["summary"]:
        raise ReportRefused("summary")
    return payload
