"""Many issued certificates, fast: realistic content from the reference catalog, signed with
the project's own ``crypto.sign_claims`` in a process pool, as rows of the ``certificate``
table (the columns ``Issuer.issue_many`` writes), ready for ``schema.services.bulk_write``.

Content is a pure function of (index, seed); certificate ids are random (as issued).
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto import CertificateClaims, build_verification_url, check_code, new_cert_id
from crypto.signing import sign_claims
from schema.enums import CertificateStatus, Provenance
from schema.reference.catalog import Catalog
from schema.rules.masking import mask_id_number

__all__ = ["CERTIFICATE_COLUMNS", "ContentPools", "SigningJob", "certificate_rows"]

CERTIFICATE_COLUMNS: tuple[str, ...] = (
    "holder_id",
    "holder_id_hmac",
    "holder_name",
    "holder_id_masked",
    "number",
    "level",
    "series_code",
    "title_name",
    "way_obtained",
    "specialty",
    "approval_document",
    "obtained_on",
    "issued_on",
    "authority_code",
    "review_body",
    "validity_scope",
    "provenance",
    "photo_sha256",
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
)

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林谭冉向秦"
_GIVEN = "伟强磊军勇杰涛斌波超明刚芳娜敏静丽艳娟霞燕玲婷雪慧莉红梅"
_WAYS = ("PS", "KS", "CD", "QR")


@dataclass(frozen=True)
class ContentPools:
    """What the generator draws from, taken once from the catalog (plain, picklable)."""

    titles: tuple[tuple[str, str, str], ...]  # (level code, series code, title name)
    authorities: tuple[str, ...]
    specialties: dict[str, tuple[str, ...]]  # series code → specialty names

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> ContentPools:
        titles = tuple(
            (t.level, s.code, t.name) for s in catalog.series_list for t in s.titles if t.level
        )
        specialties: dict[str, list[str]] = {}
        for sp in catalog.specialties:
            if not sp.other:
                specialties.setdefault(sp.series, []).append(sp.name)
        return cls(
            titles=titles,
            authorities=tuple(a.code for a in catalog.authorities),
            specialties={k: tuple(v) for k, v in specialties.items()},
        )


@dataclass(frozen=True)
class SigningJob:
    """One chunk of certificates to sign in a worker process."""

    start: int
    count: int
    seed: int
    pools: ContentPools
    private_seed: bytes  # the raw Ed25519 private key (never leaves the bench machine)
    kid: str
    public_base_url: str
    registration_id: int
    signed_at: datetime
    holder: tuple[int, str] | None  # (account id, id hmac) the first rows belong to
    holder_rows: int


def _content(i: int, job: SigningJob) -> tuple[dict[str, object], CertificateClaims]:
    r = random.Random(job.seed * 1_000_003 + i)
    level, series, title = job.pools.titles[r.randrange(len(job.pools.titles))]
    specialty = r.choice(job.pools.specialties.get(series, ("其他",)))
    authority = job.pools.authorities[r.randrange(len(job.pools.authorities))]
    obtained = date(2021, 1, 1) + timedelta(days=r.randrange(1700))
    issued = obtained + timedelta(days=r.randrange(60))
    id_number = f"5001{r.randrange(10**13):013d}{r.choice('0123456789X')}"
    name = r.choice(_SURNAMES) + r.choice(_GIVEN) + (r.choice(_GIVEN) if r.random() < 0.7 else "")
    number = f"0113{i:011d}"
    holder_id, holder_hmac = None, f"{r.getrandbits(256):064x}"
    if job.holder is not None and i < job.holder_rows:
        holder_id, holder_hmac = job.holder
    cert_id = new_cert_id()
    claims = CertificateClaims(
        cert_id=cert_id,
        version=1,
        holder_name=name,
        holder_id_masked=mask_id_number(id_number),
        level=level,
        series_code=series,
        title_name=title,
        specialty=specialty,
        authority_code=authority,
        review_body="重庆市工程技术中级职务评审委员会",
        obtained_on=obtained,
        issued_on=issued,
        number=number,
        provenance=Provenance.NATIVE.value,
        signed_at=job.signed_at,
    )
    columns: dict[str, object] = {
        "holder_id": holder_id,
        "holder_id_hmac": holder_hmac,
        "holder_name": name,
        "holder_id_masked": claims.holder_id_masked,
        "number": number,
        "level": level,
        "series_code": series,
        "title_name": title,
        "way_obtained": r.choice(_WAYS),
        "specialty": specialty,
        "approval_document": f"渝职改办〔{issued.year}〕{r.randrange(1, 300)}号",
        "obtained_on": obtained,
        "issued_on": issued,
        "authority_code": authority,
        "review_body": claims.review_body,
        "validity_scope": "全市",
        "provenance": Provenance.NATIVE,
        "photo_sha256": None,
    }
    return columns, claims


def _sign_chunk(job: SigningJob) -> list[tuple[object, ...]]:
    key = Ed25519PrivateKey.from_private_bytes(job.private_seed)
    rows: list[tuple[object, ...]] = []
    for i in range(job.start, job.start + job.count):
        columns, claims = _content(i, job)
        cose = sign_claims(claims, key, job.kid)
        columns.update(
            cert_id=claims.cert_id,
            lineage_id=claims.cert_id,
            version=1,
            registration_id=job.registration_id,
            kid=job.kid,
            signed_at=job.signed_at,
            signed_payload=cose,
            check_code=check_code(cose),
            verification_url=build_verification_url(job.public_base_url, claims.cert_id, cose),
            status=CertificateStatus.VALID,
            issued_at=job.signed_at,
        )
        rows.append(tuple(columns[c] for c in CERTIFICATE_COLUMNS))
    return rows


def certificate_rows(
    template: SigningJob, total: int, *, chunk: int = 5000, processes: int | None = None
) -> Iterator[Sequence[tuple[object, ...]]]:
    """Chunks of signed certificate rows (``CERTIFICATE_COLUMNS`` order), signed in a pool
    of processes (one per core by default); ``template``'s start/count are replaced."""
    jobs = [
        SigningJob(**{**template.__dict__, "start": s, "count": min(chunk, total - s)})
        for s in range(0, total, chunk)
    ]
    workers = processes or os.cpu_count() or 1
    if workers == 1 or len(jobs) == 1:
        for job in jobs:
            yield _sign_chunk(job)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_sign_chunk, jobs)
