"""Realistic synthetic collection files (历史数据归集 / 职称系统 results) for the benchmarks.

Two kinds of file, with the Chinese headers a clerk's spreadsheet has (``HEADERS``):

* ``historical``: titles obtained 1985–2020 from the authorities' archives, each with its paper
  certificate number (``0113`` + 8–12 digits, unique per row); about 10% of the rows leave one
  field empty (approval document, review body or specialty) — such a record loads as 待完善;
  no photo.
* ``title-system``: intermediate/junior titles evaluated in the title system 2021–2025
  (way 评审, no certificate number); 照片文件 names ``<ID>.jpg`` in the photos ZIP.

Every value comes from the reference data in ``schema/reference/data/*.json`` (read through
``schema.reference.catalog.load_catalog``) and follows the notice's rules as the project's form
checks them (``bench/check_collection_data.py`` proves it): level, series and title names as
listed; the authority fixed for senior titles; a review committee for 评审 and the authority
itself for 初定/确认; the approval document's year = the issue year; obtained ≤ issued; ID
numbers (GB 11643, Chongqing district codes, birth 1950–1998, ≥ 22 years old when the title was
obtained) unique per row, derived from the row index.

A ``bad_share`` of the rows is invalid in a realistic way (``Defect``). Which rows are bad is a
pure function of (row index, seed, bad_share): ``defect_of`` / ``is_bad``, so a test can
predict the report without generating anything; ``CollectionData.bad_rows`` also records, as the
rows are produced, the defect each bad row actually got (a duplicate needs an earlier good row;
without one the row gets a bad ID check character instead). ``CollectionData.incomplete_rows``
lists the historical rows left incomplete on purpose (not bad: they load as 待完善).

Usage::

    python bench/collection_data.py --kind historical --rows 1000000 --out hist.csv
    python bench/collection_data.py --kind title-system --rows 5000 --out ts.xlsx \\
        --photos photos.zip --bad-share 0.02 --seed 1
"""

from __future__ import annotations

import argparse
import bisect
import csv
import io
import math
import random
import sys
import time
import zipfile
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from schema.reference.catalog import (
    Authority,
    AuthorityKind,
    Catalog,
    Series,
    load_catalog,
)

__all__ = [
    "HEADERS",
    "KINDS",
    "MAX_ROWS",
    "CollectionData",
    "Defect",
    "defect_of",
    "generate",
    "generate_rows",
    "is_bad",
    "is_incomplete",
    "write_csv",
    "write_photos_zip",
    "write_xlsx",
]

HEADERS: tuple[str, ...] = (
    "姓名",
    "公民身份号码",
    "职称级别",
    "职称系列",
    "职称名称",
    "取得方式",
    "批准文号",
    "取得时间",
    "发证时间",
    "证书编号",
    "审批机关",
    "评审机构",
    "有效范围",
    "评审专业",
    "本地评审专业",
    "照片文件",
)
HISTORICAL = "historical"
TITLE_SYSTEM = "title-system"
KINDS = (HISTORICAL, TITLE_SYSTEM)
# Certificate numbers and ID numbers stay unique up to this many rows (see _certificate_number).
MAX_ROWS = 10_000_000
INCOMPLETE_SHARE = 0.10  # historical rows with one field left empty (待完善)

# Header → the API field the import maps it to (照片文件 is the photo's file name in the ZIP).
API_FIELDS: dict[str, str] = {
    "姓名": "name",
    "公民身份号码": "idNumber",
    "职称级别": "level",
    "职称系列": "series",
    "职称名称": "titleName",
    "取得方式": "wayObtained",
    "批准文号": "approvalDocument",
    "取得时间": "obtainedOn",
    "发证时间": "issuedOn",
    "证书编号": "certificateNumber",
    "审批机关": "authority",
    "评审机构": "reviewBody",
    "有效范围": "validityScope",
    "评审专业": "specialty",
    "本地评审专业": "localSpecialty",
}


class Defect(StrEnum):
    """How a bad row is wrong (each is a mistake seen in real collection files)."""

    BAD_ID_CHECK = "BAD_ID_CHECK"  # ID number with a wrong check character
    ISSUED_BEFORE_OBTAINED = "ISSUED_BEFORE_OBTAINED"  # 发证时间 earlier than 取得时间
    UNKNOWN_AUTHORITY = "UNKNOWN_AUTHORITY"  # 审批机关 not in the list
    BAD_APPROVAL_DOCUMENT = "BAD_APPROVAL_DOCUMENT"  # 批准文号 malformed
    DUPLICATE = "DUPLICATE"  # the same certificate of the same person as an earlier row
    TITLE_LEVEL_MISMATCH = "TITLE_LEVEL_MISMATCH"  # 职称名称 of another level
    BAD_CERTIFICATE_NUMBER = "BAD_CERTIFICATE_NUMBER"  # no 0113 prefix / a number after 2021


_DEFECT_WEIGHTS: tuple[tuple[Defect, int], ...] = (
    (Defect.BAD_ID_CHECK, 20),
    (Defect.ISSUED_BEFORE_OBTAINED, 18),
    (Defect.UNKNOWN_AUTHORITY, 15),
    (Defect.BAD_APPROVAL_DOCUMENT, 20),
    (Defect.DUPLICATE, 15),
    (Defect.TITLE_LEVEL_MISMATCH, 6),
    (Defect.BAD_CERTIFICATE_NUMBER, 6),
)
_DEFECT_CUM: list[int] = []
for _d, _w in _DEFECT_WEIGHTS:
    _DEFECT_CUM.append((_DEFECT_CUM[-1] if _DEFECT_CUM else 0) + _w)

# ---------------------------------------------------------------------------------------------
# Deterministic per-row decisions (pure functions of index, seed and share)
# ---------------------------------------------------------------------------------------------

_MASK64 = (1 << 64) - 1
_BAD_SALT = 0x9E3779B97F4A7C15
_KIND_SALT = 0xD1B54A32D192ED03
_INCOMPLETE_SALT = 0x8CB92BA72F3D8DD7


def _mix(seed: int, i: int, salt: int) -> int:
    """splitmix64 of (seed, index, salt): a well-spread 64-bit value."""
    z = ((seed * 0x100000001B3) ^ (i * 0xBF58476D1CE4E5B9) ^ salt) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def _unit(seed: int, i: int, salt: int) -> float:
    return _mix(seed, i, salt) / 18446744073709551616.0


def is_bad(i: int, seed: int, bad_share: float) -> bool:
    """Whether row ``i`` (0-based) is deliberately invalid."""
    return _unit(seed, i, _BAD_SALT) < bad_share


def defect_of(i: int, seed: int, bad_share: float) -> Defect | None:
    """The defect planned for row ``i``, or ``None`` for a good row.

    A planned DUPLICATE with no earlier good row to copy becomes BAD_ID_CHECK when generated;
    ``CollectionData.bad_rows`` holds what each row really got.
    """
    if not is_bad(i, seed, bad_share):
        return None
    pick = _unit(seed, i, _KIND_SALT) * _DEFECT_CUM[-1]
    return _DEFECT_WEIGHTS[bisect.bisect_right(_DEFECT_CUM, pick)][0]


def is_incomplete(kind: str, i: int, seed: int, bad_share: float) -> bool:
    """Whether a (good) historical row leaves one field empty on purpose (loads as 待完善)."""
    return (
        kind == HISTORICAL
        and not is_bad(i, seed, bad_share)
        and _unit(seed, i, _INCOMPLETE_SALT) < INCOMPLETE_SHARE
    )


# ---------------------------------------------------------------------------------------------
# Vocabulary: names and local specialties
# ---------------------------------------------------------------------------------------------

# Common surnames, roughly by frequency, with the Chongqing ones (冉, 向, 谭, 秦) a little higher.
_SURNAMES = (
    ("王", 70), ("李", 70), ("张", 65), ("刘", 55), ("陈", 55), ("杨", 40), ("黄", 25),
    ("赵", 25), ("吴", 22), ("周", 22), ("徐", 18), ("孙", 14), ("马", 13), ("朱", 12),
    ("胡", 12), ("郭", 11), ("何", 14), ("罗", 14), ("高", 10), ("林", 9), ("郑", 8),
    ("梁", 8), ("谢", 10), ("唐", 12), ("宋", 7), ("许", 7), ("韩", 6), ("冯", 6), ("邓", 9),
    ("曹", 6), ("彭", 8), ("曾", 7), ("肖", 7), ("田", 7), ("董", 6), ("袁", 7), ("潘", 4),
    ("蒋", 6), ("蔡", 5), ("余", 7), ("杜", 6), ("叶", 4), ("程", 5), ("苏", 4), ("魏", 4),
    ("吕", 4), ("丁", 4), ("任", 5), ("沈", 3), ("姚", 3), ("卢", 4), ("姜", 3), ("崔", 3),
    ("钟", 4), ("谭", 8), ("陆", 3), ("汪", 3), ("范", 3), ("石", 4), ("廖", 5), ("贾", 2),
    ("夏", 3), ("付", 4), ("方", 3), ("邹", 4), ("熊", 5), ("秦", 5), ("江", 3), ("雷", 4),
    ("龙", 4), ("陶", 3), ("黎", 3), ("贺", 3), ("毛", 3), ("龚", 3), ("向", 6), ("冉", 5),
    ("牟", 3), ("文", 3), ("况", 1), ("母", 1), ("欧阳", 2), ("司马", 1), ("诸葛", 1),
    ("上官", 1), ("司徒", 1),
)  # fmt: skip
_MALE_CHARS = (
    "伟强磊军勇杰涛斌波超明刚平辉鹏华飞鑫宇浩凯健俊帆林峰建国志文斌亮成兵洪毅龙海"
    "松江川渝东晨阳博翔涵睿泽豪锐"
)
_FEMALE_CHARS = (
    "芳娜敏静丽艳娟霞燕玲婷雪慧莉红梅琳萍倩颖洁蓉薇丹瑶琴露欣怡佳悦彤雯秀英兰凤菊云春晓珊璐"
)

# 本地评审专业 per series, used with 其他 (none of them is on the series' list).
_LOCAL_SPECIALTIES: dict[str, tuple[str, ...]] = {
    "01": ("教育技术", "体育学"),
    "02": ("社会学", "经济学", "法学", "管理学", "历史学"),
    "03": ("生物学", "化学", "物理学", "地质学", "环境科学"),
    "04": ("肿瘤学", "神经内科", "心血管内科", "医学影像"),
    "05": ("城市轨道交通", "智能制造", "软件工程", "建筑智能化"),
    "06": ("林学", "茶学", "蚕桑", "农产品质量安全"),
    "07": ("新闻采编", "新闻摄影", "广播电视新闻"),
    "08": ("图书编辑", "期刊编辑", "数字出版"),
    "09": ("图书馆学", "情报学", "文献资料"),
    "10": ("文物保护", "博物馆学", "考古"),
    "11": ("档案管理", "文书档案", "科技档案"),
    "12": ("陶瓷艺术", "漆器工艺", "蜀绣", "工艺美术设计"),
    "13": ("机械加工", "电工电子", "汽车维修", "烹饪"),
    "14": ("田径", "游泳", "篮球", "足球", "乒乓球"),
    "15": ("英语翻译", "日语翻译", "法语翻译"),
    "16": ("播音", "节目主持"),
    "17": ("管理会计",),
    "18": ("经济统计",),
    "19": ("旅游经济", "保险"),
    "20": ("化学实验", "生物实验", "物理实验"),
    "21": ("机电技术", "计算机应用", "财务会计", "旅游服务"),
    "22": ("书法", "劳动教育"),
    "23": ("川剧表演", "声乐", "舞蹈", "戏剧编剧", "美术创作"),
    "24": ("民事公证", "经济公证"),
    "25": ("民商事诉讼", "刑事辩护"),
    "26": ("内河船舶驾驶", "内河船舶轮机"),
    "27": ("航线运输飞行",),
    "28": ("内部审计",),
    "29": ("群众文化艺术", "文化馆管理"),
    "30": ("社会工作", "社区服务"),
}

# How often each series appears in a collection file (the rest weigh 1).
_SERIES_WEIGHTS = {
    "05": 300, "04": 180, "22": 180, "19": 60, "17": 60, "06": 50, "01": 20, "21": 20,
    "13": 10, "08": 5, "07": 5, "20": 8, "28": 8, "18": 6, "11": 5, "09": 4, "03": 6,
}  # fmt: skip
_LEVEL_WEIGHTS_HISTORICAL = {"ZHENG_GAO": 2, "FU_GAO": 15, "ZHONG": 40, "ZHULI": 30, "YUAN": 13}
_LEVEL_WEIGHTS_TITLE_SYSTEM = {"ZHONG": 50, "ZHULI": 38, "YUAN": 12}
_MIN_AGE = {"ZHENG_GAO": 35, "FU_GAO": 30, "ZHONG": 25, "ZHULI": 22, "YUAN": 22}

# Departments that approve titles of a series (中/初级).
_DEPARTMENTS: dict[str, tuple[str, ...]] = {
    "01": ("DEPT_EDU",),
    "21": ("DEPT_EDU",),
    "22": ("DEPT_EDU",),
    "04": ("DEPT_HEALTH",),
    "05": ("DEPT_HOUSING", "DEPT_ECONOMY", "DEPT_TRANSPORT", "DEPT_WATER", "DEPT_PLANNING"),
    "06": ("DEPT_AGRICULTURE", "DEPT_FORESTRY"),
    "17": ("DEPT_FINANCE", "DEPT_SASAC", "DEPT_COMMERCE"),
    "19": ("DEPT_FINANCE", "DEPT_SASAC", "DEPT_COMMERCE"),
    "28": ("DEPT_AUDIT",),
    "14": ("DEPT_SPORT",),
    "07": ("DEPT_PUBLICITY",),
    "08": ("DEPT_PUBLICITY",),
    "16": ("DEPT_PUBLICITY",),
    "09": ("DEPT_CULTURE",),
    "10": ("DEPT_CULTURE",),
    "23": ("DEPT_CULTURE",),
    "29": ("DEPT_CULTURE",),
    "03": ("DEPT_SCIENCE",),
    "20": ("DEPT_SCIENCE",),
}
# Series whose intermediate/junior titles were often obtained by the national exam (以考代评).
_EXAM_SERIES = frozenset({"17", "18", "19", "28"})
_EXAM_BODY = "重庆市人事考试中心"

_UNKNOWN_AUTHORITIES = (
    "渝东区人力资源和社会保障局",
    "重庆市人才交流中心",
    "两江新区人社局",
    "主城区职改办",
    "沙区人社局",
    "重庆市人事局",
)
_BAD_DOCUMENTS = (
    "{issuer}〔{yy:02d}〕{seq}号",  # two-digit year
    "人社部令第{seq}号",  # a ministerial order, not an approval
    "{issuer}〔{year}〕号",  # no sequence number
    "{issuer}{year}年",  # year only
    "〔{year}〕{seq}号",  # no issuer
    "{issuer}〔{future}〕{seq}号",  # a year in the future
)
_YUBEI_BATCH_ISSUER = "渝北职改办"

# ---------------------------------------------------------------------------------------------
# Precomputed tables
# ---------------------------------------------------------------------------------------------

_T = TypeVar("_T")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_BIRTH_FIRST = date(1950, 1, 1).toordinal()
_BIRTH_LAST = date(1998, 12, 31).toordinal()
_DATE_FIRST = date(1978, 1, 1).toordinal()
_DATE_LAST = date(2030, 12, 31).toordinal()
_ISO: list[str] = [date.fromordinal(o).isoformat() for o in range(_DATE_FIRST, _DATE_LAST + 1)]
_YEAR_START = {y: date(y, 1, 1).toordinal() for y in range(1978, 2031)}
_BLOCK_MIN = 64  # ID uniqueness: see _Writer._birth
_SLOT_STRIDE = 27_941  # a prime: coprime with every slot count (38 regions × 1000)


def _weighted(items: Iterable[tuple[_T, float]]) -> tuple[list[_T], list[float]]:
    values: list[_T] = []
    cum: list[float] = []
    total = 0.0
    for value, weight in items:
        if weight > 0:
            total += weight
            values.append(value)
            cum.append(total)
    return values, cum


def _pick(r: random.Random, values: list[_T], cum: list[float]) -> _T:
    return values[bisect.bisect_right(cum, r.random() * cum[-1])]


def _short_series(series: Series) -> str:
    """What committee names call the series (工程技术, 卫生技术, 中小学教师 …)."""
    special = {"04": "卫生技术", "05": "工程技术", "06": "农业技术", "22": "中小学教师"}
    if series.code in special:
        return special[series.code]
    return series.name.removesuffix("人员").removesuffix("人才")


def _place(authority: Authority) -> str:
    """The place part of a district bureau's name: 渝北区, 石柱土家族自治县 → 石柱县."""
    short = authority.short_name or authority.name
    return short.removesuffix("人力社保局")


def _issuer(authority: Authority) -> str:
    """The 发文机关代字 on an authority's approval documents."""
    if authority.document_issuers:
        return authority.document_issuers[0]
    if authority.kind is AuthorityKind.DISTRICT:
        offices = [a for a in authority.aliases if a.endswith("职改办")]
        # 渝中职改办 rather than 渝中区职改办, as the documents print it.
        plain = [a for a in offices if not a.removesuffix("职改办").endswith(("区", "县"))]
        return min(plain or offices, key=len)
    return f"{authority.short_name or authority.name}职改办"


@dataclass(frozen=True)
class _Profile:
    """A (series, level) pair with what a row of it may hold."""

    series: Series
    level: str
    level_name: str
    band: str
    senior: bool
    titles: tuple[str, ...]
    wrong_level_titles: tuple[str, ...]
    specialties: tuple[str, ...]  # listed names, 其他 excluded
    locals: tuple[str, ...]
    former_titles: tuple[tuple[str, int], ...]  # (name, last year it was printed)


class _Tables:
    """Everything derived once from the catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        levels = {lv.code: lv for lv in catalog.levels}
        self.municipal = catalog.municipal_authority
        self.districts = [a for a in catalog.authorities if a.kind is AuthorityKind.DISTRICT]
        self.zones = [a for a in catalog.authorities if a.kind is AuthorityKind.ZONE]
        self.unit = next(a for a in catalog.authorities if a.kind is AuthorityKind.UNIT)
        self.by_code = {a.code: a for a in catalog.authorities}
        self.issuers = {a.code: _issuer(a) for a in catalog.authorities}
        self.district_by_region = {a.code: a for a in self.districts}
        # ID numbers: region (6) + birth (8) + sequence (3) + check.
        self.regions = [a.division_code or a.code for a in self.districts]
        self.region_sums = [_digit_sum(code, 0) for code in self.regions]
        self.birth_text = [
            date.fromordinal(o).strftime("%Y%m%d") for o in range(_BIRTH_FIRST, _BIRTH_LAST + 1)
        ]
        self.birth_sums = [_digit_sum(t, 6) for t in self.birth_text]
        self.seq_sums = [_digit_sum(f"{s:03d}", 14) for s in range(1000)]
        self.surnames = _weighted(_SURNAMES)
        self.profiles: dict[tuple[str, str], _Profile] = {}
        for s in catalog.series_list:
            listed = tuple(sp.name for sp in catalog.specialties_for(s.code) if not sp.other)
            for lv in dict.fromkeys(t.level for t in s.titles):  # ordered: deterministic
                former = tuple(
                    (f.name, 2015 if s.code == "22" else 2019)
                    for f in s.former_titles
                    if f.level == lv and f.verified
                )
                self.profiles[(s.code, lv)] = _Profile(
                    series=s,
                    level=lv,
                    level_name=levels[lv].name,
                    band=levels[lv].band.value,
                    senior=levels[lv].is_senior,
                    titles=tuple(t.name for t in s.titles if t.level == lv),
                    wrong_level_titles=tuple(
                        t.name
                        for t in s.titles
                        if t.level != lv
                        and not any(x.name == t.name for x in s.titles if x.level == lv)
                    ),
                    specialties=listed,
                    locals=_LOCAL_SPECIALTIES.get(s.code, ("综合",)),
                    former_titles=former,
                )
        self.pairs: dict[str, tuple[list[_Profile], list[float]]] = {}
        for kind, level_weights in (
            (HISTORICAL, _LEVEL_WEIGHTS_HISTORICAL),
            (TITLE_SYSTEM, _LEVEL_WEIGHTS_TITLE_SYSTEM),
        ):
            self.pairs[kind] = _weighted(
                (p, _SERIES_WEIGHTS.get(s, 1) * level_weights.get(lv, 0))
                for (s, lv), p in self.profiles.items()
            )
        assert math.gcd(_SLOT_STRIDE, len(self.regions) * 1000) == 1
        for name in _UNKNOWN_AUTHORITIES:
            assert catalog.resolve_authority(name) is None, name

    def id_number(self, slot: int, birth_ordinal: int) -> str:
        region = slot % len(self.regions)
        seq = slot // len(self.regions)
        b = birth_ordinal - _BIRTH_FIRST
        total = self.region_sums[region] + self.birth_sums[b] + self.seq_sums[seq]
        return f"{self.regions[region]}{self.birth_text[b]}{seq:03d}{_ID_CHECK[total % 11]}"


def _digit_sum(digits: str, offset: int) -> int:
    return sum(int(d) * _ID_WEIGHTS[offset + k] for k, d in enumerate(digits))


_TABLES: dict[int, tuple[Catalog, _Tables]] = {}


def _tables_for(catalog: Catalog | None) -> _Tables:
    """The tables of a catalog (default: the packaged reference data), built once."""
    catalog = catalog or load_catalog()
    cached = _TABLES.get(id(catalog))
    if cached is None or cached[0] is not catalog:
        cached = _TABLES[id(catalog)] = (catalog, _Tables(catalog))
    return cached[1]


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------


@dataclass
class CollectionData:
    """A file's worth of rows; ``rows()`` yields them, filling ``bad_rows`` as it goes.

    ``bad_rows``: row index → the defect it carries. ``incomplete_rows``: row index → the
    header left empty on purpose (historical only; such a row is good: it loads as 待完善).
    ``duplicates``: bad row index → the earlier row index it repeats.
    """

    kind: str
    n: int
    seed: int = 1
    bad_share: float = 0.02
    catalog: Catalog | None = None
    bad_rows: dict[int, Defect] = field(default_factory=dict)
    incomplete_rows: dict[int, str] = field(default_factory=dict)
    duplicates: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        if not 0 <= self.n <= MAX_ROWS:
            raise ValueError(f"rows must be 0..{MAX_ROWS}")
        if not 0.0 <= self.bad_share < 1.0:
            raise ValueError("bad_share must be in [0, 1)")

    def rows(self) -> Iterator[dict[str, str]]:
        """The rows in order, as ``{header: text}`` (empty string = empty cell)."""
        self.bad_rows.clear()
        self.incomplete_rows.clear()
        self.duplicates.clear()
        return _Writer(self, _tables_for(self.catalog)).rows()


def generate(
    kind: str, n: int, seed: int = 1, bad_share: float = 0.02, *, catalog: Catalog | None = None
) -> CollectionData:
    """A ``CollectionData`` for ``n`` rows of ``kind`` (``historical`` or ``title-system``)."""
    return CollectionData(kind=kind, n=n, seed=seed, bad_share=bad_share, catalog=catalog)


def generate_rows(
    kind: str, n: int, *, seed: int = 1, bad_share: float = 0.02
) -> Iterator[dict[str, str]]:
    """The rows of ``generate(kind, n, seed, bad_share)``; bad rows: ``defect_of``."""
    return generate(kind, n, seed, bad_share).rows()


class _Writer:
    """Produces one file's rows; state is the RNG and a few recent good rows (duplicates)."""

    def __init__(self, data: CollectionData, tables: _Tables) -> None:
        self.data = data
        self.t = tables
        self.kind = data.kind
        self.historical = data.kind == HISTORICAL
        # Row content comes from one stream; which rows are bad does not (see defect_of).
        self.r = random.Random(f"{data.kind}:{data.seed}")
        self.recent: deque[tuple[int, dict[str, str]]] = deque(maxlen=256)
        self.blocks = max(_BLOCK_MIN, -(-data.n // (len(tables.regions) * 1000)))
        self.today = date.today().toordinal()
        self.profiles, self.profile_cum = tables.pairs[data.kind]
        self.profile_total = self.profile_cum[-1]
        self.committees: dict[tuple[str, str, str], str] = {}

    def rows(self) -> Iterator[dict[str, str]]:
        data, seed, share = self.data, self.data.seed, self.data.bad_share
        for i in range(data.n):
            defect = defect_of(i, seed, share)
            if defect is Defect.DUPLICATE:
                if self.recent:
                    yield self._duplicate(i)
                    continue
                defect = Defect.BAD_ID_CHECK
            row = self._row(i, defect)
            if defect is not None:
                data.bad_rows[i] = defect
            elif self.historical and _unit(seed, i, _INCOMPLETE_SALT) < INCOMPLETE_SHARE:
                # = is_incomplete(); the bad-ness part is already known here
                data.incomplete_rows[i] = self._leave_empty(row)
            else:
                self.recent.append((i, row))
            yield row

    # --- one row ---------------------------------------------------------------------------

    def _row(self, i: int, defect: Defect | None) -> dict[str, str]:
        t, r = self.t, self.r
        rnd = r.random
        p = self.profiles[bisect.bisect_right(self.profile_cum, rnd() * self.profile_total)]
        series_code, level, senior = p.series.code, p.level, p.senior

        # Dates: obtained, then issued 1–5 months later (the document's date).
        if self.historical:
            # More titles in later years: year = 1985 + 36·sqrt(u).
            year = 1985 + min(35, int(36 * rnd() ** 0.5))
        else:
            year = 2021 + int(rnd() * 5)
        obtained = _YEAR_START[year] + int(rnd() * (365 if year % 4 else 366))
        issued = min(obtained + 10 + int(rnd() * 140), self.today)
        if defect is Defect.ISSUED_BEFORE_OBTAINED:
            issued = obtained - 3 - int(rnd() * 60)

        # Way obtained.
        way = "评审"
        if self.historical:
            u = rnd()
            if senior:
                way = "确认" if u < 0.05 else "评审"
            elif level == "ZHONG":
                if series_code in _EXAM_SERIES and u < 0.6:
                    way = "考试"
                else:
                    way = "确认" if u < 0.08 else "评审"
            elif series_code in _EXAM_SERIES and u < 0.6:
                way = "考试"
            else:
                way = "初定" if u < 0.35 else ("确认" if u < 0.42 else "评审")

        # Authority.
        # A bijection of i mod slots (slots = regions × 1000 sequence numbers), so that
        # consecutive rows get unrelated regions and sequence numbers.
        id_slot = (i * _SLOT_STRIDE) % (len(t.regions) * 1000)
        if senior:
            authority = t.municipal
        else:
            u = rnd()
            departments = _DEPARTMENTS.get(series_code, ())
            if u < 0.72 or (u < 0.92 and not departments):
                if rnd() < 0.6:  # usually works where the ID number was issued
                    authority = t.districts[id_slot % len(t.districts)]
                else:
                    authority = t.districts[int(rnd() * len(t.districts))]
            elif u < 0.92:
                authority = t.by_code[departments[int(rnd() * len(departments))]]
            elif series_code == "05" and u < 0.95:
                authority = t.unit
            else:
                authority = t.zones[int(rnd() * len(t.zones))]
        authority_text = authority.name
        if not senior and rnd() < 0.05 and authority.aliases:
            authority_text = authority.aliases[int(rnd() * len(authority.aliases))]

        # Review body.
        if way in ("初定", "确认"):
            if senior:
                review_body = t.municipal.title_office or t.municipal.name
            elif authority.title_office and rnd() < 0.3:
                review_body = authority.title_office
            else:
                review_body = authority.name
        elif way == "考试":
            review_body = _EXAM_BODY
        else:
            key = (series_code, level, authority.code)
            review_body = self.committees.get(key) or self.committees.setdefault(
                key, _committee(p, authority, senior)
            )

        # Specialty.
        local = ""
        if p.specialties and rnd() >= 0.06:
            specialty = p.specialties[int(rnd() * len(p.specialties))]
        else:
            specialty = "其他"
            local = p.locals[int(rnd() * len(p.locals))]
        if senior and series_code == "04" and way == "评审" and specialty != "其他":
            review_body = f"重庆市卫生技术({specialty})高级职称评审委员会"

        # Title name (sometimes the former name printed on old certificates).
        title = p.titles[int(rnd() * len(p.titles))]
        if self.historical and p.former_titles and rnd() < 0.3:
            name, last = p.former_titles[int(rnd() * len(p.former_titles))]
            if year <= last:
                title = name

        # Approval document: the issuer's code, the issue year, a sequence number.
        issued_year = int(_ISO[issued - _DATE_FIRST][:4])
        issuer = t.issuers[authority.code]
        seq = 1 + int(rnd() * 300)
        if issuer == _YUBEI_BATCH_ISSUER and issued_year == 2022 and seq in (20, 21, 22):
            seq += 10  # 20–22 are the Yubei batch's documents (their fields are fixed)
        document = f"{issuer}〔{issued_year}〕{seq}号"

        # Person.
        birth = self._birth(i, obtained, level)
        id_number = t.id_number(id_slot, birth)
        name = self._name(int(id_number[16]) % 2 == 1)

        number = _certificate_number(i, year, id_number) if self.historical else ""

        if defect is not None:
            if defect is Defect.BAD_ID_CHECK:
                k = _ID_CHECK.index(id_number[17])
                id_number = id_number[:17] + _ID_CHECK[(k + 1 + int(rnd() * 10)) % 11]
            elif defect is Defect.UNKNOWN_AUTHORITY:
                authority_text = _UNKNOWN_AUTHORITIES[int(rnd() * len(_UNKNOWN_AUTHORITIES))]
            elif defect is Defect.BAD_APPROVAL_DOCUMENT:
                pattern = _BAD_DOCUMENTS[int(rnd() * len(_BAD_DOCUMENTS))]
                document = pattern.format(
                    issuer=issuer, year=issued_year, yy=issued_year % 100, seq=seq, future=2031
                )
            elif defect is Defect.TITLE_LEVEL_MISMATCH and p.wrong_level_titles:
                title = p.wrong_level_titles[int(rnd() * len(p.wrong_level_titles))]
            elif defect is Defect.TITLE_LEVEL_MISMATCH:
                authority_text = _UNKNOWN_AUTHORITIES[0]  # a one-level series: cannot mismatch
            elif defect is Defect.BAD_CERTIFICATE_NUMBER:
                # Before 2021: the number without its 0113 prefix; since 2021: a number typed
                # where the system assigns one.
                number = f"{year}{i:06d}" if number else f"0113{year}{i:06d}"

        return {
            "姓名": name,
            "公民身份号码": id_number,
            "职称级别": p.level_name,
            "职称系列": p.series.name,
            "职称名称": title,
            "取得方式": way,
            "批准文号": document,
            "取得时间": _ISO[obtained - _DATE_FIRST],
            "发证时间": _ISO[issued - _DATE_FIRST],
            "证书编号": number,
            "审批机关": authority_text,
            "评审机构": review_body,
            "有效范围": "全市",
            "评审专业": specialty,
            "本地评审专业": local,
            "照片文件": "" if self.historical else f"{id_number}.jpg",
        }

    def _birth(self, i: int, obtained: int, level: str) -> int:
        """A birth date ≡ the row's block (mod blocks): with the ID slot it makes IDs unique.

        Rows i and j share region and sequence only when i ≡ j (mod slots); they are then in
        different blocks, so their birth dates differ modulo ``blocks``.
        """
        block = i // (len(self.t.regions) * 1000)
        lo = max(_BIRTH_FIRST, obtained - 60 * 365)
        hi = min(_BIRTH_LAST, obtained - int(_MIN_AGE[level] * 365.25) - 2)
        if hi - lo < 2 * self.blocks:
            hi = min(_BIRTH_LAST, obtained - int(22 * 365.25) - 2)
        base = lo + (block - lo) % self.blocks
        return base + self.blocks * int(self.r.random() * ((hi - base) // self.blocks + 1))

    def _name(self, male: bool) -> str:
        r = self.r
        chars = _MALE_CHARS if male else _FEMALE_CHARS
        given = chars[int(r.random() * len(chars))]
        if r.random() < 0.7:
            given += chars[int(r.random() * len(chars))]
        return _pick(r, *self.t.surnames) + given

    def _leave_empty(self, row: dict[str, str]) -> str:
        """Blank one field a clerk could not find in the archive; returns its header."""
        choices = ["批准文号", "评审专业"]
        if row["取得方式"] in ("评审", "考试"):  # 初定/确认 default the review body
            choices.append("评审机构")
        header = choices[int(self.r.random() * len(choices))]
        row[header] = ""
        if header == "评审专业":
            row["本地评审专业"] = ""
        return header

    def _duplicate(self, i: int) -> dict[str, str]:
        """An earlier good row again, as clerks re-enter it: other spacing or brackets."""
        source, row = self.recent[int(self.r.random() * len(self.recent))]
        copy = dict(row)
        u = self.r.random()
        if u < 0.4:
            copy["批准文号"] = copy["批准文号"].replace("〔", "[").replace("〕", "]")
        elif u < 0.6:
            copy["姓名"] = " ".join(copy["姓名"])
        self.data.bad_rows[i] = Defect.DUPLICATE
        self.data.duplicates[i] = source
        return copy


def _committee(p: _Profile, authority: Authority, senior: bool) -> str:
    """The review committee named in the approval document."""
    what = _short_series(p.series)
    if senior:
        return f"重庆市{what}高级职称评审委员会"
    grade = "中级" if p.band == "ZHONG" else "初级"
    if authority.kind is AuthorityKind.DISTRICT:
        return f"重庆市{what}{grade}职务{_place(authority)}评审委员会"
    return f"{authority.name}{what}{grade}职务评审委员会"


def _certificate_number(i: int, year: int, id_number: str) -> str:
    """A paper number: 0113 + 8–12 digits, unique per row (the formats differ in length).

    Lengths for i < 10,000,000: 12 (0113 + 8-digit index), 14–15 (0113 + year + 6/7-digit
    index), 16–17 (0113 + district + 2-digit year + 6/7-digit index): never the same twice.
    """
    shape = i % 3
    if shape == 0:
        return f"0113{i:08d}"
    if shape == 1:
        return f"0113{year}{i:06d}"
    return f"0113{id_number[2:6]}{year % 100:02d}{i:06d}"


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------


def write_csv(path: str | Path, rows: Iterable[dict[str, str]]) -> int:
    """Write rows as UTF-8 CSV with a BOM (what Excel opens correctly); returns the count."""
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="", buffering=1 << 20) as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        writerow = writer.writerow
        for row in rows:
            writerow([row[h] for h in HEADERS])
            count += 1
    return count


_TEXT_COLUMNS = frozenset({"公民身份号码", "证书编号", "批准文号", "取得时间", "发证时间"})


def write_xlsx(path: str | Path, rows: Iterable[dict[str, str]]) -> int:
    """Write rows to one sheet with xlsxwriter in constant memory; every cell is a string
    (ID and certificate numbers keep their leading zeros and check character)."""
    import xlsxwriter

    count = 0
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    try:
        sheet = workbook.add_worksheet("数据")
        text = workbook.add_format({"num_format": "@"})
        for col, header in enumerate(HEADERS):
            sheet.set_column(col, col, 22 if header in _TEXT_COLUMNS else 14, text)
            sheet.write_string(0, col, header)
        write_string = sheet.write_string
        for r, row in enumerate(rows, start=1):
            for col, header in enumerate(HEADERS):
                value = row[header]
                if value:
                    write_string(r, col, value, text)
            count += 1
    finally:
        workbook.close()
    return count


def write_rows(path: str | Path, rows: Iterable[dict[str, str]]) -> int:
    """``write_csv`` or ``write_xlsx`` by the file's extension."""
    if str(path).lower().endswith(".xlsx"):
        return write_xlsx(path, rows)
    return write_csv(path, rows)


# --- photos ----------------------------------------------------------------------------------

_GOOD_SIZE = (358, 441)
_BAD_SIZES = ((600, 400), (100, 130))  # landscape (NOT_PORTRAIT), too small (TOO_SMALL)
_PHOTO_SALT = 0x2545F4914F6CDD1D


def _portrait(size: tuple[int, int], variant: int) -> bytes:
    """A plain ID-style portrait: light background, head and shoulders, as a JPEG."""
    from PIL import Image, ImageDraw

    w, h = size
    backgrounds = ((255, 255, 255), (232, 242, 252), (214, 232, 250), (240, 244, 248))
    shirts = ((40, 48, 72), (70, 70, 78), (24, 60, 110), (90, 30, 40), (220, 220, 225))
    skins = ((238, 205, 180), (226, 190, 160), (245, 215, 195), (215, 178, 148))
    hairs = ((25, 20, 20), (45, 35, 30), (60, 45, 35))
    image = Image.new("RGB", size, backgrounds[variant % len(backgrounds)])
    draw = ImageDraw.Draw(image)
    cx = w // 2
    # Shoulders: a wide rounded shape at the bottom.
    draw.ellipse(
        (cx - int(w * 0.48), int(h * 0.70), cx + int(w * 0.48), int(h * 1.25)),
        fill=shirts[variant % len(shirts)],
    )
    # Neck.
    skin = skins[variant % len(skins)]
    draw.rectangle(
        (cx - int(w * 0.08), int(h * 0.52), cx + int(w * 0.08), int(h * 0.74)), fill=skin
    )
    # Hair behind the head, then the face.
    hair = hairs[variant % len(hairs)]
    draw.ellipse((cx - int(w * 0.23), int(h * 0.12), cx + int(w * 0.23), int(h * 0.50)), fill=hair)
    draw.ellipse((cx - int(w * 0.20), int(h * 0.17), cx + int(w * 0.20), int(h * 0.60)), fill=skin)
    # Eyes and mouth.
    for dx in (-0.08, 0.08):
        ex, ey = cx + int(w * dx), int(h * 0.36)
        draw.ellipse((ex - 5, ey - 3, ex + 5, ey + 3), fill=(30, 30, 30))
    draw.line(
        (cx - int(w * 0.05), int(h * 0.49), cx + int(w * 0.05), int(h * 0.49)),
        fill=(150, 80, 80),
        width=3,
    )
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


@lru_cache(maxsize=1)
def _photo_set() -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    good = tuple(_portrait(_GOOD_SIZE, v) for v in range(6))
    bad = tuple(_portrait(size, v) for v, size in enumerate(_BAD_SIZES))
    return good, bad


def photo_is_bad(i: int, seed: int, bad_share: float) -> bool:
    """Whether the ``i``-th photo of ``write_photos_zip`` breaks the photo rules."""
    return _unit(seed, i, _PHOTO_SALT) < bad_share


def write_photos_zip(
    path: str | Path, id_numbers: Iterable[str], *, bad_share: float = 0.02, seed: int = 1
) -> set[str]:
    """A ZIP of ``<ID>.jpg`` portraits (358×441); returns the IDs whose photo is bad.

    A ``bad_share`` of them (``photo_is_bad``) is landscape 600×400 or too small (100×130).
    A handful of distinct images is drawn once and reused (the bytes repeat).
    """
    good, bad = _photo_set()
    bad_ids: set[str] = set()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for i, id_number in enumerate(id_numbers):
            if photo_is_bad(i, seed, bad_share):
                data = bad[i % len(bad)]
                bad_ids.add(id_number)
            else:
                data = good[i % len(good)]
            archive.writestr(f"{id_number}.jpg", data)
    return bad_ids


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=KINDS, required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--out", required=True, help="FILE.csv or FILE.xlsx")
    parser.add_argument("--photos", help="also write a ZIP of <ID>.jpg photos (title-system)")
    parser.add_argument("--bad-share", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    data = generate(args.kind, args.rows, args.seed, args.bad_share)
    ids: list[str] = []
    rows: Iterator[dict[str, str]] = data.rows()
    if args.photos:
        rows = _collect_photo_ids(rows, ids)
    started = time.perf_counter()
    count = write_rows(args.out, rows)
    elapsed = time.perf_counter() - started
    print(
        f"{count} rows → {args.out} in {elapsed:.1f}s ({count / max(elapsed, 1e-9):,.0f} rows/s); "
        f"bad {len(data.bad_rows)}, incomplete {len(data.incomplete_rows)}",
        file=sys.stderr,
    )
    if args.photos:
        started = time.perf_counter()
        bad_photos = write_photos_zip(args.photos, ids, bad_share=args.bad_share, seed=args.seed)
        print(
            f"{len(ids)} photos → {args.photos} in {time.perf_counter() - started:.1f}s; "
            f"bad {len(bad_photos)}",
            file=sys.stderr,
        )
    return 0


def _collect_photo_ids(rows: Iterator[dict[str, str]], ids: list[str]) -> Iterator[dict[str, str]]:
    seen: set[str] = set()
    for row in rows:
        photo = row["照片文件"] or f"{row['公民身份号码']}.jpg"
        id_number = photo.removesuffix(".jpg")
        if id_number not in seen:  # a duplicate row names the same photo
            seen.add(id_number)
            ids.append(id_number)
        yield row


if __name__ == "__main__":
    sys.exit(main())
