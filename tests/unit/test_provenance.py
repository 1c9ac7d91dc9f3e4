"""What a certificate says of its origin, by the source the holder declared."""

from __future__ import annotations

import pytest

from schema.models import Provenance
from schema.rules import RegistrationSource
from schema.services.issuance import provenance_for


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (RegistrationSource.PAPER, Provenance.PAPER),
        (RegistrationSource.OTHER_SYSTEM, Provenance.OTHER_SYSTEM),
        (RegistrationSource.OFFLINE_REVIEW, Provenance.NATIVE),
        (RegistrationSource.OFFLINE_INITIAL, Provenance.NATIVE),
        (RegistrationSource.OFFLINE_CONFIRMATION, Provenance.NATIVE),
        (RegistrationSource.TITLE_SYSTEM, Provenance.NATIVE),
    ],
)
def test_only_a_title_from_another_online_system_is_shown_as_registered_from_it(
    source: RegistrationSource, expected: Provenance
) -> None:
    assert provenance_for(source.value) is expected, f"{source} shown as {provenance_for(source)}"
