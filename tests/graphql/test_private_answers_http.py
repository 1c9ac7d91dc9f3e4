"""A holder's ``myCertificates`` answer is kept and given again only while the rows it was
made from read the same (``graphql_api.private_results``): a revocation, a correction's new
version or another account never sees a kept answer that the database no longer says."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from graphql_api.app import build_app
from graphql_api.private_results import PrivateResults
from graphql_api.types.certificate import CertificateType
from schema.services import revocation
from schema.services.reference import current_catalog
from tests.support.client import ApiClient
from tests.support.factories import ID_MALE_1985, NOW, make_applicant
from tests.support.flows import issue_yubei_certificate, make_people

STRANGER_ID = "110105199003070017"  # a valid number no other test person has
MINE = """query Mine($first: Int!) {
  myCertificates(first: $first) {
    edges { cursor node { certId status statusLabel levelName authorityName supersededBy
      revocationReason { code name } } }
    pageInfo { endCursor hasNextPage }
  }
}"""


@pytest.fixture
async def served(db, deps) -> AsyncIterator[tuple[ApiClient, Starlette]]:
    app = build_app(deps.settings, deps=deps, manage_db=False)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield ApiClient(http=http, deps=deps, base_url="http://testserver"), app


def _kept(app: Starlette) -> PrivateResults:
    kept = app.state.private_results
    assert isinstance(kept, PrivateResults)
    return kept


async def test_the_same_request_is_answered_again_without_executing_it(served) -> None:
    api, app = served
    people = await make_people(api.deps)
    await issue_yubei_certificate(api.deps, people)
    holder = await api.login(ID_MALE_1985)
    first = await holder.execute(MINE, {"first": 5})
    assert first["data"]["myCertificates"]["edges"], "the holder has a certificate"
    second = await holder.execute(MINE, {"first": 5})
    assert second["data"] == first["data"]
    assert _kept(app).hits == 1, "the second answer came from the kept one"
    other_page_size = await holder.execute(MINE, {"first": 1})
    assert other_page_size["data"] == first["data"], "one certificate: the same page"
    assert _kept(app).hits == 1, "other variables are another request"


async def test_a_revocation_shows_at_the_next_request(served) -> None:
    api, app = served
    people = await make_people(api.deps)
    cert = await issue_yubei_certificate(api.deps, people)
    holder = await api.login(ID_MALE_1985)
    before = await holder.execute(MINE, {"first": 5})
    assert before["data"]["myCertificates"]["edges"][0]["node"]["status"] == "VALID"
    await revocation.revoke_certificate(
        actor=people.reviewer,
        cert_id=cert.cert_id,
        reason_code="FRAUD",
        note="经核查弄虚作假",
        catalog=await current_catalog(),
        now=NOW,
    )
    after = await holder.execute(MINE, {"first": 5})
    node = after["data"]["myCertificates"]["edges"][0]["node"]
    assert (node["status"], node["revocationReason"]["code"]) == ("REVOKED", "FRAUD")
    assert _kept(app).hits == 0, "the changed rows were read, and the request executed"


async def test_another_account_gets_its_own_answer(served) -> None:
    api, app = served
    people = await make_people(api.deps)
    await issue_yubei_certificate(api.deps, people)
    await make_applicant(api.deps, id_number=STRANGER_ID, name="李四", mobile="13900000077")
    holder = await api.login(ID_MALE_1985)
    stranger = await api.login(STRANGER_ID)
    assert (await holder.execute(MINE, {"first": 5}))["data"]["myCertificates"]["edges"]
    theirs = await stranger.execute(MINE, {"first": 5})
    assert theirs["data"]["myCertificates"]["edges"] == []
    assert _kept(app).hits == 0


async def test_a_logged_out_session_is_refused_not_answered_from_memory(served) -> None:
    api, app = served
    people = await make_people(api.deps)
    await issue_yubei_certificate(api.deps, people)
    holder = await api.login(ID_MALE_1985)
    await holder.execute(MINE, {"first": 5})
    logout = "mutation { logout { __typename } }"
    assert (await holder.payload(logout))["__typename"] == "LogoutSuccess"
    refused = await holder.execute(MINE, {"first": 5})
    assert refused["data"] is None or refused["data"]["myCertificates"] is None
    assert refused["errors"], "the ended session is refused"
    assert _kept(app).hits == 0


async def test_an_operation_with_another_root_field_is_not_kept(served) -> None:
    api, app = served
    people = await make_people(api.deps)
    await issue_yubei_certificate(api.deps, people)
    holder = await api.login(ID_MALE_1985)
    mixed = "{ me { name } myCertificates(first: 5) { edges { node { certId } } } }"
    first = await holder.execute(mixed)
    second = await holder.execute(mixed)
    assert first["data"] == second["data"]
    assert _kept(app).hits == 0, "me is not part of the page's revision"


def test_every_certificate_field_is_made_from_the_row_or_the_catalog() -> None:
    """The kept answer is only as fresh as the page's rows: a new field of Certificate
    that reads anything else must not be listed by ``myCertificates`` unseen."""
    fields = {f.python_name for f in CertificateType.__strawberry_definition__.fields}
    assert fields == {
        "cert_id", "lineage_id", "number", "version", "status", "status_label",
        "holder_name", "holder_id_masked", "level", "level_name", "series", "series_name",
        "title_name", "way_obtained", "way_obtained_name", "specialty", "approval_document",
        "obtained_on", "issued_on", "authority", "authority_name", "review_body",
        "validity_scope", "validity_scope_name", "provenance", "issued_at", "superseded_at",
        "revoked_at", "revocation_reason", "superseded_by", "superseded_by_pk",
    }, "a Certificate field changed: check that myCertificates' revision still covers it"
