"""A person's name as on the resident ID card (实名): normalised, then checked for shape."""

from __future__ import annotations

import re
import unicodedata

from schema.rules.errors import RuleViolation

__all__ = ["normalize_person_name"]

# 2–20 Han characters (minority names may contain the middle dot), or a Latin-script name.
_NAME = re.compile(r"^(?:[\u3400-\u9fff\u00b7\u2022]{2,20}|[A-Za-z][A-Za-z .'-]{1,48}[A-Za-z.])$")


def normalize_person_name(raw: str) -> str:
    """NFKC, trimmed, one kind of middle dot; raises ``NAME_FORMAT`` when not a name."""
    name = unicodedata.normalize("NFKC", raw).strip()
    name = re.sub(r"\s+", " ", name.replace("•", "·").replace("・", "·"))
    if re.search(r"[\u3400-\u9fff]", name):
        name = name.replace(" ", "")  # 张 三 as typed into a spreadsheet is 张三
    if not _NAME.match(name):
        raise RuleViolation(
            "NAME_FORMAT", "姓名应为2至20个汉字（少数民族姓名可含“·”），与身份证一致", "name"
        )
    return name
