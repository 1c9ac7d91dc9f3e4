"""The document sealing hierarchy (``ecert ca init``) and the sealer used for PDF files.

The hierarchy is small and fixed: one root (published at
``/.well-known/ecert-document-root.pem``), one P-256 signing certificate per issuing
authority, named by the authority's code, and one certificate for the local timestamp
authority that makes the seals PAdES B-T. The private keys are stored only encrypted under
the signing passphrase, as the certificate signing keys are (``crypto.document_ca``).

``ecert ca init`` is idempotent: it creates the root when there is none and a signing
certificate for each authority of the reference data that has none, so it is run again
after authorities are added. A passphrase that does not open the existing root is refused
before anything changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from schema.actor import Actor
from schema.enums import AuditAction, Role
from schema.errors import DomainError, Forbidden, InvalidState
from schema.models import CredentialRole, DocumentCredential
from schema.reference.catalog import Catalog
from schema.services.audit import write_audit

if TYPE_CHECKING:
    from crypto.document_ca import CaCredential, UnlockedCredential

# crypto.document_ca (with cryptography's X.509 layer, about 1.4 MiB) is imported where a
# credential is created, read or unlocked: a PDF sealed or `ecert ca init`, not at start-up.

__all__ = [
    "CaInitResult",
    "DocumentSealer",
    "SealNotConfigured",
    "init_document_ca",
    "root_certificate_pem",
    "sealing_configured",
]

ROOT_NAME = "ecert 职称电子证书文件签章根证书"


class SealNotConfigured(DomainError):
    """No sealing certificate for the authority (``ecert ca init`` was not run)."""

    default_code = "DOCUMENT_SEAL_NOT_CONFIGURED"
    default_message = "证书文件签章尚未配置，请联系管理员"


class SealPassphraseWrong(InvalidState):
    default_code = "DOCUMENT_SEAL_PASSPHRASE_WRONG"
    default_message = "签章口令无法打开证书文件签章密钥"


@dataclass(frozen=True)
class CaInitResult:
    root_created: bool
    root_fingerprint: str
    authorities_added: tuple[str, ...]
    timestamp_added: bool


def _credential(row: DocumentCredential) -> CaCredential:
    from crypto.document_ca import CaCredential

    return CaCredential(
        certificate_pem=row.certificate_pem.encode("ascii"),
        encrypted_key_pem=row.encrypted_key_pem.encode("ascii"),
    )


def _row_values(cred: CaCredential) -> dict[str, object]:
    from crypto.document_ca import certificate_fields

    fields = certificate_fields(cred.certificate_pem)
    return {
        "subject": (fields.common_name or "")[:200],
        "fingerprint_sha256": fields.sha256_fingerprint,
        "certificate_pem": cred.certificate_pem.decode("ascii"),
        "encrypted_key_pem": cred.encrypted_key_pem.decode("ascii"),
        "not_before": fields.not_before,
        "not_after": fields.not_after,
    }


def _open(cred: CaCredential, passphrase: bytes) -> UnlockedCredential:
    from crypto.document_ca import DocumentCaError, unlock

    try:
        return unlock(cred, passphrase)
    except DocumentCaError as exc:
        raise SealPassphraseWrong() from exc


async def init_document_ca(
    *,
    actor: Actor,
    passphrase: bytes,
    catalog: Catalog,
    now: datetime,
    authority_codes: Collection[str] | None = None,
) -> CaInitResult:
    """Create what is missing of the hierarchy, in one transaction with its audit record:
    for every authority of the catalog, or only those in ``authority_codes``."""
    if actor.role not in (Role.SIGNER, Role.ADMIN):
        raise Forbidden("只有签章管理员可以管理证书文件签章证书")
    from crypto.document_ca import (
        create_root,
        issue_signing_certificate,
        issue_timestamp_certificate,
    )

    async with in_transaction() as conn:
        rows = await DocumentCredential.filter(retired_at=None).using_db(conn)
        root_row = next((r for r in rows if r.role is CredentialRole.ROOT), None)
        root_created = root_row is None
        if root_row is None:
            root = await asyncio.to_thread(
                create_root, name=ROOT_NAME, now=now, passphrase=passphrase
            )
            root_row = await DocumentCredential.create(
                role=CredentialRole.ROOT, created_at=now, using_db=conn, **_row_values(root)
            )
        else:
            root = _credential(root_row)
            await asyncio.to_thread(_open, root, passphrase)
        have = {r.authority_code for r in rows if r.role is CredentialRole.AUTHORITY}
        added: list[str] = []
        for authority in catalog.authorities:
            if authority.code in have or (
                authority_codes is not None and authority.code not in authority_codes
            ):
                continue
            cred = await asyncio.to_thread(
                issue_signing_certificate,
                root,
                passphrase=passphrase,
                authority_code=authority.code,
                authority_name=authority.name,
                now=now,
            )
            await DocumentCredential.create(
                role=CredentialRole.AUTHORITY,
                authority_code=authority.code,
                created_at=now,
                using_db=conn,
                **_row_values(cred),
            )
            added.append(authority.code)
        timestamp_added = not any(r.role is CredentialRole.TIMESTAMP for r in rows)
        if timestamp_added:
            tsa = await asyncio.to_thread(
                issue_timestamp_certificate, root, passphrase=passphrase, now=now
            )
            await DocumentCredential.create(
                role=CredentialRole.TIMESTAMP, created_at=now, using_db=conn, **_row_values(tsa)
            )
        if root_created or added or timestamp_added:
            await write_audit(
                actor=actor,
                action=AuditAction.DOCUMENT_CA_INITIALISED,
                entity_type="document_ca",
                entity_id=root_row.fingerprint_sha256,
                now=now,
                after={
                    "rootCreated": root_created,
                    "authorities": added,
                    "timestampAuthority": timestamp_added,
                },
                using_db=conn,
            )
    return CaInitResult(root_created, root_row.fingerprint_sha256, tuple(added), timestamp_added)


async def root_certificate_pem() -> bytes | None:
    """The current root, PEM, for ``/.well-known/ecert-document-root.pem``."""
    row = await DocumentCredential.filter(role=CredentialRole.ROOT, retired_at=None).first()
    return row.certificate_pem.encode("ascii") if row else None


async def sealing_configured(authority_code: str) -> bool:
    """Whether a PDF of the authority's certificates can be sealed now: the root, the
    timestamp authority and the authority's own signing certificate are all in place."""
    rows = await DocumentCredential.filter(retired_at=None).filter(
        Q(role__in=[CredentialRole.ROOT, CredentialRole.TIMESTAMP])
        | Q(role=CredentialRole.AUTHORITY, authority_code=authority_code)
    )
    return {row.role for row in rows} == set(CredentialRole)


class DocumentSealer:
    """Seals PDF files under the issuing authority's certificate, B-T with the local
    timestamp authority. Unlocking costs a deliberate scrypt; a process keeps each unlocked
    credential for its life (as ``Signer`` does for signing keys)."""

    def __init__(self, passphrase: bytes) -> None:
        self._passphrase = passphrase
        self._unlocked: dict[str, UnlockedCredential] = {}
        self._root_pem: bytes | None = None
        self._lock = asyncio.Lock()

    async def _load(self, authority_code: str) -> tuple[UnlockedCredential, UnlockedCredential]:
        async with self._lock:
            if authority_code not in self._unlocked or "@tsa" not in self._unlocked:
                rows = await DocumentCredential.filter(retired_at=None).filter(
                    role__in=[CredentialRole.ROOT, CredentialRole.TIMESTAMP, CredentialRole.AUTHORITY]
                )
                by_role = {
                    (r.role, r.authority_code): r
                    for r in rows
                    if r.role is not CredentialRole.AUTHORITY or r.authority_code == authority_code
                }
                root = by_role.get((CredentialRole.ROOT, None))
                tsa = by_role.get((CredentialRole.TIMESTAMP, None))
                signer = by_role.get((CredentialRole.AUTHORITY, authority_code))
                if root is None or tsa is None or signer is None:
                    raise SealNotConfigured()
                self._root_pem = root.certificate_pem.encode("ascii")
                self._unlocked["@tsa"] = await asyncio.to_thread(
                    _open, _credential(tsa), self._passphrase
                )
                self._unlocked[authority_code] = await asyncio.to_thread(
                    _open, _credential(signer), self._passphrase
                )
            return self._unlocked[authority_code], self._unlocked["@tsa"]

    async def seal(self, pdf: bytes, *, authority_code: str, authority_name: str) -> bytes:
        # pyHanko is imported at the first seal, not at start-up (issue 10, idle memory).
        from crypto.pdf_signature import seal_pdf

        signer, tsa = await self._load(authority_code)
        assert self._root_pem is not None
        return await asyncio.to_thread(
            seal_pdf,
            pdf,
            signer=signer,
            root_pem=self._root_pem,
            timestamper=tsa,
            location=authority_name,
        )
