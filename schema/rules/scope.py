"""Registration scope (登记范围), notice §一, Q1, Q4 and Q8.

Registrable:
  (a) a paper certificate for a title obtained before 2021;
  (b) a title (高/中/初级) obtained since 2021 outside the municipal title system (职称系统):
      other online systems (education, health, construction…) or offline 评审 / 初定 / 确认.
Not registrable: intermediate and junior titles evaluated in the title system since 2021 (their
e-certificates are generated automatically), and anything that already has a record (a record
marked 待完善 is completed, not registered again).
"""

from __future__ import annotations

from schema.enums import ExistingRecord, RegistrationSource
from schema.reference.catalog import Band
from schema.rules.errors import RuleCode, RuleViolation
from schema.rules.title_system import TITLE_SYSTEM_FROM_YEAR

_FIELD = "source"


def check_registration_scope(
    *, obtained_year: int, band: Band | str, source: RegistrationSource | str
) -> None:
    """Refuse what the notice puts outside online registration; return quietly otherwise.

    ``band`` is the level's band (GAO / ZHONG / CHU). Raises ``RuleViolation`` (field
    ``source``): SCOPE_SOURCE_UNKNOWN, SCOPE_PRE_2021_NOT_PAPER, SCOPE_PAPER_SINCE_2021,
    SCOPE_TITLE_SYSTEM_AUTOMATIC (中/初级 from the title system since 2021) and
    SCOPE_TITLE_SYSTEM_NOT_REGISTRABLE (高级 from the title system since 2021).
    """
    try:
        src = RegistrationSource(source)
        level_band = Band(band)
    except ValueError:
        raise RuleViolation(
            RuleCode.SCOPE_SOURCE_UNKNOWN,
            "请选择证书来源：纸质证书、其他职称系统、线下评审、线下初定或线下确认",
            _FIELD,
        ) from None
    if obtained_year < TITLE_SYSTEM_FROM_YEAR:
        if src is not RegistrationSource.PAPER:
            raise RuleViolation(
                RuleCode.SCOPE_PRE_2021_NOT_PAPER,
                "2021年以前取得的职称，请按纸质职称证书登记，并填写证书左下方0113开头的证书编号",
                _FIELD,
            )
        return
    if src is RegistrationSource.PAPER:
        raise RuleViolation(
            RuleCode.SCOPE_PAPER_SINCE_2021,
            "2021年以来取得的职称全部采用系统自动编号，请按取得途径（其他职称系统、线下评审、"
            "初定或确认）登记，无需填写证书编号",
            _FIELD,
        )
    if src is RegistrationSource.TITLE_SYSTEM:
        if level_band is Band.GAO:
            # The notice's scope (b) covers only titles from outside the title system.
            raise RuleViolation(
                RuleCode.SCOPE_TITLE_SYSTEM_NOT_REGISTRABLE,
                "在线登记范围为2021年以来职称系统以外（其他职称系统、线下评审、初定、确认）"
                "取得的职称；职称系统评审的证书请在“我的证书”中查看，显示待完善的请按提示完善信息",
                _FIELD,
            )
        raise RuleViolation(
            RuleCode.SCOPE_TITLE_SYSTEM_AUTOMATIC,
            "2021年以来职称系统评审通过的中、初级职称，电子证书已由系统自动生成，无需登记；"
            "显示待完善的，请按提示完善信息（重新上传电子照片并审核通过）后即可生成电子证书",
            _FIELD,
        )


def check_existing_record(existing: ExistingRecord | str | None) -> None:
    """Refuse a second registration of a certificate the registry already holds.

    Raises SCOPE_PENDING_COMPLETION (the record shows 待完善: complete it instead) or
    SCOPE_ALREADY_REGISTERED. ``None`` means nothing exists yet.
    """
    if existing is None:
        return
    if ExistingRecord(existing) is ExistingRecord.PENDING_COMPLETION:
        raise RuleViolation(
            RuleCode.SCOPE_PENDING_COMPLETION,
            "该证书信息已在“我的证书”中并显示待完善，无需再次登记，请按提示完善信息后生成电子证书",
        )
    raise RuleViolation(
        RuleCode.SCOPE_ALREADY_REGISTERED,
        "该证书已登记，请勿重复登记，可在“我的证书”中查看",
    )
