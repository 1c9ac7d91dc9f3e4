"""The rules of the notice, as pure functions on plain values.

Every function here is deterministic: time comes in as ``today=``, reference data as a
``Catalog`` (``schema.reference.catalog.load_catalog()``). A broken rule raises
``RuleViolation`` (stable ``code``, Chinese ``message``, API ``field``); a doubtful value is
accepted with ``RuleWarning`` values returned alongside. ``RuleCode`` lists every code.
"""

from schema.enums import ExistingRecord, RegistrationSource
from schema.rules.approval_document import (
    ApprovalDocument,
    approval_document_warnings,
    normalize_approval_document,
)
from schema.rules.authority import check_authority
from schema.rules.batch import batch_fields, check_against_batch, match_batch
from schema.rules.certificate_number import (
    PaperNumberCheck,
    SystemNumber,
    check_certificate_number,
    format_system_number,
    normalize_certificate_number,
    validate_system_number,
)
from schema.rules.choices import (
    require_level,
    require_series,
    require_validity_scope,
    require_way,
)
from schema.rules.credit_code import credit_code_check_char, normalize_credit_code
from schema.rules.dates import check_dates, parse_date
from schema.rules.errors import RuleCode, RuleViolation, RuleWarning, gather_violations
from schema.rules.id_number import (
    IdNumber,
    Sex,
    is_well_formed_id_number,
    normalize_id_number,
    parse_id_number,
)
from schema.rules.iso7064 import has_valid_mod11_2, mod11_2_check_char
from schema.rules.masking import mask_id_number, mask_mobile, mask_name
from schema.rules.mobile import normalize_mobile
from schema.rules.password import check_password
from schema.rules.person_name import normalize_person_name
from schema.rules.review_body import (
    ReviewBodyCheck,
    check_review_body,
    check_way_level,
    normalize_review_body,
)
from schema.rules.scope import check_existing_record, check_registration_scope
from schema.rules.specialty import SpecialtyChoice, check_specialty
from schema.rules.text import is_storable
from schema.rules.title import TitleMatch, check_title
from schema.rules.title_system import TITLE_SYSTEM_FROM_YEAR

__all__ = [
    "TITLE_SYSTEM_FROM_YEAR",
    "ApprovalDocument",
    "ExistingRecord",
    "IdNumber",
    "PaperNumberCheck",
    "RegistrationSource",
    "ReviewBodyCheck",
    "RuleCode",
    "RuleViolation",
    "RuleWarning",
    "Sex",
    "SpecialtyChoice",
    "SystemNumber",
    "TitleMatch",
    "approval_document_warnings",
    "batch_fields",
    "check_against_batch",
    "check_authority",
    "check_certificate_number",
    "check_dates",
    "check_existing_record",
    "check_password",
    "check_registration_scope",
    "check_review_body",
    "check_specialty",
    "check_title",
    "check_way_level",
    "credit_code_check_char",
    "format_system_number",
    "gather_violations",
    "has_valid_mod11_2",
    "is_storable",
    "is_well_formed_id_number",
    "mask_id_number",
    "mask_mobile",
    "mask_name",
    "match_batch",
    "mod11_2_check_char",
    "normalize_approval_document",
    "normalize_certificate_number",
    "normalize_credit_code",
    "normalize_id_number",
    "normalize_mobile",
    "normalize_person_name",
    "normalize_review_body",
    "parse_date",
    "parse_id_number",
    "require_level",
    "require_series",
    "require_validity_scope",
    "require_way",
    "validate_system_number",
]
