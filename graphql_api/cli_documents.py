"""``ecert ca`` and ``ecert certificate``: the document sealing hierarchy and one
certificate's files from the command line.

- ``ecert ca init``: create the root, a signing certificate per issuing authority and the
  local timestamp authority's certificate, whichever is missing (idempotent; run again after
  adding authorities). Keys are encrypted under ``ECERT_SIGNING_PASSPHRASE``.
- ``ecert ca root [--out FILE]``: the root certificate (PEM) verifiers trust, also published
  at ``/.well-known/ecert-document-root.pem``.
- ``ecert certificate pdf|card|qr-label CERT_ID [--out FILE]``: the sealed PDF, the phone
  card or the QR label of one certificate version, as the holder downloads it.

Runs under ``graphql_api.cli``'s guard: every failure is one line and a non-zero status.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

__all__ = ["add_parsers"]


async def _ca(args: argparse.Namespace) -> list[str]:
    from schema.actor import SYSTEM
    from schema.db import close_db, open_db
    from schema.http_edge.deps import utc_now
    from schema.http_edge.settings import load_settings
    from schema.services.document_seal import init_document_ca, root_certificate_pem
    from schema.services.reference import current_catalog

    settings = load_settings()
    await open_db(settings.database_url)
    try:
        if args.action == "init":
            result = await init_document_ca(
                actor=SYSTEM,
                passphrase=settings.signing_passphrase.reveal(),
                catalog=await current_catalog(),
                now=utc_now(),
            )
            root = "created" if result.root_created else "present"
            return [
                f"root {root}: SHA-256 {result.root_fingerprint}",
                f"authority signing certificates added: {len(result.authorities_added)}",
                f"timestamp authority certificate {'added' if result.timestamp_added else 'present'}",
            ]
        pem = await root_certificate_pem()
    finally:
        await close_db()
    if pem is None:
        raise SystemExit("ecert: no document root yet: run `ecert ca init`")
    if args.out:
        await asyncio.to_thread(Path(args.out).write_bytes, pem)
        return [f"wrote the document root certificate to {args.out}"]
    return [pem.decode("ascii").rstrip("\n")]


async def _certificate(args: argparse.Namespace) -> list[str]:
    from schema.db import close_db, open_db
    from schema.http_edge.deps import build_deps
    from schema.http_edge.settings import load_settings
    from schema.models import DocumentKind
    from schema.services.certificate_documents import operator_document

    kind = {"pdf": DocumentKind.PDF, "card": DocumentKind.CARD, "qr-label": DocumentKind.QR_LABEL}[
        args.kind
    ]
    settings = load_settings()
    deps = build_deps(settings)
    await open_db(settings.database_url)
    try:
        found = await operator_document(
            cert_id=args.cert_id.strip().upper(), kind=kind, renderer=deps.documents
        )
    finally:
        await close_db()
    target = Path(args.out) if args.out else Path(found.filename)
    await asyncio.to_thread(target.write_bytes, found.body)
    return [
        f"wrote {target} ({len(found.body)} bytes, version {found.version}, "
        f"shown as {found.shown_status.label}, SHA-256 {found.sha256})"
    ]


def _run(coro_fn: Any) -> Any:
    def command(args: argparse.Namespace) -> int:
        for line in asyncio.run(coro_fn(args)):
            print(line)
        return 0

    return command


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("ca", help="the document sealing hierarchy (PAdES)")
    actions = p.add_subparsers(dest="action", required=True)
    actions.add_parser("init", help="create the root and what is missing (idempotent)")
    r = actions.add_parser("root", help="print (or --out FILE) the root certificate, PEM")
    r.add_argument("--out", help="write the PEM to this file")
    p.set_defaults(func=_run(_ca))

    p = sub.add_parser("certificate", help="one certificate's files: pdf, card, qr-label")
    p.add_argument("kind", choices=("pdf", "card", "qr-label"))
    p.add_argument("cert_id", help="the certificate id (26 characters, as in the QR URL)")
    p.add_argument("--out", help="file to write (default: ecert-<id>-v<version>.<ext>)")
    p.set_defaults(func=_run(_certificate))
