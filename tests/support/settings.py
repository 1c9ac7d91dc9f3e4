"""Settings for tests: fixed keys, test environment."""

from __future__ import annotations

import base64
import tempfile

from schema.pii import PiiProtector

_HMAC_BYTE, _ENCRYPTION_BYTE = 1, 2


def _key(byte: int) -> str:
    return base64.urlsafe_b64encode(bytes([byte]) * 32).decode()


def test_pii() -> PiiProtector:
    """The protector the test settings' keys make (as ``deps.pii``), for helpers without deps."""
    return PiiProtector(
        hmac_key=bytes([_HMAC_BYTE]) * 32, encryption_key=bytes([_ENCRYPTION_BYTE]) * 32
    )


def test_environ(*, database_url: str, data_dir: str | None = None, **extra: str) -> dict[str, str]:
    env = {
        "ECERT_ENV": "test",
        "ECERT_DATABASE_URL": database_url,
        "ECERT_DATA_DIR": data_dir or tempfile.mkdtemp(prefix="ecert-test-"),
        "ECERT_PII_HMAC_KEY": _key(_HMAC_BYTE),
        "ECERT_PII_ENCRYPTION_KEY": _key(_ENCRYPTION_BYTE),
        "ECERT_SIGNING_PASSPHRASE": "test-signing-passphrase",
        "ECERT_PUBLIC_BASE_URL": "https://verify.ecert.test",
        # Live test servers run collection jobs themselves on both databases; the
        # procrastinate workers have tests of their own (tests/ops/test_collection_workers.py).
        "ECERT_INPROCESS_WORKER": "true",
        "ECERT_IMPORT_LEASE_SECONDS": "3",
        # One test client sends hundreds of requests in a burst (the permission table): the
        # per-client limit has its own tests (tests/graphql/test_edge_http.py) with small limits.
        "ECERT_GRAPHQL_BURST": "100000",
    }
    env.update(extra)
    return env


test_pii.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test
test_environ.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test
