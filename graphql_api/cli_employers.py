"""``ecert create-employer``: an employer's operator account (用人单位经办人), from the
command line, as ``createEmployerAccount`` does over GraphQL for an administrator.

The organisation (name and 统一社会信用代码, checked by GB 32100-2015) and its operator (real
name, ID number, mobile; the password from ECERT_STAFF_PASSWORD or asked twice) are created in
one transaction, audited as the system. The operator enrols a TOTP authenticator at the first
login, exactly as staff do. Failures are one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from typing import Any

__all__ = ["add_parsers"]


async def _create(args: argparse.Namespace, password: str) -> str:
    from graphql_api.cli import _settings
    from schema.actor import SYSTEM
    from schema.db import close_db, open_db
    from schema.http_edge.deps import build_deps
    from schema.services.employers import create_employer

    settings = _settings()
    deps = build_deps(settings)
    await open_db(settings.database_url)
    try:
        created = await create_employer(
            actor=SYSTEM,
            pii=deps.pii,
            organisation_name=args.organisation,
            credit_code=args.credit_code,
            name=args.name,
            id_number=args.id_number,
            mobile=args.mobile,
            password=password,
            now=deps.clock(),
        )
    finally:
        await close_db()
    account, employer = created.account, created.employer
    return (
        f"created employer {employer.organisation_name} ({employer.credit_code}): operator "
        f"{account.name} ({account.id_number_masked}, id {account.public_id})"
    )


def _cmd_create_employer(args: argparse.Namespace) -> int:
    from graphql_api.cli import _usage_error
    from graphql_api.cli_staff import ENROLMENT_HINT

    password = os.environ.get("ECERT_STAFF_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            _usage_error("set ECERT_STAFF_PASSWORD or run in a terminal to be asked")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat: "):
            _usage_error("passwords differ")
    print(asyncio.run(_create(args, password)))
    print(ENROLMENT_HINT)
    return 0


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "create-employer",
        help="create an employer's operator account (password: prompt or ECERT_STAFF_PASSWORD)",
    )
    p.add_argument("--organisation", required=True, help="单位名称")
    p.add_argument("--credit-code", required=True, help="统一社会信用代码 (18 characters)")
    p.add_argument("--name", required=True, help="the operator's real name")
    p.add_argument("--id-number", required=True, help="the operator's ID number")
    p.add_argument("--mobile", required=True, help="the operator's mobile")
    p.set_defaults(func=_cmd_create_employer)
