"""The QR code alone, with its check code under it, as a PNG (for printing or sharing).

Whole pixels per module and the standard four-module quiet zone, so any reader decodes it.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from crypto.qr import make_qr
from schema.documents.fonts import cjk_fonts

__all__ = ["qr_image", "render_qr_label_png"]

_QUIET = 4


def qr_image(url: str, *, target_px: int) -> Image.Image:
    """The QR symbol for ``url`` (quiet zone included) as a 1-bit-looking RGB image whose
    side is the largest whole-pixel module size not above ``target_px``."""
    code = make_qr(url)
    n = len(code.matrix) + 2 * _QUIET
    scale = max(1, target_px // n)
    out = io.BytesIO()
    code.save(out, kind="png", scale=scale, border=_QUIET)
    out.seek(0)
    with Image.open(out) as image:
        return image.convert("RGB")


def render_qr_label_png(verification_url: str, check_code: str) -> bytes:
    """PNG: the QR code of ``verification_url`` with ``核验码 XXXX-XXXX`` under it."""
    fonts = cjk_fonts()
    qr = qr_image(verification_url, target_px=840)
    caption = f"核验码 {check_code}"
    size = max(16, qr.width // 16)
    font = ImageFont.truetype(str(fonts.sans_bold.path), size, index=fonts.sans_bold.index)
    while font.getlength(caption) > qr.width * 0.9 and size > 10:
        size -= 2
        font = ImageFont.truetype(str(fonts.sans_bold.path), size, index=fonts.sans_bold.index)
    caption_h = round(size * 2.0)
    label = Image.new("RGB", (qr.width, qr.height + caption_h), "white")
    label.paste(qr, (0, 0))
    draw = ImageDraw.Draw(label)
    # The quiet zone is white already; the caption sits just below the symbol's quiet zone.
    draw.text(
        (qr.width / 2, qr.height + caption_h * 0.35),
        caption,
        font=font,
        fill=(20, 20, 20),
        anchor="mm",
    )
    out = io.BytesIO()
    label.save(out, format="PNG", optimize=True)
    return out.getvalue()
