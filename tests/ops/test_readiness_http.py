"""/readyz names the database, blob storage and the signing key; a wrong signing passphrase
fails readiness (and is logged once at startup) while verification keeps working; key
changes with it are refused over GraphQL and on the command line (both databases)."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from schema.http_edge.deps import Deps, build_deps
from schema.http_edge.settings import load_settings
from schema.models import SigningKey
from tests.support.client import ApiClient, in_process
from tests.support.flows import SIGNER_ID, issue_yubei_certificate, make_people
from tests.support.settings import test_environ
from tests.verify.verify_support import local_path

ROTATE = """mutation { rotateSigningKey { __typename
  ... on SigningKeySuccess { key { kid } }
  ... on UserErrors { errors { code message } } } }"""
CREATE = ROTATE.replace("rotateSigningKey", "createSigningKey")


def _deps(deps: Deps, **env: str) -> Deps:
    """The same database and data directory as ``deps``, other settings from ``env``."""
    settings = deps.settings
    return build_deps(
        load_settings(
            test_environ(
                database_url=settings.database_url, data_dir=str(settings.data_dir), **env
            )
        )
    )


async def test_readyz_reports_each_check_by_name(server: ApiClient, deps: Deps) -> None:
    await make_people(deps)
    resp = await server.http.get("/readyz")
    body = resp.json()
    assert resp.status_code == 200 and resp.headers["cache-control"] == "no-store"
    assert (body["status"], body["database"], body["storage"], body["signingKey"]) == (
        "ready",
        "ok",
        "ok",
        "ok",
    )
    key = await SigningKey.first()
    assert key is not None and body["signingKid"] == key.kid


async def test_no_key_yet_is_reported_but_ready(api: ApiClient) -> None:
    resp = await api.http.get("/readyz")
    assert resp.status_code == 200 and resp.json()["signingKey"] == "no-key"


async def test_wrong_passphrase_fails_readiness_but_verification_works(
    db: str, deps: Deps, caplog: pytest.LogCaptureFixture
) -> None:
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    wrong = _deps(deps, ECERT_SIGNING_PASSPHRASE="not-the-passphrase")
    with caplog.at_level(logging.ERROR, logger="ecert.readiness"):
        async with in_process(wrong) as api:
            ready = await api.http.get("/readyz")
            page = await api.http.get(
                local_path(cert.verification_url or ""), headers={"Accept": "application/json"}
            )
    body = ready.json()
    assert ready.status_code == 503 and body["status"] == "unavailable"
    assert (body["database"], body["storage"], body["signingKey"]) == ("ok", "ok", "locked")
    assert body["reasons"] == [
        f"signingKey: the signing passphrase does not open key {cert.kid}: "
        "check ECERT_SIGNING_PASSPHRASE (verification is not affected)"
    ]
    assert page.status_code == 200 and page.json()["state"] == "VALID"
    startup = [r.getMessage() for r in caplog.records if r.name == "ecert.readiness"]
    assert startup == [f"not ready: {body['reasons'][0]}"]


async def test_unwritable_storage_fails_readiness(api: ApiClient, deps: Deps) -> None:
    blobs = deps.settings.data_dir / "blobs"
    blobs.mkdir(exist_ok=True)
    blobs.rmdir()
    blobs.write_bytes(b"a file where the blob directory should be")
    resp = await api.http.get("/readyz")
    body = resp.json()
    assert resp.status_code == 503 and (body["storage"], body["database"]) == ("unwritable", "ok")
    assert body["reasons"] == [
        "storage: files cannot be written (read-only, permissions or not a directory)"
    ]


async def test_full_storage_fails_readiness(api: ApiClient, deps: Deps) -> None:
    from tests.support.mounts import tmpfs

    blobs = deps.settings.data_dir / "blobs"
    with tmpfs(blobs, size_kb=4):
        (blobs / "filler").write_bytes(b"\0" * 4096)
        resp = await api.http.get("/readyz")
    assert resp.status_code == 503 and resp.json()["storage"] == "full"


async def test_graphql_key_changes_with_a_wrong_passphrase_are_refused(
    db: str, deps: Deps
) -> None:
    await make_people(deps)
    before = await SigningKey.all().count()
    async with in_process(_deps(deps, ECERT_SIGNING_PASSPHRASE="not-the-passphrase")) as api:
        token = (await api.login(SIGNER_ID)).token
        rotated = (await api.execute(ROTATE, token=token))["data"]["rotateSigningKey"]
        created = (await api.execute(CREATE, token=token))["data"]["createSigningKey"]
    for payload in (rotated, created):
        assert payload["__typename"] == "UserErrors"
        assert payload["errors"][0]["code"] == "SIGNING_PASSPHRASE_WRONG"
    assert await SigningKey.all().count() == before
    assert await SigningKey.filter(retired_at=None).count() == 1


async def test_cli_rotate_with_a_wrong_passphrase_refuses_in_one_line(
    db: str, deps: Deps
) -> None:
    await make_people(deps)
    env = {
        **os.environ,
        **test_environ(
            database_url=db,
            data_dir=str(deps.settings.data_dir),
            ECERT_SIGNING_PASSPHRASE="not-the-passphrase",
        ),
    }
    result = await asyncio.to_thread(
        subprocess.run,
        [str(Path(sys.executable).with_name("ecert")), "keys", "rotate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and result.stderr.splitlines() == [
        "ecert: refused: SIGNING_PASSPHRASE_WRONG 签名口令与现有签名密钥不符，未作任何更改；"
        "请检查签名口令配置（ECERT_SIGNING_PASSPHRASE）"
    ]
    assert await SigningKey.filter(retired_at=None).count() == 1
