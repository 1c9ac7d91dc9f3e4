"""Signing keys over GraphQL: the signer lists, creates, rotates, retires and revokes keys;
an applicant and anonymous callers are refused (both databases; the first test over real
HTTP)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from schema.http_edge.deps import Deps
from tests.support.client import ApiClient
from tests.support.factories import ID_MALE_1985
from tests.support.flows import SIGNER_ID, make_people

KEYS = (
    "{ signingKeys { kid notBefore retiredAt revokedAt revocationNote state stateLabel signsNow } }"
)
KEY_FIELDS = "kid notBefore retiredAt revokedAt state signsNow"
CREATE = f"""mutation {{ createSigningKey {{ __typename
  ... on SigningKeySuccess {{ key {{ {KEY_FIELDS} }} }}
  ... on UserErrors {{ errors {{ code message field }} }} }} }}"""
ROTATE = f"""mutation {{ rotateSigningKey {{ __typename
  ... on SigningKeySuccess {{ key {{ {KEY_FIELDS} }} }}
  ... on UserErrors {{ errors {{ code message field }} }} }} }}"""
RETIRE = f"""mutation($kid: String!) {{ retireSigningKey(input: {{kid: $kid}}) {{ __typename
  ... on SigningKeySuccess {{ key {{ {KEY_FIELDS} }} }}
  ... on UserErrors {{ errors {{ code message field }} }} }} }}"""
REVOKE = f"""mutation($input: RevokeSigningKeyInput!) {{ revokeSigningKey(input: $input) {{
  __typename
  ... on SigningKeySuccess {{ key {{ {KEY_FIELDS} revocationNote }} }}
  ... on UserErrors {{ errors {{ code message field }} }} }} }}"""


async def test_signer_manages_keys_and_jwks_follows(server: ApiClient, deps: Deps) -> None:
    await make_people(deps)  # creates one key, valid from 30 days ago
    token = (await server.login(SIGNER_ID)).token

    [first] = (await server.execute(KEYS, token=token))["data"]["signingKeys"]
    assert first["state"] == "ACTIVE" and first["signsNow"] is True

    created = (await server.execute(CREATE, token=token))["data"]["createSigningKey"]
    assert created["__typename"] == "SigningKeySuccess" and created["key"]["signsNow"] is True
    second = created["key"]["kid"]

    rotated = (await server.execute(ROTATE, token=token))["data"]["rotateSigningKey"]
    third = rotated["key"]["kid"]
    keys = {k["kid"]: k for k in (await server.execute(KEYS, token=token))["data"]["signingKeys"]}
    assert keys[third]["signsNow"] and keys[third]["state"] == "ACTIVE"
    assert keys[first["kid"]]["state"] == keys[second]["state"] == "RETIRED"

    again = (await server.execute(RETIRE, {"kid": second}, token=token))["data"]["retireSigningKey"]
    assert again["errors"][0]["code"] == "KEY_NOT_ACTIVE"

    effective = (deps.clock() - timedelta(days=1)).isoformat()
    revoked = (
        await server.execute(
            REVOKE,
            {"input": {"kid": first["kid"], "effectiveAt": effective, "note": "备份介质遗失"}},
            token=token,
        )
    )["data"]["revokeSigningKey"]
    assert (
        revoked["key"]["state"] == "REVOKED" and revoked["key"]["revocationNote"] == "备份介质遗失"
    )

    jwks = (await server.http.get("/.well-known/jwks.json")).json()
    by_kid = {k["kid"]: k for k in jwks["keys"]}
    assert set(by_kid) == {first["kid"], second, third}
    assert "ecert_revoked_at" in by_kid[first["kid"]] and "ecert_retired_at" in by_kid[second]
    assert "备份介质遗失" not in str(jwks)  # the note is not published

    retired = (await server.execute(RETIRE, {"kid": third}, token=token))["data"][
        "retireSigningKey"
    ]
    assert retired["key"]["state"] == "RETIRED" and retired["key"]["signsNow"] is False


async def test_revocation_needs_a_note_and_a_past_instant(api: ApiClient, deps: Deps) -> None:
    await make_people(deps)
    token = (await api.login(SIGNER_ID)).token
    [key] = (await api.execute(KEYS, token=token))["data"]["signingKeys"]
    future = (deps.clock() + timedelta(days=1)).isoformat()
    body = await api.execute(
        REVOKE, {"input": {"kid": key["kid"], "effectiveAt": future, "note": "x"}}, token=token
    )
    assert body["data"]["revokeSigningKey"]["errors"][0]["code"] == "KEY_REVOCATION_FUTURE"
    body = await api.execute(
        REVOKE,
        {"input": {"kid": key["kid"], "effectiveAt": deps.clock().isoformat(), "note": "  "}},
        token=token,
    )
    assert body["data"]["revokeSigningKey"]["errors"][0]["code"] == "KEY_REVOCATION_NOTE"
    body = await api.execute(
        REVOKE,
        {"input": {"kid": "A" * 16, "effectiveAt": deps.clock().isoformat(), "note": "n"}},
        token=token,
    )
    assert body["data"]["revokeSigningKey"]["errors"][0]["code"] == "KEY_NOT_FOUND"


async def test_applicant_and_anonymous_are_refused(api: ApiClient, deps: Deps) -> None:
    await make_people(deps)
    applicant = (await api.login(ID_MALE_1985)).token
    for mutation in (CREATE, ROTATE):
        body = await api.execute(mutation, token=applicant)
        payload = next(iter(body["data"].values()))
        assert payload["__typename"] == "UserErrors"
        assert payload["errors"][0]["code"] == "FORBIDDEN"
    body = await api.execute(RETIRE, {"kid": "A" * 16})
    assert body["data"]["retireSigningKey"]["errors"][0]["code"] == "UNAUTHENTICATED"
    listed = await api.execute(KEYS, token=applicant)
    assert listed["data"] is None and listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Nothing was created by the refused calls.
    signer = (await api.login(SIGNER_ID)).token
    assert len((await api.execute(KEYS, token=signer))["data"]["signingKeys"]) == 1


async def test_revoke_signing_key_with_reissue_queues_the_job(api: ApiClient, deps: Deps) -> None:
    from schema.models import BatchStatus, KeyReissueJob
    from tests.services.test_key_reissue import REVOKED_FROM, _drill_setup

    drill = await _drill_setup(deps)
    token = (await api.login(SIGNER_ID)).token
    body = await api.execute(
        REVOKE,
        {
            "input": {
                "kid": drill.key_a,
                "effectiveAt": REVOKED_FROM.isoformat(),
                "note": "签名密钥疑似泄露",
                "reissue": True,
            }
        },
        token=token,
    )
    assert body["data"]["revokeSigningKey"]["key"]["state"] == "REVOKED", body
    job = await KeyReissueJob.get(kid=drill.key_a)
    assert job.total == 3 and job.requested_by_id == drill.people.signer.account_id
    # The app's in-process worker (the tests' setting on both databases) was woken: it
    # runs the job off the request.
    for _ in range(100):
        await job.refresh_from_db()
        if job.status is BatchStatus.DONE:
            break
        await asyncio.sleep(0.1)
    assert (job.status, job.done_count) == (BatchStatus.DONE, 3)
