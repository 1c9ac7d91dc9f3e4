"""normalize_photo: accepted inputs, refusals, and the metadata-free output."""

from __future__ import annotations

import hashlib
import io
import random
import struct
import zlib
from collections.abc import Callable

import pytest
from PIL import ExifTags, Image, ImageCms, ImageDraw

from schema.errors import DomainError
from schema.photos import (
    PHOTO_RULES_ZH,
    NormalizedPhoto,
    PhotoErrorCode,
    PhotoLimits,
    PhotoRejected,
    normalize_photo,
)

OUT_W, OUT_H = 358, 441
RED = (220, 20, 30)
BLUE = (30, 60, 200)


# ---------------------------------------------------------------- image builders


def face(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """A deterministic, photo-like portrait: light-blue gradient background and a 'head'."""
    gradient = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", (gradient.point(lambda v: 150 + v // 4), gradient, gradient))
    draw = ImageDraw.Draw(image)
    draw.ellipse((width * 0.3, height * 0.15, width * 0.7, height * 0.6), fill=(230, 190, 160))
    draw.rectangle((width * 0.15, height * 0.7, width * 0.85, height), fill=(40, 40, 60))
    return image.convert(mode)


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def zero_png(width: int, height: int) -> bytes:
    """A genuine 1-bit all-black PNG: tiny file, huge pixel count (decompression bomb)."""
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def patch_png_size(data: bytes, width: int, height: int) -> bytes:
    """Rewrite the IHDR dimensions of a real PNG and fix the chunk's CRC."""
    assert data[12:16] == b"IHDR"
    payload = struct.pack(">II", width, height) + data[24:29]
    return data[:8] + png_chunk(b"IHDR", payload) + data[33:]


def exif_with_gps(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "LeakyCam"
    exif[ExifTags.Base.Model] = "Model-GPS-123"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (29.0, 33.0, 36.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (106.0, 33.0, 0.0)
    return exif


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def marked_portrait() -> Image.Image:
    """400×500 blue portrait with a red square in the top-left corner (as displayed)."""
    image = Image.new("RGB", (400, 500), BLUE)
    ImageDraw.Draw(image).rectangle((0, 0, 119, 119), fill=RED)
    return image


def metadata_rich_jpeg() -> bytes:
    """Portrait as displayed, stored rotated with Orientation=6, plus GPS, ICC, comment, XMP."""
    stored = marked_portrait().transpose(Image.Transpose.ROTATE_90)  # 500×400 on disk
    return encode(
        stored,
        "JPEG",
        quality=95,
        exif=exif_with_gps(6),
        icc_profile=srgb_icc(),
        comment=b"secret comment",
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret-xmp</x:xmpmeta>',
    )


# ---------------------------------------------------------------- output inspection


def jpeg_markers(data: bytes) -> list[int]:
    """Marker codes of a JPEG's header segments, up to and including SOS."""
    assert data[:2] == b"\xff\xd8"
    markers = [0xD8]
    pos = 2
    while pos < len(data):
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
    assert data.endswith(b"\xff\xd9")
    return markers


def assert_clean_output(result: NormalizedPhoto) -> Image.Image:
    assert isinstance(result.data, bytes)
    assert (result.width, result.height) == (OUT_W, OUT_H)
    assert result.sha256 == hashlib.sha256(result.data).hexdigest()
    assert len(result.data) <= 100 * 1024

    markers = jpeg_markers(result.data)
    assert 0xC0 in markers  # SOF0: baseline DCT
    assert not {0xC1, 0xC2, 0xC3} & set(markers)  # no extended/progressive/lossless
    assert set(markers) <= {0xD8, 0xE0, 0xDB, 0xC0, 0xC4, 0xDA}  # no APPn≥1, no COM (0xFE)
    for needle in (b"Exif", b"ICC_PROFILE", b"LeakyCam", b"secret", b"http://ns.adobe.com"):
        assert needle not in result.data

    image = Image.open(io.BytesIO(result.data))
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert image.size == (OUT_W, OUT_H)
    assert len(image.getexif()) == 0
    for key in ("exif", "icc_profile", "comment", "xmp", "progressive", "progression"):
        assert key not in image.info
    image.load()
    return image


def close_to(pixel: tuple[int, ...], expected: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


def rejected(data: bytes, **kwargs: object) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as info:
        normalize_photo(data, **kwargs)  # type: ignore[arg-type]
    return info.value


# ---------------------------------------------------------------- accepted photos


def test_metadata_rich_portrait_jpeg_is_normalised_and_stripped() -> None:
    data = metadata_rich_jpeg()
    source = Image.open(io.BytesIO(data))  # sanity: the input really carries it all
    assert source.getexif()[ExifTags.Base.Orientation] == 6
    assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert "icc_profile" in source.info and "comment" in source.info and "xmp" in source.info

    result = normalize_photo(data)

    assert result.original_format == "JPEG"
    assert_clean_output(result)


def test_exif_orientation_is_applied() -> None:
    image = assert_clean_output(normalize_photo(metadata_rich_jpeg()))
    assert close_to(image.getpixel((15, 15)), RED)
    for corner in ((OUT_W - 15, 15), (15, OUT_H - 15), (OUT_W - 15, OUT_H - 15)):
        assert close_to(image.getpixel(corner), BLUE)


def test_orientation_is_applied_before_the_dimension_limits() -> None:
    # Stored 5000×3800 (too wide as stored) but displayed 3800×5000: acceptable.
    stored = face(3800, 5000, "L").transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 8
    result = normalize_photo(encode(stored, "JPEG", quality=60, exif=exif))
    assert_clean_output(result)

    with pytest.raises(PhotoRejected) as info:
        normalize_photo(encode(stored, "JPEG", quality=60))  # no orientation tag: landscape
    assert info.value.code == PhotoErrorCode.DIMENSIONS_TOO_LARGE


def test_png_with_alpha_is_flattened_on_white() -> None:
    image = Image.new("RGBA", (400, 520), (0, 0, 0, 0))  # fully transparent (black) pixels
    ImageDraw.Draw(image).ellipse((100, 100, 300, 400), fill=(200, 30, 30, 255))
    result = normalize_photo(encode(image, "PNG", icc_profile=srgb_icc()))

    assert result.original_format == "PNG"
    output = assert_clean_output(result)
    assert close_to(output.getpixel((5, 5)), (255, 255, 255), tolerance=6)
    assert close_to(output.getpixel((OUT_W // 2, OUT_H // 2)), (200, 30, 30))


def test_palette_png_with_transparency_is_flattened_on_white() -> None:
    image = Image.new("P", (300, 420), 0)
    image.putpalette([0, 0, 0, *RED])  # index 0: black (transparent), index 1: red
    ImageDraw.Draw(image).ellipse((75, 100, 225, 320), fill=1)
    output = assert_clean_output(normalize_photo(encode(image, "PNG", transparency=0)))
    assert close_to(output.getpixel((5, 5)), (255, 255, 255), tolerance=6)
    assert close_to(output.getpixel((OUT_W // 2, OUT_H // 2)), RED)


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("greyscale JPEG", encode(face(600, 800, "L"), "JPEG")),
        ("CMYK JPEG", encode(face(600, 800, "CMYK"), "JPEG")),
        ("progressive JPEG", encode(face(600, 800), "JPEG", progressive=True)),
        ("RGB PNG", encode(face(600, 800), "PNG")),
        ("greyscale+alpha PNG", encode(face(600, 800, "LA"), "PNG")),
        ("1-bit PNG", encode(face(600, 800, "1"), "PNG")),
    ],
)
def test_common_variants_are_accepted(label: str, data: bytes) -> None:
    assert_clean_output(normalize_photo(data))


def test_sixteen_bit_greyscale_png_keeps_its_tones() -> None:
    image = Image.new("I;16", (400, 500), 32896)  # 50 % grey in 16 bits
    output = assert_clean_output(normalize_photo(encode(image, "PNG")))
    assert close_to(output.getpixel((OUT_W // 2, OUT_H // 2)), (128, 128, 128), tolerance=3)


@pytest.mark.parametrize(
    "size",
    [(295, 413), (300, 500), (425, 500), (4000, 6000 * 4000 // 4700)],
    ids=["minimum", "aspect-0.60", "aspect-0.85", "max-width"],
)
def test_boundaries_are_accepted(size: tuple[int, int]) -> None:
    assert_clean_output(normalize_photo(encode(face(*size, "L"), "JPEG", quality=50)))


def test_same_input_gives_same_output() -> None:
    data = metadata_rich_jpeg()
    first, second = normalize_photo(data), normalize_photo(data)
    assert first == second
    assert first.sha256 == hashlib.sha256(first.data).hexdigest()
    assert normalize_photo(encode(face(400, 500), "PNG")).sha256 != first.sha256


def test_hard_to_compress_photo_still_fits_in_100_kb() -> None:
    noise = random.Random(7).randbytes(358 * 441 * 3)
    image = Image.frombytes("RGB", (358, 441), noise)  # already at output size: no smoothing
    assert len(encode(image, "JPEG", quality=85)) > 100 * 1024  # would not fit at q85
    assert_clean_output(normalize_photo(encode(image, "PNG")))


# ---------------------------------------------------------------- refusals


def _jpeg() -> bytes:
    return encode(face(600, 800), "JPEG", quality=90)


def _three_megabytes() -> bytes:
    data = encode(
        Image.frombytes("RGB", (1000, 1000), random.Random(3).randbytes(3_000_000)),
        "JPEG",
        quality=100,
    )
    return data + b"\x00" * max(0, 3 * 1024 * 1024 - len(data))


@pytest.mark.parametrize(
    ("label", "make", "code"),
    [
        ("3 MB file", _three_megabytes, PhotoErrorCode.TOO_LARGE),
        ("GIF", lambda: encode(face(400, 500), "GIF"), PhotoErrorCode.FORMAT),
        ("BMP", lambda: encode(face(400, 500), "BMP"), PhotoErrorCode.FORMAT),
        ("random bytes", lambda: b"\x00" + random.Random(1).randbytes(5000), PhotoErrorCode.FORMAT),
        ("empty", lambda: b"", PhotoErrorCode.FORMAT),
        ("text", lambda: "证件照.jpg".encode(), PhotoErrorCode.FORMAT),
        ("truncated JPEG", lambda: _jpeg()[: len(_jpeg()) // 2], PhotoErrorCode.CORRUPT),
        ("JPEG magic only", lambda: b"\xff\xd8\xff" + bytes(100), PhotoErrorCode.CORRUPT),
        ("PNG magic only", lambda: b"\x89PNG\r\n\x1a\n" + bytes(100), PhotoErrorCode.CORRUPT),
        ("truncated PNG", lambda: encode(face(400, 500), "PNG")[:3000], PhotoErrorCode.CORRUPT),
        ("tiny", lambda: encode(face(100, 140), "JPEG"), PhotoErrorCode.TOO_SMALL),
        ("just too small", lambda: encode(face(294, 413), "PNG"), PhotoErrorCode.TOO_SMALL),
        ("landscape", lambda: encode(face(800, 600), "JPEG"), PhotoErrorCode.NOT_PORTRAIT),
        ("square", lambda: encode(face(600, 600), "JPEG"), PhotoErrorCode.NOT_PORTRAIT),
        ("too narrow", lambda: encode(face(400, 800), "PNG"), PhotoErrorCode.NOT_PORTRAIT),
        (
            "4001 wide",
            lambda: encode(face(4001, 5000, "L"), "JPEG"),
            PhotoErrorCode.DIMENSIONS_TOO_LARGE,
        ),
        ("real 30000×30000 bomb", lambda: zero_png(30000, 30000), PhotoErrorCode.BOMB),
        (
            "IHDR claims 30000×30000",
            lambda: patch_png_size(encode(face(400, 500), "PNG"), 30000, 30000),
            PhotoErrorCode.BOMB,
        ),
        (
            "IHDR claims 10000×10000 (Pillow warning range)",
            lambda: patch_png_size(encode(face(400, 500), "PNG"), 10000, 10000),
            PhotoErrorCode.BOMB,
        ),
    ],
)
def test_refusals(label: str, make: Callable[[], bytes], code: PhotoErrorCode) -> None:
    error = rejected(make())
    assert error.code == code, label
    assert error.field == "photo"


def test_header_dimensions_are_checked_before_decoding() -> None:
    # The IDAT belongs to a 400×500 image, so decoding would fail as PHOTO_CORRUPT;
    # PHOTO_DIMENSIONS_TOO_LARGE proves the refusal came from the header alone.
    data = patch_png_size(encode(face(400, 500), "PNG"), 5000, 7000)
    assert rejected(data).code == PhotoErrorCode.DIMENSIONS_TOO_LARGE


def test_bomb_refused_even_if_pillow_limit_is_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    data = patch_png_size(encode(face(400, 500), "PNG"), 10000, 10000)
    assert rejected(data).code == PhotoErrorCode.BOMB


def test_pillow_limit_is_respected_when_lower(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)
    assert rejected(encode(face(400, 520), "PNG")).code == PhotoErrorCode.BOMB


def test_messages_are_chinese_and_actionable() -> None:
    assert "文件不能超过2MB" in rejected(_three_megabytes()).message
    assert rejected(encode(face(400, 500), "GIF")).message == "仅支持JPG或PNG格式的照片"
    assert rejected(b"\xff\xd8\xff" + bytes(10)).message.startswith("无法识别照片内容")
    assert "像素不低于295×413" in rejected(encode(face(100, 140), "PNG")).message
    assert rejected(encode(face(800, 600), "PNG")).message.startswith("请上传竖版证件照")
    assert (
        "4000×6000" in rejected(patch_png_size(encode(face(400, 500), "PNG"), 5000, 7000)).message
    )


def test_photo_rejected_shape() -> None:
    error = PhotoRejected(PhotoErrorCode.FORMAT, "仅支持JPG或PNG格式的照片")
    assert error.code == "PHOTO_FORMAT"
    assert error.message == str(error) == "仅支持JPG或PNG格式的照片"
    assert error.field == "photo"
    assert isinstance(error, DomainError)
    assert error.problems[0].code == "PHOTO_FORMAT" and error.problems[0].field == "photo"
    assert PhotoRejected("PHOTO_BOMB", "x").code is PhotoErrorCode.BOMB
    with pytest.raises(ValueError):
        PhotoRejected("NOT_A_CODE", "x")


def test_limits_are_configurable() -> None:
    data = encode(face(600, 800), "JPEG")
    assert "10KB" in rejected(data, limits=PhotoLimits(max_bytes=10 * 1024)).message
    small = rejected(data, limits=PhotoLimits(min_width=700, min_height=900))
    assert small.code == PhotoErrorCode.TOO_SMALL and "700×900" in small.message
    assert rejected(data, limits=PhotoLimits(min_aspect=0.5, max_aspect=0.7)).code == (
        PhotoErrorCode.NOT_PORTRAIT
    )
    assert normalize_photo(encode(face(800, 600), "JPEG"), limits=PhotoLimits(max_aspect=1.5))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_bytes": 0},
        {"min_width": 5000},
        {"min_height": 0},
        {"min_aspect": 0.9, "max_aspect": 0.8},
        {"bomb_pixels": 1000},
    ],
)
def test_invalid_limits_are_refused(kwargs: dict[str, int | float]) -> None:
    with pytest.raises(ValueError):
        PhotoLimits(**kwargs)  # type: ignore[arg-type]


def test_rules_text_mentions_every_rule() -> None:
    for phrase in (
        "近期免冠正面彩色证件照",
        "白色或浅蓝色背景",
        "JPG",
        "PNG",
        "2MB",
        "295×413",
        "竖版",
    ):
        assert phrase in PHOTO_RULES_ZH
