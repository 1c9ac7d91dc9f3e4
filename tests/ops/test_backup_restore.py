"""Backup and restore with the real `ecert` binary, into a fresh database and a fresh data
directory on both backends; afterwards every certificate verifies on the page and serves
its images. A damaged backup is refused in one line; after a partial restore (database
without its blobs) the QR images are drawn again and a lost photo says so (410)."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from crypto import decode_qr_image
from schema.actor import SYSTEM
from schema.db import close_db, open_db
from schema.http_edge.deps import Deps, build_deps
from schema.http_edge.settings import load_settings
from schema.models import Certificate, SigningKey
from schema.services import signing_keys
from schema.storage import FileBlobStore
from tests.support.client import ApiClient, in_process
from tests.support.databases import PG_ADMIN_URL, admin_execute, forget_cached_sql
from tests.support.factories import ID_MALE_1985
from tests.support.flows import holder_download
from tests.support.settings import test_environ
from tests.verify.verify_support import (
    SECOND_HOLDER_ID,
    States,
    certificates_in_every_state,
    local_path,
)

ECERT = str(Path(sys.executable).with_name("ecert"))
JSON = {"Accept": "application/json"}
_names = itertools.count()


async def ecert(*args: str, database_url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **test_environ(database_url=database_url, data_dir=str(data_dir))}
    return await asyncio.to_thread(
        subprocess.run,
        [ECERT, *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture
async def fresh_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the test's backend (PostgreSQL: created, not migrated)."""
    if backend == "sqlite":
        yield f"sqlite://{tmp_path / 'restored' / 'ecert.sqlite3'}"
        return
    name = f"ecert_restore_{os.getpid()}_{next(_names)}"
    await admin_execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL}/{name}"
    finally:
        await admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _switch_to(url: str) -> None:
    """The test's process now talks to the restored database (the fixture closes it)."""
    await close_db()
    forget_cached_sql()
    await open_db(url)


def _restored_deps(url: str, data_dir: Path) -> Deps:
    return build_deps(load_settings(test_environ(database_url=url, data_dir=str(data_dir))))


async def _states_on_pages(api: ApiClient) -> dict[str, str]:
    certs = await Certificate.all()
    answers = {}
    for cert in certs:
        page = await api.http.get(local_path(cert.verification_url or ""), headers=JSON)
        answers[cert.cert_id] = page.json()["state"]
    return answers


@pytest.mark.parametrize("archive", ["backup-dir", "backup.tar.gz"])
async def test_restore_into_a_fresh_database_and_data_dir(
    db: str, deps: Deps, fresh_url: str, tmp_path: Path, archive: str
) -> None:
    states = await certificates_in_every_state(deps)
    async with in_process(deps) as api:
        before = await _states_on_pages(api)
    assert sorted(before.values()) == ["REVOKED", "SUPERSEDED", "VALID"]

    backup = tmp_path / archive
    made = await ecert("backup", str(backup), database_url=db, data_dir=deps.settings.data_dir)
    assert made.returncode == 0, made.stderr
    assert "not included, keep them separately: ECERT_PII_HMAC_KEY" in made.stdout

    restored_dir = tmp_path / "restored"
    done = await ecert("restore", str(backup), database_url=fresh_url, data_dir=restored_dir)
    assert done.returncode == 0, done.stderr
    assert "check: 3 certificates verify" in done.stdout

    await _switch_to(fresh_url)
    async with in_process(_restored_deps(fresh_url, restored_dir)) as api:
        assert await _states_on_pages(api) == before
        await _each_certificate_serves_its_images(api, states)


async def _each_certificate_serves_its_images(api: ApiClient, states: States) -> None:
    for cert, holder in (
        (states.valid, ID_MALE_1985),
        (states.superseded, ID_MALE_1985),
        (states.revoked, SECOND_HOLDER_ID),
    ):
        photo = await api.http.get(f"/V/{cert.cert_id}/photo")
        assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
        token = (await api.login(holder)).token
        png = await api.http.get(
            f"/certificates/{cert.cert_id}/qr.png", headers={"Authorization": f"Bearer {token}"}
        )
        assert png.status_code == 200 and decode_qr_image(png.content) == cert.verification_url


async def test_manifest_lists_hashes_versions_and_keys_but_no_secret(
    db: str, deps: Deps, tmp_path: Path
) -> None:
    states = await certificates_in_every_state(deps)
    valid = await holder_download(deps, states.valid)  # the first download stores the images
    revoked = await holder_download(deps, states.revoked)
    backup = tmp_path / "backup"
    made = await ecert("backup", str(backup), database_url=db, data_dir=deps.settings.data_dir)
    assert made.returncode == 0, made.stderr
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    blobs = [f for f in manifest["files"] if f["path"].startswith("blobs/")]
    assert {f["path"].rsplit("/", 1)[1] for f in blobs} >= {
        states.valid.photo_sha256,
        valid.qr_png_sha256,
        revoked.qr_svg_sha256,
    }
    assert all(f["path"].rsplit("/", 1)[1] == f["sha256"] for f in blobs)
    assert manifest["migration"] and manifest["appVersion"]
    assert [k["kid"] for k in manifest["signingKeys"]] == [states.valid.kid]
    assert manifest["notIncluded"]["secrets"] == [
        "ECERT_PII_HMAC_KEY",
        "ECERT_PII_ENCRYPTION_KEY",
        "ECERT_SIGNING_PASSPHRASE",
    ]
    everything = b"".join(p.read_bytes() for p in backup.rglob("*") if p.is_file())
    assert deps.settings.signing_passphrase.reveal() not in everything
    assert deps.settings.pii_hmac_key.reveal() not in everything


async def test_a_damaged_backup_is_refused_before_anything_is_restored(
    db: str, deps: Deps, fresh_url: str, tmp_path: Path
) -> None:
    states = await certificates_in_every_state(deps)
    backup = tmp_path / "backup"
    made = await ecert("backup", str(backup), database_url=db, data_dir=deps.settings.data_dir)
    assert made.returncode == 0, made.stderr
    photo = states.valid.photo_sha256 or ""
    damaged = backup / "blobs" / photo[:2] / photo[2:4] / photo
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"\0")

    restored_dir = tmp_path / "restored"
    refused = await ecert("restore", str(backup), database_url=fresh_url, data_dir=restored_dir)
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        f"ecert: backup damaged: blobs/{photo[:2]}/{photo[2:4]}/{photo} does not match its SHA-256"
    ]
    assert not (restored_dir / "blobs").exists()


async def test_restore_refuses_a_database_that_is_not_empty(
    db: str, deps: Deps, tmp_path: Path
) -> None:
    await certificates_in_every_state(deps)
    backup = tmp_path / "backup.tar"
    made = await ecert("backup", str(backup), database_url=db, data_dir=deps.settings.data_dir)
    assert made.returncode == 0 and tarfile.is_tarfile(backup), made.stderr
    refused = await ecert("restore", str(backup), database_url=db, data_dir=tmp_path / "other")
    assert refused.returncode == 2 and len(refused.stderr.splitlines()) == 1
    assert "restore only into an empty database" in refused.stderr


# ------------------------------------------------------------------------- partial restore


def _remove_blob(deps: Deps, key: str | None) -> None:
    assert key
    (deps.settings.data_dir / "blobs" / key[:2] / key[2:4] / key).unlink()


async def test_missing_qr_images_are_drawn_again(api: ApiClient, deps: Deps) -> None:
    states = await certificates_in_every_state(deps)
    cert = states.valid
    # Drawn by an earlier process (its own store, so this app's read cache never held them),
    # then the files are lost.
    earlier = dataclasses.replace(deps, store=FileBlobStore(deps.settings.data_dir / "blobs"))
    drawn = await holder_download(earlier, cert)
    _remove_blob(deps, drawn.qr_png_sha256)
    _remove_blob(deps, drawn.qr_svg_sha256)
    token = (await api.login(ID_MALE_1985)).token
    auth = {"Authorization": f"Bearer {token}"}

    png = await api.http.get(f"/certificates/{cert.cert_id}/qr.png", headers=auth)
    svg = await api.http.get(f"/certificates/{cert.cert_id}/qr.svg", headers=auth)

    assert png.status_code == 200 and decode_qr_image(png.content) == cert.verification_url
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    stored = await Certificate.get(id=cert.id)
    assert await deps.store.get(stored.qr_png_sha256 or "") == png.content  # stored again


async def test_a_missing_photo_is_gone_with_a_chinese_message(
    api: ApiClient, deps: Deps
) -> None:
    states = await certificates_in_every_state(deps)
    _remove_blob(deps, states.valid.photo_sha256)
    resp = await api.http.get(f"/V/{states.valid.cert_id}/photo")
    assert (resp.status_code, resp.text) == (410, "证书照片文件缺失，请联系发证机关")
    page = await api.http.get(local_path(states.valid.verification_url or ""), headers=JSON)
    assert page.status_code == 200 and page.json()["state"] == "VALID"


@pytest.mark.pg_only
async def test_postgres_backup_without_pg_dump_copies_every_table(
    db: str, deps: Deps, fresh_url: str, tmp_path: Path
) -> None:
    """The service image has no pg_dump: COPY of every table, restored after migrating."""
    await certificates_in_every_state(deps)
    async with in_process(deps) as api:
        before = await _states_on_pages(api)
    backup = tmp_path / "backup"
    made = await ecert(
        "backup", "--pg-method", "copy", str(backup),
        database_url=db, data_dir=deps.settings.data_dir,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["database"]["method"] == "copy"

    restored_dir = tmp_path / "restored"
    done = await ecert("restore", str(backup), database_url=fresh_url, data_dir=restored_dir)
    assert done.returncode == 0, done.stderr
    await _switch_to(fresh_url)
    async with in_process(_restored_deps(fresh_url, restored_dir)) as api:
        assert await _states_on_pages(api) == before
    # The sequences continue after the copied rows: new rows can be written.
    rotated = await signing_keys.rotate_key(
        actor=SYSTEM, passphrase=deps.settings.signing_passphrase.reveal(), now=deps.clock()
    )
    assert rotated.id > max(k.id for k in await SigningKey.exclude(id=rotated.id))
