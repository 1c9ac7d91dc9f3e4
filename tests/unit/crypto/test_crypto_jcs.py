"""RFC 8785 (JCS): the RFC's own examples -- the number table of Appendix B, the §3.2.2
canonicalisation example and the §3.2.3 UTF-16 sorting example -- plus the refusals."""

from __future__ import annotations

import json
import struct

import pytest

from crypto.jcs import JcsError, canonicalize

# RFC 8785 Appendix B: IEEE-754 bit pattern -> ECMAScript serialisation.
NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "expected"), NUMBERS)
def test_rfc8785_appendix_b_numbers(bits: str, expected: str) -> None:
    value = struct.unpack(">d", bytes.fromhex(bits))[0]
    assert canonicalize(value) == expected.encode()


def test_rfc8785_section_3_2_2_example() -> None:
    text = (
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonicalize(json.loads(text)) == expected.encode()


def test_rfc8785_section_3_2_3_sorting_by_utf16_code_units() -> None:
    text = (
        '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet'
        ' With Dagesh", "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080":'
        ' "Control", "\\u00f6": "Latin Small Letter O With Diaeresis"}'
    )
    names = [
        json.loads(f'"{n}"')
        for n in ("\\r", "1", "\\u0080", "\\u00f6", "\\u20ac", "\\ud83d\\ude00", "\\ufb33")
    ]
    out = json.loads(canonicalize(json.loads(text)))
    # The emoji (U+1F600, UTF-16 D83D DE00) sorts before U+FB33: code units, not code points.
    assert list(out) == names


def test_integers_and_escapes() -> None:
    assert canonicalize([0, -1, 2**53, 1.0, -0.0, "\x00\x1f\x7f\u2028"]) == (
        b'[0,-1,9007199254740992,1,0,"\\u0000\\u001f\x7f\xe2\x80\xa8"]'
    )
    assert canonicalize({"b": {}, "a": []}) == b'{"a":[],"b":{}}'


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), 2**53 + 1, {1: "x"}, b"bytes", "\ud800", {"\udc00": 1}],
)
def test_values_without_a_jcs_form_are_refused(value: object) -> None:
    with pytest.raises(JcsError):
        canonicalize(value)


def test_ascii_objects_agree_with_sorted_json_dumps() -> None:
    """For ASCII names and no floats, JCS equals json.dumps with sorted keys."""
    value = {"z": [1, {"y": None, "b": True}], "a": 'text " \\ \n', "m": -42}
    independent = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonicalize(value) == independent.encode()
