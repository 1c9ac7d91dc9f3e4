"""schema.enums is the one home of every enumeration and its Chinese label.

Every member has a Chinese label, the stored values have not moved, no other module keeps a
copy of a label, and what clients read (GraphQL label fields, the verification page, the
collection report) is the member's ``label``: relabelling a member relabels every client.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

import pytest

import schema.enums as enums
from schema.enums import (
    AuditAction,
    CertificateStatus,
    ImportKind,
    ImportOutcome,
    ImportStatus,
    LabelledEnum,
    Provenance,
    RegistrationSource,
    RegistrationStatus,
    Role,
    SigningKeyState,
    VerificationState,
)

ROOT = Path(__file__).resolve().parents[2]
_CJK = re.compile(r"[\u4e00-\u9fff]")
ALL_ENUMS: list[type[LabelledEnum]] = [
    obj
    for obj in vars(enums).values()
    if inspect.isclass(obj) and issubclass(obj, LabelledEnum) and obj is not LabelledEnum
]
NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def _members() -> Iterator[LabelledEnum]:
    for enum_type in ALL_ENUMS:
        yield from enum_type


def test_every_enum_is_exported_and_labelled() -> None:
    assert {e.__name__ for e in ALL_ENUMS} <= set(enums.__all__)
    assert len(ALL_ENUMS) >= 15
    for member in _members():
        assert member.label.strip(), member
        assert _CJK.search(member.label), f"{member!r} has no Chinese label"


def test_labels_are_distinct_within_each_enum() -> None:
    for enum_type in ALL_ENUMS:
        labels = [m.label for m in enum_type]
        assert len(set(labels)) == len(labels), enum_type


def test_stored_values_did_not_move() -> None:
    # Values are in the database, the signed claims, audit rows and the GraphQL schema.
    assert Role.APPLICANT == "applicant"
    assert RegistrationSource.TITLE_SYSTEM.value == "TITLE_SYSTEM"
    assert enums.ReferenceSource.FILE.value == "file"
    assert AuditAction.LOGIN_SUCCEEDED.value == "session.login"
    assert AuditAction.TITLE_STEP_SAVED.value == "registration.step.title"
    assert str(CertificateStatus.VALID) == "VALID" and f"{Provenance.NATIVE}" == "NATIVE"
    assert ImportOutcome("REFUSED") is ImportOutcome.REFUSED


def test_label_of_a_stored_value() -> None:
    assert AuditAction.label_of("certificate.revoked") == "撤销证书"
    assert AuditAction.label_of("some.retired_action") == "some.retired_action"  # old rows
    assert Provenance.label_of("PAPER") == "纸质证书登记"


# --------------------------------------------------------------------------- no second home


def _sources() -> Iterator[Path]:
    for package in ("schema", "graphql_api", "verify_page"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts and path != ROOT / "schema" / "enums.py":
                yield path


def _key_members(node: ast.expr | None) -> list[LabelledEnum]:
    """The members a dict key may name: ``RegistrationStatus.DRAFT``, or a value (``"PAPER"``
    is a value of several enums)."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        by_name = {e.__name__: e for e in ALL_ENUMS}
        enum_type = by_name.get(node.value.id)
        member = enum_type.__members__.get(node.attr) if enum_type else None
        return [member] if member is not None else []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [e(node.value) for e in ALL_ENUMS if node.value in e._value2member_map_]
    return []


def _label_copies(source: str) -> list[str]:
    copies = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Dict):
            continue
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                copies += [
                    f"{node.lineno}:{m!r}" for m in _key_members(key) if m.label == value.value
                ]
    return copies


def test_no_label_table_outside_schema_enums() -> None:
    copies = {
        str(path.relative_to(ROOT)): found
        for path in _sources()
        if (found := _label_copies(path.read_text(encoding="utf-8")))
    }
    assert copies == {}


def test_a_label_table_would_be_found() -> None:
    assert _label_copies('_NAMES = {"PAPER": "纸质证书登记", "OTHER": "其他"}') == [
        "1:<Provenance.PAPER: 'PAPER'>"
    ]
    assert len(_label_copies("X = {ImportStatus.DONE: '已完成', ImportStatus.FAILED: '失败'}")) == 2


def test_audit_actions_are_never_literals() -> None:
    literal = re.compile(r"""\baction\s*=\s*["'][a-z_]+\.""")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in _sources()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if literal.search(line)
    ]
    assert found == []


def test_enum_classes_live_in_schema_enums() -> None:
    # Error and rule codes (RuleCode, FormCode, FileCode …) and the catalog's own kinds stay
    # with their module: they carry messages or reference data, not labels.
    labelled_elsewhere = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(b, ast.Name) and b.id == "LabelledEnum" for b in node.bases
            ):
                labelled_elsewhere.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert labelled_elsewhere == []
    for name in ("RegistrationStatus", "CertificateStatus", "ImportKind", "AuditAction"):
        assert getattr(enums, name).__module__ == "schema.enums"


# --------------------------------------------------------------------------- what clients read


@pytest.fixture
def relabelled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every member relabelled ``标签<NAME>``: whatever a client shows must follow."""
    for member in _members():
        monkeypatch.setattr(member, "_label", f"标签{member.name}")


def _is_relabelled(text: str | None, member: Enum) -> bool:
    return text == f"标签{member.name}"


@pytest.mark.usefixtures("relabelled")
def test_graphql_label_fields_read_schema_enums() -> None:
    from graphql_api.queries.signing_keys import SigningKeyType
    from graphql_api.types.certificate_views import (
        CertificateVerificationType,
        IssuedCertificateViewType,
    )
    from graphql_api.types.imports import ImportJobType, ImportReportLineType
    from graphql_api.types.registration import AuditEntryType, RegistrationType
    from schema.collection import ReportLine
    from schema.models import AuditRecord, ImportJob, Registration, SigningKey
    from schema.reference.catalog import load_catalog
    from schema.services.holder_certificates import HolderQr
    from schema.services.verification import VerificationOutcome

    job = ImportJob(
        public_id="j1",
        kind=ImportKind.HISTORICAL,
        status=ImportStatus.RUNNING,
        file_name="a.csv",
        file_sha256="0" * 64,
        created_at=NOW,
    )
    job_type = ImportJobType.from_model(job, now=NOW)
    assert _is_relabelled(job_type.kind_label, ImportKind.HISTORICAL)
    assert _is_relabelled(job_type.status_label, ImportStatus.RUNNING)

    line = ImportReportLineType.from_line(ReportLine(2, None, ImportOutcome.REFUSED, "X", "x"))
    assert _is_relabelled(line.outcome_label, ImportOutcome.REFUSED)

    record = AuditRecord(
        at=NOW,
        actor_role=Role.REVIEWER,
        action=AuditAction.CERTIFICATE_REVOKED.value,
        entity_type="certificate",
        entity_id="C1",
    )
    entry = AuditEntryType.from_model(record)
    assert _is_relabelled(entry.action_label, AuditAction.CERTIFICATE_REVOKED)
    assert _is_relabelled(entry.actor_role_label, Role.REVIEWER)

    reg = Registration(
        public_id="r1",
        holder_id_hmac="h",
        holder_name="张三",
        status=RegistrationStatus.SUBMITTED,
        source=RegistrationSource.PAPER,
        missing=[],
        warnings=[],
        created_at=NOW,
        updated_at=NOW,
    )
    reg_type = RegistrationType.from_model(reg, load_catalog())
    assert _is_relabelled(reg_type.status_label, RegistrationStatus.SUBMITTED)

    qr = HolderQr(
        cert_id="C1",
        version=1,
        status=CertificateStatus.REVOKED,
        verification_url="https://v.example/V/C1/X",
        check_code="ABCD",
        qr_png=b"",
        qr_svg=b"<svg/>",
        qr_png_sha256="0" * 64,
        qr_svg_sha256="1" * 64,
    )
    assert _is_relabelled(IssuedCertificateViewType.of(qr).status_label, CertificateStatus.REVOKED)

    outcome = VerificationOutcome(state=VerificationState.UNVERIFIABLE, checked_at=NOW)
    verdict = CertificateVerificationType.of(outcome)
    assert _is_relabelled(verdict.state_label, VerificationState.UNVERIFIABLE)

    key = SigningKey(kid="k1", not_before=NOW, created_at=NOW, public_key=b"")
    key_type = SigningKeyType.of(key, now=NOW, current_kid="k1")
    assert _is_relabelled(key_type.state_label, SigningKeyState.ACTIVE)


@pytest.mark.usefixtures("relabelled")
def test_verify_page_and_report_read_schema_enums() -> None:
    from schema.collection import ReportLine, report_csv
    from schema.services.verification import VerificationOutcome
    from tests.support.public_certificates import sample_public_certificate
    from verify_page.presenter import render_outcome, to_json

    outcome = VerificationOutcome(state=VerificationState.UNVERIFIABLE, checked_at=NOW)
    assert to_json(outcome)["stateLabel"] == "标签UNVERIFIABLE"
    assert "标签UNVERIFIABLE" in render_outcome(outcome)

    cert = sample_public_certificate(signed_at=NOW, has_photo=False, check_code="ABCD")
    valid = VerificationOutcome(state=VerificationState.VALID, checked_at=NOW, certificate=cert)
    page = render_outcome(valid)
    assert "标签VALID" in page and "标签PAPER" in page
    assert to_json(valid)["certificate"]["provenance"] == {"code": "PAPER", "name": "标签PAPER"}

    report = report_csv([ReportLine(3, None, ImportOutcome.EXISTING, "DUP", "已登记")])
    assert "标签EXISTING" in report.decode("utf-8-sig")
