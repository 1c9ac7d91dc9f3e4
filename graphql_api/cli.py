"""The ``ecert`` command: serve, migrate, create-staff, create-employer, export-schema, gen-secret,
keys, verify, verify-report, import, worker, backup, restore, ca, certificate.

Every command runs under :func:`_guarded`: a failure an operator can fix (configuration,
database, data directory, a refusal of the domain) is ONE line on stderr and exit status 2;
anything else is one line naming the exception (exit 1; ``ECERT_DEBUG=1`` shows the
traceback); Ctrl-C exits 130 at once. Commands that use the database first open it once
(:func:`_preflight`), so a wrong URL, an unreachable server, a missing database or role,
or an unopenable SQLite file is said plainly before any work starts.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import getpass
import json
import os
import secrets
import signal
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from crypto import VerifiedClaims
    from crypto.key_list import TrustRoot
    from schema.http_edge.deps import Deps
    from schema.http_edge.settings import Settings
    from schema.models import KeyReissueJob

__all__ = ["main"]


def _settings() -> Settings:
    from schema.http_edge.settings import load_settings

    return load_settings()  # SettingsError: one line, by _guarded


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from graphql_api.observability import configure_logging

    settings = _settings()
    configure_logging(settings.log_level)
    workers = args.workers if args.workers is not None else settings.workers
    options: dict[str, object] = {
        "host": args.host or settings.host,
        "port": args.port if args.port is not None else settings.port,
        "log_config": None,
        "proxy_headers": False,
        "server_header": False,
        "timeout_graceful_shutdown": 15,
        "lifespan": "on",
    }
    if workers > 1:
        # Each worker process builds its own app from the same environment (the factory
        # below): the service keeps no state between requests, see docs/scaling.md.
        uvicorn.run("graphql_api.app:app_from_environment", factory=True, workers=workers, **options)  # type: ignore[arg-type]
        return 0
    from graphql_api.app import build_app

    uvicorn.Server(uvicorn.Config(build_app(settings), **options)).run()  # type: ignore[arg-type]
    return 0


async def _migrate(target: str | None) -> list[str]:
    from graphql_api.bootstrap import prepare_database

    return await prepare_database(_settings(), target=target)


def _cmd_migrate(args: argparse.Namespace) -> int:
    for line in asyncio.run(_migrate(args.target)):
        print(line)
    return 0


async def _create_staff(args: argparse.Namespace, password: str) -> str:
    from schema.actor import SYSTEM
    from schema.db import close_db, open_db
    from schema.enums import Role
    from schema.http_edge.deps import build_deps
    from schema.services.accounts import create_staff
    from schema.services.reference import authority_codes

    settings = _settings()
    deps = build_deps(settings)
    await open_db(settings.database_url)
    try:
        created = await create_staff(
            actor=SYSTEM,
            pii=deps.pii,
            name=args.name,
            id_number=args.id_number,
            mobile=args.mobile,
            password=password,
            role=Role(args.role),
            authority_code=args.authority,
            known_authorities=await authority_codes(),
            now=deps.clock(),
        )
    finally:
        await close_db()
    return f"created {args.role} {created.account.name} ({created.account.id_number_masked})"


def _cmd_create_staff(args: argparse.Namespace) -> int:
    password = os.environ.get("ECERT_STAFF_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            _usage_error("set ECERT_STAFF_PASSWORD or run in a terminal to be asked")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat: "):
            _usage_error("passwords differ")
    print(asyncio.run(_create_staff(args, password)))
    from graphql_api.cli_staff import ENROLMENT_HINT

    print(ENROLMENT_HINT)
    return 0


def _cmd_export_schema(args: argparse.Namespace) -> int:
    from graphql_api.root import schema

    sdl = schema.as_str() + "\n"
    target = Path(args.output)
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != sdl:
            print(f"ecert: {target} differs from the code's schema; run `make schema`")
            return 1
        print(f"{target} is up to date")
        return 0
    target.write_text(sdl, encoding="utf-8")
    print(f"wrote {target}")
    return 0


def _cmd_gen_secret(args: argparse.Namespace) -> int:
    print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("="))
    return 0


# --------------------------------------------------------------------------- signing keys


def _parse_instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        _usage_error(f"not an ISO 8601 instant: {text!r} (e.g. 2026-11-27T09:30:00+08:00)")
    if value.tzinfo is None:
        _usage_error("give the time zone, e.g. 2026-11-27T09:30:00+08:00 or …Z")
    return value.astimezone(UTC)


def _iso(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else "-"


async def _keys(args: argparse.Namespace) -> list[str]:
    from crypto import KeyRing, NoActiveKeyError
    from schema.actor import SYSTEM
    from schema.db import close_db, open_db
    from schema.http_edge.deps import build_deps
    from schema.services import signing_keys

    settings = _settings()
    deps = build_deps(settings)
    passphrase = settings.signing_passphrase.reveal()
    now = deps.clock()
    await open_db(settings.database_url)
    try:
        if args.action == "create":
            row = await signing_keys.create_key(actor=SYSTEM, passphrase=passphrase, now=now)
            return [f"created signing key {row.kid}, signing from {_iso(row.not_before)}"]
        if args.action == "rotate":
            row = await signing_keys.rotate_key(actor=SYSTEM, passphrase=passphrase, now=now)
            return [f"rotated: {row.kid} signs from {_iso(row.not_before)}; older keys retired"]
        if args.action == "retire":
            row = await signing_keys.retire_key(actor=SYSTEM, kid=args.kid, now=now)
            return [f"retired {row.kid} at {_iso(row.retired_at)}"]
        if args.action == "revoke":
            effective = _parse_instant(args.effective_at) if args.effective_at else now
            row = await signing_keys.revoke_key(
                actor=SYSTEM,
                kid=args.kid,
                effective_at=effective,
                note=args.note,
                now=now,
                reissue=args.reissue,
            )
            lines = [
                f"revoked {row.kid} from {_iso(row.revoked_at)}: signatures made at or after "
                "that instant no longer verify (republish/refresh the JWK Set)"
            ]
            if args.reissue:
                lines += await _reissue_started(args, settings, deps, row.kid)
            return lines
        if args.action == "reissue":
            job = await signing_keys.queue_reissue(actor=SYSTEM, kid=args.kid, now=now)
            return await _reissue_started(args, settings, deps, job.kid)
        if args.action == "reissue-status":
            from schema.services.key_reissue import list_reissue_jobs

            jobs = await list_reissue_jobs(actor=SYSTEM, kid=args.kid)
            return [_reissue_line(job) for job in jobs] or ["no re-issue jobs"]
        if args.action == "affected":
            since = _parse_instant(args.since) if args.since else None
            certs = await signing_keys.affected_certificates(
                actor=SYSTEM, kid=args.kid, since=since
            )
            lines = [f"{'CERT_ID':<27}{'VERSION':<8}{'SIGNED_AT':<21} NUMBER"]
            lines += [
                f"{c.cert_id:<27}{c.version:<8}{_iso(c.signed_at):<21} {c.number}" for c in certs
            ]
            return [*lines, f"{len(certs)} certificate versions signed by {args.kid}"]
        if args.action in ("init-trust-root", "trust-root"):
            return await _trust_root_lines(args.action, passphrase=passphrase, now=now)
        if args.action == "export-jwks":
            document = await signing_keys.published_jwks()
            target = Path(args.file) if args.file else settings.data_dir / JWKS_CACHE_NAME
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
            return [f"wrote {len(document['keys'])} keys to {target}"]
        rows = await signing_keys.list_keys(actor=SYSTEM)
        try:
            current = KeyRing(await signing_keys.key_records()).signing_key(now).kid
        except NoActiveKeyError:
            current = None
        lines = [f"{'KID':<17} {'NOT_BEFORE':<21} {'RETIRED_AT':<21} {'REVOKED_AT':<21} STATE"]
        for row in rows:
            if row.revoked_at is not None and row.revoked_at <= now:
                state = "revoked"
            elif row.retired_at is not None and row.retired_at <= now:
                state = "retired"
            else:
                state = "signing" if row.kid == current else "open"
            lines.append(
                f"{row.kid:<17} {_iso(row.not_before):<21} {_iso(row.retired_at):<21} "
                f"{_iso(row.revoked_at):<21} {state}"
            )
        if current is None:
            lines.append("no key can sign now: run `ecert keys create`")
        return lines
    finally:
        await close_db()


async def _trust_root_lines(action: str, *, passphrase: bytes, now: datetime) -> list[str]:
    """``init-trust-root`` creates the key list's trust root; ``trust-root`` prints its JWK
    (the one line a verifier pins, as published at /.well-known/ecert-trust-root.jwk)."""
    from crypto.key_list import trust_root_jwk
    from schema.actor import SYSTEM
    from schema.services import key_list

    if action == "init-trust-root":
        row = await key_list.init_trust_root(actor=SYSTEM, passphrase=passphrase, now=now)
        return [
            f"created key list trust root {row.kid}: verifiers pin it "
            "(`ecert keys trust-root`, /.well-known/ecert-trust-root.jwk)"
        ]
    root = await key_list.trust_root()
    return [json.dumps(trust_root_jwk(root), separators=(",", ":"))]


def _reissue_line(job: KeyReissueJob) -> str:
    from schema.services.key_reissue import reissue_percent

    line = (
        f"re-issue job {job.public_id} of {job.kid}: {job.status.value}, "
        f"{job.done_count}/{job.total} re-issued ({reissue_percent(job):.0f}%)"
    )
    return line + (f"; last error: {job.error}" if job.error else "")


async def _reissue_started(
    args: argparse.Namespace, settings: Settings, deps: Deps, kid: str
) -> list[str]:
    """After ``revoke --reissue``: run the job here (``--wait``) or hand it to the workers."""
    from graphql_api.worker import QueueDispatcher, worker_name
    from schema.actor import SYSTEM
    from schema.services.key_reissue import list_reissue_jobs, run_reissue_job

    job = (await list_reissue_jobs(actor=SYSTEM, kid=kid))[0]
    if args.wait:
        print(_reissue_line(job), flush=True)
        done = await run_reissue_job(
            job_id=job.public_id,
            owner=worker_name(),
            issuer=deps.issuer,
            clock=deps.clock,
            progress=lambda j: print(_reissue_line(j), flush=True),
        )
        if done is None:
            return [f"re-issue job {job.public_id} is being run by another worker"]
        return [_reissue_line(done)]
    if settings.is_postgres:
        dispatcher = QueueDispatcher(settings)
        try:
            await dispatcher.enqueue_reissue(job.public_id)
        finally:
            await dispatcher.close()
        where = "an `ecert worker` runs it"
    else:
        where = "the server's in-process worker (or `ecert worker`) runs it"
    return [
        f"re-issue job {job.public_id} queued for {job.total} certificate versions: {where}; "
        f"follow it with `ecert keys reissue-status {kid}`"
    ]


def _cmd_keys(args: argparse.Namespace) -> int:
    for line in asyncio.run(_keys(args)):
        print(line)
    return 0


# --------------------------------------------------------------------------- offline verifier

JWKS_CACHE_NAME = "jwks.json"


def _usage_error(message: str) -> NoReturn:
    """Exit 2 (as argparse does): distinct from 1, "the certificate did not verify"."""
    print(f"ecert: {message}", file=sys.stderr)
    raise SystemExit(2)


def _default_jwks_path() -> Path:
    # Not load_settings(): the offline verifier runs on machines with no service secrets.
    return Path(os.environ.get("ECERT_DATA_DIR", "var")).resolve() / JWKS_CACHE_NAME


def _fetch_jwks(base: str, target: Path) -> None:
    import urllib.request
    from urllib.parse import urlsplit

    parts = urlsplit(base.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc:
        _usage_error(
            f"--fetch needs an http(s) origin such as https://verify.example, not {base!r}"
        )
    url = f"{parts.scheme}://{parts.netloc}/.well-known/jwks.json"
    try:
        with urllib.request.urlopen(url, timeout=15) as resp:  # noqa: S310 (scheme checked above)
            document = json.loads(resp.read(1_000_000))
    except (OSError, ValueError) as exc:
        _usage_error(f"could not fetch {url}: {exc}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"fetched {url} → {target}")


def _describe(verified: VerifiedClaims, text: str) -> list[str]:
    from crypto import check_code, parse_verification_url
    from schema.enums import Provenance
    from schema.reference.catalog import CatalogError, UnknownCodeError, load_catalog

    claims = verified.claims
    level, series, authority = claims.level, claims.series_code, claims.authority_code
    try:
        catalog = load_catalog()
    except CatalogError:
        catalog = None
    if catalog is not None:
        # Each name on its own: one code the packaged catalog lacks leaves only that one bare.
        with contextlib.suppress(UnknownCodeError):
            level = catalog.level(level).name
        with contextlib.suppress(UnknownCodeError):
            series = f"{catalog.series(series).name}（{series}）"
        with contextlib.suppress(UnknownCodeError):
            authority = f"{catalog.authority(authority).name}（{authority}）"
    _, cose = parse_verification_url(text)
    origin = text.strip().upper().split("/V/")[0]
    rows = [
        ("证书ID", claims.cert_id),
        ("版本", str(claims.version)),
        ("持证人", claims.holder_name),
        ("身份证号", claims.holder_id_masked),
        ("职称名称", claims.title_name),
        ("职称级别", level),
        ("职称系列", series),
        ("评审专业", claims.specialty),
        ("审批机关", authority),
        ("评审机构", claims.review_body),
        ("取得时间", claims.obtained_on.isoformat()),
        ("发证时间", claims.issued_on.isoformat()),
        ("证书编号", claims.number),
        ("证书来源", Provenance.label_of(claims.provenance)),
        ("签名密钥", verified.kid),
        ("签名时间", _iso(claims.signed_at)),
        ("核验码", check_code(cose)),
        ("核验网址", origin),
    ]
    return [
        "结果：签名有效（离线核验：内容确由发证机关签名，未被篡改）",
        "注意：证书是否已更正或撤销，须打开二维码网址在线查询。",
        *(f"{label}：{value}" for label, value in rows),
    ]


_MAX_INPUT_BYTES = 20 * 1024 * 1024


def _read_input(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_INPUT_BYTES + 1)
    except OSError as exc:
        _usage_error(f"cannot read {path}: {exc}")
    if len(data) > _MAX_INPUT_BYTES:
        _usage_error(f"{path}: larger than {_MAX_INPUT_BYTES // (1024 * 1024)} MB")
    return data


def _cmd_verify(args: argparse.Namespace) -> int:
    from crypto import (
        JWKSError,
        QRDecodeError,
        VerificationError,
        VerificationReason,
        decode_qr_image,
        verify_offline,
    )

    jwks_path = Path(args.jwks) if args.jwks else _default_jwks_path()
    key_list_path = Path(args.key_list) if args.key_list else jwks_path.parent / KEY_LIST_CACHE_NAME
    root_path = (
        Path(args.trust_root) if args.trust_root else jwks_path.parent / TRUST_ROOT_CACHE_NAME
    )
    if args.fetch:
        _fetch_jwks(args.fetch, jwks_path)
        _fetch_key_list(args.fetch, key_list_path, root_path)
    if args.key_list or key_list_path.is_file():
        # The signed key list replaces the unsigned JWK Set for the signature and the
        # status list alike (§13).
        document = _trusted_jwks(key_list_path, root_path)
    else:
        document = _read_jwks(jwks_path)

    text = args.input
    candidate = Path(text)
    if len(text) < 1024 and candidate.is_file():
        data = _read_input(candidate)
        if data[:1024].lstrip(b"\x00\t\n\f\r ").startswith(b"%PDF-"):
            from graphql_api.cli_verify_document import verify_pdf_document

            return verify_pdf_document(
                data, name=str(candidate), jwks=document, args=args, cache_dir=jwks_path.parent
            )
        try:
            text = decode_qr_image(data)
        except QRDecodeError as exc:
            _usage_error(f"{candidate}: {exc}")
    try:
        verified = verify_offline(text, document)
    except JWKSError as exc:
        _usage_error(f"invalid JWK Set {jwks_path}: {exc}")
    except VerificationError as exc:
        print("结果：无法验证（签名无效、内容被篡改，或不是本系统签发的证书）")
        if exc.reason is VerificationReason.UNKNOWN_KEY:
            print("签名密钥不在本地公钥集中：公钥集可能已过期，可用 --fetch 更新后重试。")
        return 1
    lines = _describe(verified, text)
    if verified.claims.status_index is None:
        for line in lines:
            print(line)
        return 0
    return _report_status(verified, lines, document, args=args, cache_dir=jwks_path.parent)


def _read_jwks(jwks_path: Path) -> dict[str, object]:
    if not jwks_path.is_file():
        _usage_error(
            f"no JWK Set at {jwks_path}: pass --jwks FILE, or --fetch https://ORIGIN, "
            "or on the server run `ecert keys export-jwks`"
        )
    try:
        document = json.loads(jwks_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _usage_error(f"cannot read {jwks_path}: {exc}")
    if not isinstance(document, dict):
        _usage_error(f"invalid JWK Set {jwks_path}: not a JSON object")
    return document


KEY_LIST_CACHE_NAME = "ecert-keys.jwt"
TRUST_ROOT_CACHE_NAME = "ecert-trust-root.jwk"


def _get(url: str) -> bytes | None:
    """The body at ``url``; None for a 404 (the server publishes no such document)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=15) as resp:  # noqa: S310 (scheme checked)
            return bytes(resp.read(1_000_000))
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        _usage_error(f"could not fetch {url}: {exc}")
    except (OSError, ValueError) as exc:
        _usage_error(f"could not fetch {url}: {exc}")


def _fetch_key_list(base: str, target: Path, root_path: Path) -> None:
    """Download the trust root (pinned on first fetch: a different one later is refused)
    and the signed key list. A server without a trust root leaves the JWK Set alone in use,
    unless a root is already pinned: then its key list must be there."""
    from urllib.parse import urlsplit

    from crypto.key_list import KeyListError, parse_trust_root

    parts = urlsplit(base.strip())
    origin = f"{parts.scheme}://{parts.netloc}"
    body = _get(f"{origin}/.well-known/ecert-trust-root.jwk")
    if body is None:
        if root_path.is_file():
            _usage_error(f"{origin} publishes no trust root, but one is pinned at {root_path}")
        return
    try:
        fetched = parse_trust_root(json.loads(body))
    except (ValueError, KeyListError):
        _usage_error(f"{origin}/.well-known/ecert-trust-root.jwk is not an Ed25519 JWK")
    if root_path.is_file():
        pinned = _read_trust_root(root_path)
        if pinned != fetched:
            _usage_error(
                f"trust root of {origin} ({fetched.kid}) differs from the one pinned at "
                f"{root_path} ({pinned.kid}): refused"
            )
    else:
        root_path.parent.mkdir(parents=True, exist_ok=True)
        root_path.write_bytes(body.strip() + b"\n")
        print(f"pinned trust root {fetched.kid} → {root_path}")
    jws = _get(f"{origin}/.well-known/ecert-keys.jwt")
    if jws is None:
        _usage_error(f"{origin} publishes no key list (/.well-known/ecert-keys.jwt)")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(jws.strip() + b"\n")
    print(f"fetched {origin}/.well-known/ecert-keys.jwt → {target}")


def _read_trust_root(path: Path) -> TrustRoot:
    from crypto.key_list import KeyListError, parse_trust_root

    try:
        return parse_trust_root(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyListError) as exc:
        _usage_error(f"invalid trust root {path}: {exc}")


def _trusted_jwks(key_list_path: Path, root_path: Path) -> dict[str, object]:
    """The keys of the signed key list, as a JWK Set, once the list verifies under the
    pinned trust root and has not expired (a stale list: exit 2, never VALID)."""
    from crypto.key_list import KeyListError, KeyListReason, verify_key_list

    if not root_path.is_file():
        _usage_error(
            f"no pinned trust root at {root_path}: pass --trust-root FILE or --fetch https://ORIGIN"
        )
    root = _read_trust_root(root_path)
    try:
        jws = key_list_path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        _usage_error(f"cannot read {key_list_path}: {exc}")
    try:
        key_list = verify_key_list(jws, root, now=datetime.now(UTC))
    except KeyListError as exc:
        if exc.reason is KeyListReason.EXPIRED:
            print("结果：无法核验——密钥列表已过期，须先更新（--fetch https://ORIGIN）")
            _usage_error("key list expired: refresh with --fetch")
        if exc.reason in (KeyListReason.WRONG_ROOT, KeyListReason.BAD_SIGNATURE):
            _usage_error(
                f"key list {key_list_path} is not signed by the pinned trust root: refused"
            )
        _usage_error(f"invalid key list {key_list_path}: {exc.reason.value}")
    return key_list.jwks()


STATUS_LIST_CACHE = "status-list-{}.jwt"


def _fetch_status_list(base: str, list_id: int, target: Path) -> None:
    import urllib.request
    from urllib.parse import urlsplit

    parts = urlsplit(base.strip())
    url = f"{parts.scheme}://{parts.netloc}/status/{list_id}"
    try:
        with urllib.request.urlopen(url, timeout=15) as resp:  # noqa: S310 (scheme checked)
            body = resp.read(1_000_000).decode("ascii")
    except (OSError, ValueError) as exc:
        _usage_error(f"could not fetch {url}: {exc}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body.strip() + "\n", encoding="ascii")
    print(f"fetched {url} → {target}")


def _report_status(
    verified: VerifiedClaims,
    lines: list[str],
    jwks: dict[str, object],
    *,
    args: argparse.Namespace,
    cache_dir: Path,
) -> int:
    """Claims format 2: the state from the signed status list (fetched with ``--fetch``,
    else the cached copy next to the JWK Set, or ``--status-list FILE``). Exit 0 有效 (or no
    list at hand: state unknown, as for format 1), 1 已撤销 / 已更正, 2 the list is expired or
    invalid (never reported as 有效)."""
    from crypto.offline import offline_status
    from crypto.status_list import EntryStatus, StatusListError, StatusListReason

    entry = verified.claims.status_index
    assert entry is not None
    path = (
        Path(args.status_list)
        if args.status_list
        else cache_dir / STATUS_LIST_CACHE.format(entry.list_id)
    )
    if args.fetch and not args.status_list:
        _fetch_status_list(args.fetch, entry.list_id, path)
    signature_line, *details = lines
    if not path.is_file():
        print(signature_line)
        print(
            f"当前状态：未知（本地没有状态列表 {entry.list_id}：可用 --fetch https://ORIGIN 下载，"
            "或打开二维码网址在线查询）"
        )
        print(*details, sep="\n")
        # As for a format-1 certificate: the signature is good, the state unknown offline.
        return 0
    try:
        status = offline_status(
            verified, path.read_text(encoding="ascii"), jwks, now=datetime.now(UTC)
        )
    except (OSError, UnicodeDecodeError) as exc:
        _usage_error(f"cannot read {path}: {exc}")
    except StatusListError as exc:
        print(signature_line)
        if exc.reason is StatusListReason.EXPIRED:
            print(
                "当前状态：无法确定——状态列表已过期（status list expired, refresh）："
                "请用 --fetch https://ORIGIN 重新下载"
            )
        else:
            print(f"当前状态：无法确定——状态列表 {path} 无效（{exc.reason.value}）")
        print(*details, sep="\n")
        return 2
    assert status is not None
    verdict = {
        EntryStatus.VALID: "结果：有效（签名有效，状态列表显示证书未撤销、未更正）",
        EntryStatus.REVOKED: "结果：已撤销（签名有效，但发证机关已撤销此证书）",
        EntryStatus.SUPERSEDED: "结果：已更正（签名有效，但此版本已被更正后的新版本取代）",
    }[status]
    print(verdict)
    print(f"状态列表：{entry.list_id}（第 {entry.index} 项，离线核验）")
    # The state is known now: the advice to ask online is for format-1 certificates.
    print(*(line for line in details if not line.startswith("注意：")), sep="\n")
    return 0 if status is EntryStatus.VALID else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecert", description="ecert service tools")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="serve HTTP (GraphQL, verification page)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument(
        "--workers", type=int, help="worker processes (default ECERT_WORKERS, 1; docs/scaling.md)"
    )
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("migrate", help="apply migrations and load reference data")
    p.add_argument("--target", help="e.g. models.0001_initial (default: latest)")
    p.set_defaults(func=_cmd_migrate)

    p = sub.add_parser(
        "create-staff", help="create a staff account (password: prompt or ECERT_STAFF_PASSWORD)"
    )
    p.add_argument("--role", required=True, choices=["reviewer", "signer", "importer", "admin"])
    p.add_argument("--name", required=True)
    p.add_argument("--id-number", required=True)
    p.add_argument("--mobile", required=True)
    p.add_argument("--authority", help="approving authority code (reviewers only)")
    p.set_defaults(func=_cmd_create_staff)

    p = sub.add_parser("export-schema", help="write the GraphQL SDL")
    p.add_argument("--output", default="schema.graphql")
    p.add_argument("--check", action="store_true", help="fail if the file differs")
    p.set_defaults(func=_cmd_export_schema)

    p = sub.add_parser("gen-secret", help="print a new 32-byte key (urlsafe base64)")
    p.set_defaults(func=_cmd_gen_secret)

    p = sub.add_parser(
        "keys",
        help="signing keys: list, create, rotate, retire, revoke, reissue, reissue-status, affected, "
        "init-trust-root, trust-root, export-jwks",
    )
    keys = p.add_subparsers(dest="action", required=True)
    keys.add_parser("list", help="every key with its window; marks the one signing now")
    keys.add_parser("create", help="create a key that signs from now on")
    keys.add_parser("rotate", help="create a new key and retire every other open key")
    k = keys.add_parser("retire", help="stop signing with KID (its signatures stay valid)")
    k.add_argument("kid")
    k = keys.add_parser("revoke", help="distrust KID from --effective-at (default: now)")
    k.add_argument("kid")
    k.add_argument("--effective-at", help="ISO 8601 with time zone, e.g. 2026-11-27T09:30:00+08:00")
    k.add_argument("--note", required=True, help="why (kept in the audit log)")
    k.add_argument(
        "--reissue",
        action="store_true",
        help="also queue the re-issue, under the key that signs now, of every current "
        "version KID signed from --effective-at on (another key must be able to sign)",
    )
    k.add_argument(
        "--wait", action="store_true", help="with --reissue: run the re-issue here, with progress"
    )
    k = keys.add_parser(
        "reissue", help="queue the re-issue of what the revoked KID signed (again, e.g. failed)"
    )
    k.add_argument("kid")
    k.add_argument("--wait", action="store_true", help="run the re-issue here, with progress")
    k = keys.add_parser("reissue-status", help="progress of the re-issue jobs (of KID)")
    k.add_argument("kid", nargs="?")
    k = keys.add_parser(
        "affected", help="certificate versions KID signed at or after its revocation (or --since)"
    )
    k.add_argument("kid")
    k.add_argument("--since", help="ISO 8601 with time zone (default: the key's revocation)")
    keys.add_parser(
        "init-trust-root", help="create the trust root that signs the key list (once)"
    )
    keys.add_parser("trust-root", help="print the trust root's public JWK (for verifiers to pin)")
    k = keys.add_parser("export-jwks", help="write the public JWK Set to FILE")
    k.add_argument("file", nargs="?", help=f"default: $ECERT_DATA_DIR/{JWKS_CACHE_NAME}")
    p.set_defaults(func=_cmd_keys)

    p = sub.add_parser(
        "verify",
        help="verify a certificate offline from a QR image, its URL or text, or a "
        "certificate PDF (seal, QR and current status together)",
    )
    p.add_argument(
        "input", help="a PNG/JPEG of the QR code, the text it holds, or the certificate PDF"
    )
    p.add_argument("--jwks", help=f"JWK Set file (default: $ECERT_DATA_DIR/{JWKS_CACHE_NAME})")
    p.add_argument(
        "--key-list",
        metavar="FILE",
        help=f"the signed key list (default: {KEY_LIST_CACHE_NAME} next to the JWK Set, used "
        "instead of the JWK Set when present; --fetch downloads it)",
    )
    p.add_argument(
        "--trust-root",
        metavar="FILE",
        help=f"the pinned trust root of the key list (default: {TRUST_ROOT_CACHE_NAME} next "
        "to the JWK Set; --fetch pins it on first use)",
    )
    p.add_argument(
        "--fetch",
        metavar="ORIGIN",
        help="first download ORIGIN/.well-known/jwks.json and the signed key list "
        "ORIGIN/.well-known/ecert-keys.jwt with its trust root (pinned on first fetch; "
        "then the certificate's status list "
        "ORIGIN/status/ID, and, for a PDF, ORIGIN/.well-known/ecert-document-root.pem)",
    )
    p.add_argument(
        "--status-list",
        metavar="FILE",
        help="the signed status list of a format-2 certificate (default: "
        "status-list-ID.jwt next to the JWK Set; --fetch downloads it)",
    )
    p.add_argument(
        "--root",
        metavar="FILE",
        help="PDF: the document root certificate (default: ecert-document-root.pem next to "
        "the JWK Set)",
    )
    p.add_argument(
        "--offline",
        action="store_true",
        help="PDF: do not ask the QR code's site for the current status",
    )
    p.set_defaults(func=_cmd_verify)

    from graphql_api.cli_collection import add_parsers

    add_parsers(sub)
    from graphql_api.cli_audit import add_parsers as add_audit_parsers

    add_audit_parsers(sub)

    from graphql_api.cli_pii import add_parsers as add_pii_parsers

    add_pii_parsers(sub)

    from graphql_api import cli_backup

    cli_backup.add_parsers(sub)

    from graphql_api import cli_staff

    cli_staff.add_parsers(sub)

    from graphql_api import cli_documents

    cli_documents.add_parsers(sub)

    from graphql_api import cli_employers, cli_verify_report

    cli_employers.add_parsers(sub)
    cli_verify_report.add_parsers(sub)
    return parser


# --------------------------------------------------------------------------- error handling

#: Commands that open the database; ``_preflight`` opens it once before they run.
_DATABASE_COMMANDS = frozenset(
    {
        "serve",
        "migrate",
        "create-staff",
        "create-employer",
        "keys",
        "import",
        "worker",
        "backup",
        "restore",
        "ca",
        "certificate",
    }
)
#: ... and that write under the data directory (blobs, the SQLite file, reports).
_DATA_DIR_COMMANDS = frozenset({"serve", "migrate", "import", "worker", "restore", "certificate"})


def _fail_line(message: str, status: int = 2) -> int:
    print(f"ecert: {' '.join(message.split())}", file=sys.stderr)
    return status


def _needs(args: argparse.Namespace, commands: frozenset[str]) -> bool:
    if args.command not in commands:
        return False
    # `ecert import template` only writes a file; `restore` opens the database itself
    # (it must be empty and may not exist yet on SQLite).
    return not (args.command == "import" and getattr(args, "file", None) == "template")


def _preflight(args: argparse.Namespace) -> None:
    """Settings, the data directory and the database, each failing in one line."""
    if not _needs(args, _DATABASE_COMMANDS):
        return
    from schema.db import close_db, open_db
    from schema.storage import check_data_dir

    settings = _settings()
    if _needs(args, _DATA_DIR_COMMANDS) or not settings.is_postgres:
        check_data_dir(settings.data_dir)
    if args.command == "restore":
        return

    async def probe() -> None:
        await open_db(settings.database_url)
        await close_db()

    asyncio.run(probe())


def _explain(exc: BaseException) -> tuple[str, int] | None:
    """A known failure as (one line, exit status); None for an unexpected one."""
    from tortoise.exceptions import BaseORMException

    from graphql_api.cli_backup import BackupError
    from schema.db import DatabaseUnavailable, DatabaseUrlError
    from schema.errors import DomainError
    from schema.http_edge.settings import SettingsError
    from schema.storage import StorageError

    if isinstance(exc, SettingsError | DatabaseUrlError):
        return f"configuration error: {exc}", 2
    if isinstance(exc, DatabaseUnavailable | BackupError):
        return str(exc), 2
    if isinstance(exc, StorageError):
        return f"data directory: {exc.detail or exc.message}", 2
    if isinstance(exc, DomainError):
        problems = "; ".join(f"{p.code} {p.message}" for p in exc.problems)
        return f"refused: {problems}", 2
    if isinstance(exc, BaseORMException):
        text = str(exc)
        if "does not exist" in text or "no such table" in text:
            text += " (has `ecert migrate` been run on this database?)"
        return f"database error: {text}", 2
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}", 2
    return None


# How long the clean-up after Ctrl-C may take before the process ends anyway.
_INTERRUPT_GRACE_SECONDS = 5.0


def _exit_interrupted() -> NoReturn:
    print("ecert: interrupted", file=sys.stderr, flush=True)
    # Not a normal exit: a thread stuck in a driver call must not keep us alive.
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    os._exit(130)


def _on_interrupt(signum: int, frame: object) -> None:
    """Ctrl-C: KeyboardInterrupt where the command stands, so its clean-up (``finally``
    blocks, cancelled tasks) runs; and a watchdog that ends the process if that clean-up
    waits on something that never answers. asyncio.run's own handler would only cancel the
    main task, and a cancellation swallowed on the way (a driver's connect to a wedged
    database) left ``ecert migrate`` waiting out its 15 s connect timeout after one
    Ctrl-C. Commands that handle the signal themselves (``ecert import``, ``serve``,
    ``worker``) install their own handlers over this one."""
    watchdog = threading.Timer(_INTERRUPT_GRACE_SECONDS, _exit_interrupted)
    watchdog.daemon = True
    watchdog.start()
    raise KeyboardInterrupt


def _guarded(func: Callable[[argparse.Namespace], int | None]) -> Callable[..., int]:
    """Run a command; known failures become one line and exit status 2 (see module doc)."""

    def run(args: argparse.Namespace) -> int:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, _on_interrupt)
        try:
            _preflight(args)
            return int(func(args) or 0)
        except KeyboardInterrupt:
            _exit_interrupted()
        except Exception as exc:
            known = _explain(exc)
            if known is not None:
                return _fail_line(*known)
            if os.environ.get("ECERT_DEBUG") == "1":
                raise
            detail = str(exc).splitlines()[0] if str(exc) else ""
            return _fail_line(
                f"unexpected error: {type(exc).__name__}: {detail} "
                "(set ECERT_DEBUG=1 for the traceback)",
                1,
            )

    return run


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return _guarded(args.func)(args)


if __name__ == "__main__":
    raise SystemExit(main())
