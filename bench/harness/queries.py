"""The GraphQL documents the bench sends, written against the public schema
(``schema.graphql``) only, so optimisations behind it do not break the harness."""

from __future__ import annotations

__all__ = [
    "APPROVE",
    "CERTIFICATE_FIELDS",
    "LOGIN",
    "MY_CERTIFICATES",
    "REFERENCE",
    "REFERENCE_AUTHORITY_FIELDS",
    "REFERENCE_LEVEL_FIELDS",
]

# 15 fields of Certificate, as the holder's list shows them.
CERTIFICATE_FIELDS: tuple[str, ...] = (
    "certId",
    "number",
    "version",
    "status",
    "statusLabel",
    "holderName",
    "holderIdMasked",
    "level",
    "levelName",
    "series",
    "seriesName",
    "titleName",
    "specialty",
    "obtainedOn",
    "issuedOn",
)
MY_CERTIFICATES = (
    "query MyCertificates { myCertificates(first: 1) { edges { cursor node { "
    + " ".join(CERTIFICATE_FIELDS)
    + " } } } }"
)

# What the registration form's level and authority selectors read.
REFERENCE_LEVEL_FIELDS: tuple[str, ...] = ("code", "name", "bandName", "digit", "isSenior")
REFERENCE_AUTHORITY_FIELDS: tuple[str, ...] = (
    "code",
    "kind",
    "name",
    "displayName",
    "shortName",
    "aliases",
    "fixedForSenior",
    "reviewBodyName",
)
REFERENCE = (
    "query Reference { reference { levels { "
    + " ".join(REFERENCE_LEVEL_FIELDS)
    + " } authorities { "
    + " ".join(REFERENCE_AUTHORITY_FIELDS)
    + " } } }"
)

LOGIN = """mutation Login($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on LoginSuccess { token }
    ... on UserErrors { errors { code message } }
  }
}"""

APPROVE = """mutation Approve($id: ID!) {
  approveRegistration(input: {id: $id}) {
    __typename
    ... on ApproveRegistrationSuccess { certificate { certId } }
    ... on UserErrors { errors { code message } }
  }
}"""
