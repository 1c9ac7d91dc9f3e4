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

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["DUMMY_HASH", "hash_password", "needs_rehash", "verify_password"]

_HASHER = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4 (library defaults, RFC 9106)
_POOL = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="argon2")


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_POOL, _HASHER.hash, password)


async def verify_password(stored_hash: str, password: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(_POOL, _verify, stored_hash, password)


def needs_rehash(stored_hash: str) -> bool:
    """Reads the parameters in the hash's header: cheap, no hashing."""
    return _HASHER.check_needs_rehash(stored_hash)


# Verified against when the account does not exist, so that timing does not tell
# an attacker which ID numbers are registered.
DUMMY_HASH = _HASHER.hash("ecert-dummy-password-for-timing")
