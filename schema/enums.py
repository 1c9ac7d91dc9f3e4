"""Enumerations shared by models, services and the API: one source of truth, Chinese labels."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["AuditAction", "Role"]


class Role(StrEnum):
    APPLICANT = "applicant"
    REVIEWER = "reviewer"
    SIGNER = "signer"
    IMPORTER = "importer"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    Role.APPLICANT: "专业技术人员",
    Role.REVIEWER: "审批机关审核人员",
    Role.SIGNER: "签章管理员",
    Role.IMPORTER: "数据归集人员",
    Role.ADMIN: "系统管理员",
}

STAFF_ROLES = frozenset({Role.REVIEWER, Role.SIGNER, Role.IMPORTER, Role.ADMIN})


class AuditAction(StrEnum):
    ACCOUNT_REGISTERED = "account.registered"
    STAFF_CREATED = "account.staff_created"
    LOGIN_SUCCEEDED = "session.login"
    LOGIN_FAILED = "session.login_failed"
    LOGGED_OUT = "session.logout"
    PASSWORD_CHANGED = "account.password_changed"  # noqa: S105 (an action name)
