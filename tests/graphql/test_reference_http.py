"""Reference data through GraphQL: the whole form in one query, caching over GET (over real
HTTP), admin additions."""

from __future__ import annotations

from schema.enums import Role
from tests.support.client import ApiClient
from tests.support.factories import (
    ID_FEMALE_1992,
    ID_MALE_1985,
    make_applicant,
    make_staff,
)

FORM = """
query Form {
  reference {
    revision
    levels { code name band bandName }
    bands { band name levels { code name } }
    series {
      code name aliases
      titles { code name level { code } }
      middle: titles(level: "中级") { name }
      formerTitles { name title { name } level { code } }
    }
    specialties(series: "05") { code name isOther seriesCode }
    authorities { code kind name aliases fixedForSenior reviewBodyName levels { code } }
    senior: authorities(level: "副高级") { code }
    yubei: resolveAuthority(text: "渝北区职改办") { code name titleOffice reviewBodyName }
    nobody: resolveAuthority(text: "火星区职改办") { code }
    reviewBodies(series: "工程技术", level: "ZHONG") { name source batchCode levels { code } }
    waysObtained { code name allowedLevels { code } reviewBody }
    validityScopes { code name }
    batches {
      code reviewBody obtainedOn issuedOn
      series { code } level { code } wayObtained { name } authority { code }
      validityScope { name }
      employerTypes { code name approvalDocument }
    }
    returnReasons { code field requiresComment }
    revocationReasons { code }
    correctionFields { field name evidence }
  }
}"""

REVISION = "{ reference { revision } }"
AUTHORITY_CODES = "{ reference { revision authorities { code name } } }"
ADD = """
mutation($input: AddReferenceEntryInput!) {
  addReferenceEntry(input: $input) {
    __typename
    ... on AddReferenceEntrySuccess { kind code entry reference { revision } }
    ... on UserErrors { errors { code message field } }
  }
}"""
NEW_AUTHORITY = {
    "code": "DEPT_MEDICAL_SECURITY",
    "kind": "DEPARTMENT",
    "name": "重庆市医疗保障局",
    "aliases": ["重庆市医保局", "市医保局职改办"],
    "title_office": "重庆市医疗保障局职称改革办公室",
    "levels": ["ZHONG", "ZHULI", "YUAN"],
    "fixed_for_senior": False,
    "verified": False,
}


async def _admin_token(api: ApiClient) -> str:
    await make_staff(api.deps, role=Role.ADMIN, id_number=ID_FEMALE_1992, name="王管理")
    return (await api.login(ID_FEMALE_1992)).token


async def test_one_query_fetches_the_whole_form(api: ApiClient) -> None:
    body = await api.execute(FORM)
    assert "errors" not in body
    ref = body["data"]["reference"]
    assert ref["revision"]

    assert [lv["name"] for lv in ref["levels"]] == ["正高级", "副高级", "中级", "助理级", "员级"]
    assert [(b["name"], [lv["name"] for lv in b["levels"]]) for b in ref["bands"]] == [
        ("高级", ["正高级", "副高级"]),
        ("中级", ["中级"]),
        ("初级", ["助理级", "员级"]),
    ]

    engineering = next(s for s in ref["series"] if s["code"] == "05")
    assert engineering["name"] == "工程技术人员"
    assert {t["level"]["code"] for t in engineering["titles"]} >= {"ZHENG_GAO", "FU_GAO", "ZHONG"}
    assert [t["name"] for t in engineering["middle"]] == ["工程师"]
    assert any(f["name"] == "教授级高级工程师" for f in engineering["formerTitles"])

    specialties = ref["specialties"]
    assert {s["seriesCode"] for s in specialties} == {"05"}
    assert specialties[-1]["name"] == "其他" and specialties[-1]["isOther"]
    assert sum(s["isOther"] for s in specialties) == 1

    kinds = [a["kind"] for a in ref["authorities"]]
    assert kinds.count("MUNICIPAL") == 1
    assert kinds.count("DISTRICT") == 38
    assert kinds.count("ZONE") == 3
    assert kinds.count("DEPARTMENT") >= 20
    municipal = next(a for a in ref["authorities"] if a["kind"] == "MUNICIPAL")
    assert municipal["fixedForSenior"] and municipal["reviewBodyName"] == "重庆市职称改革办公室"
    assert [a["code"] for a in ref["senior"]] == ["MUNICIPAL"]

    assert ref["yubei"] == {
        "code": "500112",
        "name": "渝北区人力资源和社会保障局",
        "titleOffice": "渝北区职称改革办公室",
        "reviewBodyName": "渝北区人力资源和社会保障局",
    }
    assert ref["nobody"] is None

    committees = {r["name"]: r for r in ref["reviewBodies"]}
    yubei_committee = committees["重庆市工程技术中级职务渝北区评审委员会"]
    assert yubei_committee["source"] == "BATCH"
    assert yubei_committee["batchCode"] == "YUBEI_ENG_ZHONG_2021"

    ways = {w["name"]: w for w in ref["waysObtained"]}
    assert {"评审", "初定", "确认", "考试", "考评结合", "转评", "自主评审"} <= set(ways)
    assert ways["初定"]["reviewBody"] == "AUTHORITY"
    assert ways["评审"]["reviewBody"] == "COMMITTEE"
    assert "全市" in [v["name"] for v in ref["validityScopes"]]

    (batch,) = [b for b in ref["batches"] if b["code"] == "YUBEI_ENG_ZHONG_2021"]
    assert batch["reviewBody"] == "重庆市工程技术中级职务渝北区评审委员会"
    assert (batch["obtainedOn"], batch["issuedOn"]) == ("2021-12-24", "2022-02-15")
    assert batch["authority"]["code"] == "500112" and batch["level"]["code"] == "ZHONG"
    assert batch["wayObtained"]["name"] == "评审" and batch["validityScope"]["name"] == "全市"
    assert [(e["name"], e["approvalDocument"]) for e in batch["employerTypes"]] == [
        ("事业单位", "渝北职改办〔2022〕20号"),
        ("区属国有企业", "渝北职改办〔2022〕21号"),
        ("非公企业", "渝北职改办〔2022〕22号"),
    ]

    assert ref["returnReasons"] and ref["revocationReasons"]
    assert "approvalDocument" in [c["field"] for c in ref["correctionFields"]]


async def test_filters_accept_names_and_aliases(api: ApiClient) -> None:
    body = await api.execute(
        """{ reference {
          byName: specialties(series: "工程技术") { code }
          unknown: specialties(series: "炼金术") { code }
          search: authorities(search: "渝北") { code }
          prefixed: authorities(search: "重庆市渝北区") { code }
          zones: authorities(kind: ZONE) { code }
          health: reviewBodies(series: "04", level: "正高级") { name source }
          none: reviewBodies(series: "05", level: "YUAN") { name }
        } }"""
    )
    ref = body["data"]["reference"]
    assert ref["byName"] and ref["byName"][-1]["code"] == "05-999"
    assert ref["unknown"] == []
    assert [a["code"] for a in ref["search"]] == ["500112"]
    assert [a["code"] for a in ref["prefixed"]] == ["500112"]
    assert len(ref["zones"]) == 3
    assert ref["health"] == [
        {"name": "重庆市卫生技术（内科）高级职称评审委员会", "source": "NOTICE_EXAMPLE"}
    ]
    assert ref["none"] == []


async def test_get_of_reference_only_is_cacheable(server: ApiClient) -> None:
    resp = await server.http.get("/graphql", params={"query": REVISION})
    assert resp.status_code == 200
    revision = resp.json()["data"]["reference"]["revision"]
    assert resp.headers["cache-control"] == "public, max-age=300"
    assert resp.headers["etag"] == f'"{revision}"'

    # Through a named fragment and with __typename, still reference only.
    query = "query { __typename ...R } fragment R on Query { reference { revision } }"
    resp = await server.http.get("/graphql", params={"query": query})
    assert resp.headers["etag"] == f'"{revision}"'


async def test_no_cache_headers_for_post_or_mixed_operations(api: ApiClient) -> None:
    resp = await api.http.post("/graphql", json={"query": REVISION})
    assert resp.status_code == 200 and resp.json()["data"]["reference"]["revision"]
    # Not cacheable: the edge's default for API answers (schema/http_edge/headers.py).
    assert "etag" not in resp.headers and resp.headers["cache-control"] == "no-store"

    mixed = "{ me { name } reference { revision } }"
    resp = await api.http.get("/graphql", params={"query": mixed})
    assert resp.status_code == 200 and resp.json()["data"]["reference"]["revision"]
    assert "etag" not in resp.headers and resp.headers["cache-control"] == "no-store"


async def test_applicant_may_not_add_reference_data(api: ApiClient) -> None:
    await make_applicant(api.deps, id_number=ID_MALE_1985)
    token = (await api.login(ID_MALE_1985)).token
    body = await api.execute(
        ADD, {"input": {"kind": "authorities", "entry": NEW_AUTHORITY}}, token=token
    )
    payload = body["data"]["addReferenceEntry"]
    assert payload["__typename"] == "UserErrors"
    assert payload["errors"][0]["code"] == "FORBIDDEN"

    anonymous = await api.execute(ADD, {"input": {"kind": "authorities", "entry": NEW_AUTHORITY}})
    assert anonymous["data"]["addReferenceEntry"]["errors"][0]["code"] == "UNAUTHENTICATED"


async def test_admin_adds_an_authority_and_it_is_served(api: ApiClient) -> None:
    token = await _admin_token(api)
    before = (await api.execute(REVISION))["data"]["reference"]["revision"]

    body = await api.execute(
        ADD, {"input": {"kind": "authorities", "entry": NEW_AUTHORITY}}, token=token
    )
    payload = body["data"]["addReferenceEntry"]
    assert payload["__typename"] == "AddReferenceEntrySuccess", payload
    assert (payload["kind"], payload["code"]) == ("authorities", "DEPT_MEDICAL_SECURITY")
    assert payload["entry"]["name"] == "重庆市医疗保障局"
    assert payload["reference"]["revision"] != before

    ref = (await api.execute(AUTHORITY_CODES))["data"]["reference"]
    assert ref["revision"] == payload["reference"]["revision"]
    assert {"code": "DEPT_MEDICAL_SECURITY", "name": "重庆市医疗保障局"} in ref["authorities"]
    found = await api.execute('{ reference { resolveAuthority(text: "市医保局职改办") { code } } }')
    assert found["data"]["reference"]["resolveAuthority"] == {"code": "DEPT_MEDICAL_SECURITY"}

    # The ETag follows the revision.
    resp = await api.http.get("/graphql", params={"query": REVISION})
    assert resp.headers["etag"] == f'"{ref["revision"]}"'

    again = await api.execute(
        ADD, {"input": {"kind": "authorities", "entry": NEW_AUTHORITY}}, token=token
    )
    # A second addition of the same code is refused (the catalog check sees the duplicate code
    # before the uniqueness check does, hence either code).
    refused = again["data"]["addReferenceEntry"]["errors"][0]["code"]
    assert refused in ("REFERENCE_EXISTS", "REFERENCE_INVALID")


async def test_invalid_entries_are_refused(api: ApiClient) -> None:
    token = await _admin_token(api)
    before = (await api.execute(REVISION))["data"]["reference"]["revision"]

    # A name that already designates another authority.
    clash = {**NEW_AUTHORITY, "name": "重庆市教育委员会", "aliases": []}
    missing_levels = {k: v for k, v in NEW_AUTHORITY.items() if k != "levels"}
    for entry in (clash, missing_levels, ["not", "an", "object"]):
        body = await api.execute(
            ADD, {"input": {"kind": "authorities", "entry": entry}}, token=token
        )
        errors = body["data"]["addReferenceEntry"]["errors"]
        assert errors[0]["code"] == "REFERENCE_INVALID", entry
        assert errors[0]["field"] == ["input", "entry"]

    body = await api.execute(
        ADD, {"input": {"kind": "levels", "entry": {"code": "X"}}}, token=token
    )
    assert body["data"]["addReferenceEntry"]["errors"][0]["code"] == "REFERENCE_KIND"

    after = (await api.execute(REVISION))["data"]["reference"]["revision"]
    assert after == before
