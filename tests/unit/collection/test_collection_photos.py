"""The photo ZIP: names in GBK or UTF-8, lookups by ID number and by entry, guards."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from collection_test_support import VALID_ID, zip_bytes

from schema.collection import FileRefused, PhotoArchive, PhotoEntryRefused

JPEG = b"\xff\xd8\xff\xe0 a photo"
ID_X = "50011219800101123X"


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[PhotoArchive]:
    path = tmp_path / "photos.zip"
    path.write_bytes(
        zip_bytes(
            [
                (f"照片/{VALID_ID}.jpg".encode("gbk"), JPEG + b"1"),
                (f"{ID_X.lower()}.JPEG", JPEG + b"2"),
                ("张三.png", JPEG + b"3"),
                ("二组/李四.jpg".encode("gbk"), JPEG + b"4"),
                (f"__MACOSX/照片/._{VALID_ID}.jpg", b"resource fork"),
                ("甲/重名.jpg", JPEG + b"5"),
                ("乙/重名.jpg", JPEG + b"6"),
            ]
        )
    )
    with PhotoArchive.open(path) as opened:
        yield opened


def test_gbk_named_entry_in_a_folder_is_found_by_id_number(archive: PhotoArchive) -> None:
    assert archive.by_id_number(VALID_ID) == JPEG + b"1"


def test_lower_case_x_and_upper_case_suffix_are_found(archive: PhotoArchive) -> None:
    assert archive.by_id_number(ID_X) == JPEG + b"2"


def test_unknown_id_number_gives_none(archive: PhotoArchive) -> None:
    assert archive.by_id_number("500112198001016000") is None


def test_entry_is_found_by_base_name(archive: PhotoArchive) -> None:
    assert archive.by_entry("李四.jpg") == JPEG + b"4"


def test_gbk_entry_is_found_by_full_path(archive: PhotoArchive) -> None:
    assert archive.by_entry("二组/李四.jpg") == JPEG + b"4"


def test_entry_name_is_matched_in_any_case_with_backslashes(archive: PhotoArchive) -> None:
    assert archive.by_entry(f"照片\\{VALID_ID}.JPG") == JPEG + b"1"


def test_unknown_entry_gives_none(archive: PhotoArchive) -> None:
    assert archive.by_entry("王五.jpg") is None


def test_macos_metadata_entries_are_not_indexed(archive: PhotoArchive) -> None:
    assert archive.by_entry(f"._{VALID_ID}.jpg") is None


def test_ambiguous_base_name_is_refused(archive: PhotoArchive) -> None:
    with pytest.raises(PhotoEntryRefused) as refused:
        archive.by_entry("重名.jpg")
    assert refused.value.code == "PHOTO_AMBIGUOUS"


def test_id_numbers_lists_the_photo_stems(archive: PhotoArchive) -> None:
    assert {VALID_ID, ID_X} <= archive.id_numbers


def test_entry_over_5_mb_is_refused_as_too_large(tmp_path: Path) -> None:
    path = tmp_path / "photos.zip"
    path.write_bytes(zip_bytes([(f"{VALID_ID}.jpg", os.urandom(5 * 1024 * 1024 + 1))]))
    with PhotoArchive.open(path) as opened, pytest.raises(PhotoEntryRefused) as refused:
        opened.by_id_number(VALID_ID)
    assert refused.value.code == "PHOTO_TOO_LARGE"


def test_highly_compressed_entry_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "photos.zip"
    path.write_bytes(
        zip_bytes([(f"{VALID_ID}.jpg", bytes(1024 * 1024))], compression=zipfile.ZIP_DEFLATED)
    )
    with PhotoArchive.open(path) as opened, pytest.raises(PhotoEntryRefused) as refused:
        opened.by_id_number(VALID_ID)
    assert refused.value.code == "PHOTO_COMPRESSION_SUSPICIOUS"


def test_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "photos.zip"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(FileRefused) as refused:
        PhotoArchive.open(path)
    assert refused.value.code == "PHOTO_ARCHIVE_INVALID"
