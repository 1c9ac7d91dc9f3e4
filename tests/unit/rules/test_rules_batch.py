"""Known batches: the 2021 Yubei intermediate engineering review (notice annex)."""

from datetime import date

import pytest

from schema.reference.catalog import Batch, load_catalog
from schema.rules import RuleViolation, batch_fields, check_against_batch, match_batch

YUBEI = "YUBEI_ENG_ZHONG_2021"


@pytest.fixture(scope="module")
def batch() -> Batch:
    return load_catalog().batch(YUBEI)


@pytest.mark.parametrize(
    ("employer", "document"),
    [
        ("事业单位", "渝北职改办〔2022〕20号"),
        ("区属国有企业", "渝北职改办〔2022〕21号"),
        ("NON_PUBLIC", "渝北职改办〔2022〕22号"),
    ],
)
def test_fields_to_fill(batch: Batch, employer: str, document: str) -> None:
    assert batch_fields(batch, employer) == {
        "approvalDocument": document,
        "issuedOn": "2022-02-15",
        "obtainedOn": "2021-12-24",
        "reviewBody": "重庆市工程技术中级职务渝北区评审委员会",
        "authority": "500112",
        "validityScope": "CITY",
        "level": "ZHONG",
        "series": "05",
        "wayObtained": "PS",
    }


def test_unknown_employer_type(batch: Batch) -> None:
    with pytest.raises(RuleViolation) as info:
        batch_fields(batch, "外资企业")
    assert (info.value.code, info.value.field) == ("BATCH_EMPLOYER_TYPE_UNKNOWN", "batch")


def test_consistent_registration_in_other_spellings_has_no_conflict(batch: Batch) -> None:
    fields = {
        "approvalDocument": "渝北职改办[2022]20号",
        "issuedOn": date(2022, 2, 15),
        "obtainedOn": "2021-12-24",
        "reviewBody": "重庆市工程技术中级职务渝北区评审委员会",
        "authority": "渝北区职改办",
        "validityScope": "全市",
        "level": "中级",
        "series": "工程技术",
        "wayObtained": "评审",
        "specialty": "给排水",  # not fixed by the batch: ignored
        "certificateNumber": "",
    }
    assert check_against_batch(batch, "事业单位", fields) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("approvalDocument", "渝北职改办〔2022〕21号"),
        ("approvalDocument", "不是文号"),
        ("issuedOn", "2022-02-16"),
        ("obtainedOn", date(2021, 12, 23)),
        ("reviewBody", "重庆市工程技术中级职务江北区评审委员会"),
        ("authority", "江北区人力资源和社会保障局"),
        ("validityScope", "本单位"),
        ("level", "FU_GAO"),
        ("series", "卫生技术人员"),
        ("wayObtained", "初定"),
    ],
)
def test_each_contradiction_is_reported_on_its_field(
    batch: Batch, field: str, value: object
) -> None:
    conflicts = check_against_batch(batch, "事业单位", {field: value})
    assert [(c.code, c.field) for c in conflicts] == [("BATCH_CONFLICT", field)]


def test_conflict_message_names_the_expected_value(batch: Batch) -> None:
    (conflict,) = check_against_batch(
        batch, "非公企业", {"approvalDocument": "渝北职改办〔2022〕20号"}
    )
    assert "渝北职改办〔2022〕22号" in conflict.message


def test_match_batch_by_document_number_in_any_spelling() -> None:
    found = match_batch(load_catalog(), "渝北职改办（2022）21")
    assert found is not None
    assert (found[0].code, found[1].name) == (YUBEI, "区属国有企业")


@pytest.mark.parametrize("typed", ["渝北职改办〔2022〕23号", "乱填"])
def test_match_batch_finds_nothing_for_other_documents(typed: str) -> None:
    assert match_batch(load_catalog(), typed) is None
