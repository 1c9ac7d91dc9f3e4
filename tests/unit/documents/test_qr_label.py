"""The QR label PNG: the code with its check code under it, readable by two decoders."""

from __future__ import annotations

import io
from pathlib import Path

from documents_test_support import (
    artifacts_dir,
    decode_zbar,
    decode_zxing,
    longest_document,
    sample_document,
    tool,
)
from PIL import Image

from schema.documents import render_qr_label_png


def test_label_decodes(tmp_path: Path) -> None:
    doc = sample_document()
    png = render_qr_label_png(doc.verification_url, doc.check_code)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert image.height > image.width, "no room for the check code under the code"
    path = artifacts_dir(tmp_path) / "qr-label.png"
    path.write_bytes(png)
    tool("zbarimg")
    assert decode_zxing(path) == [doc.verification_url]
    assert decode_zbar(path) == doc.verification_url


def test_label_for_the_densest_code(tmp_path: Path) -> None:
    doc = longest_document()
    path = tmp_path / "label-longest.png"
    path.write_bytes(render_qr_label_png(doc.verification_url, doc.check_code))
    assert decode_zxing(path) == [doc.verification_url]
