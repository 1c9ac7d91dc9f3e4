"""The verification page's cache (verify_page.presenter): a cached page is the page rendered
afresh, and the stylesheet every page inlines is kept once, not once per cached verdict."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from schema.enums import VerificationState
from schema.services.verification import VerificationOutcome
from tests.support.public_certificates import sample_public_certificate
from verify_page import presenter

NOW = datetime(2026, 12, 2, 3, 4, 5, tzinfo=UTC)
CERT = sample_public_certificate(signed_at=NOW)


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
