"""Masking for public pages (REFERENCE.md §7)."""

import pytest

from schema.rules import mask_id_number, mask_mobile, mask_name


def test_id_number_keeps_first_four_and_last_four() -> None:
    assert mask_id_number("50010319870615006X") == "5001**********006X"
    assert mask_id_number("50010319870615006x") == "5001**********006X"


@pytest.mark.parametrize(
    ("name", "masked"), [("张三", "张*"), ("张三丰", "张**"), ("欧阳娜娜", "欧***"), ("张", "*")]
)
def test_name_keeps_first_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("mobile", "masked"),
    [("13812341234", "138****1234"), ("+86 138-1234-1234", "138****1234"), ("12345", "*****")],
)
def test_mobile_keeps_three_and_four(mobile: str, masked: str) -> None:
    assert mask_mobile(mobile) == masked
