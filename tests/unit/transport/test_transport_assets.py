"""scripts/fetch_graphiql_assets.py: npm download, integrity check, safe extraction."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

from graphql_api.graphiql import template_assets

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "fetch_graphiql_assets.py"
LOCK = ROOT / "scripts" / "graphiql-assets.lock.json"


def run_script(*args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env=env,
    )


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fetch_graphiql_assets_under_test", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fetched(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real run of the script (needs npm and access to the npm registry)."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    dest = tmp_path_factory.mktemp("fetched") / "vendor"
    proc = run_script("--dest", str(dest))
    assert proc.returncode == 0, proc.stderr
    assert "Installed graphiql@" in proc.stdout
    return dest


def test_lock_covers_the_installed_template_exactly() -> None:
    lock = json.loads(LOCK.read_text(encoding="utf-8"))
    in_lock = {f"{p['name']}@{p['version']}/{f}" for p in lock["packages"] for f in p["files"]}
    assert in_lock == {asset.relative_path for asset in template_assets()}
    assert all(p["integrity"].startswith("sha512-") for p in lock["packages"])


def test_fetch_installs_every_template_file(fetched: Path) -> None:
    for asset in template_assets():
        assert (fetched / asset.relative_path).is_file(), asset.relative_path
    # Only the listed files, and no staging leftovers.
    installed = {p.relative_to(fetched).as_posix() for p in fetched.rglob("*") if p.is_file()}
    assert installed == {asset.relative_path for asset in template_assets()}


def test_second_run_does_nothing_even_without_npm(fetched: Path) -> None:
    proc = run_script("--dest", str(fetched), path="")
    assert proc.returncode == 0
    assert "already installed" in proc.stdout


def test_missing_npm_exits_zero_with_a_clear_message(tmp_path: Path) -> None:
    proc = run_script("--dest", str(tmp_path / "vendor"), path="")
    assert proc.returncode == 0
    assert "npm not found" in proc.stdout
    assert "the API works" in proc.stdout
    assert not (tmp_path / "vendor").exists()


def test_failed_download_exits_zero_with_a_clear_message(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_npm = bin_dir / "npm"
    fake_npm.write_text("#!/bin/sh\necho 'npm error network unreachable' >&2\nexit 1\n")
    fake_npm.chmod(0o755)
    proc = run_script("--dest", str(tmp_path / "vendor"), path=str(bin_dir))
    assert proc.returncode == 0
    assert "GraphiQL assets not installed" in proc.stderr
    assert "network unreachable" in proc.stderr
    assert "the API works" in proc.stderr


def test_integrity_mismatch_is_refused(fetched: Path, tmp_path: Path) -> None:
    lock = json.loads(LOCK.read_text(encoding="utf-8"))
    for package in lock["packages"]:
        if package["name"] == "js-cookie":
            package["integrity"] = "sha512-" + "A" * 86 + "=="
    bad_lock = tmp_path / "lock.json"
    bad_lock.write_text(json.dumps(lock), encoding="utf-8")
    dest = tmp_path / "vendor"
    shutil.copytree(fetched, dest)
    shutil.rmtree(next(dest.glob("js-cookie@*")))

    proc = run_script("--dest", str(dest), "--lock", str(bad_lock))
    assert proc.returncode == 1
    assert "integrity mismatch for js-cookie@" in proc.stderr
    assert not list(dest.glob("js-cookie@*"))


def test_stale_lock_is_refused_before_downloading(tmp_path: Path) -> None:
    lock = json.loads(LOCK.read_text(encoding="utf-8"))
    lock["packages"] = lock["packages"][1:]
    stale = tmp_path / "lock.json"
    stale.write_text(json.dumps(lock), encoding="utf-8")
    proc = run_script("--dest", str(tmp_path / "vendor"), "--lock", str(stale), path="")
    assert proc.returncode == 1
    assert "--update-lock" in proc.stderr


@pytest.mark.parametrize("bad", ["../evil.js", "/etc/passwd", "dist/../../x.js", "a\\b.js", ""])
def test_lock_with_unsafe_paths_is_rejected(script: ModuleType, tmp_path: Path, bad: str) -> None:
    lock = tmp_path / "lock.json"
    entry = {"name": "x", "version": "1.0.0", "integrity": "sha512-AA==", "files": [bad]}
    lock.write_text(json.dumps({"packages": [entry]}), encoding="utf-8")
    with pytest.raises(script.AssetError):
        script.load_lock(lock)


def _tarball(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def test_extract_takes_only_listed_regular_files(script: ModuleType, tmp_path: Path) -> None:
    tarball = _tarball(
        tmp_path / "ok.tgz",
        [_file("package/dist/a.js", b"a"), _file("package/dist/b.js", b"b")],
    )
    package = script.Package("x", "1.0.0", "sha512-unused", ("dist/a.js",))
    dest = tmp_path / "vendor"
    script.extract_files(tarball, package, dest)
    assert (dest / "x@1.0.0" / "dist" / "a.js").read_bytes() == b"a"
    assert sorted(p.name for p in dest.rglob("*") if p.is_file()) == ["a.js"]


def test_extract_refuses_links_in_place_of_files(script: ModuleType, tmp_path: Path) -> None:
    link = tarfile.TarInfo("package/dist/a.js")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    tarball = _tarball(tmp_path / "evil.tgz", [(link, None)])
    package = script.Package("x", "1.0.0", "sha512-unused", ("dist/a.js",))
    dest = tmp_path / "vendor"
    with pytest.raises(script.AssetError):
        script.extract_files(tarball, package, dest)
    assert not (dest / "x@1.0.0").exists()
    assert not list(dest.glob(".staging-*"))
