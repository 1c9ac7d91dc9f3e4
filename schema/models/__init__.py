"""Tortoise models. Every model module is imported here so Tortoise discovers it."""

from schema.models.accounts import Account, LoginBackoff, LoginThrottle, OneTimeCode, Session
from schema.models.audit import AuditChainHead, AuditRecord
from schema.models.certificates import (
    Certificate,
    CertificateNumberSeq,
    CertificateStatus,
    CorrectionRequest,
    CorrectionStatus,
    IssuedNumber,
    Provenance,
    StatusList,
)
from schema.models.documents import (
    BatchStatus,
    CertificateFile,
    CredentialRole,
    DocumentBatch,
    DocumentCredential,
    DocumentKind,
)
from schema.models.employers import Employer, VerificationBatch
from schema.models.imports import ImportIssue, ImportJob, ImportKind, ImportOutcome, ImportStatus
from schema.models.reference import ReferenceEntry
from schema.models.registrations import (
    Registration,
    RegistrationKey,
    RegistrationStatus,
)
from schema.models.signing_keys import KeyReissueJob, SigningKey, TrustRootKey

__all__ = [
    "Account",
    "AuditChainHead",
    "AuditRecord",
    "BatchStatus",
    "Certificate",
    "CertificateFile",
    "CertificateNumberSeq",
    "CertificateStatus",
    "CorrectionRequest",
    "CorrectionStatus",
    "CredentialRole",
    "DocumentBatch",
    "DocumentCredential",
    "DocumentKind",
    "Employer",
    "ImportIssue",
    "ImportJob",
    "ImportKind",
    "ImportOutcome",
    "ImportStatus",
    "IssuedNumber",
    "KeyReissueJob",
    "LoginBackoff",
    "LoginThrottle",
    "OneTimeCode",
    "Provenance",
    "ReferenceEntry",
    "Registration",
    "RegistrationKey",
    "RegistrationStatus",
    "Session",
    "SigningKey",
    "StatusList",
    "TrustRootKey",
    "VerificationBatch",
]
