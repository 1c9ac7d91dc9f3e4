"""From a draft to a signed certificate, through the services (both databases)."""

from __future__ import annotations

from nacl.signing import VerifyKey

from crypto import decode_claims, parse_jwks
from schema.models import Certificate, RegistrationStatus
from schema.services.signing_keys import published_jwks
from tests.support.flows import issue_yubei_certificate, make_people


async def test_yubei_registration_is_approved_numbered_and_signed(db, deps):
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)

    row = await Certificate.get(cert_id=cert.cert_id).prefetch_related("registration")
    assert row.registration.status is RegistrationStatus.APPROVED
    assert row.approval_document == "渝北职改办〔2022〕21号"
    assert str(row.obtained_on) == "2021-12-24" and str(row.issued_on) == "2022-02-15"
    assert row.number.startswith("2021503") and len(row.number) == 15
    assert row.verification_url.startswith("HTTPS://VERIFY.ECERT.TEST/V/")

    # The signature verifies with a different library, from the published JWKS alone.
    import cbor2

    keys = {k.kid: k for k in parse_jwks(await published_jwks())}
    tagged = cbor2.loads(bytes(row.signed_payload))
    protected, _, payload, signature = tagged.value
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", payload])
    VerifyKey(keys[row.kid].public_key).verify(to_be_signed, signature)
    assert decode_claims(payload).number == row.number
