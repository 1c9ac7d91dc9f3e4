"""The certificate as a W3C Verifiable Credential (``crypto.vc``): the holder's export and
the issuer's DID document.

The credential is built from the claims the version's COSE signature covers (decoded from
the stored ``signed_payload``), so it says exactly what the QR code says. Its
``eddsa-jcs-2022`` proof is made at export time by the key that signs now (``Signer``); the
issuer is ``did:web`` of ``ECERT_PUBLIC_BASE_URL`` and its DID document, published at
``/.well-known/did.json``, lists every signing key. ``docs/verification-format.md`` §14.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from crypto.canonical import decode_claims
from crypto.signing import parse_cose_sign1
from crypto.vc import credential, did_document, issuer_did, secure_credential
from schema.actor import Actor
from schema.errors import InvalidState
from schema.services.holder_certificates import get_holder_certificate
from schema.services.signing_keys import Signer, published_keys

__all__ = ["holder_credential", "published_did_document_body"]


async def published_did_document_body(public_base_url: str) -> bytes:
    """The issuer's DID document as JSON bytes (read fresh: a revocation shows at once)."""
    did = issuer_did(public_base_url)
    return orjson.dumps(did_document(did, await published_keys()))


async def holder_credential(
    *, actor: Actor, cert_id: str, signer: Signer, public_base_url: str, now: datetime
) -> dict[str, Any]:
    """One of the holder's certificate versions as a secured credential. Another holder's
    or a missing certificate is ``CERTIFICATE_NOT_FOUND``; no signing key,
    ``NO_SIGNING_KEY`` / ``SIGNING_KEY_LOCKED`` (from the signer)."""
    cert = await get_holder_certificate(actor=actor, cert_id=cert_id)
    if cert.signed_payload is None or cert.verification_url is None:
        raise InvalidState("该证书尚未签发", code="CERTIFICATE_NOT_SIGNED")
    claims = decode_claims(parse_cose_sign1(bytes(cert.signed_payload)).payload)
    did = issuer_did(public_base_url)
    created = now.replace(microsecond=0)
    kid, private_key = await signer.private_key(created)
    return secure_credential(
        credential(
            claims,
            verification_url=cert.verification_url,
            did=did,
            public_base_url=public_base_url,
        ),
        private_key=private_key,
        verification_method=f"{did}#{kid}",
        created=created,
    )
