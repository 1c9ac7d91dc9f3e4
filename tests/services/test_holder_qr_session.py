"""The holder's QR image read together with its session (``holder_qr_for_session``): the
session is checked exactly as ``sessions.authenticate`` checks it, in the same statement.
(A staff session's 403 is in tests/verify/test_lookup_and_holder_qr_http.py.)"""

from __future__ import annotations

from datetime import timedelta

import pytest

from schema.errors import NotAuthenticated, NotFound
from schema.services import sessions
from schema.services.holder_certificates import holder_qr_for_session
from tests.support.factories import ID_MALE_1985, NOW, PASSWORD
from tests.support.flows import issue_yubei_certificate, make_people

TTL = timedelta(hours=8)


async def _token(deps, id_number: str) -> str:
    issued = await sessions.login(
        pii=deps.pii,
        id_number=id_number,
        password=PASSWORD,
        client_ip="127.0.0.1",
        user_agent="t",
        ttl=TTL,
        now=NOW,
    )
    assert isinstance(issued, sessions.IssuedSession)
    return issued.token


async def test_the_holder_gets_the_qr_and_everyone_else_the_right_refusal(db, deps) -> None:
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    token = await _token(deps, ID_MALE_1985)
    found = await holder_qr_for_session(token=token, cert_id=cert.cert_id, store=deps.store, now=NOW)
    assert (found.cert_id, found.version) == (cert.cert_id, 1)
    assert found.qr_png.startswith(b"\x89PNG")

    for missing in ("A" * 26, "not-an-id"):
        with pytest.raises(NotFound):
            await holder_qr_for_session(token=token, cert_id=missing, store=deps.store, now=NOW)
    for no_session in (None, "", "x" * 201, "no-such-token"):
        with pytest.raises(NotAuthenticated):
            await holder_qr_for_session(
                token=no_session, cert_id=cert.cert_id, store=deps.store, now=NOW
            )
    with pytest.raises(NotAuthenticated):  # expired
        await holder_qr_for_session(
            token=token, cert_id=cert.cert_id, store=deps.store, now=NOW + TTL
        )


async def test_a_logged_out_session_reads_nothing(db, deps) -> None:
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    token = await _token(deps, ID_MALE_1985)
    found = await sessions.authenticate(token, now=NOW)
    assert found is not None
    await sessions.logout(actor=found[0], now=NOW)
    with pytest.raises(NotAuthenticated):
        await holder_qr_for_session(token=token, cert_id=cert.cert_id, store=deps.store, now=NOW)
