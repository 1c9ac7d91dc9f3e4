"""Both QR files from one symbol: the same bytes as drawing each format on its own."""

from __future__ import annotations

from crypto import build_verification_url, decode_qr_image, qr_png, qr_svg
from crypto.qr import qr_images

URL = build_verification_url("https://verify.ecert.test", "A" * 26, bytes(range(256)) * 2)


def test_one_symbol_gives_both_formats_exactly_as_drawn_alone() -> None:
    png, svg = qr_images(URL, scale=6)
    assert png == qr_png(URL, scale=6)
    assert svg == qr_svg(URL)
    assert decode_qr_image(png) == URL
    assert svg.startswith(b"<svg")
