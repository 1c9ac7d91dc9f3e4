"""Blank templates clerks download for bulk data collection (历史数据归集).

Both kinds share one header set (one import pipeline); they differ in which columns are
marked required (``*``) and in the notes. TITLE_SYSTEM: results of the municipal title
system, every item expected. HISTORICAL: authorities' archive records, only 姓名 and
公民身份号码 required; the holder completes the rest later (待完善).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

from schema.collection.columns import COLUMNS, Column

__all__ = [
    "REQUIRED_FIELDS",
    "TemplateKind",
    "column_note",
    "template_csv",
    "template_headers",
    "template_xlsx",
]

TemplateKind = Literal["TITLE_SYSTEM", "HISTORICAL"]

REQUIRED_FIELDS: Mapping[TemplateKind, frozenset[str]] = MappingProxyType(
    {
        "TITLE_SYSTEM": frozenset(
            {
                "name",
                "idNumber",
                "level",
                "series",
                "titleName",
                "wayObtained",
                "approvalDocument",
                "obtainedOn",
                "issuedOn",
                "authority",
                "reviewBody",
                "validityScope",
                "specialty",
            }
        ),
        "HISTORICAL": frozenset({"name", "idNumber"}),
    }
)

_TEXT_FIELDS = frozenset({"idNumber", "certificateNumber", "approvalDocument"})
_WIDE_FIELDS = frozenset({"approvalDocument", "authority", "reviewBody", "batch"})

_NOTES: Mapping[TemplateKind, Mapping[str, str]] = MappingProxyType(
    {
        "TITLE_SYSTEM": MappingProxyType(
            {
                "certificateNumber": "职称系统2021年以后评审的职称不填写，审核通过后由系统赋予电子证书编号",
                "photo": "照片压缩包中该人照片的文件名；不填时按“身份证号码.jpg”查找。没有照片的记录导入后显示为待完善，由本人补传",
            }
        ),
        "HISTORICAL": MappingProxyType(
            {
                "certificateNumber": "【重点】2021年以前取得的职称，请填写纸质证书左下方0113开头的证书编号；本列已设为文本格式，请勿改为数字，以免丢失开头的0",
                "photo": "可不填；没有照片的记录由持证人登录后补传",
            }
        ),
    }
)

_EXAMPLES: Mapping[str, str] = MappingProxyType(
    {
        "name": "张三",
        "idNumber": "500112198001011234",
        "otherNumberFormat": "否",
        "level": "中级",
        "series": "工程技术人员",
        "titleName": "工程师",
        "wayObtained": "评审",
        "approvalDocument": "渝北职改办〔2022〕20号",
        "obtainedOn": "2021-12-24",
        "issuedOn": "2022-02-15",
        "certificateNumber": "",
        "authority": "渝北区人力资源和社会保障局",
        "reviewBody": "重庆市工程技术中级职务渝北区评审委员会",
        "validityScope": "全市",
        "specialty": "建筑工程",
        "localSpecialty": "",
        "batch": "2021年重庆市工程技术中级职务渝北区评审委员会评审",
        "employerType": "事业单位",
        "source": "职称系统",
        "photo": "500112198001011234.jpg",
    }
)
_HISTORICAL_EXAMPLES: Mapping[str, str] = MappingProxyType(
    {
        "approvalDocument": "渝北职改办〔2016〕8号",
        "obtainedOn": "2015-12-20",
        "issuedOn": "2016-03-01",
        "certificateNumber": "01132016000123",
        "batch": "",
        "source": "纸质档案",
    }
)

_GENERAL_NOTES: Mapping[TemplateKind, tuple[str, ...]] = MappingProxyType(
    {
        "TITLE_SYSTEM": ("本模板用于导入职称系统评审结果，带*的列必须填写。",),
        "HISTORICAL": (
            "本模板用于归集2021年以前的纸质职称证书档案，只有姓名、公民身份号码必须填写；"
            "其余各项可留空，导入后由持证人登录补充完善。",
        ),
    }
)
_COMMON_NOTES = (
    "第一行为表头，请勿修改、删除；不需要的列可以留空，列的顺序可以调整。",
    "公民身份号码、证书编号、批准文号列已设为文本格式，请勿改为数字格式，否则末几位或开头的0会丢失。",
    "日期请按“年-月-日”填写，如2021-12-24。",
    "照片请打包为一个ZIP文件上传，照片文件名为身份证号码（如500112198001011234.jpg），"
    "或与“照片文件”列填写的文件名一致。",
    "也可以将本表另存为CSV文件上传。",
)


def _is_required(kind: TemplateKind, column: Column) -> bool:
    return column.field in REQUIRED_FIELDS[kind]


def template_headers(kind: TemplateKind) -> list[str]:
    """The template's header row: canonical headers, required ones prefixed with ``*``."""
    return [("*" if _is_required(kind, c) else "") + c.header for c in COLUMNS]


def column_note(kind: TemplateKind, column: Column) -> str:
    """The instructions-sheet note of a column for this kind of template."""
    return _NOTES[kind].get(column.field, column.note)


def _example(kind: TemplateKind, field: str) -> str:
    if kind == "HISTORICAL" and field in _HISTORICAL_EXAMPLES:
        return _HISTORICAL_EXAMPLES[field]
    return _EXAMPLES[field]


def template_csv(kind: TemplateKind) -> bytes:
    """The header row as UTF-8 CSV with a BOM (so Excel on Chinese Windows shows it right)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(template_headers(kind))
    return buffer.getvalue().encode("utf-8-sig")


def template_xlsx(kind: TemplateKind) -> bytes:
    """An XLSX template: sheet 数据 (formatted header row) and sheet 填写说明."""
    import xlsxwriter  # at the first XLSX, not at start-up (issue 10, idle memory)

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    header = workbook.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center", "text_wrap": True}
    )
    required_header = workbook.add_format(
        {
            "bold": True,
            "bg_color": "#DDEBF7",
            "border": 1,
            "align": "center",
            "text_wrap": True,
            "font_color": "#C00000",
        }
    )
    text = workbook.add_format({"num_format": 49})  # built-in "@" (Text)
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})

    data = workbook.add_worksheet("数据")
    for index, (column, title) in enumerate(zip(COLUMNS, template_headers(kind), strict=True)):
        if column.field in _TEXT_FIELDS:
            cell_format = text
        elif column.is_date:
            cell_format = day
        else:
            cell_format = None
        width = 30 if column.field in _WIDE_FIELDS else 22 if column.field == "idNumber" else 14
        data.set_column(index, index, width, cell_format)
        data.write_string(
            0, index, title, required_header if _is_required(kind, column) else header
        )
    data.set_row(0, 30)
    data.freeze_panes(1, 0)

    guide = workbook.add_worksheet("填写说明")
    guide.set_column(0, 0, 16)
    guide.set_column(1, 1, 10)
    guide.set_column(2, 2, 70, wrap)
    guide.set_column(3, 3, 36, wrap)
    guide.write_row(0, 0, ["列名", "是否必填", "填写说明", "示例"], bold)
    for row, column in enumerate(COLUMNS, start=1):
        guide.write_string(row, 0, column.header)
        guide.write_string(row, 1, "必填" if _is_required(kind, column) else "选填")
        guide.write_string(row, 2, column_note(kind, column))
        guide.write_string(row, 3, _example(kind, column.field))
    row = len(COLUMNS) + 2
    for number, note in enumerate((*_GENERAL_NOTES[kind], *_COMMON_NOTES), start=1):
        guide.write_string(row, 0, f"{number}. {note}")
        row += 1
    guide.freeze_panes(1, 0)

    data.activate()
    workbook.close()
    return output.getvalue()
