"""The column spec of bulk data collection (历史数据归集) files.

Each :class:`Column` is one API field with its canonical Chinese header (used in the
templates) and the other headers clerks are known to use. :func:`match_header` maps a
header cell as found in a file to a field after tolerant normalisation: NFKC, all whitespace
removed, required markers (``*``/``＊``) and a trailing parenthesised hint
(``取得时间(YYYY-MM-DD)``, ``取得时间（年-月-日）``) dropped, ASCII case folded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "COLUMNS",
    "COLUMNS_BY_FIELD",
    "FILE_REQUIRED_FIELDS",
    "SILENTLY_IGNORED_HEADERS",
    "Column",
    "match_header",
    "normalize_header",
]


@dataclass(frozen=True, slots=True)
class Column:
    """One collectable field and how it appears in spreadsheets."""

    field: str
    """API field name (camelCase)."""
    header: str
    """Canonical Chinese header used in the templates."""
    aliases: tuple[str, ...] = ()
    """Other headers clerks use for the same data."""
    is_date: bool = False
    note: str = ""
    """Chinese hint shown on the template's instructions sheet."""
    required: bool = False
    """A file without this column is refused (姓名 and 公民身份号码 only)."""


COLUMNS: tuple[Column, ...] = (
    Column(
        "name",
        "姓名",
        ("人员姓名", "持证人姓名", "申报人姓名"),
        note="持证人姓名，与身份证件一致",
        required=True,
    ),
    Column(
        "idNumber",
        "公民身份号码",
        (
            "身份证号码",
            "身份证号",
            "证件号码",
            "证件号",
            "身份证",
            "身份证件号码",
            "公民身份证号码",
        ),
        note="18位公民身份号码，末位X大写；请将该列设置为文本格式，避免Excel将其变为科学计数法",
        required=True,
    ),
    Column("level", "职称级别", ("级别", "资格级别"), note="正高级、副高级、中级、助理级或员级"),
    Column("series", "职称系列", ("系列", "资格系列"), note="如：工程技术人员、中小学教师"),
    Column(
        "titleName",
        "职称名称",
        ("资格名称", "专业技术资格名称", "职称资格名称"),
        note="如：工程师、高级工程师",
    ),
    Column("wayObtained", "取得方式", ("获得方式", "取得途径"), note="评审、初定、确认等"),
    Column(
        "approvalDocument",
        "批准文号",
        ("审批文号", "文号", "批文号"),
        note="红头文件的文号，如：渝北职改办〔2022〕20号",
    ),
    Column(
        "obtainedOn",
        "取得时间",
        ("取得日期", "资格取得时间", "评审通过时间"),
        is_date=True,
        note="评委会评审通过的日期（见批准文件），格式：年-月-日，如2021-12-24",
    ),
    Column(
        "issuedOn",
        "发证时间",
        ("发证日期", "发文时间", "发文日期"),
        is_date=True,
        note="批准文件落款（发文）日期，不早于取得时间，格式：年-月-日",
    ),
    Column(
        "certificateNumber",
        "证书编号",
        ("证书号", "证书号码", "纸质证书编号", "原证书编号"),
        note="2021年以前取得的，填写纸质证书左下方0113开头的编号；2021年以后取得的不填，审核通过后由系统赋号",
    ),
    Column(
        "otherNumberFormat",
        "证书为其他编号格式",
        ("其他编号格式",),
        note="纸质证书编号不以0113开头的填“是”（审核时将核对纸质证书），其余不填",
    ),
    Column(
        "authority",
        "审批机关",
        ("审批机关单位", "审核机关（单位）", "审核机关", "审批单位", "审批机关（单位）"),
        note="高级职称为重庆市人力资源和社会保障局(重庆市职称改革办公室)；中级、初级按人事管理权限填写区县人力社保局或市级部门",
    ),
    Column(
        "reviewBody",
        "评审机构",
        ("评审委员会", "评委会", "评审组织", "评审机构名称"),
        note="评审取得的填写批准文件中的评审委员会；初定、确认取得的填写审批机关",
    ),
    Column("validityScope", "有效范围", ("适用范围",), note="如：全市"),
    Column(
        "specialty",
        "评审专业",
        ("职称专业", "评审专业名称", "专业", "专业名称"),
        note="从评审专业名称中选择；不在列表中的填写“其他”，并填写本地评审专业",
    ),
    Column(
        "localSpecialty",
        "本地评审专业",
        ("本地专业", "本地评审专业名称"),
        note="仅当评审专业为“其他”时填写，否则留空",
    ),
    Column("batch", "评审批次", ("批次", "评审批次名称"), note="已知批次可填写，便于系统自动核对"),
    Column(
        "employerType",
        "单位类型",
        ("单位性质", "工作单位类型"),
        note="事业单位、区属国有企业、非公企业等",
    ),
    Column("source", "证书来源", ("数据来源", "来源"), note="如：职称系统、纸质档案"),
    Column(
        "photo",
        "照片文件",
        ("照片", "照片文件名", "照片名称"),
        note="照片压缩包中该人照片的文件名；不填时按“身份证号码.jpg”在压缩包中查找",
    ),
)

COLUMNS_BY_FIELD: Mapping[str, Column] = MappingProxyType({c.field: c for c in COLUMNS})

FILE_REQUIRED_FIELDS: tuple[str, ...] = tuple(c.field for c in COLUMNS if c.required)
"""Fields whose column every file must have (else the file is refused)."""

_WHITESPACE = re.compile(r"\s+")
_MARKERS = "*＊"
# A trailing hint in brackets: (YYYY-MM-DD), （年-月-日）, [必填], 【文本】. NFKC has already
# turned full-width round brackets into ASCII ones; 【】 survive NFKC.
_TRAILING_HINT = re.compile(r"(?:\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】)$")


def normalize_header(text: str) -> str:
    """The comparable form of a header cell (see the module docstring)."""
    key = _WHITESPACE.sub("", unicodedata.normalize("NFKC", text))
    previous = None
    while key != previous:
        previous = key
        key = key.strip(_MARKERS)
        stripped = _TRAILING_HINT.sub("", key)
        if stripped:  # a header that is only a hint stays as it is
            key = stripped
    return key.casefold()


SILENTLY_IGNORED_HEADERS: frozenset[str] = frozenset(
    normalize_header(h) for h in ("序号", "编号序号", "备注")
)
"""Headers of columns that are dropped without being reported."""


def _build_index() -> Mapping[str, str]:
    index: dict[str, str] = {}
    for column in COLUMNS:
        for text in (column.header, column.field, *column.aliases):
            key = normalize_header(text)
            owner = index.setdefault(key, column.field)
            if owner != column.field:  # pragma: no cover - guards the table above
                raise RuntimeError(f"header {text!r} maps to {owner} and {column.field}")
    return MappingProxyType(index)


_INDEX = _build_index()


def match_header(text: str) -> str | None:
    """The field a header cell stands for, or None when it is not a known header."""
    return _INDEX.get(normalize_header(text))
