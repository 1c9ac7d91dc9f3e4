"""Malformed reference data is refused with a message naming the file and the problem."""

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from schema.reference.catalog import (
    DATA_DIR,
    CatalogError,
    UnknownCodeError,
    load_catalog,
)

Mutation = Callable[[dict[str, Any]], None]


def _copy_with(tmp_path: Path, file: str, mutate: Mutation) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    path = target / file
    data = json.loads(path.read_text(encoding="utf-8"))
    mutate(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return target


def _entry(data: dict[str, Any], code: str) -> dict[str, Any]:
    return next(e for e in data["entries"] if e.get("code") == code)


def _set(code: str, key: str, value: object) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        _entry(data, code)[key] = value

    return mutate


def _duplicate_first(data: dict[str, Any]) -> None:
    data["entries"].append(dict(data["entries"][0]))


def _drop_other(data: dict[str, Any]) -> None:
    data["entries"] = [e for e in data["entries"] if e["code"] != "05-999"]


def _alias_collision(data: dict[str, Any]) -> None:
    _entry(data, "500105")["aliases"].append("渝北区职改办")


def _former_level(data: dict[str, Any]) -> None:
    series = _entry(data, "05")
    series["former_titles"][0]["level"] = "FU_GAO"


@pytest.mark.parametrize(
    ("file", "mutate", "fragment"),
    [
        ("levels.json", lambda d: d.pop("version"), "missing 'version'"),
        ("levels.json", lambda d: d.update(version=True), "'version' should be int"),
        ("levels.json", lambda d: d.update(extra=1), "unknown key"),
        ("levels.json", _duplicate_first, "duplicate code 'ZHENG_GAO'"),
        ("levels.json", _set("ZHONG", "band", "MIDDLE"), "'band' must be one of"),
        ("levels.json", _set("ZHONG", "colour", "red"), "unknown key(s) ['colour']"),
        ("authorities.json", _alias_collision, "'渝北区职改办' designates both 500105 and 500112"),
        ("authorities.json", _set("500112", "fixed_for_senior", True), "fixed_for_senior"),
        ("authorities.json", _set("500112", "aliases", "渝北"), "'aliases' should be list"),
        ("authorities.json", _set("500112", "levels", ["MIDDLE"]), "bad levels"),
        ("series.json", _former_level, "former title 教授级高级工程师 says FU_GAO"),
        ("specialties.json", _drop_other, "series 05 needs exactly one 其他"),
        ("batches.json", _set("YUBEI_ENG_ZHONG_2021", "authority", "999999"), "unknown code"),
        ("batches.json", _set("YUBEI_ENG_ZHONG_2021", "issued_on", "2022-13-01"), "YYYY-MM-DD"),
        ("batches.json", _set("YUBEI_ENG_ZHONG_2021", "issued_on", "2021-01-01"), "obtained after"),
        ("ways_obtained.json", _set("KS", "allowed_levels", []), "bad allowed_levels"),
    ],
    ids=[
        "no-version",
        "bool-version",
        "unknown-top-key",
        "duplicate-code",
        "bad-enum",
        "unknown-entry-key",
        "alias-collision",
        "two-fixed-for-senior",
        "aliases-not-list",
        "unknown-level",
        "former-title-level",
        "series-without-other",
        "batch-unknown-authority",
        "batch-bad-date",
        "batch-obtained-after-issued",
        "way-without-levels",
    ],
)
def test_malformed_data_is_refused(
    tmp_path: Path, file: str, mutate: Mutation, fragment: str
) -> None:
    with pytest.raises(CatalogError) as info:
        load_catalog(_copy_with(tmp_path, file, mutate))
    assert fragment in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    (target / "batches.json").unlink()
    with pytest.raises(CatalogError, match=r"batches\.json: file missing"):
        load_catalog(target)


def test_invalid_json(tmp_path: Path) -> None:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    (target / "levels.json").write_text("{", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"levels\.json: not valid JSON"):
        load_catalog(target)


def test_load_is_cached_per_directory() -> None:
    assert load_catalog() is load_catalog()
    assert load_catalog(DATA_DIR) is load_catalog()


@pytest.mark.parametrize(
    ("lookup", "code"),
    [("level", "MIDDLE"), ("authority", "999999"), ("series", "99"), ("batch", "NONE")],
)
def test_lookup_by_unknown_code_raises(lookup: str, code: str) -> None:
    with pytest.raises(UnknownCodeError, match=code):
        getattr(load_catalog(), lookup)(code)


def test_resolving_unknown_text_returns_none() -> None:
    assert load_catalog().resolve_authority("火星区人社局") is None
