"""``ecert rotate-pii-key``: re-seal personal data under the current PII encryption key.

The operator sets the new key as ``ECERT_PII_ENCRYPTION_KEY`` and the old one in
``ECERT_PII_PREVIOUS_ENCRYPTION_KEYS``, runs this command (batches, resumable), checks with
``--check`` that nothing is left, then removes the old key (docs/operations.md).
Every failure is one line on stderr and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from typing import Any, NoReturn

__all__ = ["add_parsers"]


def _fail(message: str) -> NoReturn:
    print(f"ecert: {message}", file=sys.stderr)
    raise SystemExit(2)


def _settings() -> Any:
    from schema.http_edge.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        _fail(f"configuration error: {exc}")


async def _rotate(settings: Any, *, batch_size: int, check: bool, quiet: bool) -> int:
    from tortoise.exceptions import DBConnectionError, OperationalError

    from schema.db import close_db, open_db
    from schema.http_edge.deps import pii_protector
    from schema.services.pii_rotation import PiiRotationError, rotate_pii_key, stale_ciphertexts

    pii = pii_protector(settings)
    try:
        await asyncio.wait_for(open_db(settings.database_url), timeout=15)
    except (TimeoutError, OSError, DBConnectionError, OperationalError) as exc:
        _fail(f"cannot open the database: {exc}")
    try:
        if check:
            left = await stale_ciphertexts(pii)
            print(f"{left} accounts hold data not sealed with the current key {pii.current_kid}")
            return 1 if left else 0

        def progress(done: int) -> None:
            if not quiet:
                print(f"re-sealed {done} accounts", flush=True)

        try:
            report = await rotate_pii_key(
                pii=pii, now=datetime.now(UTC), batch_size=batch_size, on_batch=progress
            )
        except PiiRotationError as exc:
            _fail(
                f"rotation stopped: {exc} (is the key it was sealed with in "
                "ECERT_PII_PREVIOUS_ENCRYPTION_KEYS?); rows done so far stay re-sealed, "
                "run again to continue"
            )
        except (OSError, DBConnectionError, OperationalError) as exc:
            _fail(f"rotation interrupted by the database: {exc}; run again to continue")
        print(
            f"done: {report.accounts} accounts re-sealed in {report.batches} batches; "
            f"every ciphertext is now sealed with key {report.kid}"
        )
        return 0
    finally:
        await close_db()


def _cmd_rotate(args: argparse.Namespace) -> int:
    if args.batch_size < 1:
        _fail("--batch-size must be at least 1")
    return asyncio.run(
        _rotate(_settings(), batch_size=args.batch_size, check=args.check, quiet=args.quiet)
    )


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "rotate-pii-key",
        help="re-seal ID and mobile numbers under ECERT_PII_ENCRYPTION_KEY "
        "(the old key in ECERT_PII_PREVIOUS_ENCRYPTION_KEYS)",
    )
    p.add_argument("--batch-size", type=int, default=500, help="accounts per transaction")
    p.add_argument(
        "--check",
        action="store_true",
        help="only count accounts not yet under the current key (exit 1 if any)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=_cmd_rotate)
