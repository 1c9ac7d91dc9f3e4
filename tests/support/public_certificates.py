"""A certificate as the verification page shows it (``PublicCertificate``), built in memory
for tests of the page's rendering, with any field changed by keyword."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from schema.enums import Provenance
from schema.services.verification import PublicCertificate


def sample_public_certificate(*, signed_at: datetime, **changes: Any) -> PublicCertificate:
    cert = PublicCertificate(
        cert_id="C1",
        version=1,
        number="0113000001",
        holder_name="张三",
        holder_id_masked="5001**********0238",
        has_photo=True,
        title_name="工程师",
        level_code="ZHONG",
        level_name="中级",
        series_code="05",
        series_name="工程技术",
        specialty="土木",
        authority_code="A",
        authority_name="审批机关",
        review_body="评委会",
        obtained_on=date(2019, 1, 1),
        issued_on=date(2019, 2, 1),
        provenance=Provenance.PAPER.value,
        provenance_label=Provenance.label_of(Provenance.PAPER.value),
        kid="k1",
        signed_at=signed_at,
        check_code="ABCD-EFGH",
    )
    return dataclasses.replace(cert, **changes)
