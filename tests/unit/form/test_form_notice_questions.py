"""The notice's nine questions (常见问题解答), one group per question, at the form's level.

Each test names the question it covers; a refusal test asserts the *only* problem it expects,
so it fails for that one reason.
"""

from __future__ import annotations

import pytest
from form_test_support import (
    BIRTH,
    CATALOG,
    DOCUMENT_PAPER_SENIOR,
    DOCUMENT_ZHONG,
    SPECIALTY_LISTED,
    TITLE_PAPER_SENIOR,
    TITLE_ZHONG,
    TODAY,
    complete,
    refusals,
    registered_paper_senior,
    registered_zhong,
    save,
    stored_after,
    warning_codes,
)

from schema.registration_form import STEP_FIELDS, Step, check_complete, missing_fields

# --- Q1: 2021年以来职称系统评审的中初级证书还需要登记吗? ----------------------------------------


def test_q1_title_system_intermediate_is_refused_in_the_title_step() -> None:
    """Q1: 中/初级 from the title system are generated automatically; refused before any date."""
    result = save(Step.TITLE, {**TITLE_ZHONG, "source": "TITLE_SYSTEM"})
    assert refusals(result) == [("SCOPE_TITLE_SYSTEM_AUTOMATIC", "source")]
    assert "无需登记" in result.problems[0].message


def test_q1_title_system_intermediate_is_refused_when_the_2021_date_is_stored() -> None:
    """Q1: TITLE saved after DOCUMENT (obtained 2021) re-checks the scope."""
    stored = save(Step.DOCUMENT, {**DOCUMENT_ZHONG, "obtainedOn": "2021-06-01"}).values
    result = save(Step.TITLE, {**TITLE_ZHONG, "source": "职称系统"}, stored)
    assert refusals(result) == [("SCOPE_TITLE_SYSTEM_AUTOMATIC", "source")]


def test_q1_title_system_senior_is_outside_online_registration() -> None:
    """Scope (b) covers only titles from outside the title system, senior ones included."""
    result = save(Step.TITLE, {**TITLE_PAPER_SENIOR, "source": "TITLE_SYSTEM"})
    assert refusals(result) == [("SCOPE_TITLE_SYSTEM_NOT_REGISTRABLE", "source")]


def test_q1_yubei_committee_intermediate_registers_by_hand() -> None:
    """Q1: intermediate titles of the Yubei committee (not the title system) are registered."""
    assert complete(registered_zhong()).problems == []


def test_q1_pre_2021_title_must_be_registered_as_paper() -> None:
    """Scope (a): before 2021 only paper certificates; another source is refused on ``source``."""
    stored = registered_paper_senior()
    result = save(Step.TITLE, {**TITLE_PAPER_SENIOR, "source": "OTHER_SYSTEM"}, stored)
    assert refusals(result) == [("SCOPE_PRE_2021_NOT_PAPER", "source")]


def test_q1_paper_source_with_a_2021_date_warns_in_document_and_refuses_on_submit() -> None:
    """A DOCUMENT date that contradicts the stored source points back at 职称信息."""
    stored = stored_after((Step.TITLE, {**TITLE_ZHONG, "source": "纸质证书"}))
    result = save(Step.DOCUMENT, DOCUMENT_ZHONG, stored)
    assert result.ok, result.problems
    assert ("SCOPE_PAPER_SINCE_2021", "source") in warning_codes(result)
    assert "职称信息" in next(w.message for w in result.warnings if w.field == "source")
    stored.update(result.values)
    stored.update(save(Step.SPECIALTY, SPECIALTY_LISTED, stored).values)
    assert refusals(complete(stored)) == [("SCOPE_PAPER_SINCE_2021", "source")]


# --- Q2: 需要登记哪些信息? -----------------------------------------------------------------------


def test_q2_submission_asks_for_every_item_of_the_notice() -> None:
    """Q2: 批准文号, 取得时间, 证书编号 (paper), 审批机关, 评审机构, 职称专业 … each required."""
    result = complete({"source": "PAPER"})
    assert refusals(result) == [
        ("LEVEL_REQUIRED", "level"),
        ("SERIES_REQUIRED", "series"),
        ("TITLE_REQUIRED", "titleName"),
        ("WAY_OBTAINED_REQUIRED", "wayObtained"),
        ("APPROVAL_DOCUMENT_REQUIRED", "approvalDocument"),
        ("OBTAINED_ON_REQUIRED", "obtainedOn"),
        ("ISSUED_ON_REQUIRED", "issuedOn"),
        ("CERTIFICATE_NUMBER_REQUIRED", "certificateNumber"),
        ("AUTHORITY_REQUIRED", "authority"),
        ("REVIEW_BODY_REQUIRED", "reviewBody"),
        ("VALIDITY_SCOPE_REQUIRED", "validityScope"),
        ("SPECIALTY_REQUIRED", "specialty"),
    ]


def test_q2_a_step_save_requires_only_its_own_fields() -> None:
    """The wizard's “下一步”: DOCUMENT saved empty names only DOCUMENT fields."""
    stored = stored_after((Step.TITLE, TITLE_ZHONG))
    result = save(Step.DOCUMENT, {}, stored)
    assert {field for _, field in refusals(result)} <= set(STEP_FIELDS[Step.DOCUMENT])
    assert refusals(result) == [
        ("APPROVAL_DOCUMENT_REQUIRED", "approvalDocument"),
        ("OBTAINED_ON_REQUIRED", "obtainedOn"),
        ("ISSUED_ON_REQUIRED", "issuedOn"),
        ("AUTHORITY_REQUIRED", "authority"),
        ("REVIEW_BODY_REQUIRED", "reviewBody"),
        ("VALIDITY_SCOPE_REQUIRED", "validityScope"),
    ]


# --- Q3: 取得时间和发证时间如何填写? --------------------------------------------------------------


@pytest.fixture
def title_saved() -> dict[str, object]:
    return stored_after((Step.TITLE, TITLE_ZHONG))


def test_q3_obtained_after_issued_is_refused(title_saved: dict[str, object]) -> None:
    """Q3: 取得时间 (committee passed) cannot be later than 发证时间 (document issued)."""
    submitted = {**DOCUMENT_ZHONG, "obtainedOn": "2022-10-16", "issuedOn": "2022-10-15"}
    assert refusals(save(Step.DOCUMENT, submitted, title_saved)) == [
        ("OBTAINED_AFTER_ISSUED", "obtainedOn")
    ]


def test_q3_same_day_is_accepted(title_saved: dict[str, object]) -> None:
    """Q3: a document issued the day the committee passed the title is possible."""
    submitted = {**DOCUMENT_ZHONG, "obtainedOn": "2022-10-15", "issuedOn": "2022-10-15"}
    assert save(Step.DOCUMENT, submitted, title_saved).ok


def test_q3_issue_date_in_the_future_is_refused(title_saved: dict[str, object]) -> None:
    """Dates come from a document already issued: not after ``today``."""
    submitted = {**DOCUMENT_ZHONG, "issuedOn": "2024-06-02"}
    assert refusals(save(Step.DOCUMENT, submitted, title_saved)) == [("DATE_IN_FUTURE", "issuedOn")]


def test_q3_obtained_before_adulthood_is_refused(title_saved: dict[str, object]) -> None:
    """A title obtained before the holder turned 18 is implausible (birth date from the ID)."""
    result = save(Step.DOCUMENT, DOCUMENT_ZHONG, title_saved, birth_date=BIRTH.replace(year=2005))
    assert refusals(result) == [("OBTAINED_BEFORE_ADULTHOOD", "obtainedOn")]


def test_q3_unreadable_date_is_refused(title_saved: dict[str, object]) -> None:
    """Dates are ``YYYY-MM-DD``."""
    submitted = {**DOCUMENT_ZHONG, "issuedOn": "2022年10月15日"}
    assert refusals(save(Step.DOCUMENT, submitted, title_saved)) == [("DATE_FORMAT", "issuedOn")]


def test_q3_document_year_unlike_issue_year_is_a_warning(title_saved: dict[str, object]) -> None:
    """The document number's year normally is the issue date's year: warned, not refused."""
    submitted = {**DOCUMENT_ZHONG, "approvalDocument": "渝北职改办〔2021〕30号"}
    result = save(Step.DOCUMENT, submitted, title_saved)
    assert result.ok, result.problems
    assert warning_codes(result) == [("APPROVAL_DOCUMENT_YEAR_MISMATCH", "approvalDocument")]


# --- Q4: 2021年以来取得的职称还未进行编号如何登记? -----------------------------------------------


def test_q4_number_for_a_2021_title_is_refused(title_saved: dict[str, object]) -> None:
    """Q4: from 2021 the system numbers the certificate; a typed number is refused."""
    submitted = {**DOCUMENT_ZHONG, "certificateNumber": "01132022000001"}
    assert refusals(save(Step.DOCUMENT, submitted, title_saved)) == [
        ("CERTIFICATE_NUMBER_NOT_ALLOWED", "certificateNumber")
    ]


def test_q4_no_number_for_a_2021_title_is_stored_empty(title_saved: dict[str, object]) -> None:
    """Q4: nothing to type; the column stays empty until approval assigns a number."""
    result = save(Step.DOCUMENT, DOCUMENT_ZHONG, title_saved)
    assert result.ok and result.values["certificate_number"] is None


@pytest.fixture
def paper_title_saved() -> dict[str, object]:
    return stored_after((Step.TITLE, TITLE_PAPER_SENIOR))


def test_q4_paper_title_without_number_is_refused(paper_title_saved: dict[str, object]) -> None:
    """Q4: before 2021 the paper certificate's number is required."""
    submitted = {**DOCUMENT_PAPER_SENIOR, "certificateNumber": None}
    assert refusals(save(Step.DOCUMENT, submitted, paper_title_saved)) == [
        ("CERTIFICATE_NUMBER_REQUIRED", "certificateNumber")
    ]


def test_q4_paper_number_must_start_with_0113(paper_title_saved: dict[str, object]) -> None:
    """Q4: the paper number (bottom left) begins with 0113."""
    submitted = {**DOCUMENT_PAPER_SENIOR, "certificateNumber": "0213-2019-0042"}
    assert refusals(save(Step.DOCUMENT, submitted, paper_title_saved)) == [
        ("CERTIFICATE_NUMBER_PREFIX", "certificateNumber")
    ]


def test_q4_other_number_format_option_registers_a_non_0113_number_for_review(
    paper_title_saved: dict[str, object],
) -> None:
    """The refusal tells the person to tick 证书为其他编号格式: the option exists, the number
    is kept and the reviewer is warned to check it against the paper certificate."""
    refused = save(
        Step.DOCUMENT, {**DOCUMENT_PAPER_SENIOR, "certificateNumber": "JS2018-00123"},
        paper_title_saved,
    )  # fmt: skip
    assert "证书为其他编号格式" in refused.problems[0].message
    result = save(
        Step.DOCUMENT,
        {**DOCUMENT_PAPER_SENIOR, "certificateNumber": "JS2018-00123", "otherNumberFormat": True},
        paper_title_saved,
    )
    assert result.ok, result.problems
    assert (result.values["certificate_number"], result.values["other_number_format"]) == (
        "JS201800123",
        True,
    )
    assert warning_codes(result) == [("CERTIFICATE_NUMBER_OTHER_FORMAT", "certificateNumber")]


def test_q4_too_short_paper_number_is_refused(paper_title_saved: dict[str, object]) -> None:
    """A bare 0113 prefix is not a number."""
    submitted = {**DOCUMENT_PAPER_SENIOR, "certificateNumber": "0113-9"}
    assert refusals(save(Step.DOCUMENT, submitted, paper_title_saved)) == [
        ("CERTIFICATE_NUMBER_FORMAT", "certificateNumber")
    ]


def test_q4_paper_number_is_normalised(paper_title_saved: dict[str, object]) -> None:
    """Spaces, hyphens and case do not matter: stored compact and upper-case."""
    submitted = {**DOCUMENT_PAPER_SENIOR, "certificateNumber": "０１１３-2019 ab12"}
    result = save(Step.DOCUMENT, submitted, paper_title_saved)
    assert result.ok, result.problems
    assert result.values["certificate_number"] == "01132019AB12"


def test_q4_a_later_2021_date_makes_a_stored_number_refused_on_submit() -> None:
    """Changing the date to 2021 leaves no room for the stored paper number."""
    stored = registered_paper_senior()
    stored["obtained_on"] = stored["obtained_on"].replace(year=2021)
    stored["issued_on"] = stored["issued_on"].replace(year=2021)
    assert ("CERTIFICATE_NUMBER_NOT_ALLOWED", "certificateNumber") in refusals(complete(stored))


# --- Q5: 审批机关如何选择? -----------------------------------------------------------------------


def test_q5_senior_authority_is_fixed_without_choosing(
    paper_title_saved: dict[str, object],
) -> None:
    """Q5: 高级 → 重庆市人力资源和社会保障局(重庆市职称改革办公室), the client sends nothing."""
    result = save(Step.DOCUMENT, DOCUMENT_PAPER_SENIOR, paper_title_saved)
    assert result.ok, result.problems
    assert result.values["authority_code"] == CATALOG.municipal_authority.code


def test_q5_senior_authority_cannot_be_overridden(paper_title_saved: dict[str, object]) -> None:
    """Q5: a senior title with a district bureau is refused, not silently replaced."""
    submitted = {**DOCUMENT_PAPER_SENIOR, "authority": "渝北区人力资源和社会保障局"}
    assert refusals(save(Step.DOCUMENT, submitted, paper_title_saved)) == [
        ("AUTHORITY_FIXED_FOR_SENIOR", "authority")
    ]


def test_q5_senior_may_name_the_fixed_authority(paper_title_saved: dict[str, object]) -> None:
    """Sending the fixed bureau itself (as the list shows it) is accepted."""
    submitted = {
        **DOCUMENT_PAPER_SENIOR,
        "authority": "重庆市人力资源和社会保障局(重庆市职称改革办公室)",
    }
    result = save(Step.DOCUMENT, submitted, paper_title_saved)
    assert result.ok and result.values["authority_code"] == "MUNICIPAL"


@pytest.mark.parametrize(
    ("typed", "code"),
    [("渝北区职改办", "500112"), ("市教委职改办", "DEPT_EDU"), ("500112", "500112")],
)
def test_q5_title_office_aliases_resolve(
    title_saved: dict[str, object], typed: str, code: str
) -> None:
    """Q5: 渝北区职改办 → 渝北区人力资源和社会保障局; 市教委职改办 → 市教委."""
    result = save(Step.DOCUMENT, {**DOCUMENT_ZHONG, "authority": typed}, title_saved)
    assert result.ok, result.problems
    assert result.values["authority_code"] == code


def test_q5_intermediate_needs_an_authority(title_saved: dict[str, object]) -> None:
    """Q5: 中初级 choose by personnel jurisdiction; empty is refused."""
    submitted = {**DOCUMENT_ZHONG, "authority": ""}
    assert refusals(save(Step.DOCUMENT, submitted, title_saved)) == [
        ("AUTHORITY_REQUIRED", "authority")
    ]


def test_q5_intermediate_cannot_pick_the_senior_bureau(title_saved: dict[str, object]) -> None:
    """The municipal bureau approves senior titles only."""
    submitted = {**DOCUMENT_ZHONG, "authority": "重庆市职改办"}
    assert refusals(save(Step.DOCUMENT, submitted, title_saved)) == [
        ("AUTHORITY_LEVEL_MISMATCH", "authority")
    ]


def test_q5_unknown_authority_is_refused(title_saved: dict[str, object]) -> None:
    """Only listed authorities (or their aliases)."""
    submitted = {**DOCUMENT_ZHONG, "authority": "火星区人社局"}
    assert refusals(save(Step.DOCUMENT, submitted, title_saved)) == [
        ("AUTHORITY_UNKNOWN", "authority")
    ]


def test_q5_raising_the_level_to_senior_replaces_the_authority() -> None:
    """TITLE changed to 高级 after DOCUMENT: the authority is derived again, not kept."""
    stored = registered_zhong()
    submitted = {**TITLE_ZHONG, "level": "副高级", "titleName": "高级工程师"}
    result = save(Step.TITLE, submitted, stored)
    assert result.ok, result.problems
    assert result.values["authority_code"] == "MUNICIPAL"


# --- Q6: 评审机构如何填写? -----------------------------------------------------------------------


def _title(way: str, level: str = "中级", title: str = "工程师") -> dict[str, object]:
    source = {"初定": "OFFLINE_INITIAL", "确认": "OFFLINE_CONFIRMATION"}.get(way, "OFFLINE_REVIEW")
    return {**TITLE_ZHONG, "wayObtained": way, "level": level, "titleName": title, "source": source}


def test_q6_review_is_the_committee_brackets_normalised(title_saved: dict[str, object]) -> None:
    """Q6: 评审 → the committee; (内科) and （内科） are the same name."""
    submitted = {**DOCUMENT_ZHONG, "reviewBody": "重庆市卫生技术(内科)中级职称评审委员会"}
    result = save(Step.DOCUMENT, submitted, title_saved)
    assert result.ok, result.problems
    assert result.values["review_body"] == "重庆市卫生技术（内科）中级职称评审委员会"


def test_q6_review_without_a_committee_is_refused(title_saved: dict[str, object]) -> None:
    """Q6: 评审 needs the committee named in the approval document."""
    submitted = {**DOCUMENT_ZHONG, "reviewBody": " "}
    assert refusals(save(Step.DOCUMENT, submitted, title_saved)) == [
        ("REVIEW_BODY_REQUIRED", "reviewBody")
    ]


def test_q6_initial_determination_defaults_to_the_authority() -> None:
    """Q6: 初定 → the approving authority itself, filled when left empty."""
    stored = stored_after((Step.TITLE, _title("初定", "助理级", "助理工程师")))
    submitted = {**DOCUMENT_ZHONG, "authority": "万州区职改办", "reviewBody": ""}
    result = save(Step.DOCUMENT, submitted, stored)
    assert result.ok, result.problems
    assert result.values["review_body"] == "万州区人力资源和社会保障局"


def test_q6_initial_determination_accepts_the_title_office() -> None:
    """Q6: 渝中区职称改革办公室 is the authority's own title office."""
    stored = stored_after((Step.TITLE, _title("初定", "助理级", "助理工程师")))
    submitted = {**DOCUMENT_ZHONG, "authority": "渝中区", "reviewBody": "渝中区职称改革办公室"}
    assert save(Step.DOCUMENT, submitted, stored).ok


def test_q6_initial_determination_with_a_committee_is_refused() -> None:
    """Q6: 初定 is not reviewed by a committee: the authority must be the review body."""
    stored = stored_after((Step.TITLE, _title("初定", "助理级", "助理工程师")))
    assert refusals(save(Step.DOCUMENT, DOCUMENT_ZHONG, stored)) == [
        ("REVIEW_BODY_MISMATCH", "reviewBody")
    ]


def test_q6_senior_confirmation_is_the_municipal_title_office() -> None:
    """Q6: 高级职称的评审机构请填写重庆市职称改革办公室 — the default for 确认."""
    stored = stored_after((Step.TITLE, _title("确认", "副高级", "高级工程师")))
    submitted = {**DOCUMENT_ZHONG, "authority": None, "reviewBody": None}
    result = save(Step.DOCUMENT, submitted, stored)
    assert result.ok, result.problems
    assert result.values["review_body"] == "重庆市职称改革办公室"


def test_q6_senior_confirmation_with_the_bureau_name_is_refused() -> None:
    """Q6 names the title office for senior titles, not the bureau."""
    stored = stored_after((Step.TITLE, _title("确认", "副高级", "高级工程师")))
    submitted = {**DOCUMENT_ZHONG, "authority": None, "reviewBody": "重庆市人力资源和社会保障局"}
    assert refusals(save(Step.DOCUMENT, submitted, stored)) == [
        ("REVIEW_BODY_MISMATCH", "reviewBody")
    ]


def test_q6_initial_determination_of_a_senior_title_is_refused() -> None:
    """初定 yields 中/初级 only (way × level), refused on ``wayObtained``."""
    result = save(Step.TITLE, _title("初定", "副高级", "高级工程师"))
    assert refusals(result) == [("WAY_LEVEL_MISMATCH", "wayObtained")]


def test_q6_changing_the_way_flags_the_stored_review_body() -> None:
    """TITLE changed to 初定 after DOCUMENT: the stored committee now points back at 批准文件."""
    stored = registered_zhong()
    result = save(Step.TITLE, _title("初定", "助理级", "助理工程师"), stored)
    assert result.ok, result.problems
    assert ("REVIEW_BODY_MISMATCH", "reviewBody") in warning_codes(result)
    stored.update(result.values)
    assert refusals(complete(stored)) == [("REVIEW_BODY_MISMATCH", "reviewBody")]


# --- Q7: 评审专业如何填写? -----------------------------------------------------------------------


def test_q7_listed_specialty_is_stored_as_its_code(title_saved: dict[str, object]) -> None:
    """Q7: a listed specialty is chosen; 本地评审专业 stays empty."""
    result = save(Step.SPECIALTY, SPECIALTY_LISTED, title_saved)
    assert result.ok, result.problems
    assert result.values == {"specialty": "05-001", "local_specialty": None}


def test_q7_other_with_local_specialty(title_saved: dict[str, object]) -> None:
    """Q7: not in the list → 其他 + the specialty the committee passed."""
    submitted = {"specialty": "其他", "localSpecialty": " 建筑 施工 "}
    result = save(Step.SPECIALTY, submitted, title_saved)
    assert result.ok, result.problems
    assert result.values == {"specialty": "05-999", "local_specialty": "建筑施工"}


def test_q7_other_without_local_specialty_is_refused(title_saved: dict[str, object]) -> None:
    """Q7: 其他 needs 本地评审专业."""
    result = save(Step.SPECIALTY, {"specialty": "其他", "localSpecialty": ""}, title_saved)
    assert refusals(result) == [("LOCAL_SPECIALTY_REQUIRED", "localSpecialty")]


def test_q7_local_specialty_without_other_is_refused(title_saved: dict[str, object]) -> None:
    """Q7: with a listed specialty, 本地评审专业 must stay empty."""
    result = save(Step.SPECIALTY, {"specialty": "建筑工程", "localSpecialty": "结构"}, title_saved)
    assert refusals(result) == [("LOCAL_SPECIALTY_NOT_ALLOWED", "localSpecialty")]


def test_q7_listed_name_typed_as_local_is_refused(title_saved: dict[str, object]) -> None:
    """Q7: a listed specialty must be chosen from the list, not typed under 其他."""
    result = save(Step.SPECIALTY, {"specialty": "其他", "localSpecialty": "测绘"}, title_saved)
    assert refusals(result) == [("LOCAL_SPECIALTY_LISTED", "localSpecialty")]


def test_q7_unlisted_specialty_is_refused(title_saved: dict[str, object]) -> None:
    """Only the series' list (or 其他)."""
    result = save(Step.SPECIALTY, {"specialty": "内科"}, title_saved)
    assert refusals(result) == [("SPECIALTY_UNKNOWN", "specialty")]


def test_q7_changing_the_series_flags_the_stored_specialty() -> None:
    """TITLE changed to another series after SPECIALTY: the specialty must be chosen again."""
    stored = registered_zhong()
    submitted = {**TITLE_ZHONG, "series": "会计", "titleName": "会计师"}
    result = save(Step.TITLE, submitted, stored)
    assert result.ok, result.problems
    assert ("SPECIALTY_UNKNOWN", "specialty") in warning_codes(result)


# --- Q8: 已有证书信息并显示待完善，如何处理? ------------------------------------------------------


def test_q8_pending_record_lists_exactly_what_is_missing() -> None:
    """Q8: a bulk-loaded record shows 待完善 with the fields still to complete."""
    loaded = registered_zhong()
    for column in ("authority_code", "review_body", "specialty"):
        loaded[column] = None
    assert missing_fields(loaded, catalog=CATALOG) == ["authority", "reviewBody", "specialty"]


def test_q8_completing_the_steps_empties_the_list() -> None:
    """Q8: completing the flagged steps is all it takes; submission then passes."""
    loaded = registered_zhong()
    for column in ("authority_code", "review_body", "specialty"):
        loaded[column] = None
    for step, submitted in ((Step.DOCUMENT, DOCUMENT_ZHONG), (Step.SPECIALTY, SPECIALTY_LISTED)):
        result = save(step, submitted, loaded)
        assert result.ok, result.problems
        loaded.update(result.values)
    assert missing_fields(loaded, catalog=CATALOG) == []
    assert complete(loaded).ok


def test_q8_paper_record_without_a_date_still_needs_its_number() -> None:
    """A paper certificate is a pre-2021 title: its number is missing even before the date."""
    assert "certificateNumber" in missing_fields({"source": "PAPER"}, catalog=CATALOG)


def test_q8_senior_and_initial_determination_defaults_are_not_missing() -> None:
    """Derived fields (senior authority, 确认 review body) are never asked for."""
    stored = {"source": "OFFLINE_CONFIRMATION", "level": "FU_GAO", "way_obtained": "QR"}
    missing = missing_fields(stored, catalog=CATALOG)
    assert "authority" not in missing and "reviewBody" not in missing


# --- Q9: 证书信息有误如何申请更正? ----------------------------------------------------------------


def test_q9_clean_values_are_stable_so_a_correction_shows_only_real_changes() -> None:
    """Q9: corrections compare canonical values; re-checking them changes nothing."""
    first = complete(registered_paper_senior())
    again = check_complete(first.values, catalog=CATALOG, today=TODAY, birth_date=BIRTH)
    assert again.ok and again.values == first.values


def test_q9_another_spelling_of_the_same_document_is_no_change() -> None:
    """渝职改办[2019]第150号 and 渝职改办〔2019〕150号 are one document number."""
    stored = stored_after((Step.TITLE, TITLE_PAPER_SENIOR))
    typed = {**DOCUMENT_PAPER_SENIOR, "approvalDocument": "渝职改办[2019]第150号"}
    result = save(Step.DOCUMENT, typed, stored)
    assert result.ok, result.problems
    assert result.values["approval_document"] == "渝职改办〔2019〕150号"
    assert result.values["approval_document_raw"] == "渝职改办[2019]第150号"
