"""Finding the Noto CJK fonts (Simplified Chinese faces) the documents are set in.

Looked up once per process: ``ECERT_CJK_FONT_DIR`` when set (and then only there), else
``/usr/share/fonts/opentype/noto`` and wherever fontconfig (``fc-match``) says the fonts
are. In each ``.ttc`` collection the face is chosen by its family name (``Noto Serif CJK
SC``, ``Noto Sans CJK SC``), never by a hard-coded index.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTCollection  # type: ignore[import-untyped]

__all__ = ["ENV_FONT_DIR", "CjkFonts", "FontFace", "FontMissing", "check_fonts", "cjk_fonts"]

ENV_FONT_DIR = "ECERT_CJK_FONT_DIR"
_DEFAULT_DIRS = (Path("/usr/share/fonts/opentype/noto"),)
# (attribute, file name, family name of the Simplified Chinese face)
_WANTED = (
    ("serif_regular", "NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC"),
    ("serif_bold", "NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC"),
    ("sans_regular", "NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    ("sans_bold", "NotoSansCJK-Bold.ttc", "Noto Sans CJK SC"),
)
_FAMILY_NAME_IDS = (16, 1)  # typographic family first, then the legacy family name


class FontMissing(RuntimeError):
    """The CJK fonts are not installed where we look; the message says what to install."""


@dataclass(frozen=True)
class FontFace:
    """One face of a font collection: the file and the face's index in it."""

    path: Path
    index: int


@dataclass(frozen=True)
class CjkFonts:
    """The four faces the documents use."""

    serif_regular: FontFace
    serif_bold: FontFace
    sans_regular: FontFace
    sans_bold: FontFace


def _message(where: str) -> str:
    return (
        f"CJK fonts not found ({where}): install the Debian package fonts-noto-cjk, "
        f"or set {ENV_FONT_DIR} to a directory holding NotoSerifCJK-Regular.ttc, "
        "NotoSerifCJK-Bold.ttc, NotoSansCJK-Regular.ttc and NotoSansCJK-Bold.ttc"
    )


def _fc_match_dirs() -> list[Path]:
    binary = shutil.which("fc-match")
    if binary is None:
        return []
    dirs: list[Path] = []
    for family in ("Noto Serif CJK SC", "Noto Sans CJK SC"):
        try:
            result = subprocess.run(  # noqa: S603 - absolute path, fixed arguments
                [binary, "-f", "%{file}", family],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if result.returncode == 0 and result.stdout.strip():
            dirs.append(Path(result.stdout.strip()).parent)
    return dirs


def _face_index(path: Path, family: str) -> int | None:
    try:
        collection = TTCollection(str(path), lazy=True)
    except Exception:  # any unreadable file is "not the font we want"
        return None
    try:
        for index, font in enumerate(collection.fonts):
            names = font["name"]
            for name_id in _FAMILY_NAME_IDS:
                if names.getDebugName(name_id) == family:
                    return index
    finally:
        collection.close()
    return None


@functools.cache
def _lookup(env_dir: str | None) -> CjkFonts | str:
    if env_dir:
        dirs = [Path(env_dir)]
        where = f"{ENV_FONT_DIR}={env_dir}"
    else:
        dirs = [*_DEFAULT_DIRS, *_fc_match_dirs()]
        where = "searched " + ", ".join(dict.fromkeys(str(d) for d in dirs))
    faces: dict[str, FontFace] = {}
    for attribute, file_name, family in _WANTED:
        for directory in dirs:
            path = directory / file_name
            if not path.is_file():
                continue
            index = _face_index(path, family)
            if index is not None:
                faces[attribute] = FontFace(path=path, index=index)
                break
        else:
            return _message(f"{where}: no {file_name} with {family}")
    return CjkFonts(**faces)


def cjk_fonts() -> CjkFonts:
    """The CJK faces; raises :class:`FontMissing` (saying what to install) when absent."""
    found = _lookup(os.environ.get(ENV_FONT_DIR) or None)
    if isinstance(found, str):
        raise FontMissing(found)
    return found


def check_fonts() -> str | None:
    """None when the fonts are there, else the one-line message (for a startup check)."""
    found = _lookup(os.environ.get(ENV_FONT_DIR) or None)
    return found if isinstance(found, str) else None
