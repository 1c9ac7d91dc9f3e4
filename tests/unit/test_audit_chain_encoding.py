"""The audit chain's canonical encoding, pinned byte for byte (docs/operations.md, "Audit log
integrity", documents it for anyone who recomputes a hash outside ecert)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

from schema.audit_chain import GENESIS, ChainLink, canonical_bytes, link_from_row, record_hash

LINK = ChainLink(
    id=42,
    seq=7,
    at=datetime(2026, 11, 27, 17, 30, 0, 5, tzinfo=timezone(timedelta(hours=8))),
    actor_id=3,
    actor_role="reviewer",
    action="registration.approved",
    entity_type="registration",
    entity_id="r1",
    before={"status": "SUBMITTED"},
    after={"z": [1, 2.0, {"b": 1, "a": "张三"}], "a": 0.5},
    note=None,
    request_id=None,
    prev_hash=GENESIS,
)

EXPECTED = (
    '{"action":"registration.approved","actor_id":3,"actor_role":"reviewer",'
    '"after":{"a":0.5,"z":[1,2,{"a":"张三","b":1}]},"at":"2026-11-27T09:30:00.000005Z",'
    '"before":{"status":"SUBMITTED"},"entity_id":"r1","entity_type":"registration","id":42,'
    '"note":null,"prev_hash":"' + GENESIS + '","request_id":null,"seq":7,"v":1}'
)


def test_the_encoding_is_sorted_compact_utf8_json_with_utc_microseconds():
    assert canonical_bytes(LINK) == EXPECTED.encode("utf-8")


def test_the_hash_is_sha256_hex_of_the_encoding():
    assert record_hash(LINK) == hashlib.sha256(EXPECTED.encode("utf-8")).hexdigest()


def test_a_row_as_sqlite_returns_it_hashes_like_the_values_written():
    row = {
        "id": 42,
        "seq": 7,
        "at": "2026-11-27 09:30:00.000005+00:00",
        "actor_id": 3,
        "actor_role": "reviewer",
        "action": "registration.approved",
        "entity_type": "registration",
        "entity_id": "r1",
        "before": '{"status":"SUBMITTED"}',
        "after": '{"z":[1,2.0,{"b":1,"a":"张三"}],"a":0.5}',
        "note": None,
        "request_id": None,
        "prev_hash": GENESIS,
    }
    assert record_hash(link_from_row(row)) == record_hash(LINK)
    assert link_from_row(row).at == datetime(2026, 11, 27, 9, 30, 0, 5, tzinfo=UTC)
