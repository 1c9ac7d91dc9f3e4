"""``ecert verify-report FILE``: an employer's batch-check report verified offline.

The report (``docs/verification-format.md`` §15, a compact JWS) is checked against the signed
key list under the pinned trust root when there is one (``--key-list``/``--trust-root``, or
the cached files next to the JWK Set; ``--fetch ORIGIN`` downloads them), else against the
JWK Set (``--jwks``). Verified: the batch, the employer, when it was checked and every line's
state are printed, exit 0. Refused (tampered, unknown key, a key revoked before the report was
signed): one line saying why, exit 1. Anything that stopped the check (no file, no keys, a
stale key list): one line on stderr, exit 2. Never a traceback.
"""

from __future__ import annotations

import argparse
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

__all__ = ["add_parsers"]

_MAX_REPORT_BYTES = 32 * 1024 * 1024
_BEIJING = timezone(timedelta(hours=8))
_REFUSALS = {
    "malformed": "报告格式无效或内容被篡改",
    "unknown_key": "签名密钥不在本地公钥集中（公钥集可能已过期，可用 --fetch 更新后重试）",
    "bad_signature": "签名无效：报告内容被篡改，或不是本系统签发的报告",
    "key_window": "签名密钥在报告签发时已停用或吊销，报告不可信",
}


def _keys(args: argparse.Namespace) -> dict[str, Any]:
    """The trusted JWK Set, as ``ecert verify`` finds it."""
    from graphql_api.cli import (
        KEY_LIST_CACHE_NAME,
        TRUST_ROOT_CACHE_NAME,
        _default_jwks_path,
        _fetch_jwks,
        _fetch_key_list,
        _read_jwks,
        _trusted_jwks,
    )

    jwks_path = Path(args.jwks) if args.jwks else _default_jwks_path()
    key_list_path = Path(args.key_list) if args.key_list else jwks_path.parent / KEY_LIST_CACHE_NAME
    root_path = (
        Path(args.trust_root) if args.trust_root else jwks_path.parent / TRUST_ROOT_CACHE_NAME
    )
    if args.fetch:
        _fetch_jwks(args.fetch, jwks_path)
        _fetch_key_list(args.fetch, key_list_path, root_path)
    if args.key_list or (not args.jwks and key_list_path.is_file()):
        return _trusted_jwks(key_list_path, root_path)
    return _read_jwks(jwks_path)


def _read_report(path: Path) -> str:
    from graphql_api.cli import _usage_error

    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_REPORT_BYTES + 1)
    except OSError as exc:
        _usage_error(f"cannot read {path}: {exc.strerror or exc}")
    if len(data) > _MAX_REPORT_BYTES:
        _usage_error(f"{path}: larger than {_MAX_REPORT_BYTES // (1024 * 1024)} MB")
    try:
        return data.decode("ascii").strip()
    except UnicodeDecodeError:
        print("结果：无法验证（报告格式无效或内容被篡改）")
        raise SystemExit(1) from None


def _echo(line: dict[str, Any]) -> str:
    given = line.get("input") or {}
    if line.get("kind") == "qr":
        return f"二维码 sha256:{str(given.get('qrSha256', ''))[:12]}…"
    return f"{given.get('number', '')} {given.get('name', '')}"


def _cmd_verify_report(args: argparse.Namespace) -> int:
    from crypto import JWKSError, parse_jwks
    from crypto.batch_report import BatchReportError, verify_batch_report
    from graphql_api.cli import _usage_error

    jws = _read_report(Path(args.file))
    document = _keys(args)
    try:
        keys = parse_jwks(document)
    except JWKSError as exc:
        _usage_error(f"invalid JWK Set: {exc}")
    try:
        report = verify_batch_report(jws, keys)
    except BatchReportError as exc:
        print(f"结果：无法验证（{_REFUSALS[exc.reason.value]}）")
        return 1
    checked = report.issued_at.astimezone(_BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    submitted = report.submitted_at.astimezone(_BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    print("结果：报告有效（签名已验证，内容未被修改）")
    print(f"核验任务：{report.batch_id}（签发方 {report.issuer}，签名密钥 {report.kid}）")
    print(f"用人单位：{report.organisation_name}（统一社会信用代码 {report.credit_code}）")
    print(f"提交时间：{submitted}（北京时间），核验时间：{checked}（北京时间）")
    if report.as_of is not None:
        print(f"指定日期：{report.as_of.isoformat()}（当日结束时的状态，依审计记录）")
    labels = {line["state"]: line["stateLabel"] for line in report.lines}
    summary = "，".join(
        f"{labels.get(state, state)} {count}" for state, count in sorted(report.summary.items())
    )
    print(f"共 {len(report.lines)} 行：{summary}")
    if not args.summary:
        for line in report.lines:
            found = f" 证书 {line['certId']} 第{line['version']}版" if "certId" in line else ""
            on_day = f"；指定日期：{line['asOfLabel']}" if line.get("asOfLabel") else ""
            print(f"第{line['n']}行 {_echo(line)}：{line['stateLabel']}{found}{on_day}")
    return 0


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "verify-report",
        help="verify an employer's batch-check report (.jwt) offline against the key list",
    )
    p.add_argument("file", help="the report as downloaded (report.jwt)")
    p.add_argument("--jwks", help="JWK Set file (default: $ECERT_DATA_DIR/jwks.json)")
    p.add_argument("--key-list", metavar="FILE", help="the signed key list (ecert-keys.jwt)")
    p.add_argument("--trust-root", metavar="FILE", help="the pinned trust root of the key list")
    p.add_argument(
        "--fetch",
        metavar="ORIGIN",
        help="first download ORIGIN's JWK Set and signed key list (trust root pinned on first "
        "fetch)",
    )
    p.add_argument("--summary", action="store_true", help="print the totals only, not each line")
    p.set_defaults(func=_cmd_verify_report)
