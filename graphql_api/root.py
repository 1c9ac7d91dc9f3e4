"""The Strawberry schema (named root.py so it is not confused with the schema/ package)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import strawberry
from strawberry.extensions import DisableIntrospection
from strawberry.tools import merge_types

from graphql_api.document_cache import DocumentCache
from graphql_api.errors import DomainErrorHandler, ErrorCodeExtension, query_too_complex
from graphql_api.input_text import UnstorableTextGuard
from graphql_api.mutations.accounts import AccountMutations
from graphql_api.mutations.corrections import (
    CorrectionDecisionMutations,
    CorrectionRequestMutations,
)
from graphql_api.mutations.document_batches import DocumentBatchMutations
from graphql_api.mutations.imports import ImportMutations
from graphql_api.mutations.reference import ReferenceMutations
from graphql_api.mutations.registrations import RegistrationMutations
from graphql_api.mutations.review import ReviewMutations
from graphql_api.mutations.revocation import RevocationMutations
from graphql_api.mutations.signing_keys import SigningKeyMutations
from graphql_api.mutations.staff import StaffMutations
from graphql_api.mutations.verification_batches import (
    EmployerAccountMutations,
    VerificationBatchMutations,
)
from graphql_api.queries.accounts import AccountQueries
from graphql_api.queries.corrections import CorrectionQueueQueries, HolderCorrectionQueries
from graphql_api.queries.document_batches import DocumentBatchQueries
from graphql_api.queries.holder_certificates import (
    HolderCertificateQueries,
    IssuedCertificateQueries,
)
from graphql_api.queries.imports import ImportQueries
from graphql_api.queries.reference import ReferenceQueries
from graphql_api.queries.registrations import RegistrationQueries
from graphql_api.queries.review import CertificateHistoryQueries, ReviewQueries
from graphql_api.queries.signing_keys import SigningKeyQueries
from graphql_api.queries.staff import StaffQueries
from graphql_api.queries.verification import VerificationQueries
from graphql_api.queries.verification_batches import VerificationBatchQueries
from graphql_api.transport import limit_extensions, masking_extension
from graphql_api.types.reference import REFERENCE_LIST_SIZES
from schema.errors import DomainError

if TYPE_CHECKING:
    from graphql import GraphQLError
    from strawberry.types import ExecutionContext

__all__ = ["build_schema", "schema"]

schema: strawberry.Schema  # made at first access: see __getattr__ at the end

# The order of these tuples is the order of the root fields in the published SDL
# (schema.graphql): a use case's queries for different audiences are separate classes so
# each can keep its published place beside the same audience's other fields.
Query = merge_types(
    "Query",
    (
        AccountQueries,
        ReferenceQueries,
        RegistrationQueries,
        HolderCertificateQueries,
        HolderCorrectionQueries,
        ReviewQueries,
        CorrectionQueueQueries,
        CertificateHistoryQueries,
        VerificationQueries,
        IssuedCertificateQueries,
        DocumentBatchQueries,
        VerificationBatchQueries,
        ImportQueries,
        SigningKeyQueries,
        StaffQueries,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        AccountMutations,
        ImportMutations,
        ReferenceMutations,
        RegistrationMutations,
        CorrectionRequestMutations,
        ReviewMutations,
        CorrectionDecisionMutations,
        RevocationMutations,
        DocumentBatchMutations,
        VerificationBatchMutations,
        SigningKeyMutations,
        StaffMutations,
        EmployerAccountMutations,
    ),
)


class _Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry logs every error with a traceback; the masking extension already logs
        # the unexpected ones (with the request id), and user errors are not incidents.
        return None


@functools.cache
def build_schema(
    *,
    introspection: bool = True,
    max_depth: int = 10,
    max_aliases: int = 30,
    max_tokens: int = 2000,
    max_cost: int = 10_000,
) -> strawberry.Schema:
    """The schema; production serves it without introspection (the SDL is published in
    the repository as schema.graphql, so clients lose nothing). The limits are the
    ``ECERT_GRAPHQL_MAX_*`` settings; one schema is built per distinct set of them."""
    return _Schema(
        query=Query,
        mutation=Mutation,
        exception_handlers=[DomainErrorHandler()],
        extensions=[
            DocumentCache().extension(),
            *limit_extensions(
                max_depth=max_depth,
                max_aliases=max_aliases,
                max_tokens=max_tokens,
                max_cost=max_cost,
                cost_refusal=query_too_complex,
                list_sizes=REFERENCE_LIST_SIZES,
            ),
            *([] if introspection else [DisableIntrospection]),
            UnstorableTextGuard,
            ErrorCodeExtension,
            masking_extension(public_exceptions=(DomainError,)),
        ],
    )


def __getattr__(name: str) -> strawberry.Schema:
    """``schema``: the schema with the default limits and introspection on, as ``ecert
    export-schema`` and the tests use it. Built at first access (PEP 562), not at import:
    the web app builds its own (``build_schema`` with its settings, introspection off in
    production), and a second full schema kept beside it only cost memory."""
    if name == "schema":
        return build_schema()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
