"""The verification page's cache (verify_page.presenter): a cached page is the page rendered
afresh, and the stylesheet every page inlines is kept once, not once per cached verdict."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from schema.enums import Provenance, VerificationState
from schema.services.verification import PublicCertificate, VerificationOutcome
from verify_page import presenter

NOW = datetime(2026, 12, 2, 3, 4, 5, tzinfo=UTC)
CERT = PublicCertificate(
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
    signed_at=NOW,
    check_code="ABCD-EFGH",
)


@pytest.mark.parametrize("state", list(VerificationState))
def test_the_cached_page_is_the_page_rendered_afresh(state: VerificationState) -> None:
    cert = None if state is VerificationState.UNVERIFIABLE else CERT
    outcome = VerificationOutcome(state=state, checked_at=NOW, certificate=cert)
    page = presenter.outcome_page(outcome)
    assert page == presenter.render_outcome(outcome).encode("utf-8")
    later = replace(outcome, checked_at=datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert presenter.outcome_page(later) == presenter.render_outcome(later).encode("utf-8")


def test_the_cached_parts_leave_the_stylesheet_out() -> None:
    outcome = VerificationOutcome(state=VerificationState.VALID, checked_at=NOW, certificate=CERT)
    page = presenter.outcome_page(outcome)
    assert presenter._CSS_BYTES in page
    parts = presenter._page_parts(replace(outcome, checked_at=presenter._ANY_TIME))
    assert all(presenter._CSS_BYTES not in part for part in parts)
    assert sum(map(len, parts)) + len(presenter._CSS_BYTES) < len(page) + 100
