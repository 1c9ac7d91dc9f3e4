"""Certificates for document batch tests: issued through the real title-system import (a
result with a good photo is issued at once), in the 渝北 authority or another one, and the
sealing hierarchy for the two authorities used."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from schema.actor import SYSTEM, Actor
from schema.enums import Role
from schema.http_edge.deps import Deps
from schema.models import Certificate, ImportKind
from schema.rules.iso7064 import mod11_2_check_char
from schema.services.document_seal import init_document_ca
from schema.services.reference import current_catalog
from tests.support.collection import TITLE_ROW, load, photos_zip, write_csv
from tests.support.factories import NOW, make_staff
from tests.support.flows import actor_of, portrait_jpeg

__all__ = [
    "HOLDERS",
    "OTHER_REVIEWER_ID",
    "WANZHOU",
    "holder_id",
    "init_ca",
    "issue_certificates",
    "other_reviewer",
]


def holder_id(prefix17: str) -> str:
    return prefix17 + mod11_2_check_char(prefix17)


OTHER_REVIEWER_ID = holder_id("50010119850101001")  # a reviewer of 万州区 (500101)
# A 万州区 result: its certificate belongs to authority 500101.
WANZHOU = {
    "审批机关": "万州区人力资源和社会保障局",
    "评审机构": "重庆市工程技术中级职务万州区评审委员会",
}
HOLDERS = [
    ("赵一", holder_id("50011219800101001")),
    ("钱二", holder_id("50011219810202002")),
    ("孙三", holder_id("50011219820303003")),
    ("李四", holder_id("50011219830404004")),
]


async def init_ca(deps: Deps) -> None:
    """``ecert ca init`` for 渝北 and 万州 (issuing all 42 authorities costs seconds)."""
    await init_document_ca(
        actor=SYSTEM,
        passphrase=deps.settings.signing_passphrase.reveal(),
        catalog=await current_catalog(),
        now=NOW,
        authority_codes=frozenset({"500112", "500101"}),
    )


async def issue_certificates(
    deps: Deps,
    tmp_path: Path,
    clerk: Actor,
    holders: Sequence[tuple[str, str]],
    *,
    tag: str,
    **row: str,
) -> list[Certificate]:
    """Title-system results issued at once (good photos): one certificate per holder. The
    signing key must exist (``make_people``)."""
    rows = [{**TITLE_ROW, "姓名": name, "公民身份号码": id_no, **row} for name, id_no in holders]
    path = write_csv(tmp_path / f"results-{tag}.csv", rows)
    archive = photos_zip(
        tmp_path / f"photos-{tag}.zip",
        {f"{id_no}.jpg": portrait_jpeg(i) for i, (_, id_no) in enumerate(holders)},
    )
    job = await load(deps, clerk, path, kind=ImportKind.TITLE_SYSTEM, photos=archive)
    assert job.issued_count == len(holders), job.error_message
    return list(await Certificate.filter(registration__import_job_id=job.id).order_by("id"))


async def other_reviewer(deps: Deps) -> Actor:
    staff = await make_staff(
        deps,
        role=Role.REVIEWER,
        id_number=OTHER_REVIEWER_ID,
        authority_code="500101",
        mobile="13900002222",
    )
    return actor_of(staff.account)
