"""Validation and normalisation of applicants' ID-style photos (证件照).

Uploaded bytes are untrusted.  :func:`normalize_photo` sniffs the real format from the
bytes, checks the header dimensions before any pixel data is decoded (decompression
bombs), applies the EXIF orientation, and re-encodes a fixed-size baseline JPEG that
carries no metadata at all (no EXIF/GPS, no ICC profile, no comments, no XMP).

Refusals raise :class:`PhotoRejected` with a stable ``code`` and a Chinese ``message``
that can be shown to the applicant as is.

The work is CPU-bound: from async code call it via ``asyncio.to_thread``.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from schema.errors import DomainError

if TYPE_CHECKING:
    from PIL import Image

# Pillow is imported by the functions that read a photo, not with the module: the web
# process imports this module for its refusal messages, and a worker that never receives
# an upload does not carry Pillow (issue 10, idle memory).

__all__ = [
    "PHOTO_RULES_ZH",
    "NormalizedPhoto",
    "PhotoErrorCode",
    "PhotoLimits",
    "PhotoRejected",
    "normalize_photo",
    "photo_too_large",
]

PHOTO_RULES_ZH = (
    "请上传本人近期免冠正面彩色证件照：白色或浅蓝色背景；"
    "JPG或PNG格式，文件不超过2MB；像素不低于295×413（宽×高）；竖版（宽高比约为3:4）。"
)
"""Photo rules to show applicants next to the upload field (matches the default limits)."""

# Output format: 358×441 px (≈ 2-inch ID photo at 300 dpi), baseline JPEG.
_OUTPUT_SIZE = (358, 441)
_OUTPUT_MAX_BYTES = 100 * 1024
_JPEG_QUALITIES = (85, 80, 75, 70, 65, 60, 55, 50, 45, 40)

_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_WHITE = (255, 255, 255, 255)
_MIB = 1024 * 1024


class PhotoErrorCode(StrEnum):
    """Stable refusal codes (API contract: never rename)."""

    TOO_LARGE = "PHOTO_TOO_LARGE"
    FORMAT = "PHOTO_FORMAT"
    CORRUPT = "PHOTO_CORRUPT"
    TOO_SMALL = "PHOTO_TOO_SMALL"
    DIMENSIONS_TOO_LARGE = "PHOTO_DIMENSIONS_TOO_LARGE"
    NOT_PORTRAIT = "PHOTO_NOT_PORTRAIT"
    BOMB = "PHOTO_BOMB"


class PhotoRejected(DomainError):
    """The uploaded photo was refused; ``message`` is Chinese and user-facing."""

    code: PhotoErrorCode
    field: str

    def __init__(self, code: PhotoErrorCode | str, message: str, *, field: str = "photo") -> None:
        checked = PhotoErrorCode(code)
        super().__init__(message, code=checked, field=field)
        self.code = checked
        self.field = field

    def __repr__(self) -> str:
        return f"PhotoRejected(code={self.code.value!r}, message={self.message!r})"


@dataclass(frozen=True, slots=True)
class PhotoLimits:
    """Acceptance limits for uploaded photos (defaults are the official rules).

    Dimensions are in pixels, as displayed (after EXIF orientation).  ``bomb_pixels``
    is the header pixel count above which a file is treated as a decompression bomb;
    Pillow's own ``Image.MAX_IMAGE_PIXELS`` (if lower) is honoured as well.
    """

    max_bytes: int = 2 * _MIB
    min_width: int = 295
    min_height: int = 413
    max_width: int = 4000
    max_height: int = 6000
    min_aspect: float = 0.60
    max_aspect: float = 0.85
    bomb_pixels: int = 48_000_000

    def __post_init__(self) -> None:
        if self.max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        if not (0 < self.min_width <= self.max_width and 0 < self.min_height <= self.max_height):
            raise ValueError("need 0 < min_width <= max_width and 0 < min_height <= max_height")
        if not (0 < self.min_aspect <= self.max_aspect):
            raise ValueError("need 0 < min_aspect <= max_aspect")
        if self.bomb_pixels < self.max_width * self.max_height:
            raise ValueError("bomb_pixels must be >= max_width * max_height")


@dataclass(frozen=True, slots=True)
class NormalizedPhoto:
    """A normalised photo: metadata-free baseline JPEG bytes and their SHA-256."""

    data: bytes
    sha256: str
    width: int
    height: int
    original_format: str  # "JPEG" or "PNG", as detected from the bytes


_DEFAULT_LIMITS = PhotoLimits()


def normalize_photo(data: bytes, *, limits: PhotoLimits = _DEFAULT_LIMITS) -> NormalizedPhoto:
    """Validate an uploaded photo and return it as a normalised 358×441 JPEG.

    Accepts JPEG and PNG only (detected from the bytes).  Applies EXIF orientation,
    flattens transparency onto white, converts to sRGB/RGB, centre-crops to 358:441,
    resizes with LANCZOS and encodes a baseline JPEG (quality 85, stepped down until
    the result is at most 100 KB) without any metadata.  Deterministic: the same input
    gives the same bytes.

    Raises :class:`PhotoRejected` (codes in :class:`PhotoErrorCode`).
    """
    if len(data) > limits.max_bytes:
        raise photo_too_large(limits)
    if data.startswith(_JPEG_MAGIC):
        original_format = "JPEG"
    elif data.startswith(_PNG_MAGIC):
        original_format = "PNG"
    else:
        raise PhotoRejected(PhotoErrorCode.FORMAT, "仅支持JPG或PNG格式的照片")

    from PIL import Image, ImageOps

    image = _decode(data, original_format, limits)
    try:
        width, height = image.size
        _check_oriented_dimensions(width, height, limits)
        rgb = _to_srgb_rgb(image)
        fitted = ImageOps.fit(rgb, _OUTPUT_SIZE, method=Image.Resampling.LANCZOS)
        # Copy the pixels into a brand-new image so that nothing from ``info``
        # (comments, ICC, EXIF, XMP, dpi...) can leak into the encoder.
        clean = Image.frombytes("RGB", fitted.size, fitted.tobytes())
        encoded = _encode_jpeg(clean)
    finally:
        image.close()
    return NormalizedPhoto(
        data=encoded,
        sha256=hashlib.sha256(encoded).hexdigest(),
        width=_OUTPUT_SIZE[0],
        height=_OUTPUT_SIZE[1],
        original_format=original_format,
    )


def _decode(data: bytes, original_format: str, limits: PhotoLimits) -> Image.Image:
    """Open (header only), bound the dimensions, then decode and apply EXIF orientation."""
    from PIL import Image, ImageOps

    bomb = PhotoRejected(PhotoErrorCode.BOMB, "照片像素数量异常，无法处理，请上传正常的证件照")
    corrupt = PhotoRejected(
        PhotoErrorCode.CORRUPT, "无法识别照片内容，文件可能已损坏，请重新导出后上传"
    )
    with warnings.catch_warnings():
        # Pillow warns above MAX_IMAGE_PIXELS and raises above twice that: refuse both.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[original_format])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise bomb from exc
        except Exception as exc:  # untrusted input: any parser failure means "corrupt"
            raise corrupt from exc
        try:
            if image.format not in (original_format, "MPO"):  # MPO: multi-picture JPEG
                raise corrupt
            # Header checks, before a single pixel is decoded.  The orientation is not
            # known yet (PNG may carry EXIF after the pixel data), so the bound here is
            # orientation-agnostic; exact limits are checked after transposing.
            width, height = image.size
            if width <= 0 or height <= 0:
                raise corrupt
            pixels = width * height
            if pixels > _bomb_threshold(limits):
                raise bomb
            if pixels > limits.max_width * limits.max_height or max(width, height) > max(
                limits.max_width, limits.max_height
            ):
                raise _dimensions_too_large(limits)
            image.load()
            ImageOps.exif_transpose(image, in_place=True)
        except PhotoRejected:
            image.close()
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            image.close()
            raise bomb from exc
        except Exception as exc:  # untrusted input: truncated data, bad EXIF, ...
            image.close()
            raise corrupt from exc
    return image


def _bomb_threshold(limits: PhotoLimits) -> int:
    from PIL import Image

    pillow_limit = Image.MAX_IMAGE_PIXELS
    if pillow_limit is None:
        return limits.bomb_pixels
    return min(limits.bomb_pixels, pillow_limit)


def photo_too_large(limits: PhotoLimits | None = None) -> PhotoRejected:
    """The refusal of a file over the size limit (also said when the request carrying it
    exceeds the service's body limit, before the photo could be read)."""
    limits = limits or PhotoLimits()
    return PhotoRejected(
        PhotoErrorCode.TOO_LARGE,
        f"照片文件不能超过{_format_bytes(limits.max_bytes)}，请压缩后重新上传",
    )


def _dimensions_too_large(limits: PhotoLimits) -> PhotoRejected:
    return PhotoRejected(
        PhotoErrorCode.DIMENSIONS_TOO_LARGE,
        f"照片尺寸过大，像素不能超过{limits.max_width}×{limits.max_height}（宽×高）",
    )


def _check_oriented_dimensions(width: int, height: int, limits: PhotoLimits) -> None:
    if width > limits.max_width or height > limits.max_height:
        raise _dimensions_too_large(limits)
    if not (limits.min_aspect <= width / height <= limits.max_aspect):
        raise PhotoRejected(
            PhotoErrorCode.NOT_PORTRAIT,
            "请上传竖版证件照，"
            f"宽高比应在{limits.min_aspect:.2f}至{limits.max_aspect:.2f}之间（当前为{width}×{height}）",
        )
    if width < limits.min_width or height < limits.min_height:
        raise PhotoRejected(
            PhotoErrorCode.TOO_SMALL,
            f"照片尺寸过小，像素不低于{limits.min_width}×{limits.min_height}（宽×高）",
        )


def _to_srgb_rgb(image: Image.Image) -> Image.Image:
    """Colour-manage to sRGB if an ICC profile is embedded; flatten alpha onto white."""
    from PIL import Image, ImageCms

    icc = image.info.get("icc_profile")
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):  # 16-bit greyscale PNG
        image = image.convert("I").point(lambda v: v * (1 / 257)).convert("L")
    if image.mode in ("P", "LA", "PA") or "transparency" in image.info:
        image = image.convert("RGBA")
    if icc and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            converted = ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGBA" if image.mode == "RGBA" else "RGB",
            )
            if converted is not None:  # None only when converting in place
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # unusable or mismatching profile: plain conversion below
    if image.mode == "RGBA":
        return Image.alpha_composite(Image.new("RGBA", image.size, _WHITE), image).convert("RGB")
    return image.convert("RGB")


def _encode_jpeg(image: Image.Image) -> bytes:
    encoded = b""
    for quality in _JPEG_QUALITIES:
        buffer = io.BytesIO()
        image.save(
            buffer,
            format="JPEG",
            quality=quality,
            optimize=True,  # optimal Huffman tables; still baseline sequential
            progressive=False,
            subsampling="4:2:0",
        )
        encoded = buffer.getvalue()
        if len(encoded) <= _OUTPUT_MAX_BYTES:
            break
    return encoded


def _format_bytes(size: int) -> str:
    if size % _MIB == 0:
        return f"{size // _MIB}MB"
    if size >= _MIB:
        return f"{size / _MIB:.1f}MB"
    return f"{max(1, size // 1024)}KB"
