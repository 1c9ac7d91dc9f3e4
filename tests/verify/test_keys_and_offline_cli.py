"""`ecert keys …` and the offline verifier `ecert verify …`, run as real subprocesses
against this test's database (both backends)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from tests.support.flows import holder_download, issue_yubei_certificate, make_people
from tests.support.settings import test_environ

ROOT = Path(__file__).resolve().parents[2]
KID_LEN = 16


def _env(database_url: str, data_dir: Path) -> dict[str, str]:
    return {**os.environ, **test_environ(database_url=database_url, data_dir=str(data_dir))}


def ecert(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graphql_api.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def ecert_async(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """For tests with a live server in this event loop: the loop must keep serving."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "graphql_api.cli",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode or 0, out.decode(), err.decode()


def _table(output: str) -> dict[str, list[str]]:
    rows = [line.split() for line in output.splitlines()[1:] if len(line.split()) == 5]
    return {row[0]: row[1:] for row in rows}


def test_keys_create_list_rotate_retire_revoke(database_url, tmp_path):
    env = _env(database_url, tmp_path)
    empty = ecert(env, "keys", "list")
    assert empty.returncode == 0 and "no key can sign now" in empty.stdout

    created = ecert(env, "keys", "create")
    assert created.returncode == 0, created.stderr
    first = created.stdout.split()[3].rstrip(",")
    assert len(first) == KID_LEN
    assert _table(ecert(env, "keys", "list").stdout)[first][-1] == "signing"

    rotated = ecert(env, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    second = rotated.stdout.split()[1]
    table = _table(ecert(env, "keys", "list").stdout)
    assert table[first][-1] == "retired" and table[second][-1] == "signing"

    revoked = ecert(
        env,
        "keys",
        "revoke",
        first,
        "--effective-at",
        "2026-01-01T08:00:00+08:00",
        "--note",
        "离职人员曾接触密钥备份",
    )
    assert revoked.returncode == 0, revoked.stderr
    table = _table(ecert(env, "keys", "list").stdout)
    assert table[first][2] == "2026-01-01T00:00:00Z" and table[first][-1] == "revoked"

    again = ecert(env, "keys", "revoke", first, "--note", "再次")
    assert again.returncode != 0 and "KEY_ALREADY_REVOKED" in again.stderr
    naive = ecert(
        env, "keys", "revoke", second, "--effective-at", "2026-01-01T08:00", "--note", "n"
    )
    assert naive.returncode != 0 and "time zone" in naive.stderr

    retired = ecert(env, "keys", "retire", second)
    assert retired.returncode == 0, retired.stderr
    assert _table(ecert(env, "keys", "list").stdout)[second][-1] == "retired"

    target = tmp_path / "exported.json"
    assert ecert(env, "keys", "export-jwks", str(target)).returncode == 0
    document = json.loads(target.read_text(encoding="utf-8"))
    assert {k["kid"] for k in document["keys"]} == {first, second}
    assert all("d" not in k for k in document["keys"])
    assert "离职人员" not in target.read_text(encoding="utf-8")


async def test_offline_verify_of_a_qr_image_and_of_a_tampered_url(db, deps, tmp_path):
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    env = _env(db, deps.settings.data_dir)
    png = tmp_path / "scan.png"
    png.write_bytes((await holder_download(deps, cert)).qr_png)

    # Default cache file: $ECERT_DATA_DIR/jwks.json, written by export-jwks.
    exported = ecert(env, "keys", "export-jwks")
    assert exported.returncode == 0, exported.stderr
    assert (deps.settings.data_dir / "jwks.json").is_file()

    ok = ecert(env, "verify", str(png))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    for expected in (
        "有效",
        "张三",
        "5001**********0238",
        "工程师",
        "中级",
        cert.number,
        cert.kid,
        cert.check_code,
        "渝北区人力资源和社会保障局",
    ):
        assert expected in ok.stdout, expected
    # The URL text itself, lower-cased by a scanner, works as well.
    assert ecert(env, "verify", cert.verification_url.lower()).returncode == 0

    prefix, payload = cert.verification_url.rsplit("/", 1)
    i = len(payload) // 3
    tampered = f"{prefix}/{payload[:i]}{'B' if payload[i] != 'B' else 'C'}{payload[i + 1 :]}"
    bad = ecert(env, "verify", tampered)
    assert bad.returncode == 1 and "无法验证" in bad.stdout and "张三" not in bad.stdout
    garbage = ecert(env, "verify", "https://example.com/not-a-certificate")
    assert garbage.returncode == 1

    # A JWK Set without the signing key: unknown key, with a hint to refresh.
    empty = tmp_path / "empty.json"
    empty.write_text('{"keys": []}', encoding="utf-8")
    unknown = ecert(env, "verify", str(png), "--jwks", str(empty))
    assert unknown.returncode == 1 and "--fetch" in unknown.stdout
    missing = ecert(env, "verify", str(png), "--jwks", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "export-jwks" in missing.stderr


async def test_offline_verify_fetches_the_published_jwks(server, deps, tmp_path):
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    png = tmp_path / "scan.png"
    png.write_bytes((await holder_download(deps, cert)).qr_png)
    env = _env("sqlite://unused", tmp_path / "verifier")  # a verifier with no database at all
    cache = tmp_path / "verifier" / "jwks.json"

    code, out, err = await ecert_async(env, "verify", str(png), "--fetch", server.base_url)
    assert code == 0, out + err
    assert "有效" in out and cache.is_file()
    assert json.loads(cache.read_text(encoding="utf-8"))["keys"][0]["kid"] == cert.kid

    # Later the key is revoked back to before the signature; a refreshed copy says so.
    from schema.services.signing_keys import revoke_key
    from tests.support.factories import NOW

    await revoke_key(
        actor=people.signer,
        kid=cert.kid,
        effective_at=NOW - timedelta(days=1),
        note="泄露",
        now=NOW,
    )
    stale_code, _, _ = await ecert_async(env, "verify", str(png))
    assert stale_code == 0  # the stale copy cannot know
    code, out, _ = await ecert_async(env, "verify", str(png), "--fetch", server.base_url)
    assert code == 1 and "无法验证" in out


def test_development_migrate_creates_a_signing_key_once(tmp_path):
    """`make run` runs `ecert migrate`: in development it must leave a key that can sign."""
    env = _env(f"sqlite://{tmp_path / 'dev.sqlite3'}", tmp_path)
    env["ECERT_ENV"] = "development"
    first = ecert(env, "migrate")
    assert first.returncode == 0, first.stderr
    assert "development signing key" in first.stdout and "created" in first.stdout
    second = ecert(env, "migrate")
    assert second.returncode == 0 and "signing key present" in second.stdout
    table = _table(ecert(env, "keys", "list").stdout)
    assert [state[-1] for state in table.values()] == ["signing"]

    env["ECERT_ENV"] = "test"  # tests and production never get a key implicitly
    env["ECERT_DATABASE_URL"] = f"sqlite://{tmp_path / 'test.sqlite3'}"
    assert "signing key" not in ecert(env, "migrate").stdout


async def test_keys_affected_lists_what_a_revocation_stops_verifying(db, deps):
    """The revocation runbook's list (docs/operations.md step 4) on both databases: a
    hand-written SQL date comparison found nothing on SQLite."""
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    env = _env(db, deps.settings.data_dir)
    before = (cert.signed_at - timedelta(hours=1)).isoformat()
    after = (cert.signed_at + timedelta(seconds=1)).isoformat()

    revoked = ecert(env, "keys", "revoke", cert.kid, "--effective-at", before, "--note", "泄露")
    assert revoked.returncode == 0, revoked.stderr
    listed = ecert(env, "keys", "affected", cert.kid)
    assert listed.returncode == 0, listed.stderr
    assert cert.cert_id in listed.stdout and cert.number in listed.stdout, listed.stdout
    assert "1 certificate versions" in listed.stdout, listed.stdout

    later = ecert(env, "keys", "affected", cert.kid, "--since", after)
    assert cert.cert_id not in later.stdout and "0 certificate versions" in later.stdout
