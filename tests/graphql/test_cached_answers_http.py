"""What the caches of the GraphQL path keep never changes an answer: a refused document is
refused again the same way, public answers follow the reference data and their variables,
and an operation that reads anything personal is answered for each person."""

from __future__ import annotations

from typing import Any

from schema.enums import Role
from tests.graphql.test_edge_http import _aliases_of_reference
from tests.graphql.test_reference_http import ADD, NEW_AUTHORITY, REVISION
from tests.support.client import ApiClient
from tests.support.factories import ID_FEMALE_1992, ID_MALE_1985, make_applicant, make_staff

SPEC = {"Accept": "application/graphql-response+json"}


def _without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    extensions = {k: v for k, v in body.get("extensions", {}).items() if k != "requestId"}
    return {**body, "extensions": extensions}


async def test_a_refused_document_is_refused_again_the_same_way(api: ApiClient) -> None:
    for query in (
        _aliases_of_reference(30),  # over the cost limit: a validation error
        "{ reference { levels { code } ",  # a syntax error
        "{ reference { nosuchfield } }",  # an unknown field
    ):
        first = await api.http.post("/graphql", json={"query": query}, headers=SPEC)
        second = await api.http.post("/graphql", json={"query": query}, headers=SPEC)
        assert first.status_code == second.status_code == 400, query
        assert "data" not in first.json()
        assert _without_request_id(first.json()) == _without_request_id(second.json())


async def test_public_answers_follow_their_variables(api: ApiClient) -> None:
    query = "query($s: String) { reference { specialties(series: $s) { code seriesCode } } }"
    for series in ("05", "04", "05", None):
        body = await api.execute(query, {"s": series})
        found = body["data"]["reference"]["specialties"]
        assert found, series
        if series is not None:
            assert {s["seriesCode"] for s in found} == {series}


async def test_a_kept_public_answer_changes_with_the_reference_data(api: ApiClient) -> None:
    await make_staff(api.deps, role=Role.ADMIN, id_number=ID_FEMALE_1992, name="王管理")
    admin = await api.login(ID_FEMALE_1992)
    codes = "{ reference { authorities { code } } }"
    before = (await api.execute(REVISION))["data"]["reference"]["revision"]
    assert before == (await api.execute(REVISION))["data"]["reference"]["revision"]
    listed = (await api.execute(codes))["data"]["reference"]["authorities"]
    assert {"code": "DEPT_MEDICAL_SECURITY"} not in listed

    added = await admin.execute(ADD, {"input": {"kind": "authorities", "entry": NEW_AUTHORITY}})
    assert added["data"]["addReferenceEntry"]["__typename"] == "AddReferenceEntrySuccess"

    assert (await api.execute(REVISION))["data"]["reference"]["revision"] != before
    listed = (await api.execute(codes))["data"]["reference"]["authorities"]
    assert {"code": "DEPT_MEDICAL_SECURITY"} in listed


async def test_an_operation_reading_the_actor_is_answered_for_each_person(
    api: ApiClient,
) -> None:
    await make_applicant(api.deps, id_number=ID_MALE_1985, name="张三")
    await make_applicant(api.deps, id_number=ID_FEMALE_1992, name="李四")
    mixed = "{ me { name } reference { revision } }"
    anonymous = await api.execute(mixed)
    assert anonymous["data"]["me"] is None
    for id_number, name in ((ID_MALE_1985, "张三"), (ID_FEMALE_1992, "李四")):
        person = await api.login(id_number)
        body = await person.execute(mixed)
        assert body["data"]["me"]["name"] == name
        assert body["data"]["reference"]["revision"] == anonymous["data"]["reference"]["revision"]
