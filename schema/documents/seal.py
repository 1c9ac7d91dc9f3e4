"""The issuing authority's seal mark (公章样式), drawn — not an image of a real seal.

A red ring; the authority's name set clockwise along the upper arc, each character turned
to follow the circle (its foot towards the centre); a five-pointed star in the middle; a
short line under the star (``职称证书专用章``). The same geometry is drawn with fpdf2
vector operations (semi-transparent, so text under it stays readable) and with Pillow onto
an RGBA image.

It is a visual mark only: the certificate's authenticity rests on the signed QR code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

__all__ = ["SEAL_CAPTION", "SEAL_RED", "draw_seal_image", "draw_seal_pdf", "seal_layout"]

SEAL_RED = (200, 22, 29)
SEAL_CAPTION = "职称证书专用章"

# Proportions of the seal radius r.
_RING_WIDTH = 0.055
_TEXT_RADIUS = 0.72  # centre line of the arc text
_STAR_OUTER = 0.27
_STAR_INNER = _STAR_OUTER * 0.382  # regular five-pointed star
_CAPTION_Y = 0.56  # caption centre below the seal centre
_CAPTION_SIZE = 0.13
_MAX_CHAR = 0.25  # arc character height at most
_MAX_SPAN_DEG = 230.0
_CONDENSE = 0.78  # seal lettering is tall and narrow


@dataclass(frozen=True)
class ArcGlyph:
    """One character on the arc: its angle (degrees clockwise from 12 o'clock)."""

    char: str
    angle: float


@dataclass(frozen=True)
class SealLayout:
    """Where everything goes, in units of the seal radius."""

    glyphs: tuple[ArcGlyph, ...]
    char_size: float  # character height (em size), in radii
    caption_size: float


def seal_layout(authority: str, caption: str = SEAL_CAPTION) -> SealLayout:
    """Spread ``authority`` over the upper arc: up to 230°, characters as large as fit."""
    chars = [c for c in authority if not c.isspace()] or ["章"]
    n = len(chars)
    # Angular pitch for a comfortably spaced character, then cap the whole span.
    natural_pitch = 34.0
    pitch = min(natural_pitch, _MAX_SPAN_DEG / max(n - 1, 1)) if n > 1 else 0.0
    span = pitch * (n - 1)
    # Character size: the arc length of one pitch, a little apart, capped.
    arc_pitch = math.radians(pitch) * _TEXT_RADIUS if n > 1 else _MAX_CHAR
    char_size = min(_MAX_CHAR, arc_pitch / _CONDENSE * 0.92)
    start = -span / 2
    glyphs = tuple(ArcGlyph(c, start + i * pitch) for i, c in enumerate(chars))
    caption_size = min(_CAPTION_SIZE, 1.3 / max(len(caption), 1))
    return SealLayout(glyphs=glyphs, char_size=char_size, caption_size=caption_size)


def _star_points(cx: float, cy: float, r_out: float, r_in: float) -> list[tuple[float, float]]:
    points = []
    for i in range(10):
        radius = r_out if i % 2 == 0 else r_in
        theta = math.radians(i * 36.0)
        points.append((cx + radius * math.sin(theta), cy - radius * math.cos(theta)))
    return points


def draw_seal_pdf(
    pdf: FPDF,
    *,
    cx: float,
    cy: float,
    radius: float,
    authority: str,
    font_family: str,
    font_style: str = "",
    caption: str = SEAL_CAPTION,
    opacity: float = 0.72,
) -> None:
    """Draw the seal centred at (cx, cy) with ``radius`` (page units) on the current page.

    ``font_family`` in ``font_style`` must already be added to ``pdf`` (a CJK face, bold
    preferred).
    """
    layout = seal_layout(authority, caption)
    with pdf.local_context(
        fill_opacity=opacity,
        stroke_opacity=opacity,
        draw_color=SEAL_RED,
        fill_color=SEAL_RED,
        text_color=SEAL_RED,
    ):
        pdf.set_line_width(radius * _RING_WIDTH)
        ring = radius * (1 - _RING_WIDTH / 2)
        pdf.circle(cx, cy, ring, style="D")
        pdf.polygon(_star_points(cx, cy, radius * _STAR_OUTER, radius * _STAR_INNER), style="F")
        size_pt = layout.char_size * radius * pdf.k
        pdf.set_font(font_family, font_style, size_pt)
        pdf.set_stretching(_CONDENSE * 100)
        em = layout.char_size * radius
        for glyph in layout.glyphs:
            theta = math.radians(glyph.angle)
            gx = cx + _TEXT_RADIUS * radius * math.sin(theta)
            gy = cy - _TEXT_RADIUS * radius * math.cos(theta)
            width = pdf.get_string_width(glyph.char)
            # fpdf2 rotates counter-clockwise for positive angles.
            with pdf.rotation(-glyph.angle, gx, gy):
                pdf.text(gx - width / 2, gy + em * 0.36, glyph.char)
        pdf.set_stretching(100)
        cap_size = layout.caption_size * radius
        pdf.set_font(font_family, font_style, cap_size * pdf.k)
        width = pdf.get_string_width(caption)
        pdf.text(cx - width / 2, cy + _CAPTION_Y * radius + cap_size * 0.36, caption)


def draw_seal_image(
    image: Image.Image,
    *,
    center: tuple[float, float],
    radius: float,
    authority: str,
    font_path: str,
    font_index: int,
    caption: str = SEAL_CAPTION,
    opacity: float = 0.8,
) -> None:
    """Draw the seal onto the RGBA ``image`` in place (alpha-composited, semi-transparent)."""
    layout = seal_layout(authority, caption)
    size = math.ceil(radius * 2) + 4
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    cx = cy = size / 2
    red = (*SEAL_RED, 255)
    draw = ImageDraw.Draw(layer)
    ring_w = max(2, round(radius * _RING_WIDTH))
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=red, width=ring_w)
    draw.polygon(_star_points(cx, cy, radius * _STAR_OUTER, radius * _STAR_INNER), fill=red)

    em = max(6, round(layout.char_size * radius))
    font = ImageFont.truetype(font_path, em, index=font_index)
    for glyph in layout.glyphs:
        tile = Image.new("RGBA", (em * 2, em * 2), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((em, em), glyph.char, font=font, fill=red, anchor="mm")
        tile = tile.resize((max(1, round(em * 2 * _CONDENSE)), em * 2), Image.Resampling.LANCZOS)
        tile = tile.rotate(-glyph.angle, resample=Image.Resampling.BICUBIC, expand=True)
        theta = math.radians(glyph.angle)
        gx = cx + _TEXT_RADIUS * radius * math.sin(theta)
        gy = cy - _TEXT_RADIUS * radius * math.cos(theta)
        layer.alpha_composite(tile, (round(gx - tile.width / 2), round(gy - tile.height / 2)))

    cap_font = ImageFont.truetype(
        font_path, max(6, round(layout.caption_size * radius)), index=font_index
    )
    draw.text((cx, cy + _CAPTION_Y * radius), caption, font=cap_font, fill=red, anchor="mm")

    if opacity < 1:
        alpha = layer.getchannel("A").point(lambda v: round(v * opacity))
        layer.putalpha(alpha)
    image.alpha_composite(layer, (round(center[0] - cx), round(center[1] - cy)))
