#!/usr/bin/env python3
"""Install the files Strawberry's GraphiQL page loads from a CDN into a local directory.

The service must not need internet access at run time, so ``make assets`` runs this once
at set-up. For every package in ``scripts/graphiql-assets.lock.json`` it runs
``npm pack <name>@<version>`` (npm knows which registry to use), checks the tarball's
sha512 against the lock and extracts only the listed files into
``<dest>/<name>@<version>/<file>`` — the CDN's own layout, so the page keeps the same
relative paths. Standard library only; the result is git-ignored.

Exit status: 0 on success, when everything is already installed, or when npm is missing
or cannot download (the API works without GraphiQL; the message says so); 1 when the lock
is stale or invalid, or a tarball does not match its recorded integrity (refused).

``--update-lock`` re-reads the installed Strawberry template (after upgrading Strawberry),
downloads the packages it references and records their integrity (trust on first use).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEST = ROOT / "graphql_api" / "static" / "vendor"
DEFAULT_LOCK = Path(__file__).resolve().with_name("graphiql-assets.lock.json")

NPM_MISSING_MESSAGE = (
    "GraphiQL assets not installed: npm not found; "
    "the API works, only the GraphiQL page is unavailable"
)

# npm package names are lower case, optionally scoped.
_NAME_RE = re.compile(r"^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$")
_VERSION_RE = re.compile(r"^[0-9][0-9A-Za-z.+-]*$")
_FILE_RE = re.compile(r"^[A-Za-z0-9._~@/-]+$")
# Same matching as graphql_api/graphiql.py (not imported: this script is stdlib-only).
_TAG_RE = re.compile(r"""<(?:script|link)\b(?:[^>"']|"[^"]*"|'[^']*')*>""", re.IGNORECASE)
_URL_ATTR_RE = re.compile(r"""\b(?:src|href)\s*=\s*"https?://[^/"]+(?P<path>/[^"]*)\"""")
_PACKAGE_PATH_RE = re.compile(r"^/(?P<name>(?:@[^/@]+/)?[^/@]+)@(?P<version>[^/]+)/(?P<file>.+)$")


class AssetError(Exception):
    """A failure that must stop the installation (exit status 1)."""


class DownloadError(AssetError):
    """npm could not download a package (offline?): like a missing npm, not fatal."""


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str
    files: tuple[str, ...]

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


def _check_file_path(path: str) -> str:
    # The lock is input too: refuse anything that could escape the package directory.
    pure = PurePosixPath(path)
    if (
        not _FILE_RE.match(path)
        or pure.is_absolute()
        or any(part in ("", ".", "..") for part in path.split("/"))
    ):
        raise AssetError(f"unsafe file path in lock: {path!r}")
    return path


def _check_package(name: str, version: str) -> None:
    if not _NAME_RE.match(name) or not _VERSION_RE.match(version):
        raise AssetError(f"invalid package in lock: {name!r}@{version!r}")


def load_lock(lock_path: Path) -> list[Package]:
    """Read and validate the lock file."""
    try:
        raw = json.loads(lock_path.read_text(encoding="utf-8"))
        entries = raw["packages"]
        packages = []
        for entry in entries:
            name, version, integrity = entry["name"], entry["version"], entry["integrity"]
            _check_package(name, version)
            if not isinstance(integrity, str) or not integrity.startswith("sha512-"):
                raise AssetError(f"{name}@{version}: lock needs a sha512 integrity")
            files = tuple(_check_file_path(f) for f in entry["files"])
            packages.append(Package(name, version, integrity, files))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AssetError(f"cannot read lock file {lock_path}: {exc}") from exc
    return packages


def find_template() -> Path | None:
    """Strawberry's GraphiQL template in this interpreter's environment, if installed."""
    # find_spec only locates the package; importing Strawberry is not needed.
    spec = importlib.util.find_spec("strawberry")
    if spec is None or spec.origin is None:
        return None
    template = Path(spec.origin).parent / "static" / "graphiql.html"
    return template if template.is_file() else None


def template_requirements(template: Path) -> dict[tuple[str, str], list[str]]:
    """``{(name, version): [file, ...]}`` for every CDN file the template loads."""
    wanted: dict[tuple[str, str], list[str]] = {}
    for tag in _TAG_RE.finditer(template.read_text(encoding="utf-8")):
        url = _URL_ATTR_RE.search(tag.group(0))
        if url is None:
            continue
        match = _PACKAGE_PATH_RE.match(url["path"])
        if match is None:
            raise AssetError(f"template loads an external URL that is not an npm file: {url[0]}")
        _check_package(match["name"], match["version"])
        files = wanted.setdefault((match["name"], match["version"]), [])
        files.append(_check_file_path(match["file"]))
    return wanted


def check_lock_matches_template(packages: list[Package], template: Path) -> None:
    """Refuse a lock written for another Strawberry version."""
    in_lock = {(p.name, p.version, f) for p in packages for f in p.files}
    in_template = {
        (name, version, f)
        for (name, version), files in template_requirements(template).items()
        for f in files
    }
    if in_lock != in_template:
        missing = sorted("{}@{}/{}".format(*t) for t in in_template - in_lock)
        raise AssetError(
            f"lock file does not match the installed Strawberry GraphiQL template "
            f"(missing from lock: {missing or 'none'}); run this script with --update-lock"
        )


def package_dir(dest: Path, package: Package) -> Path:
    return dest.joinpath(*f"{package.name}@{package.version}".split("/"))


def missing_files(dest: Path, package: Package) -> list[str]:
    base = package_dir(dest, package)
    return [f for f in package.files if not base.joinpath(*f.split("/")).is_file()]


def sha512_integrity(path: Path) -> str:
    with path.open("rb") as fh:
        digest = hashlib.file_digest(fh, "sha512").digest()
    return "sha512-" + base64.b64encode(digest).decode("ascii")


def npm_pack(npm: str, spec: str, workdir: Path) -> tuple[Path, str | None]:
    """Download one package tarball; returns its path and the integrity npm reports."""
    workdir.mkdir(parents=True)
    cmd = [npm, "pack", spec, "--pack-destination", str(workdir), "--json", "--ignore-scripts"]
    try:
        proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
            cmd, capture_output=True, text=True, check=False, timeout=600, cwd=workdir
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DownloadError(f"npm pack {spec} failed: {exc}") from exc
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise DownloadError(
            f"npm pack {spec} failed (exit {proc.returncode}): " + " | ".join(detail)
        )
    reported: str | None = None
    try:
        info = json.loads(proc.stdout)[0]
        reported = info.get("integrity")
        tarball = workdir / Path(info["filename"]).name
    except (ValueError, LookupError, TypeError, AttributeError):
        # Older npm may not print JSON; the work dir holds exactly one tarball anyway.
        found = sorted(workdir.glob("*.tgz"))
        if len(found) != 1:
            raise AssetError(f"npm pack {spec}: cannot find the downloaded tarball") from None
        tarball = found[0]
    if not tarball.is_file():
        raise AssetError(f"npm pack {spec}: tarball {tarball.name} not found")
    return tarball, reported


def verify_integrity(tarball: Path, expected: str, spec: str) -> None:
    actual = sha512_integrity(tarball)
    if not hmac.compare_digest(actual, expected):
        raise AssetError(
            f"integrity mismatch for {spec}: expected {expected}, got {actual}; refusing to install"
        )


def extract_files(tarball: Path, package: Package, dest: Path) -> None:
    """Extract only ``package.files`` into ``dest/<name>@<version>/``, atomically per file."""
    dest.mkdir(parents=True, exist_ok=True)
    dest_root = dest.resolve()
    target_dir = package_dir(dest, package)
    # Staging inside dest keeps os.replace on one file system.
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=dest))
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            by_path: dict[str, tarfile.TarInfo] = {}
            for member in tar.getmembers():
                parts = PurePosixPath(member.name).parts
                if len(parts) >= 2:  # strip npm's top directory ("package/")
                    by_path.setdefault("/".join(parts[1:]), member)
            selected = []
            for file in package.files:
                member = by_path.get(file)
                if member is None or not member.isfile():
                    raise AssetError(f"{package.spec}: {file} is not a regular file in the tarball")
                selected.append(member)
            # filter="data" rejects absolute paths, "..", links out of the tree, devices.
            tar.extractall(staging, members=selected, filter="data")
        for file, member in zip(package.files, selected, strict=True):
            source = staging.joinpath(*PurePosixPath(member.name).parts)
            target = target_dir.joinpath(*file.split("/"))
            if not target.resolve().is_relative_to(dest_root) or not source.is_file():
                raise AssetError(f"{package.spec}: refusing to write {file}")
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
    except (tarfile.TarError, OSError) as exc:
        raise AssetError(f"{package.spec}: cannot extract: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def update_lock(
    npm: str, template: Path, lock_path: Path, workdir: Path, downloaded: dict[str, Path]
) -> list[Package]:
    """Write a new lock for the template's packages (integrity as downloaded now).

    The tarballs are recorded in ``downloaded`` (spec → path) so they are not fetched twice.
    """
    packages = []
    for index, ((name, version), files) in enumerate(template_requirements(template).items()):
        tarball, reported = npm_pack(npm, f"{name}@{version}", workdir / f"lock-{index}")
        integrity = sha512_integrity(tarball)
        if reported is not None and reported != integrity:
            raise AssetError(
                f"{name}@{version}: npm reports {reported}, file hashes to {integrity}"
            )
        packages.append(Package(name, version, integrity, tuple(dict.fromkeys(files))))
        downloaded[f"{name}@{version}"] = tarball
    lock = {
        "comment": "Generated by scripts/fetch_graphiql_assets.py --update-lock from "
        "Strawberry's GraphiQL template. Integrity is the sha512 of the npm tarball.",
        "packages": [
            {"name": p.name, "version": p.version, "integrity": p.integrity, "files": list(p.files)}
            for p in packages
        ],
    }
    lock_path.write_text(json.dumps(lock, indent=2) + "\n", encoding="utf-8")
    print(f"Wrote {lock_path}")
    return packages


def install(dest: Path, lock_path: Path, *, refresh_lock: bool = False) -> int:
    """Install the assets into ``dest``; returns the process exit status."""
    template = find_template()
    npm = shutil.which("npm")
    if refresh_lock:
        if template is None:
            raise AssetError("--update-lock needs strawberry-graphql installed in this Python")
        if npm is None:
            raise AssetError("--update-lock needs npm")
    else:
        packages = load_lock(lock_path)
        if template is not None:
            check_lock_matches_template(packages, template)
        if not any(missing_files(dest, p) for p in packages):
            print(f"GraphiQL assets already installed in {dest}; nothing to do")
            return 0
        if npm is None:
            print(NPM_MISSING_MESSAGE)
            return 0

    assert npm is not None
    with tempfile.TemporaryDirectory(prefix="graphiql-assets-") as tmp:
        work = Path(tmp)
        downloaded: dict[str, Path] = {}
        if refresh_lock:
            assert template is not None
            packages = update_lock(npm, template, lock_path, work, downloaded)
        for index, package in enumerate(packages):
            if not missing_files(dest, package):
                continue
            tarball = downloaded.get(package.spec)
            if tarball is None:
                tarball, _ = npm_pack(npm, package.spec, work / f"pkg-{index}")
            verify_integrity(tarball, package.integrity, package.spec)
            extract_files(tarball, package, dest)
            print(f"Installed {package.spec}: {', '.join(package.files)}")
    print(f"GraphiQL assets installed in {dest}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST, help="target directory")
    parser.add_argument("--lock", type=Path, default=DEFAULT_LOCK, help="lock file")
    parser.add_argument(
        "--update-lock",
        action="store_true",
        help="rewrite the lock from the installed Strawberry template, then install",
    )
    args = parser.parse_args(argv)
    try:
        return install(args.dest, args.lock, refresh_lock=args.update_lock)
    except DownloadError as exc:
        if args.update_lock:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        # Same stance as a missing npm: the service must still start without GraphiQL.
        print(
            f"GraphiQL assets not installed: {exc}; the API works, only the GraphiQL "
            "page is unavailable",
            file=sys.stderr,
        )
        return 0
    except AssetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
