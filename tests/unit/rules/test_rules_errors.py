"""RuleViolation / RuleWarning / RuleCode and the package's declared surface."""

import schema.rules
from schema.rules import RuleCode, RuleViolation, RuleWarning, gather_violations


def test_violation_carries_code_message_and_field() -> None:
    v = RuleViolation(RuleCode.ID_NUMBER_CHECKSUM, "校验位不正确", "idNumber")
    assert (v.code, v.message, v.field) == ("ID_NUMBER_CHECKSUM", "校验位不正确", "idNumber")
    assert type(v.code) is str, "code must be a plain str for the API layer"
    assert v.to_dict() == {
        "code": "ID_NUMBER_CHECKSUM",
        "message": "校验位不正确",
        "field": "idNumber",
    }


def test_warning_stores_code_as_plain_str() -> None:
    w = RuleWarning(RuleCode.WAY_LEVEL_UNUSUAL, "提示", "wayObtained")
    assert type(w.code) is str
    assert w.to_dict()["code"] == "WAY_LEVEL_UNUSUAL"


def test_gather_violations_collects_each_failure_and_skips_passes() -> None:
    def fails(code: str) -> None:
        raise RuleViolation(code, "x")

    found = gather_violations(lambda: fails("A"), lambda: None, lambda: fails("B"))
    assert [v.code for v in found] == ["A", "B"]


def test_codes_are_upper_snake_and_equal_to_their_names() -> None:
    for member in RuleCode:
        assert member.value == member.name, member
        assert member.value.isupper() and " " not in member.value, member


def test_every_declared_export_exists() -> None:
    missing = [name for name in schema.rules.__all__ if not hasattr(schema.rules, name)]
    assert missing == []
