"""The ``ecert`` command: serve, migrate, create-staff, export-schema, gen-secret."""

from __future__ import annotations

import argparse
import asyncio
import base64
import getpass
import os
import secrets
import sys
from pathlib import Path

__all__ = ["main"]


def _settings():
    from graphql_api.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        sys.exit(f"ecert: configuration error: {exc}")


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from graphql_api.app import build_app
    from graphql_api.observability import configure_logging

    settings = _settings()
    configure_logging(settings.log_level)
    config = uvicorn.Config(
        build_app(settings),
        host=args.host or settings.host,
        port=args.port if args.port is not None else settings.port,
        log_config=None,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=15,
        lifespan="on",
    )
    uvicorn.Server(config).run()
    return 0


async def _migrate(target: str | None) -> list[str]:
    from graphql_api.bootstrap import prepare_database

    return await prepare_database(_settings(), target=target)


def _cmd_migrate(args: argparse.Namespace) -> int:
    for line in asyncio.run(_migrate(args.target)):
        print(line)
    return 0


async def _create_staff(args: argparse.Namespace, password: str) -> str:
    from graphql_api.deps import build_deps
    from schema.actor import SYSTEM
    from schema.db import close_db, open_db
    from schema.enums import Role
    from schema.errors import DomainError
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
    except DomainError as exc:
        lines = [f"  {p.field or '-'}: {p.code} {p.message}" for p in exc.problems]
        raise SystemExit("ecert: staff account not created:\n" + "\n".join(lines)) from None
    finally:
        await close_db()
    return f"created {args.role} {created.account.name} ({created.account.id_number_masked})"


def _cmd_create_staff(args: argparse.Namespace) -> int:
    password = os.environ.get("ECERT_STAFF_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            sys.exit("ecert: set ECERT_STAFF_PASSWORD or run in a terminal to be asked")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat: "):
            sys.exit("ecert: passwords differ")
    print(asyncio.run(_create_staff(args, password)))
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecert", description="ecert service tools")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="serve HTTP (GraphQL, verification page)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
