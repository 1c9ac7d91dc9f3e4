"""The font lookup: found where Debian installs them, a clear message where they are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema.documents import FontMissing, check_fonts
from schema.documents.fonts import cjk_fonts


def test_faces_are_the_simplified_chinese_ones() -> None:
    fonts = cjk_fonts()
    assert fonts.serif_regular.path.name == "NotoSerifCJK-Regular.ttc"
    assert fonts.sans_bold.path.name == "NotoSansCJK-Bold.ttc"
    assert check_fonts() is None


def test_missing_fonts_say_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ECERT_CJK_FONT_DIR", str(tmp_path))
    message = check_fonts()
    assert message is not None and "fonts-noto-cjk" in message and "\n" not in message
    with pytest.raises(FontMissing, match="ECERT_CJK_FONT_DIR"):
        cjk_fonts()
