"""Employer accounts for batch-check tests, created through the real service (as an
administrator would), and a worker that answers their batches."""

from __future__ import annotations

from datetime import datetime

from graphql_api.worker import BatchRunner, InProcessWorker
from schema.actor import SYSTEM, Actor
from schema.http_edge.deps import Deps
from schema.rules import credit_code_check_char
from schema.services.employers import CreatedEmployer, create_employer
from tests.support.collection import collector
from tests.support.factories import NOW, PASSWORD
from tests.support.flows import actor_of

__all__ = [
    "CREDIT_CODE",
    "EMPLOYER_ID",
    "OTHER_CREDIT_CODE",
    "OTHER_EMPLOYER_ID",
    "checker",
    "employer_actor",
    "make_employer",
]


def credit_code(body17: str) -> str:
    return body17 + credit_code_check_char(body17)


CREDIT_CODE = credit_code("91500112MA5YX0001")  # 重庆某工程有限公司 (synthetic)
OTHER_CREDIT_CODE = credit_code("91500101MA5YX0002")
EMPLOYER_ID = "500112199001011239"
OTHER_EMPLOYER_ID = "500101199102021234"


async def make_employer(
    deps: Deps,
    *,
    organisation: str = "重庆渝北工程建设有限公司",
    code: str = CREDIT_CODE,
    name: str = "周经办",
    id_number: str = EMPLOYER_ID,
    mobile: str = "13900003333",
    enrol: bool = False,
) -> CreatedEmployer:
    created = await create_employer(
        actor=SYSTEM,
        pii=deps.pii,
        organisation_name=organisation,
        credit_code=code,
        name=name,
        id_number=id_number,
        mobile=mobile,
        password=PASSWORD,
        now=NOW,
    )
    if enrol:
        from tests.support.totp import enrol_totp

        await enrol_totp(deps, created.account, now=NOW)
        await created.account.refresh_from_db()
    return created


async def employer_actor(deps: Deps, **kwargs: str) -> Actor:
    return actor_of((await make_employer(deps, **kwargs)).account)


def checker(deps: Deps, clock: datetime) -> InProcessWorker:
    """The in-process worker with the web process's batch runner, at a fixed instant."""
    runner = BatchRunner(renderer=deps.documents, store=deps.store, issuer=deps.issuer)
    return InProcessWorker(collector(deps), clock=lambda: clock, batches=runner)
