"""Storage that is full or refuses writes: users get STORAGE_FULL / STORAGE_UNAVAILABLE with
a Chinese message, and nothing is half-written (no partial file, the transaction rolled
back). Real file systems: a tiny tmpfs and a read-only one where mounting is allowed (root),
and a blob directory that is a file everywhere."""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import pytest

from schema.http_edge.deps import Deps
from schema.models import Certificate, Registration, RegistrationStatus
from schema.services import review
from schema.services.reference import current_catalog
from schema.storage import FileBlobStore, StorageFull, StorageUnavailable
from tests.support.client import ApiClient
from tests.support.factories import ID_MALE_1985, NOW
from tests.support.flows import YUBEI_TITLE, fill_and_submit, make_people, portrait_jpeg
from tests.support.mounts import remounted_read_only, tmpfs

CREATE = """mutation { createRegistration { ... on RegistrationSuccess { registration { id } } } }"""
PHOTO = """mutation($input: UploadRegistrationPhotoInput!) { uploadRegistrationPhoto(input: $input) {
  __typename ... on UserErrors { errors { code message } } } }"""
BIG = os.urandom(200_000)


def _entries(root: Path) -> list[Path]:
    return sorted(root.rglob("*"))


def _fill(directory: Path) -> None:
    """Write until the file system is full (what a busy disk looks like)."""
    fd = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)


def _blob_dir_is_a_file(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    root.write_bytes(b"not a directory")


# ----------------------------------------------------------------------------- the blob store


async def test_full_disk_is_storage_full_and_leaves_no_partial_file(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "blobs", size_kb=64) as root:
        store = FileBlobStore(root)
        with pytest.raises(StorageFull) as refused:
            await store.put(BIG)
        assert _entries(root) == []  # no temporary file, no empty ab/cd directories
    assert refused.value.code == "STORAGE_FULL"
    assert refused.value.message == "服务器存储空间不足，请稍后再试"


async def test_full_disk_while_streaming_a_file(tmp_path: Path) -> None:
    source = tmp_path / "upload.xlsx"
    source.write_bytes(BIG)
    with tmpfs(tmp_path / "blobs", size_kb=64) as root:
        with pytest.raises(StorageFull):
            await FileBlobStore(root).put_file(source)
        assert _entries(root) == []


async def test_read_only_mount_is_storage_unavailable(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "blobs", size_kb=256) as root:
        store = FileBlobStore(root)
        with remounted_read_only(root), pytest.raises(StorageUnavailable) as refused:
            await store.put(b"photo")
        assert _entries(root) == []
    assert refused.value.code == "STORAGE_UNAVAILABLE"
    assert refused.value.message == "服务器存储暂不可写，请联系管理员"
    assert "Read-only file system" in refused.value.detail


async def test_blob_directory_that_is_a_file_is_storage_unavailable(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "data" / "blobs")
    _blob_dir_is_a_file(store.root)
    with pytest.raises(StorageUnavailable):
        await store.put(b"photo")
    with pytest.raises(StorageUnavailable):
        await store.check_writable()


# ----------------------------------------------------------------------------- use cases


async def test_photo_upload_on_unwritable_storage_changes_nothing(
    api: ApiClient, deps: Deps
) -> None:
    await make_people(deps)
    token = (await api.login(ID_MALE_1985)).token
    reg_id = (await api.execute(CREATE, token=token))["data"]["createRegistration"][
        "registration"
    ]["id"]
    _blob_dir_is_a_file(deps.settings.data_dir / "blobs")
    photo = base64.b64encode(portrait_jpeg()).decode()
    answer = await api.execute(PHOTO, {"input": {"id": reg_id, "photoBase64": photo}}, token=token)
    assert answer["data"]["uploadRegistrationPhoto"] == {
        "__typename": "UserErrors",
        "errors": [{"code": "STORAGE_UNAVAILABLE", "message": "服务器存储暂不可写，请联系管理员"}],
    }
    assert (await Registration.get(public_id=reg_id)).photo_sha256 is None


async def test_on_a_full_disk_approval_issues_and_the_first_qr_download_stores_nothing(
    db: str, tmp_path: Path
) -> None:
    """Approval writes no file (the QR images are drawn at the holder's first download), so
    a full disk does not stop it; that first download is refused with STORAGE_FULL, leaves
    no partial file and records no image on the certificate."""
    from schema.http_edge.deps import build_deps
    from schema.http_edge.settings import load_settings
    from tests.support.flows import holder_download
    from tests.support.settings import test_environ

    data_dir = tmp_path / "data"
    with tmpfs(data_dir, size_kb=256):
        deps = build_deps(load_settings(test_environ(database_url=db, data_dir=str(data_dir))))
        people = await make_people(deps)
        reg = await fill_and_submit(deps, people.applicant, title=YUBEI_TITLE)  # photo stored
        _fill(data_dir)
        cert = await review.approve_registration(
            actor=people.reviewer,
            registration_id=reg.public_id,
            issuer=deps.issuer,
            catalog=await current_catalog(),
            now=NOW,
        )
        with pytest.raises(StorageFull):
            await holder_download(deps, cert)
        leftovers = [p for p in (data_dir / "blobs").rglob("*") if p.name.startswith(".tmp-")]
    assert leftovers == []
    stored = await Certificate.get(id=cert.id)
    assert (stored.qr_png_sha256, stored.qr_svg_sha256) == (None, None)
    assert (await Registration.get(public_id=reg.public_id)).status is RegistrationStatus.APPROVED


async def test_import_upload_on_unwritable_storage_creates_no_job(
    api: ApiClient, deps: Deps
) -> None:
    from schema.enums import Role
    from schema.models import ImportJob
    from tests.support.factories import make_staff
    from tests.support.import_jobs import RESULT_ROW, start_import, template_csv

    importer_id = "500112199001010017"
    await make_staff(deps, role=Role.IMPORTER, id_number=importer_id, name="钱归集")
    importer = await api.login(importer_id)
    _blob_dir_is_a_file(deps.settings.data_dir / "blobs")
    start = """mutation($input: StartImportInput!) { startImport(input: $input) {
      __typename ... on UserErrors { errors { code message } } } }"""
    refused = await start_import(
        importer,
        start,
        kind="TITLE_SYSTEM",
        file=("a.csv", template_csv([RESULT_ROW]), "text/csv"),
    )
    assert refused["errors"] == [
        {"code": "STORAGE_UNAVAILABLE", "message": "服务器存储暂不可写，请联系管理员"}
    ]
    assert await ImportJob.all().count() == 0


async def test_qr_redraw_on_unwritable_storage_is_503_with_the_code(
    api: ApiClient, deps: Deps
) -> None:
    """A holder's QR file lost with the whole blob directory, which cannot be written now."""
    from tests.verify.verify_support import certificates_in_every_state

    states = await certificates_in_every_state(deps)
    _blob_dir_is_a_file(deps.settings.data_dir / "blobs")
    token = (await api.login(ID_MALE_1985)).token
    resp = await api.http.get(
        f"/certificates/{states.valid.cert_id}/qr.png", headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status_code == 503
    assert resp.json() == {
        "error": {"code": "STORAGE_UNAVAILABLE", "message": "服务器存储暂不可写，请联系管理员"}
    }
