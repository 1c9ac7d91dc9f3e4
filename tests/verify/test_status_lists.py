"""Signed status lists (docs/verification-format.md §12), through the real use cases on both
backends: the entry signed into each new certificate, the list published at /status/{id}
(valid → revoked → reinstated, superseded after a correction), the offline verifier
(``ecert verify --fetch`` against the live server), distinct random entries, expired lists
refused, format-1 certificates unchanged."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tortoise.transactions import in_transaction

from crypto import parse_jwks
from crypto._util import b32decode_nopad
from crypto.canonical import (
    FORMAT_VERSION_STATUS,
    STATUS_LIST_ENTRIES,
    StatusIndex,
    decode_claims,
)
from crypto.signing import parse_cose_sign1, verify_cose
from crypto.status_list import (
    EntryStatus,
    StatusListError,
    StatusListReason,
    verify_status_list,
)
from schema.models import Certificate
from schema.services.revocation import reinstate_certificate
from schema.services.signing_keys import published_jwks
from schema.services.status_lists import (
    STATUS_LIST_VALIDITY,
    allocate_status_indexes,
    published_status_list,
)
from tests.support.factories import NOW
from tests.verify.test_keys_and_offline_cli import ecert_async
from tests.verify.verify_support import certificates_in_every_state

DOC = Path(__file__).resolve().parents[2] / "docs" / "verification-format.md"


def _entry(cert: Certificate) -> StatusIndex:
    assert cert.signed_payload is not None
    message = parse_cose_sign1(cert.signed_payload)
    claims = decode_claims(message.payload)
    assert claims.format_version == FORMAT_VERSION_STATUS
    assert claims.status_index is not None
    # The signed entry is the one stored on the row.
    assert (claims.status_index.list_id, claims.status_index.index) == (
        cert.status_list_id,
        cert.status_index,
    )
    return claims.status_index


async def _list_now(deps, list_id: int, now: datetime | None = None) -> str:
    return await published_status_list(
        list_id,
        signer=deps.issuer.signer,
        public_base_url=deps.settings.public_base_url,
        now=now or datetime.now(UTC),
    )


async def test_each_state_is_published_in_the_signed_list(db, deps):
    states = await certificates_in_every_state(deps)
    keys = parse_jwks(await published_jwks())
    entries = {name: _entry(getattr(states, name)) for name in ("valid", "superseded", "revoked")}
    assert len({(e.list_id, e.index) for e in entries.values()}) == 3
    list_id = entries["valid"].list_id
    assert {e.list_id for e in entries.values()} == {list_id}

    now = datetime.now(UTC)
    document = verify_status_list(await _list_now(deps, list_id), keys, now=now, list_id=list_id)
    assert document.valid_until - document.issued_at == STATUS_LIST_VALIDITY
    assert document.status(entries["valid"].index) is EntryStatus.VALID
    assert document.status(entries["superseded"].index) is EntryStatus.SUPERSEDED
    assert document.status(entries["revoked"].index) is EntryStatus.REVOKED
    # Nothing but the three entries is set: the list reveals no holder, id or count of others.
    set_bits = sum(1 for i in range(STATUS_LIST_ENTRIES) if document.status(i) != 0)
    assert set_bits == 2

    # Reinstatement changes the list at once (the cache is keyed by the entries' digest).
    await reinstate_certificate(
        actor=states.people.reviewer,
        cert_id=states.revoked.cert_id,
        note="复核后确认发证无误，予以恢复",
        now=NOW + timedelta(days=4),
    )
    after = verify_status_list(await _list_now(deps, list_id), keys, now=now, list_id=list_id)
    assert after.status(entries["revoked"].index) is EntryStatus.VALID


async def test_entries_are_distinct_random_and_a_full_list_opens_the_next(db, deps):
    async with in_transaction() as conn:
        drawn = await allocate_status_indexes(4000, now=NOW, conn=conn)
    indexes = [e.index for e in drawn]
    assert len(set(indexes)) == len(indexes) == 4000
    assert len({e.list_id for e in drawn}) == 1
    # Spread over the whole list, in no order: not a counter.
    assert min(indexes) < STATUS_LIST_ENTRIES // 16
    assert max(indexes) > STATUS_LIST_ENTRIES - STATUS_LIST_ENTRIES // 16
    assert indexes != sorted(indexes)
    # Mean of a uniform draw: within a few standard errors of the middle.
    mean = sum(indexes) / len(indexes)
    assert abs(mean - STATUS_LIST_ENTRIES / 2) < 4 * (STATUS_LIST_ENTRIES / 12**0.5) / 4000**0.5


async def test_offline_verifier_reads_revoked_superseded_and_valid_from_the_fetched_list(
    server, deps, tmp_path
):
    states = await certificates_in_every_state(deps)
    env = {**os.environ, "ECERT_DATA_DIR": str(tmp_path)}
    expected = {
        "revoked": (1, "结果：已撤销"),
        "superseded": (1, "结果：已更正"),
        "valid": (0, "结果：有效"),
    }
    for name, (code, verdict) in expected.items():
        cert: Certificate = getattr(states, name)
        rc, out, err = await ecert_async(
            env, "verify", cert.verification_url or "", "--fetch", server.base_url
        )
        assert rc == code, (name, out, err)
        assert verdict in out, out
        assert f"status-list-{cert.status_list_id}.jwt" in out  # fetched next to jwks.json
    assert (tmp_path / "jwks.json").is_file()

    # From the cached copies only (no network): the same answers.
    rc, out, _ = await ecert_async(env, "verify", states.revoked.verification_url or "")
    assert rc == 1 and "结果：已撤销" in out and "fetched" not in out


async def test_an_expired_list_is_refused_and_never_reads_as_valid(db, deps, tmp_path):
    states = await certificates_in_every_state(deps)
    entry = _entry(states.valid)
    keys = parse_jwks(await published_jwks())
    now = datetime.now(UTC)
    old = await _list_now(deps, entry.list_id, now - STATUS_LIST_VALIDITY - timedelta(hours=1))
    with pytest.raises(StatusListError) as refused:
        verify_status_list(old, keys, now=now, list_id=entry.list_id)
    assert refused.value.reason is StatusListReason.EXPIRED
    # Another list's document is not this one.
    fresh = await _list_now(deps, entry.list_id)
    with pytest.raises(StatusListError) as wrong:
        verify_status_list(fresh, keys, now=now, list_id=entry.list_id + 1)
    assert wrong.value.reason is StatusListReason.WRONG_LIST

    (tmp_path / "jwks.json").write_text(json.dumps(await published_jwks()), encoding="utf-8")
    (tmp_path / f"status-list-{entry.list_id}.jwt").write_text(old, encoding="ascii")
    env = {**os.environ, "ECERT_DATA_DIR": str(tmp_path)}
    rc, out, _ = await ecert_async(env, "verify", states.valid.verification_url or "")
    assert rc == 2, out
    assert "status list expired, refresh" in out and "结果：有效" not in out


async def test_format_1_certificates_still_verify_with_status_unknown_offline(tmp_path):
    """The worked example of §9 is a format-1 certificate: no status entry, same answer."""
    text = DOC.read_text(encoding="utf-8")
    url = "".join(re.search(r"```ecert-example:url\n(.*?)```", text, re.S)[1].split())  # type: ignore[index]
    jwks = re.search(r"```ecert-example:jwks\n(.*?)```", text, re.S)[1]  # type: ignore[index]
    (tmp_path / "jwks.json").write_text(jwks, encoding="utf-8")
    verified = verify_cose(b32decode_nopad(url.rsplit("/", 1)[1]), parse_jwks(json.loads(jwks)))
    assert verified.claims.format_version == 1 and verified.claims.status_index is None
    env = {**os.environ, "ECERT_DATA_DIR": str(tmp_path)}
    rc, out, _ = await ecert_async(env, "verify", url)
    assert rc == 0, out
    assert "结果：签名有效" in out and "须打开二维码网址在线查询" in out
