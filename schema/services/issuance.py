"""Issuing one signed certificate version — called inside the approval (or correction)
transaction, so no certificate ever exists unsigned and a failure leaves nothing behind.

The QR images are not drawn here: they derive from the signed verification URL kept in the
row, and drawing them (segno's mask choice above all) cost four times the rest of an
approval. The holder's first download draws and stores them once
(``schema.services.holder_certificates.holder_qr``); bulk issuance has always done so."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from crypto import (
    MAX_QR_VERSION,
    CertificateClaims,
    build_verification_url,
    check_code,
    new_cert_id,
)
from crypto.canonical import FORMAT_VERSION_STATUS, StatusIndex
from crypto.qr import qr_version_for_length
from schema.enums import RegistrationSource
from schema.errors import InvalidState
from schema.models import Certificate, CertificateStatus, Provenance, Registration
from schema.qr_fit import QR_TOO_LONG
from schema.services.bulk_write import insert_rows
from schema.services.signing_keys import Signer
from schema.services.status_lists import allocate_status_indexes
from schema.storage import BlobStore

__all__ = ["CertificateContent", "IssuedVersion", "Issuer", "provenance_for"]


def provenance_for(source: RegistrationSource | str | None) -> Provenance:
    """What the certificate says of its origin (a bulk row's source is text). A paper
    certificate is 纸质证书登记; a title evaluated in another online system is 其他系统登记; a
    title system result and an offline review, 初定 or 确认 (all from 2021, numbered and
    signed here) are 系统签发."""
    if source == RegistrationSource.PAPER:
        return Provenance.PAPER
    if source is None or source == RegistrationSource.OTHER_SYSTEM:
        return Provenance.OTHER_SYSTEM
    return Provenance.NATIVE


@dataclass(frozen=True, kw_only=True)
class CertificateContent:
    """The fields a certificate version vouches for (copied, never referenced)."""

    holder_name: str
    holder_id_masked: str
    holder_id_hmac: str
    holder_account_id: int | None
    number: str
    level: str
    series_code: str
    title_name: str
    way_obtained: str
    specialty: str
    approval_document: str
    obtained_on: date
    issued_on: date
    authority_code: str
    review_body: str
    validity_scope: str
    provenance: Provenance
    photo_sha256: str | None


@dataclass(frozen=True)
class IssuedVersion:
    """A certificate version written by ``issue_many`` (version 1: its own lineage)."""

    cert_id: str
    number: str
    kid: str
    registration_id: int

    @property
    def lineage_id(self) -> str:
        return self.cert_id


_ISSUE_COLUMNS = (
    "cert_id",
    "lineage_id",
    "version",
    "registration_id",
    "kid",
    "signed_at",
    "signed_payload",
    "check_code",
    "verification_url",
    "status",
    "issued_at",
    "status_list_id",
    "status_index",
)


@dataclass(frozen=True)
class Issuer:
    """Everything issuance needs: the signer, the blob store (where the holder's first
    download puts the QR images), the public origin."""

    signer: Signer
    store: BlobStore
    public_base_url: str

    async def issue_many(
        self,
        items: Sequence[tuple[int, CertificateContent]],
        *,
        now: datetime,
        conn: BaseDBAsyncClient,
    ) -> list[IssuedVersion]:
        """Issue version 1 of many certificates at once (automatic generation): one key-ring
        read, the signatures computed off the event loop, one bulk write. The QR images are
        not drawn here: the holder's first download renders and stores them (``holder_qr``)."""
        signed_at = now.replace(microsecond=0)
        kid, sign = await self.signer.signing_function(signed_at)
        entries = await allocate_status_indexes(len(items), now=now, conn=conn)

        def _sign_all() -> tuple[list[IssuedVersion], list[tuple[object, ...]]]:
            issued, rows = [], []
            for (registration_id, content), entry in zip(items, entries, strict=True):
                cert_id = new_cert_id()
                cose = sign(_claims(cert_id, 1, content, signed_at, entry))
                columns = {
                    **_columns(content),
                    "cert_id": cert_id,
                    "lineage_id": cert_id,
                    "version": 1,
                    "registration_id": registration_id,
                    "kid": kid,
                    "signed_at": signed_at,
                    "signed_payload": cose,
                    "check_code": check_code(cose),
                    "verification_url": build_verification_url(self.public_base_url, cert_id, cose),
                    "status": CertificateStatus.VALID,
                    "issued_at": now,
                    "status_list_id": entry.list_id,
                    "status_index": entry.index,
                }
                rows.append(tuple(columns.values()))
                issued.append(IssuedVersion(cert_id, content.number, kid, registration_id))
            return issued, rows

        issued, rows = await asyncio.to_thread(_sign_all)
        if rows:
            names = (*_columns(items[0][1]), *_ISSUE_COLUMNS)
            await insert_rows(conn, "certificate", names, rows)
        return issued

    async def issue(
        self,
        *,
        registration: Registration,
        content: CertificateContent,
        version: int,
        lineage_id: str | None,
        now: datetime,
        conn: BaseDBAsyncClient,
    ) -> Certificate:
        cert_id = new_cert_id()
        signed_at = now.replace(microsecond=0)
        (entry,) = await allocate_status_indexes(1, now=now, conn=conn)
        claims = _claims(cert_id, version, content, signed_at, entry)
        kid, cose = await self.signer.sign(claims)
        url = build_verification_url(self.public_base_url, cert_id, cose)
        version_needed = qr_version_for_length(len(url))
        if version_needed is None or version_needed > MAX_QR_VERSION:
            # Entry refuses such content (schema.qr_fit); a record from before that check
            # is refused here (the version is arithmetic on the URL's length: nothing is
            # drawn), so the decision rolls back and the reviewer can return it.
            raise InvalidState(
                "证书信息过长，生成的二维码将过于密集而无法扫描，请退回申请人精简评审机构或专业的写法",
                code=QR_TOO_LONG,
            )
        return await Certificate.create(
            **_columns(content),
            cert_id=cert_id,
            lineage_id=lineage_id or cert_id,
            version=version,
            registration=registration,
            kid=kid,
            signed_at=signed_at,
            signed_payload=cose,
            check_code=check_code(cose),
            verification_url=url,
            issued_at=now,
            status_list_id=entry.list_id,
            status_index=entry.index,
            using_db=conn,
        )


def _claims(
    cert_id: str,
    version: int,
    content: CertificateContent,
    signed_at: datetime,
    status_index: StatusIndex,
) -> CertificateClaims:
    """Claims format 2: the version's status-list entry is signed with it."""
    return CertificateClaims(
        cert_id=cert_id,
        version=version,
        holder_name=content.holder_name,
        holder_id_masked=content.holder_id_masked,
        level=content.level,
        series_code=content.series_code,
        title_name=content.title_name,
        specialty=content.specialty,
        authority_code=content.authority_code,
        review_body=content.review_body,
        obtained_on=content.obtained_on,
        issued_on=content.issued_on,
        number=content.number,
        provenance=content.provenance.value,
        signed_at=signed_at,
        format_version=FORMAT_VERSION_STATUS,
        status_index=status_index,
    )


def _columns(content: CertificateContent) -> dict[str, object]:
    """The certificate row's content columns (what the version vouches for)."""
    return {
        "holder_id": content.holder_account_id,
        "holder_id_hmac": content.holder_id_hmac,
        "holder_name": content.holder_name,
        "holder_id_masked": content.holder_id_masked,
        "number": content.number,
        "level": content.level,
        "series_code": content.series_code,
        "title_name": content.title_name,
        "way_obtained": content.way_obtained,
        "specialty": content.specialty,
        "approval_document": content.approval_document,
        "obtained_on": content.obtained_on,
        "issued_on": content.issued_on,
        "authority_code": content.authority_code,
        "review_body": content.review_body,
        "validity_scope": content.validity_scope,
        "provenance": content.provenance,
        "photo_sha256": content.photo_sha256,
    }
