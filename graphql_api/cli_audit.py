"""``ecert audit verify`` and ``ecert audit checkpoint``: the audit log's hash chain.

``verify`` recomputes the whole chain (schema.services.audit_verify) and exits 0 with a
summary line when it is intact, 1 with one line naming the first tampered record, 2 when it
cannot run (configuration, database, a malformed checkpoint). ``checkpoint`` verifies the
chain, then prints its head as ``SEQ:HASH`` (and appends it to a file with ``--append``):
kept outside the database, it lets a later ``verify --checkpoint SEQ:HASH`` show that the
chain still holds that record, which a rewrite of the whole tail cannot fake.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from schema.services.audit import ChainHead
    from schema.services.audit_verify import ChainReport

__all__ = ["add_parsers"]


class _Unusable(Exception):
    """The check cannot run (exit 2): one line."""


def _fail(message: str, status: int = 2) -> NoReturn:
    print(f"ecert: {message}", file=sys.stderr)
    raise SystemExit(status)


def _settings() -> Any:
    from schema.http_edge.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        _fail(f"configuration error: {exc}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _checkpoints(args: argparse.Namespace) -> list[ChainHead]:
    from schema.services.audit_verify import parse_checkpoint

    texts: list[str] = list(args.checkpoint or [])
    if args.checkpoint_file:
        path = Path(args.checkpoint_file)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            _fail(f"cannot read the checkpoint file {path}: {exc.strerror}")
        # Each line: SEQ:HASH, optionally followed by a note (ecert audit checkpoint --append).
        texts += [line.split()[0] for line in lines if line.strip() and not line.startswith("#")]
    try:
        return [parse_checkpoint(text) for text in texts]
    except ValueError as exc:
        _fail(str(exc))


async def _verify(url: str, checkpoints: list[ChainHead], batch: int) -> ChainReport:
    from schema.db import close_db, open_db
    from schema.services.audit_verify import verify_chain

    try:
        await asyncio.wait_for(open_db(url), timeout=15)
        from tortoise import Tortoise

        await asyncio.wait_for(
            Tortoise.get_connection("default").execute_query("SELECT 1"), timeout=15
        )
    except TimeoutError:
        raise _Unusable("the database did not answer within 15 s") from None
    except Exception as exc:  # driver errors vary: one line saying why
        raise _Unusable(f"cannot open the database: {_first_line(exc)}") from None
    try:
        return await verify_chain(checkpoints=checkpoints, batch=batch)
    except Exception as exc:  # a missing table or column: not migrated, or not ecert's
        raise _Unusable(
            f"cannot read the audit chain ({_first_line(exc)}); run `ecert migrate` first"
        ) from None
    finally:
        await close_db()


def _run(checkpoints: list[ChainHead], batch: int) -> ChainReport:
    settings = _settings()
    try:
        return asyncio.run(_verify(settings.database_url, checkpoints, batch))
    except _Unusable as exc:
        _fail(str(exc))


def _cmd_verify(args: argparse.Namespace) -> int:
    if args.batch < 1:
        _fail("--batch must be at least 1")
    report = _run(_checkpoints(args), args.batch)
    if report.problem is not None:
        _fail(f"audit chain broken: {report.problem.line()}", status=1)
    print(report.summary())
    return 0


def _cmd_checkpoint(args: argparse.Namespace) -> int:
    report = _run([], 1000)
    if report.problem is not None:
        _fail(f"no checkpoint: audit chain broken: {report.problem.line()}", status=1)
    line = str(report.last)
    if args.append:
        path = Path(args.append)
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            with path.open("a", encoding="utf-8") as out:
                out.write(f"{line} {stamp}\n")
        except OSError as exc:
            _fail(f"cannot write the checkpoint file {path}: {exc.strerror}")
    print(line)
    return 0


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("audit", help="audit log integrity: verify the hash chain, checkpoint")
    audit = p.add_subparsers(dest="action", required=True)
    v = audit.add_parser(
        "verify",
        help="recompute the audit chain; exit 1 naming the first tampered record, 0 if intact",
    )
    v.add_argument(
        "--checkpoint",
        action="append",
        metavar="SEQ:HASH",
        help="a head printed earlier by `ecert audit checkpoint` (repeatable)",
    )
    v.add_argument("--checkpoint-file", metavar="FILE", help="checkpoints, one SEQ:HASH per line")
    v.add_argument("--batch", type=int, default=1000, help="records read per query")
    v.set_defaults(func=_cmd_verify)
    c = audit.add_parser(
        "checkpoint",
        help="verify, then print the chain head as SEQ:HASH to keep outside the database",
    )
    c.add_argument("--append", metavar="FILE", help="also append the line (with a UTC time)")
    c.set_defaults(func=_cmd_checkpoint)
