"""Fuzzing every root field of the GraphQL schema: no input gives a server error.

Schemathesis generates the operations (see ``tests/fuzz/fuzzing.py``; then a pass with every
argument as a variable) for each identity in turn, on one app and one database (both backends): an anonymous client, then the bearer
sessions of an applicant, a reviewer and an admin, each logged in through the real
``login`` mutation before any fuzzing (the fuzzed failed logins then throttle the address).
The database starts with one issued certificate, so the list queries resolve real records,
and keeps what each identity's mutations left for the next. ``logout`` is fuzzed last: its
first examples each end a spare session, the rest send the revoked token.
The run is bounded (deterministic, ``MAX_EXAMPLES`` per field) to fit the suite.
"""

from __future__ import annotations

import asyncio
import itertools
import os

from tests.fuzz.fuzzing import (
    FuzzRun,
    LogTrap,
    all_operations,
    fuzz_schema,
    variables_operations,
)
from tests.support.client import ApiClient
from tests.support.factories import ID_MALE_1985
from tests.support.flows import ADMIN_ID, REVIEWER_ID, issue_yubei_certificate, make_people

# Examples per root field and identity (half as many for the variables pass): 10 keeps the
# suite's budget (about 40 s per database on a quiet 2-core machine);
# ECERT_FUZZ_EXAMPLES=200 makes a deeper run by hand.
MAX_EXAMPLES = int(os.environ.get("ECERT_FUZZ_EXAMPLES", "10"))
VARIABLES_EXAMPLES = max(1, MAX_EXAMPLES // 2)
SPARE_SESSIONS = 2  # live sessions for logout's first examples, per identity
IDENTITIES = {
    "anonymous": None,
    "applicant": ID_MALE_1985,
    "reviewer": REVIEWER_ID,
    "admin": ADMIN_ID,
}
LOGOUT = "Mutation.logout"


async def test_no_generated_request_gives_a_server_error(api: ApiClient) -> None:
    await issue_yubei_certificate(api.deps, await make_people(api.deps))
    sessions: dict[str, list[str | None]] = {}
    for identity, id_number in IDENTITIES.items():
        logins = (
            [await api.login(id_number) for _ in range(1 + SPARE_SESSIONS)] if id_number else []
        )
        sessions[identity] = [session.token for session in logins] or [None]

    fuzzed = fuzz_schema()
    operations = all_operations(fuzzed)
    with_variables = variables_operations(fuzzed)
    labels = {operation.label for operation in operations}
    assert {"Query.me", "Query.signingKeys", "Mutation.login", LOGOUT} <= labels
    operations.sort(key=lambda operation: operation.label == LOGOUT)

    trap = LogTrap()
    failures: dict[str, str] = {}
    for identity, tokens in sessions.items():
        spare = itertools.chain(tokens[1:], itertools.repeat(tokens[-1]))

        def headers(label: str, tokens: list[str | None] = tokens, spare=spare) -> dict[str, str]:
            token = next(spare) if label.startswith(LOGOUT) else tokens[0]
            return {"Authorization": f"Bearer {token}"} if token else {}

        run = FuzzRun(
            api=api,
            loop=asyncio.get_running_loop(),
            trap=trap,
            identity=identity,
            headers=headers,
            max_examples=MAX_EXAMPLES,
            variables_examples=VARIABLES_EXAMPLES,
        )
        with trap.installed():
            await asyncio.to_thread(run.fuzz_all, operations, with_variables)
        expected = (len(operations) * MAX_EXAMPLES + len(with_variables) * VARIABLES_EXAMPLES) // 2
        assert run.calls >= expected, f"{identity}: too few calls"
        failures |= {f"{identity} {label}": text for label, text in run.failures.items()}
    assert not failures, "\n\n".join(failures.values())
