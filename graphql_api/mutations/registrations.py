"""The applicant's mutations: 登记证书信息 step by step, the photo, submit, withdraw.

The three step mutations pass on only the fields the client sent: an absent field is left
as stored, an explicit ``null`` clears it (``strawberry.UNSET`` tells them apart).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated, Any

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserErrors
from graphql_api.permissions import require_mutation_actor
from graphql_api.types.registration import FieldWarningType, RegistrationType
from schema.access import require_holder
from schema.errors import InvalidInput
from schema.registration_form import STEP_FIELDS, Step
from schema.services import registrations
from schema.services.registrations import StepOutcome

__all__ = ["RegistrationMutations"]

_UNSET: Any = strawberry.UNSET
_DATE = "YYYY-MM-DD (2021-12-24); 2021.12.24 and 2021年12月24日 are read as well."


@strawberry.input(description="职称信息 (step 1). Absent fields are left unchanged; null clears.")
class SaveRegistrationTitleInput:
    id: strawberry.ID
    source: str | None = strawberry.field(
        default=_UNSET,
        description="PAPER, OTHER_SYSTEM, OFFLINE_REVIEW, OFFLINE_INITIAL, OFFLINE_CONFIRMATION.",
    )
    level: str | None = strawberry.field(default=_UNSET, description="Level code or name.")
    series: str | None = strawberry.field(default=_UNSET, description="Series code or name.")
    title_name: str | None = _UNSET
    way_obtained: str | None = strawberry.field(default=_UNSET, description="评审, 初定, 确认 …")
    batch: str | None = strawberry.field(
        default=_UNSET, description="A known batch (code or name): fills the document fields."
    )
    employer_type: str | None = strawberry.field(
        default=_UNSET, description="With a batch: 事业单位, 区属国有企业, 非公企业."
    )


@strawberry.input(description="批准文件 (step 2). Absent fields are left unchanged; null clears.")
class SaveRegistrationDocumentInput:
    id: strawberry.ID
    approval_document: str | None = strawberry.field(
        default=_UNSET, description="批准文号, e.g. 渝北职改办〔2022〕20号."
    )
    obtained_on: str | None = strawberry.field(
        default=_UNSET, description="取得时间 (the committee passed the title): " + _DATE
    )
    issued_on: str | None = strawberry.field(
        default=_UNSET, description="发证时间 (the approval document was issued): " + _DATE
    )
    certificate_number: str | None = strawberry.field(
        default=_UNSET, description="Paper number (0113…), only for titles before 2021."
    )
    other_number_format: bool | None = strawberry.field(
        default=_UNSET,
        description="证书为其他编号格式: the paper number does not start with 0113 (the "
        "reviewer checks it against the paper certificate).",
    )
    authority: str | None = strawberry.field(
        default=_UNSET, description="审批机关 (code, name or alias); fixed for senior titles."
    )
    review_body: str | None = strawberry.field(default=_UNSET, description="评审机构.")
    validity_scope: str | None = strawberry.field(default=_UNSET, description="有效范围 (全市).")


@strawberry.input(description="专业 (step 3). Absent fields are left unchanged; null clears.")
class SaveRegistrationSpecialtyInput:
    id: strawberry.ID
    specialty: str | None = strawberry.field(
        default=_UNSET, description="评审专业 (code or name); 其他 when not in the list."
    )
    local_specialty: str | None = strawberry.field(
        default=_UNSET, description="本地评审专业: only with 其他."
    )


@strawberry.input
class UploadRegistrationPhotoInput:
    id: strawberry.ID
    photo_base64: str = strawberry.field(
        description="The JPEG or PNG file, base64 (a data: URL prefix is accepted)."
    )


@strawberry.input
class RegistrationIdInput:
    id: strawberry.ID


@strawberry.type
class RegistrationSuccess:
    registration: RegistrationType


@strawberry.type
class SaveRegistrationStepSuccess:
    registration: RegistrationType
    warnings: list[FieldWarningType] = strawberry.field(
        description="Accepted values to check; a field of another step names the step to revisit."
    )
    missing: list[str] = strawberry.field(
        description="API fields (and `photo`) still needed before submitting."
    )


RegistrationPayload = Annotated[
    RegistrationSuccess | UserErrors, strawberry.union("RegistrationPayload")
]
SaveRegistrationStepPayload = Annotated[
    SaveRegistrationStepSuccess | UserErrors, strawberry.union("SaveRegistrationStepPayload")
]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _submitted(input: object, step: Step) -> dict[str, Any]:
    """The step's fields the client sent, by API name (absent ones left out)."""
    values = {name: getattr(input, _snake(name)) for name in STEP_FIELDS[step]}
    return {name: value for name, value in values.items() if value is not strawberry.UNSET}


def _photo_bytes(text: str) -> bytes:
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput.one(
            "PHOTO_ENCODING", "照片数据不是有效的Base64编码，请重新选择照片上传", "photoBase64"
        ) from None


async def _save(info: Info, id: strawberry.ID, step: Step, input: object) -> StepOutcome:
    actor = require_holder(require_mutation_actor(info))
    return await registrations.save_step(
        actor=actor,
        registration_id=str(id),
        step=step,
        submitted=_submitted(input, step),
        catalog=info.context.catalog,
        pii=info.context.deps.pii,
        now=info.context.now,
    )


async def _step_success(info: Info, outcome: StepOutcome) -> SaveRegistrationStepSuccess:
    return SaveRegistrationStepSuccess(
        registration=RegistrationType.from_model(outcome.registration, info.context.catalog),
        warnings=[FieldWarningType.from_dict(w.to_dict()) for w in outcome.warnings],
        missing=list(outcome.missing),
    )


@strawberry.type
class RegistrationMutations:
    @strawberry.mutation(description="Start a registration (填写中) for the logged-in applicant.")
    async def create_registration(self, info: Info) -> RegistrationPayload:
        actor = require_holder(require_mutation_actor(info))
        reg = await registrations.create_registration(actor=actor, now=info.context.now)
        return RegistrationSuccess(
            registration=RegistrationType.from_model(reg, info.context.catalog)
        )

    @strawberry.mutation(description="Save step 1, 职称信息 (a known batch fills step 2).")
    async def save_registration_title(
        self, info: Info, input: SaveRegistrationTitleInput
    ) -> SaveRegistrationStepPayload:
        return await _step_success(info, await _save(info, input.id, Step.TITLE, input))

    @strawberry.mutation(description="Save step 2, 批准文件.")
    async def save_registration_document(
        self, info: Info, input: SaveRegistrationDocumentInput
    ) -> SaveRegistrationStepPayload:
        return await _step_success(info, await _save(info, input.id, Step.DOCUMENT, input))

    @strawberry.mutation(description="Save step 3, 专业.")
    async def save_registration_specialty(
        self, info: Info, input: SaveRegistrationSpecialtyInput
    ) -> SaveRegistrationStepPayload:
        return await _step_success(info, await _save(info, input.id, Step.SPECIALTY, input))

    @strawberry.mutation(description="Upload the personal photo (JPEG/PNG, reviewed later).")
    async def upload_registration_photo(
        self, info: Info, input: UploadRegistrationPhotoInput
    ) -> RegistrationPayload:
        actor = require_holder(require_mutation_actor(info))
        catalog = info.context.catalog
        reg = await registrations.attach_photo(
            actor=actor,
            registration_id=str(input.id),
            data=_photo_bytes(input.photo_base64),
            store=info.context.deps.store,
            catalog=catalog,
            now=info.context.now,
        )
        return RegistrationSuccess(registration=RegistrationType.from_model(reg, catalog))

    @strawberry.mutation(description="Submit for review (待审核): every field and the photo.")
    async def submit_registration(
        self, info: Info, input: RegistrationIdInput
    ) -> RegistrationPayload:
        actor = require_holder(require_mutation_actor(info))
        catalog = info.context.catalog
        reg = await registrations.submit_registration(
            actor=actor,
            registration_id=str(input.id),
            catalog=catalog,
            pii=info.context.deps.pii,
            now=info.context.now,
        )
        return RegistrationSuccess(registration=RegistrationType.from_model(reg, catalog))

    @strawberry.mutation(description="Abandon a draft or returned registration.")
    async def withdraw_registration(
        self, info: Info, input: RegistrationIdInput
    ) -> RegistrationPayload:
        actor = require_holder(require_mutation_actor(info))
        reg = await registrations.withdraw_registration(
            actor=actor, registration_id=str(input.id), now=info.context.now
        )
        return RegistrationSuccess(
            registration=RegistrationType.from_model(reg, info.context.catalog)
        )
