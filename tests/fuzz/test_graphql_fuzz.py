"""Fuzzing every root field of the GraphQL schema: no input gives a server error.

Schemathesis generates the operations (see ``tests/fuzz/fuzzing.py``) for each identity:
an anonymous client and the bearer sessions of an applicant, a reviewer and an admin, each
logged in through the real ``login`` mutation, over a database holding one issued
certificate (so the list queries resolve real records). ``logout`` is fuzzed last, each
example with a session of its own, so that it does not log the identity out of the rest.
The run is bounded (deterministic, ``MAX_EXAMPLES`` per field) to fit the suite.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest

from tests.fuzz.fuzzing import FuzzRun, LogTrap, all_operations, fuzz_schema
from tests.support.client import ApiClient
from tests.support.factories import ID_MALE_1985
from tests.support.flows import ADMIN_ID, REVIEWER_ID, issue_yubei_certificate, make_people

MAX_EXAMPLES = 10
ID_NUMBERS = {"applicant": ID_MALE_1985, "reviewer": REVIEWER_ID, "admin": ADMIN_ID}


@pytest.mark.parametrize("identity", ["anonymous", "applicant", "reviewer", "admin"])
async def test_no_generated_request_gives_a_server_error(api: ApiClient, identity: str) -> None:
    people = await make_people(api.deps)
    await issue_yubei_certificate(api.deps, people)
    tokens: list[str | None] = [None]
    if identity != "anonymous":
        # One session for every field, and one per example of logout (the last is reused
        # once they run out, by then revoked: a stale token is a case worth sending too).
        logins = [await api.login(ID_NUMBERS[identity]) for _ in range(MAX_EXAMPLES + 1)]
        tokens = [session.token for session in logins]
    fuzzed = fuzz_schema()
    operations = all_operations(fuzzed)
    assert {op.label for op in operations} >= {"Query.me", "Mutation.login", "Mutation.logout"}
    operations.sort(key=lambda op: op.label == "Mutation.logout")
    spare = itertools.chain(tokens[1:], itertools.repeat(tokens[-1]))

    def headers(label: str) -> dict[str, str]:
        token = next(spare) if label == "Mutation.logout" else tokens[0]
        return {"Authorization": f"Bearer {token}"} if token else {}

    run = FuzzRun(
        api=api,
        loop=asyncio.get_running_loop(),
        trap=LogTrap(),
        identity=identity,
        headers=headers,
        max_examples=MAX_EXAMPLES,
    )
    with run.trap.installed():
        await asyncio.to_thread(run.fuzz_all, operations)
    assert run.calls >= len(operations) * MAX_EXAMPLES // 2
    assert not run.failures, "\n\n".join(run.failures.values())
