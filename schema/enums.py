"""Enumerations shared by models, services and the API: one source of truth, Chinese labels.

Every enumeration here is a ``LabelledEnum``: a ``StrEnum`` whose members are written as
``CODE = "stored value", "中文标签"``. The value is what the database, the signed claims and the
GraphQL schema carry (unchanged by the label), ``member.label`` is what a person reads. No other
module keeps a table of these labels: GraphQL label fields, the verification page, the command
line and the collection reports all read ``label`` (or ``label_of`` for a stored string).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

__all__ = [
    "STAFF_ROLES",
    "TOTP_ROLES",
    "AuditAction",
    "BatchLineState",
    "CertificateStatus",
    "CorrectionStatus",
    "DocumentFinding",
    "ExistingRecord",
    "ImportKind",
    "ImportOutcome",
    "ImportStatus",
    "LabelledEnum",
    "Provenance",
    "ReferenceSource",
    "RegistrationSource",
    "RegistrationStatus",
    "Role",
    "SigningKeyState",
    "SmsPurpose",
    "StateOnDate",
    "Step",
    "VerificationState",
]


class LabelledEnum(StrEnum):
    """A string enumeration whose members carry their Chinese label."""

    _label: str

    # Members are built from ("value", "label"). ``Role("applicant")`` looks a member up by
    # value without calling this; the default only lets type checkers accept that call.
    def __new__(cls, value: str, label: str = "") -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self) -> str:
        """The Chinese label a person sees."""
        return self._label

    @classmethod
    def label_of(cls, value: str) -> str:
        """The label of a stored value; an unknown value (an old row) is shown as it is."""
        member = cls._value2member_map_.get(value)
        return member.label if isinstance(member, LabelledEnum) else value


# --------------------------------------------------------------------------- accounts


class Role(LabelledEnum):
    APPLICANT = "applicant", "专业技术人员"
    REVIEWER = "reviewer", "审批机关审核人员"
    SIGNER = "signer", "签章管理员"
    IMPORTER = "importer", "数据归集人员"
    ADMIN = "admin", "系统管理员"
    # An employer's operator (经办人): checks certificates in batches, sees nothing else.
    EMPLOYER = "employer", "用人单位"


STAFF_ROLES = frozenset({Role.REVIEWER, Role.SIGNER, Role.IMPORTER, Role.ADMIN})
# Accounts whose every login needs a TOTP code (staff, and employers: a batch check answers
# about thousands of certificates).
TOTP_ROLES = STAFF_ROLES | {Role.EMPLOYER}


class SmsPurpose(LabelledEnum):
    """What a one-time SMS code may be used for (a code of one purpose never serves another)."""

    REGISTER = "register", "注册账户"
    RESET_PASSWORD = "reset_password", "找回密码"
    LOGIN = "login", "登录验证"


# --------------------------------------------------------------------------- registrations


class RegistrationStatus(LabelledEnum):
    DRAFT = "DRAFT", "填写中"
    SUBMITTED = "SUBMITTED", "待审核"
    RETURNED = "RETURNED", "已退回"
    INCOMPLETE = "INCOMPLETE", "待完善"  # loaded in bulk, something missing
    PHOTO_REVIEW = "PHOTO_REVIEW", "照片待审核"  # a title-system result with a new photo
    APPROVED = "APPROVED", "已生成"  # the certificate record exists
    WITHDRAWN = "WITHDRAWN", "已撤回"  # the applicant abandoned the draft


class RegistrationSource(LabelledEnum):
    """Where the title comes from, as the person declares it (登记范围, notice §一)."""

    PAPER = "PAPER", "纸质证书"  # titles before 2021
    OTHER_SYSTEM = "OTHER_SYSTEM", "其他职称系统"  # 教育, 卫生, 建设…
    OFFLINE_REVIEW = "OFFLINE_REVIEW", "线下评审"
    OFFLINE_INITIAL = "OFFLINE_INITIAL", "线下初定"
    OFFLINE_CONFIRMATION = "OFFLINE_CONFIRMATION", "线下确认"
    # 重庆市专业技术人员服务平台职称申报评审系统
    TITLE_SYSTEM = "TITLE_SYSTEM", "职称系统"


class ExistingRecord(LabelledEnum):
    """What the registry already holds for the same certificate."""

    PENDING_COMPLETION = "PENDING_COMPLETION", "待完善"
    REGISTERED = "REGISTERED", "已有记录"  # any other record (submitted, issued, …)


class Step(LabelledEnum):
    """The registration wizard's steps, in the order the client shows them."""

    TITLE = "TITLE", "职称信息"
    DOCUMENT = "DOCUMENT", "批准文件"
    SPECIALTY = "SPECIALTY", "专业"


# --------------------------------------------------------------------------- certificates


class CertificateStatus(LabelledEnum):
    VALID = "VALID", "有效"
    SUPERSEDED = "SUPERSEDED", "已更正"  # a correction issued a newer version
    REVOKED = "REVOKED", "已撤销"


class Provenance(LabelledEnum):
    PAPER = "PAPER", "纸质证书登记"
    OTHER_SYSTEM = "OTHER_SYSTEM", "其他系统登记"  # another system or an offline procedure
    NATIVE = "NATIVE", "系统签发"  # the title system


class CorrectionStatus(LabelledEnum):
    PENDING = "PENDING", "待处理"
    APPROVED = "APPROVED", "已更正"
    REJECTED = "REJECTED", "已驳回"


class VerificationState(LabelledEnum):
    """The one verdict of the public verification (有效 / 已更正 / 已撤销 / 无法验证)."""

    VALID = "VALID", "有效"
    SUPERSEDED = "SUPERSEDED", "已更正"
    REVOKED = "REVOKED", "已撤销"
    UNVERIFIABLE = "UNVERIFIABLE", "无法验证"
    # A certificate we issued, signed by a key later revoked from before its signature:
    # the register vouches for the payload, the signature no longer does.
    KEY_REVOKED = "KEY_REVOKED", "签名密钥已停用，请持证人重新获取证书"


class SigningKeyState(LabelledEnum):
    """A signing key's state at a given moment (computed from its window)."""

    PENDING = "PENDING", "尚未生效"
    ACTIVE = "ACTIVE", "可签名"
    RETIRED = "RETIRED", "已停用（已签证书仍可核验）"
    REVOKED = "REVOKED", "已吊销"


# --------------------------------------------------------------------------- collection


class ImportKind(LabelledEnum):
    TITLE_SYSTEM = "TITLE_SYSTEM", "职称系统评审结果"  # 2021+, intermediate and junior
    HISTORICAL = "HISTORICAL", "历史档案"  # any year, often incomplete


class ImportStatus(LabelledEnum):
    QUEUED = "QUEUED", "排队中"
    RUNNING = "RUNNING", "导入中"
    DONE = "DONE", "已完成"
    FAILED = "FAILED", "失败"  # the file as a whole could not be read


class ImportOutcome(LabelledEnum):
    REFUSED = "REFUSED", "未导入"  # the row breaks a rule
    EXISTING = "EXISTING", "已有记录"  # the certificate is already on record (ref)
    NOTE = "NOTE", "提示"  # about the file, not a row (blank rows, a total row, headers)


# --------------------------------------------------------------------------- reference data


class ReferenceSource(LabelledEnum):
    """Where a stored reference entry comes from (file reloads never overwrite admin entries)."""

    FILE = "file", "数据文件"
    ADMIN = "admin", "管理员添加"


# --------------------------------------------------------------------------- audit trail


class AuditAction(LabelledEnum):
    """What an audit row records. The value is stored as it is: never rename one."""

    ACCOUNT_REGISTERED = "account.registered", "注册账户"
    STAFF_CREATED = "account.staff_created", "创建工作人员账户"
    PASSWORD_CHANGED = "account.password_changed", "修改密码"
    LOGIN_SUCCEEDED = "session.login", "登录"
    LOGIN_FAILED = "session.login_failed", "登录失败"
    LOGGED_OUT = "session.logout", "退出登录"
    SMS_CODE_REQUESTED = "account.sms_code_requested", "获取短信验证码"
    PASSWORD_RESET = "account.password_reset", "通过短信验证码重置密码"
    IDENTITY_RECLAIMED = "account.identity_reclaimed", "审批机关窗口收回被冒用的身份证号码"
    TOTP_ENROLMENT_REQUIRED = "session.totp_enrolment_required", "登录需先绑定动态验证码"
    TOTP_ENROLMENT_BEGUN = "account.totp_enrolment_begun", "开始绑定动态验证码"
    TOTP_ENABLED = "account.totp_enabled", "绑定动态验证码"
    TOTP_RESET = "account.totp_reset", "重置动态验证码"
    STAFF_DEACTIVATED = "account.staff_deactivated", "停用工作人员账户"
    STAFF_REACTIVATED = "account.staff_reactivated", "启用工作人员账户"
    STAFF_AUTHORITY_CHANGED = "account.staff_authority_changed", "变更审核人员审批机关"
    EMPLOYER_CREATED = "account.employer_created", "创建用人单位账户"

    REFERENCE_LOADED = "reference.loaded", "载入参考数据"
    REFERENCE_ADDED = "reference.added", "新增参考数据"

    REGISTRATION_CREATED = "registration.created", "创建登记"
    REGISTRATION_IMPORTED = "registration.imported", "历史数据归集导入"
    TITLE_STEP_SAVED = "registration.step.title", "保存职称信息"
    DOCUMENT_STEP_SAVED = "registration.step.document", "保存批准文件信息"
    SPECIALTY_STEP_SAVED = "registration.step.specialty", "保存专业信息"
    PHOTO_UPLOADED = "registration.photo", "上传个人照片"
    REGISTRATION_SUBMITTED = "registration.submitted", "提交审核"
    REGISTRATION_WITHDRAWN = "registration.withdrawn", "撤回登记"
    REGISTRATION_RETURNED = "registration.returned", "退回修改"
    REGISTRATION_APPROVED = "registration.approved", "审核通过"
    PHOTO_APPROVED = "registration.photo_approved", "照片审核通过"
    PHOTO_RETURNED = "registration.photo_returned", "照片未通过审核（退回待完善）"

    CERTIFICATE_ISSUED = "certificate.issued", "生成电子证书"
    CERTIFICATE_SUPERSEDED = "certificate.superseded", "更正（被新版本替代）"
    CERTIFICATE_REISSUED = "certificate.reissued", "因签名密钥停用重新签发"
    CERTIFICATE_REVOKED = "certificate.revoked", "撤销证书"
    CERTIFICATE_REINSTATED = "certificate.reinstated", "恢复证书"
    CORRECTION_REQUESTED = "correction.requested", "申请更正"
    CORRECTION_REJECTED = "correction.rejected", "驳回更正申请"

    IMPORT_CREATED = "import.created", "创建导入任务"
    IMPORT_FINISHED = "import.finished", "导入任务完成"
    IMPORT_FAILED = "import.failed", "导入任务失败"

    SIGNING_KEY_CREATED = "signing_key.created", "生成签名密钥"
    SIGNING_KEY_RETIRED = "signing_key.retired", "停用签名密钥"
    SIGNING_KEY_REVOKED = "signing_key.revoked", "吊销签名密钥"
    KEY_REISSUE_QUEUED = "key_reissue.queued", "创建重新签发任务（签名密钥吊销）"
    KEY_REISSUE_FINISHED = "key_reissue.finished", "重新签发任务完成"
    KEY_REISSUE_FAILED = "key_reissue.failed", "重新签发任务失败"
    TRUST_ROOT_CREATED = "trust_root.created", "生成密钥列表信任根"
    DOCUMENT_CA_INITIALISED = "document_ca.initialised", "初始化证书文件签章证书"
    DOCUMENT_BATCH_CREATED = "document_batch.created", "创建证书文件批量生成任务"
    DOCUMENT_BATCH_FINISHED = "document_batch.finished", "证书文件批量生成完成"
    DOCUMENT_BATCH_FAILED = "document_batch.failed", "证书文件批量生成失败"
    VERIFICATION_BATCH_CREATED = "verification_batch.created", "创建用人单位批量核验任务"
    VERIFICATION_BATCH_FINISHED = "verification_batch.finished", "用人单位批量核验完成"
    VERIFICATION_BATCH_FAILED = "verification_batch.failed", "用人单位批量核验失败"

    PII_KEY_ROTATED = "pii_key.rotated", "个人信息加密密钥轮换"


class BatchLineState(LabelledEnum):
    """One line of an employer's batch check (用人单位批量核验), as the signed report states it.

    ``NOT_FOUND`` and ``NAME_MISMATCH`` name no holder data (a mismatch never shows the name
    on record); ``INVALID_QR`` is a QR text that is not a genuine code of this service."""

    VALID = "VALID", "有效"
    REVOKED = "REVOKED", "已撤销"
    SUPERSEDED = "SUPERSEDED", "已更正"
    KEY_REVOKED = "KEY_REVOKED", "签名密钥已停用"
    NOT_FOUND = "NOT_FOUND", "未找到该证书编号的证书"
    NAME_MISMATCH = "NAME_MISMATCH", "证书编号与持证人姓名不一致"
    INVALID_QR = "INVALID_QR", "二维码无效（不是本系统签发的证书二维码或内容被篡改）"
    # A certificate on record whose stored signature no longer verifies (rare: ask the
    # issuing authority).
    UNVERIFIABLE = "UNVERIFIABLE", "无法验证，请联系发证机关"


class StateOnDate(LabelledEnum):
    """A certificate's state at the end of a given day (Beijing time), from the audit trail."""

    NOT_ISSUED = "NOT_ISSUED", "当日尚未签发"
    VALID = "VALID", "当日有效"
    REVOKED = "REVOKED", "当日已撤销"
    SUPERSEDED = "SUPERSEDED", "当日已被更正版本替代"


class DocumentFinding(LabelledEnum):
    """One reason a document is not genuine-and-current (stable code, Chinese explanation),
    in order of seriousness: the first one found is the conclusion."""

    DOCUMENT_MODIFIED = "DOCUMENT_MODIFIED", "文件被修改：签章后文件内容有改动，签章无效"
    SEAL_MISSING = "SEAL_MISSING", "文件没有电子签章"
    SEAL_UNTRUSTED = "SEAL_UNTRUSTED", "文件签章无效：签章证书不是本系统签发的"
    SEAL_INVALID = "SEAL_INVALID", "文件签章无效"
    QR_NOT_FOUND = "QR_NOT_FOUND", "文件中未找到二维码"
    QR_AMBIGUOUS = "QR_AMBIGUOUS", "文件中有多个不同的二维码，无法确定是哪一份证书"
    QR_NOT_OFFICIAL = "QR_NOT_OFFICIAL", "二维码不是本系统的核验网址"
    QR_UNVERIFIABLE = "QR_UNVERIFIABLE", "二维码无法验证：签名无效或证书不存在"
    AUTHORITY_MISMATCH = "AUTHORITY_MISMATCH", "签章机关与证书发证机关不一致"
    CERTIFICATE_REVOKED = "CERTIFICATE_REVOKED", "二维码对应的证书已撤销"
    CERTIFICATE_SUPERSEDED = "CERTIFICATE_SUPERSEDED", "二维码对应的证书已更正（请以新版本为准）"
    CERTIFICATE_KEY_REVOKED = (
        "CERTIFICATE_KEY_REVOKED",
        "二维码的签名密钥已停用，请持证人重新获取证书",
    )
