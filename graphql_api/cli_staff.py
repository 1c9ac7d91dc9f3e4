"""``ecert staff …``: staff account recovery from the command line.

``ecert staff reset-totp ACCOUNT`` forgets a staff account's TOTP (a lost or replaced phone)
when no administrator can do it over GraphQL (``resetStaffTotp``), for instance for the only
administrator. ACCOUNT is the account id (as ``staffAccounts`` lists it) or the person's ID
number. The account's sessions are closed and its next login enrols again. The change is
audited as the system, with the operator's login name and ``--note`` in the note. Every
failure is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any, NoReturn

__all__ = ["ENROLMENT_HINT", "add_parsers"]

# What ``ecert create-staff`` prints after creating an account.
ENROLMENT_HINT = (
    "Before working, they enrol a TOTP authenticator app (docs/staff.md): the first login "
    "with ID number and password answers TotpEnrolmentRequired with an enrolmentToken; "
    "beginTotpEnrolment gives the secret and its QR code, confirmTotpEnrolment with the "
    "app's code switches the second factor on; from then on every login needs totpCode."
)


def _fail(message: str) -> NoReturn:
    print(f"ecert: {message}", file=sys.stderr)
    raise SystemExit(2)


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


async def _reset_totp(account: str, note: str | None) -> str:
    from schema.actor import SYSTEM
    from schema.db import close_db, open_db
    from schema.errors import DomainError
    from schema.http_edge.deps import build_deps
    from schema.http_edge.settings import SettingsError, load_settings
    from schema.services import staff

    try:
        settings = load_settings()
    except SettingsError as exc:
        _fail(f"configuration error: {exc}")
    deps = build_deps(settings)
    await open_db(settings.database_url)
    try:
        found = await staff.find_staff(pii=deps.pii, account=account.strip())
        text = f"ecert staff reset-totp by {_operator()}" + (f": {note.strip()}" if note else "")
        row, revoked = await staff.reset_staff_totp(
            actor=SYSTEM, account_id=found.public_id, now=deps.clock(), note=text
        )
    except DomainError as exc:
        _fail(f"TOTP not reset: {exc.code} {exc.message}")
    finally:
        await close_db()
    return (
        f"reset the TOTP of {row.role.value} {row.name} ({row.id_number_masked}, id "
        f"{row.public_id}); {revoked} sessions closed. Their next login answers "
        "TotpEnrolmentRequired: enrol again as docs/staff.md describes."
    )


def _cmd_staff(args: argparse.Namespace) -> int:
    if args.action == "reset-totp":
        print(asyncio.run(_reset_totp(args.account, args.note)))
    return 0


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("staff", help="staff accounts: reset-totp (recovery)")
    actions = p.add_subparsers(dest="action", required=True)
    r = actions.add_parser(
        "reset-totp", help="forget ACCOUNT's TOTP; its sessions close and it enrols again"
    )
    r.add_argument("account", help="the account id or the person's ID number")
    r.add_argument("--note", help="why (kept in the audit log)")
    p.set_defaults(func=_cmd_staff)
