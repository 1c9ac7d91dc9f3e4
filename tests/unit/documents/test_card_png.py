"""The phone-sized PNG card: its QR decodes with zxing-cpp and zbarimg (which skips, or
fails under ``ECERT_REQUIRE_BROWSER=1``, when zbar-tools is missing)."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from documents_test_support import (
    artifacts_dir,
    decode_zbar,
    decode_zxing,
    longest_document,
    sample_document,
    tool,
)
from PIL import Image

from schema.documents import CertificateDocument, render_card_png


@pytest.mark.parametrize(
    ("name", "changes"),
    [
        ("card", {}),
        ("card-revoked", {"watermark": "已撤销", "photo_jpeg": None}),
        ("card-corrected", {"watermark": "已更正"}),
    ],
)
def test_card_decodes(name: str, changes: dict[str, object], tmp_path: Path) -> None:
    doc = dataclasses.replace(sample_document(), **changes)
    png = render_card_png(doc)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert image.width == 1080
        assert image.height > image.width, "not a portrait card"
    path = artifacts_dir(tmp_path) / f"{name}.png"
    path.write_bytes(png)
    tool("zbarimg")
    assert decode_zxing(path) == [doc.verification_url]
    assert decode_zbar(path) == doc.verification_url


def test_card_is_deterministic() -> None:
    doc = sample_document()
    assert render_card_png(doc) == render_card_png(doc)


def test_card_with_maximum_length_values(tmp_path: Path) -> None:
    doc: CertificateDocument = longest_document()
    path = artifacts_dir(tmp_path) / "card-longest.png"
    path.write_bytes(render_card_png(doc))
    assert decode_zxing(path) == [doc.verification_url]
