"""The certificate as a one-page A4 PDF (专业技术人员职称电子证书).

Layout (mm, A4 portrait): a double border; the title; when the certificate is no longer
current a red notice under it and a diagonal watermark over the page; the photo at the
upper right with the table of every field beside and under it; at the foot the QR code
(vector modules, at least 0.6 mm each for a version-20 symbol, so a 150 dpi scan decodes)
with the check code under it, how to verify, and the issuing authority with its seal.

All text is set in the Noto CJK faces, embedded as subsets, so it stays selectable and
searchable. The output is deterministic: the creation date is ``signed_at``, nothing
depends on the clock, so the same document renders to the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF

from crypto.qr import make_qr
from schema.documents.fonts import cjk_fonts
from schema.documents.model import (
    CertificateDocument,
    chinese_date,
    detail_rows,
    verification_prefix,
    watermark_notice,
)
from schema.documents.seal import SEAL_RED, draw_seal_pdf

__all__ = ["render_certificate_pdf"]

TITLE = "专业技术人员职称电子证书"

PAGE_W, PAGE_H = 210.0, 297.0
_PT = 25.4 / 72  # millimetres per point

# Colours
_INK = (25, 25, 25)
_LABEL_INK = (92, 64, 40)
_MUTED = (95, 95, 95)
_BORDER_RED = (142, 27, 27)
_GOLD = (176, 141, 87)
_LABEL_FILL = (248, 242, 232)
_RULE = (200, 180, 150)

# Geometry
_OUTER = 8.0
_INNER = 11.5
_TABLE_X = 20.0
_TABLE_RIGHT = 190.0
_TABLE_TOP = 51.0
_TABLE_BOTTOM = 199.0
_LABEL_W = 29.0
_CELL_PAD_X = 2.2
_CELL_PAD_Y = 1.5
_ROW_MIN_H = 8.2
_PHOTO_W, _PHOTO_H = 35.0, 45.0
_PHOTO_X = _TABLE_RIGHT - _PHOTO_W
_PHOTO_GAP = 4.0
_QR_X, _QR_Y, _QR_SIZE = 20.0, 205.0, 60.0
_RIGHT_X = 90.0
_RIGHT_EDGE = 188.0

# Font families registered on each document: three faces, since loading and subsetting
# each Noto CJK face is most of the rendering time.
_SERIF, _SANS = "serif", "sans"
_VALUE_PT = 11.0
_LABEL_PT = 10.0
_NAME_PT = 13.0
_MIN_PT = 6.5
_MAX_VALUE_LINES = 3
_ASCENT = 0.88  # Noto CJK: ascender as a fraction of the em
_LINE_GAP = 1.32  # line height / font size


def _mm(points: float) -> float:
    return points * _PT


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """Greedy line breaking for Chinese text: any character may end a line; a run of
    Latin letters or digits is kept whole when it fits a line on its own."""
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        candidate = line + token
        if pdf.get_string_width(candidate) <= width or not line:
            if pdf.get_string_width(candidate) <= width:
                line = candidate
                continue
            # A token wider than the whole line: break it by character.
            for char in token:
                if line and pdf.get_string_width(line + char) > width:
                    lines.append(line)
                    line = ""
                line += char
            continue
        lines.append(line.rstrip())
        line = token.lstrip()
    if line or not lines:
        lines.append(line)
    return lines


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for char in text:
        if (
            tokens
            and char.isascii()
            and char.isalnum()
            and tokens[-1][-1:].isascii()
            and (tokens[-1][-1:].isalnum())
        ):
            tokens[-1] += char
        else:
            tokens.append(char)
    return tokens


def _fit(
    pdf: FPDF, family: str, style: str, text: str, width: float, size: float, max_lines: int
) -> tuple[float, list[str]]:
    """The largest size from ``size`` down to the minimum at which ``text`` wraps into at
    most ``max_lines`` lines of ``width``; at the minimum, however many lines it takes."""
    current = size
    while True:
        pdf.set_font(family, style, current)
        lines = _wrap(pdf, text, width)
        if len(lines) <= max_lines or current <= _MIN_PT:
            return current, lines
        current = max(_MIN_PT, current - 0.5)


@dataclass(frozen=True)
class _Row:
    label: str
    label_size: float
    value_style: str
    value_size: float
    lines: tuple[str, ...]
    top: float
    height: float
    value_w: float


def _layout_table(pdf: FPDF, rows: Sequence[tuple[str, str]], scale: float) -> list[_Row]:
    laid: list[_Row] = []
    y = _TABLE_TOP
    photo_bottom = _TABLE_TOP + _PHOTO_H
    for index, (label, value) in enumerate(rows):
        right = _PHOTO_X - _PHOTO_GAP if y < photo_bottom else _TABLE_RIGHT
        value_w = right - _TABLE_X - _LABEL_W
        is_name = index == 0
        style = "B" if is_name else ""
        size, lines = _fit(
            pdf,
            _SERIF,
            style,
            value,
            value_w - 2 * _CELL_PAD_X,
            (_NAME_PT if is_name else _VALUE_PT) * scale,
            _MAX_VALUE_LINES,
        )
        height = max(_ROW_MIN_H * scale, len(lines) * _mm(size) * _LINE_GAP + 2 * _CELL_PAD_Y)
        laid.append(_Row(label, _LABEL_PT * scale, style, size, tuple(lines), y, height, value_w))
        y += height
    return laid


def _draw_table(pdf: FPDF, rows: Sequence[_Row]) -> None:
    pdf.set_line_width(0.25)
    pdf.set_draw_color(*_RULE)
    for row in rows:
        pdf.set_fill_color(*_LABEL_FILL)
        pdf.rect(_TABLE_X, row.top, _LABEL_W, row.height, style="DF")
        pdf.rect(_TABLE_X + _LABEL_W, row.top, row.value_w, row.height, style="D")
        pdf.set_font(_SERIF, "", row.label_size)
        pdf.set_text_color(*_LABEL_INK)
        label_h = _mm(row.label_size)
        pdf.text(
            _TABLE_X + _CELL_PAD_X,
            row.top + (row.height - label_h) / 2 + _ASCENT * label_h,
            row.label,
        )
        pdf.set_font(_SERIF, row.value_style, row.value_size)
        pdf.set_text_color(*_INK)
        size = _mm(row.value_size)
        line_h = size * _LINE_GAP
        block = line_h * len(row.lines)
        y = row.top + (row.height - block) / 2
        for line in row.lines:
            pdf.text(
                _TABLE_X + _LABEL_W + _CELL_PAD_X,
                y + (line_h - size) / 2 + _ASCENT * size,
                line,
            )
            y += line_h


def _draw_border(pdf: FPDF) -> None:
    pdf.set_draw_color(*_BORDER_RED)
    pdf.set_line_width(1.4)
    pdf.rect(_OUTER, _OUTER, PAGE_W - 2 * _OUTER, PAGE_H - 2 * _OUTER)
    pdf.set_draw_color(*_GOLD)
    pdf.set_line_width(0.4)
    pdf.rect(_INNER, _INNER, PAGE_W - 2 * _INNER, PAGE_H - 2 * _INNER)
    # Corner ornaments: a small gold diamond at each inner corner, an L of red around it.
    pdf.set_fill_color(*_GOLD)
    for cx in (_INNER, PAGE_W - _INNER):
        for cy in (_INNER, PAGE_H - _INNER):
            d = 2.2
            pdf.polygon([(cx, cy - d), (cx + d, cy), (cx, cy + d), (cx - d, cy)], style="F")


def _draw_title(pdf: FPDF, doc: CertificateDocument) -> None:
    pdf.set_text_color(*_BORDER_RED)
    pdf.set_font(_SERIF, "B", 24)
    pdf.set_char_spacing(1.5)
    width = pdf.get_string_width(TITLE)
    pdf.text((PAGE_W - width) / 2, 31, TITLE)
    pdf.set_char_spacing(0)
    pdf.set_draw_color(*_GOLD)
    pdf.set_line_width(0.6)
    pdf.line(45, 36.5, PAGE_W - 45, 36.5)
    pdf.set_line_width(0.2)
    pdf.line(45, 37.6, PAGE_W - 45, 37.6)
    if doc.watermark:
        notice = watermark_notice(doc.watermark)
        pdf.set_font(_SANS, "B", 12)
        pdf.set_text_color(*SEAL_RED)
        width = pdf.get_string_width(notice)
        pdf.text((PAGE_W - width) / 2, 45.5, notice)


def _draw_photo(pdf: FPDF, doc: CertificateDocument) -> None:
    x, y = _PHOTO_X, _TABLE_TOP
    if doc.photo_jpeg:
        pdf.image(io.BytesIO(doc.photo_jpeg), x, y, _PHOTO_W, _PHOTO_H, keep_aspect_ratio=True)
    else:
        pdf.set_fill_color(246, 246, 246)
        pdf.rect(x, y, _PHOTO_W, _PHOTO_H, style="F")
        pdf.set_font(_SERIF, "", 12)
        pdf.set_text_color(*_MUTED)
        width = pdf.get_string_width("照片")
        pdf.text(x + (_PHOTO_W - width) / 2, y + _PHOTO_H / 2 + 1.5, "照片")
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.25)
    pdf.rect(x, y, _PHOTO_W, _PHOTO_H)


def _draw_qr(pdf: FPDF, url: str) -> None:
    """Dark modules as filled rectangles, one per horizontal run (fewer seams, less data)."""
    code = make_qr(url)
    matrix = [list(row) for row in code.matrix]
    n = len(matrix)
    module = _QR_SIZE / n
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        c = 0
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                # A hair taller than the module so adjacent rows leave no seam.
                pdf.rect(
                    _QR_X + start * module,
                    _QR_Y + r * module,
                    (c - start) * module,
                    module + 0.02,
                    style="F",
                )
            else:
                c += 1


def _draw_foot(pdf: FPDF, doc: CertificateDocument) -> None:
    _draw_qr(pdf, doc.verification_url)
    code_line = f"核验码：{doc.check_code}"
    pdf.set_font(_SANS, "B", 12)
    pdf.set_text_color(*_INK)
    width = pdf.get_string_width(code_line)
    pdf.text(_QR_X + (_QR_SIZE - width) / 2, _QR_Y + _QR_SIZE + 7, code_line)

    right_w = _RIGHT_EDGE - _RIGHT_X
    hint = f"扫码或访问 {verification_prefix(doc.verification_url)} 核验证书真伪与状态"
    size, lines = _fit(pdf, _SERIF, "", hint, right_w, 9.5, 1)
    pdf.set_text_color(*_MUTED)
    y = _QR_Y + 4
    for line in lines:
        pdf.text(_RIGHT_X, y, line)
        y += _mm(size) * 1.5
    pdf.set_font(_SERIF, "", 8.5)
    note = "证书的真伪与当前状态以核验结果为准。"
    for line in _wrap(pdf, note, right_w):
        pdf.text(_RIGHT_X, y + 1, line)
        y += _mm(8.5) * 1.5

    # Issuing authority and date, right-aligned, the seal over them.
    authority_line = f"发证机关：{doc.authority_name}"
    size, lines = _fit(pdf, _SERIF, "B", authority_line, right_w, 13, 2)
    pdf.set_text_color(*_INK)
    y = 246.0
    for line in lines:
        pdf.text(_RIGHT_EDGE - pdf.get_string_width(line), y, line)
        y += _mm(size) * 1.45
    pdf.set_font(_SERIF, "", 12)
    date_line = chinese_date(doc.issued_on)
    pdf.text(_RIGHT_EDGE - pdf.get_string_width(date_line), y + 2, date_line)
    draw_seal_pdf(
        pdf,
        cx=_RIGHT_EDGE - 30,
        cy=249.0,
        radius=21.0,
        authority=doc.authority_name,
        font_family=_SANS,
        font_style="B",
    )


def _draw_watermark(pdf: FPDF, text: str) -> None:
    with pdf.local_context(fill_opacity=0.13, text_color=SEAL_RED):
        pdf.set_font(_SANS, "B", 64)
        width = pdf.get_string_width(text)
        for cy in (70.0, 150.0, 230.0):
            for cx in (60.0, 150.0):
                with pdf.rotation(30, cx, cy):
                    pdf.text(cx - width / 2, cy + _mm(64) * 0.35, text)


def _new_pdf(doc: CertificateDocument) -> FPDF:
    fonts = cjk_fonts()
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_compression(True)
    for family, style, face in (
        (_SERIF, "", fonts.serif_regular),
        (_SERIF, "B", fonts.serif_bold),
        (_SANS, "B", fonts.sans_bold),
    ):
        pdf.add_font(family, style, str(face.path), collection_font_number=face.index)
    pdf.set_title(f"{TITLE}（{doc.holder_name}，{doc.number}）")
    pdf.set_author(doc.authority_name)
    pdf.set_subject(f"{doc.series}{doc.title_name}，证书编号{doc.number}，第{doc.version}版")
    pdf.set_keywords(["职称电子证书", doc.cert_id])
    pdf.set_creator("ecert")
    pdf.set_lang("zh-CN")
    pdf.set_creation_date(doc.signed_at_utc)
    return pdf


def render_certificate_pdf(doc: CertificateDocument) -> bytes:
    """The certificate as a one-page A4 PDF; the same ``doc`` gives the same bytes.

    Raises :class:`~schema.documents.fonts.FontMissing` without the CJK fonts and
    :class:`crypto.errors.QRTooLargeError` / ``UrlFormatError`` for a URL no QR can carry.
    """
    pdf = _new_pdf(doc)
    pdf.add_page()
    _draw_border(pdf)
    _draw_title(pdf, doc)
    _draw_photo(pdf, doc)
    rows = detail_rows(doc)
    scale = 1.0
    laid = _layout_table(pdf, rows, scale)
    while laid[-1].top + laid[-1].height > _TABLE_BOTTOM and scale > 0.6:
        scale -= 0.05
        laid = _layout_table(pdf, rows, scale)
    _draw_table(pdf, laid)
    _draw_foot(pdf, doc)
    if doc.watermark:
        _draw_watermark(pdf, doc.watermark)
    return bytes(pdf.output())
