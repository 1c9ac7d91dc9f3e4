"""Texts longer than their stored column are refused by the form, not by the database."""

from __future__ import annotations

from datetime import date

from schema.models import Registration
from schema.registration_form import COLUMNS, MAX_LENGTHS, check_loaded_record, check_step
from tests.unit.form.form_test_support import CATALOG

TODAY = date(2026, 11, 27)
ROW = {
    "source": "OFFLINE_REVIEW",
    "level": "中级",
    "series": "工程技术人员",
    "titleName": "工程师",
    "wayObtained": "评审",
    "approvalDocument": "渝职改办〔2023〕88号",
    "obtainedOn": "2023-06-30",
    "issuedOn": "2023-08-01",
    "authority": "渝北区人力资源和社会保障局",
    "reviewBody": "重庆市工程技术中级职务渝北区评审委员会",
    "validityScope": "全市",
    "specialty": "其他",
    "localSpecialty": "城市地下综合管廊",
}


def test_the_limits_are_the_stored_column_sizes():
    fields = Registration._meta.fields_map
    stored = {c: fields[c].max_length for c in COLUMNS if getattr(fields[c], "max_length", None)}
    assert dict(MAX_LENGTHS) == stored


def test_a_loaded_row_with_an_overlong_review_body_is_refused():
    row = {**ROW, "reviewBody": "重庆市" * 40 + "评审委员会"}
    checked = check_loaded_record(row, catalog=CATALOG, today=TODAY, birth_date=None)
    assert [(p.code, p.field) for p in checked.problems] == [("FIELD_TOO_LONG", "reviewBody")]


def test_a_step_with_an_overlong_local_specialty_is_refused():
    result = check_step(
        "SPECIALTY",
        {"specialty": "其他", "localSpecialty": "给" * 65},
        {"series_code": "05", "level": "ZHONG"},
        catalog=CATALOG,
        today=TODAY,
        birth_date=None,
    )
    assert [(p.code, p.field) for p in result.problems] == [("FIELD_TOO_LONG", "localSpecialty")]
