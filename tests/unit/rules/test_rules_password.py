"""Password policy."""

import pytest

from schema.rules import RuleViolation, check_password

ID = "500112198503120238"
MOBILE = "13812345678"


def test_a_reasonable_password_passes() -> None:
    check_password("Chong-qing-title#7", id_number=ID, mobile=MOBILE)


def test_too_short() -> None:
    with pytest.raises(RuleViolation) as info:
        check_password("Ab1!xyz")
    assert info.value.code == "PASSWORD_TOO_SHORT"


def test_too_long() -> None:
    with pytest.raises(RuleViolation) as info:
        check_password("Ab1!" * 40)
    assert info.value.code == "PASSWORD_TOO_LONG"


@pytest.mark.parametrize(
    "password",
    [
        "abcdefghijkl",  # one class only
        "1234567890",  # common (and one class)
        "Password123",  # common, case-insensitive
        "aaaaaaaaa1",  # too few distinct characters
        f"x{ID}",  # contains the ID number
        "Me19850312!",  # contains the birth date from the ID
        "abc120238!!",  # contains the ID's last 6
        f"tel{MOBILE}",  # contains the mobile
    ],
    ids=[
        "one-class",
        "common-digits",
        "common-mixed",
        "repetitive",
        "id",
        "birth",
        "id-tail",
        "mob",
    ],
)
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(RuleViolation) as info:
        check_password(password, id_number=ID, mobile=MOBILE)
    assert info.value.code == "PASSWORD_TOO_WEAK"
