"""The certificate as a phone-sized PNG card (1080 px wide) for sharing, e.g. in WeChat.

Top to bottom: a red title band, the photo beside the holder's name and title, the main
fields, the issuing authority with its seal, then the QR code (whole pixels per module,
quiet zone kept) with the check code under it. A certificate that is no longer current
carries a red notice and a diagonal watermark.
"""

from __future__ import annotations

import io
import math
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from schema.documents.certificate_pdf import TITLE
from schema.documents.fonts import FontFace, cjk_fonts
from schema.documents.model import CertificateDocument, chinese_date, watermark_notice
from schema.documents.qr_label import qr_image
from schema.documents.seal import SEAL_RED, draw_seal_image

__all__ = ["CARD_WIDTH", "render_card_png"]

CARD_WIDTH = 1080
_MARGIN = 72
_BG = (251, 247, 240)
_BAND = (142, 27, 27)
_GOLD = (176, 141, 87)
_INK = (25, 25, 25)
_LABEL = (120, 90, 60)
_MUTED = (110, 110, 110)
_RULE = (224, 208, 184)
_PHOTO_W, _PHOTO_H = 231, 297
_LABEL_W = 232
_QR_TARGET = 660

Font = ImageFont.FreeTypeFont


@cache
def _font(face: FontFace, size: int) -> Font:
    return ImageFont.truetype(str(face.path), size, index=face.index)


def _wrap(text: str, font: Font, width: float) -> list[str]:
    """Character-level greedy wrapping (Chinese text has no spaces to break at)."""
    lines: list[str] = []
    line = ""
    for char in text:
        if line and font.getlength(line + char) > width:
            lines.append(line)
            line = ""
        line += char
    lines.append(line)
    return lines


def _fit(
    face: FontFace, text: str, width: float, size: int, max_lines: int
) -> tuple[Font, list[str]]:
    """The largest font from ``size`` down (to 60 % of it) that wraps ``text`` into at most
    ``max_lines`` lines of ``width``; at that floor, however many lines it takes."""
    floor = max(12, round(size * 0.6))
    current = size
    while True:
        font = _font(face, current)
        lines = _wrap(text, font, width)
        if len(lines) <= max_lines or current <= floor:
            return font, lines
        current -= 2


def _text_lines(
    draw: ImageDraw.ImageDraw,
    x: float,
    y: float,
    lines: list[str],
    font: Font,
    fill: tuple[int, int, int],
    *,
    anchor: str = "la",
    spacing: float = 1.35,
) -> float:
    """Draw ``lines`` from top ``y``; returns the y below them."""
    step = font.size * spacing
    for line in lines:
        draw.text((x, y), line, font=font, fill=fill, anchor=anchor)
        y += step
    return y


def _photo(doc: CertificateDocument, placeholder_font: Font) -> Image.Image:
    if doc.photo_jpeg:
        with Image.open(io.BytesIO(doc.photo_jpeg)) as source:
            photo = source.convert("RGB")
        photo.thumbnail((_PHOTO_W, _PHOTO_H), Image.Resampling.LANCZOS)
        framed = Image.new("RGB", (_PHOTO_W, _PHOTO_H), (255, 255, 255))
        framed.paste(photo, ((_PHOTO_W - photo.width) // 2, (_PHOTO_H - photo.height) // 2))
        return framed
    framed = Image.new("RGB", (_PHOTO_W, _PHOTO_H), (240, 240, 240))
    ImageDraw.Draw(framed).text(
        (_PHOTO_W / 2, _PHOTO_H / 2), "照片", font=placeholder_font, fill=_MUTED, anchor="mm"
    )
    return framed


def _watermark(card: Image.Image, text: str, font: Font) -> None:
    tile_w = round(font.getlength(text)) + 40
    tile = Image.new("RGBA", (tile_w, round(font.size * 2)), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text(
        (tile_w / 2, font.size), text, font=font, fill=(*SEAL_RED, 40), anchor="mm"
    )
    tile = tile.rotate(30, resample=Image.Resampling.BICUBIC, expand=True)
    step_y = 520
    for row, cy in enumerate(range(260, card.height, step_y)):
        for cx in (270, 810) if row % 2 == 0 else (540,):
            card.alpha_composite(tile, (cx - tile.width // 2, cy - tile.height // 2))


def render_card_png(doc: CertificateDocument) -> bytes:
    """The certificate as a portrait PNG card, 1080 px wide."""
    fonts = cjk_fonts()
    serif, serif_b, sans, sans_b = (
        fonts.serif_regular,
        fonts.serif_bold,
        fonts.sans_regular,
        fonts.sans_bold,
    )
    card = Image.new("RGBA", (CARD_WIDTH, 4000), (*_BG, 255))
    draw = ImageDraw.Draw(card)
    inner_w = CARD_WIDTH - 2 * _MARGIN

    # Title band.
    band_h = 190
    draw.rectangle((0, 0, CARD_WIDTH, band_h), fill=_BAND)
    title_font = _font(serif_b, 62)
    draw.text(
        (CARD_WIDTH / 2, band_h / 2), TITLE, font=title_font, fill=(255, 246, 230), anchor="mm"
    )
    draw.rectangle((0, band_h, CARD_WIDTH, band_h + 8), fill=_GOLD)
    y: float = band_h + 8 + 44

    if doc.watermark:
        notice_font = _font(sans_b, 40)
        draw.text(
            (CARD_WIDTH / 2, y),
            watermark_notice(doc.watermark),
            font=notice_font,
            fill=SEAL_RED,
            anchor="mt",
        )
        y += 80

    # Photo and headline.
    photo = _photo(doc, _font(sans, 40))
    card.paste(photo, (_MARGIN, round(y)))
    draw.rectangle((_MARGIN - 1, y - 1, _MARGIN + _PHOTO_W, y + _PHOTO_H), outline=_RULE, width=2)
    head_x = _MARGIN + _PHOTO_W + 44
    head_w = CARD_WIDTH - _MARGIN - head_x
    name_font, name_lines = _fit(serif_b, doc.holder_name, head_w, 64, 2)
    hy = _text_lines(draw, head_x, y + 6, name_lines, name_font, _INK, spacing=1.25) + 18
    title_font2, title_lines = _fit(serif, f"{doc.level} · {doc.title_name}", head_w, 42, 2)
    hy = _text_lines(draw, head_x, hy, title_lines, title_font2, _BAND) + 10
    series_font, series_lines = _fit(sans, doc.series, head_w, 34, 2)
    _text_lines(draw, head_x, hy, series_lines, series_font, _MUTED)
    y += _PHOTO_H + 44

    # Main fields.
    rows = [
        ("证书编号", doc.number),
        ("身份证号", doc.holder_id_masked),
        ("专业", doc.specialty),
        ("取得方式", doc.way_obtained),
        ("审批文号", doc.approval_document),
        ("取得资格时间", chinese_date(doc.obtained_on)),
        ("发证日期", chinese_date(doc.issued_on)),
        ("评审机构", doc.review_body),
        ("有效范围", doc.validity_scope),
        ("版本", f"第{doc.version}版"),
    ]
    label_font = _font(sans, 32)
    value_w = inner_w - _LABEL_W
    draw.line((_MARGIN, y, CARD_WIDTH - _MARGIN, y), fill=_RULE, width=2)
    for label, value in rows:
        # One line if a slightly smaller size allows it (no orphaned last character),
        # else wrapped at the full size.
        value_font, lines = _fit(serif, value, value_w, 36, 1)
        if len(lines) > 1 or value_font.size < 31:
            value_font, lines = _fit(serif, value, value_w, 36, 3)
        top = y + 20
        draw.text((_MARGIN, top + 3), label, font=label_font, fill=_LABEL)
        bottom = _text_lines(draw, _MARGIN + _LABEL_W, top, lines, value_font, _INK)
        y = max(bottom, top + 48) + 14
        draw.line((_MARGIN, y, CARD_WIDTH - _MARGIN, y), fill=_RULE, width=2)

    # Issuing authority, right-aligned, with the seal over it.
    y += 60
    authority_font, authority_lines = _fit(
        serif_b, f"发证机关：{doc.authority_name}", inner_w, 42, 2
    )
    auth_top = y
    for line in authority_lines:
        draw.text((CARD_WIDTH - _MARGIN, y), line, font=authority_font, fill=_INK, anchor="ra")
        y += authority_font.size * 1.35
    date_font = _font(serif, 36)
    draw.text(
        (CARD_WIDTH - _MARGIN, y + 8),
        chinese_date(doc.issued_on),
        font=date_font,
        fill=_INK,
        anchor="ra",
    )
    y += 70
    seal_r = 150
    draw_seal_image(
        card,
        center=(CARD_WIDTH - _MARGIN - seal_r - 20, (auth_top + y) / 2),
        radius=seal_r,
        authority=doc.authority_name,
        font_path=str(sans_b.path),
        font_index=sans_b.index,
    )
    y = max(y, round((auth_top + y) / 2 + seal_r)) + 40

    # QR code on a white ground (its quiet zone is part of the image), check code under it.
    qr = qr_image(doc.verification_url, target_px=_QR_TARGET)
    qr_x = (CARD_WIDTH - qr.width) // 2
    card.paste(qr, (qr_x, round(y)))
    y += qr.height + 6
    code_font = _font(sans_b, 46)
    draw.text(
        (CARD_WIDTH / 2, y), f"核验码：{doc.check_code}", font=code_font, fill=_INK, anchor="mt"
    )
    y += 72
    hint_font = _font(sans, 30)
    draw.text(
        (CARD_WIDTH / 2, y),
        "微信或相机扫码，核验证书真伪与状态",
        font=hint_font,
        fill=_MUTED,
        anchor="mt",
    )
    y += 90

    card = card.crop((0, 0, CARD_WIDTH, math.ceil(y)))
    draw = ImageDraw.Draw(card)
    # Frame: red outer line, gold inner line (below the title band).
    draw.rectangle((6, 6, CARD_WIDTH - 7, card.height - 7), outline=_BAND, width=12)
    draw.rectangle((26, band_h + 26, CARD_WIDTH - 27, card.height - 27), outline=_GOLD, width=3)
    if doc.watermark:
        _watermark(card, doc.watermark, _font(sans_b, 170))

    out = io.BytesIO()
    card.convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()
