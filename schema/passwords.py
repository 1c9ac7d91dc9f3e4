"""Password hashing with Argon2id (argon2-cffi's RFC 9106 low-memory profile).

Hashing and verifying take tens of milliseconds of CPU and 64 MiB each, by design: they
run in a worker thread (argon2-cffi releases the GIL while it works), so the event loop
keeps serving other requests meanwhile. Callers await them. The threads are a pool of their
own, one per CPU: more hashes at once would not finish sooner, and each holds 64 MiB, so
the pool also bounds the memory a burst of logins can take (the rest wait their turn).
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argon2 import PasswordHasher

__all__ = ["DUMMY_HASH", "hash_password", "needs_rehash", "verify_password"]

_POOL = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="argon2")


@cache
def _hasher() -> PasswordHasher:
    """argon2id, t=3, m=64 MiB, p=4 (library defaults, RFC 9106). argon2-cffi (and the cffi
    runtime) is imported at the first password handled, not with the web app: a worker that
    only verifies certificates never needs it."""
    from argon2 import PasswordHasher

    return PasswordHasher()


def _hash(password: str) -> str:
    return _hasher().hash(password)


def _verify(stored_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_POOL, _hash, password)


async def verify_password(stored_hash: str, password: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(_POOL, _verify, stored_hash, password)


def needs_rehash(stored_hash: str) -> bool:
    """Reads the parameters in the hash's header: cheap, no hashing."""
    return _hasher().check_needs_rehash(stored_hash)


# Verified against when the account does not exist, so that timing does not tell
# an attacker which ID numbers are registered. The hash of "ecert-dummy-password-for-timing"
# under the hasher's parameters, made once and written here rather than at every start-up
# (that cost each worker 0.1 s of CPU and 64 MiB, and loaded argon2 with the web app); a
# test checks that it keeps the hasher's parameters (needs_rehash is false).
DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$rTeJW3nmqXLn5knjO14plg$"
    "oV8pVP0Xcykzl07ewjEer7h4uDlAAuGNGB4EyImdyes"
)
