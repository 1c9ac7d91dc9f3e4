"""Real small or read-only file systems for storage-failure tests (tmpfs; needs root).

A read-only directory made with chmod does not stop root, and the suite may run as root:
a read-only tmpfs mount refuses every writer. Without the right to mount, the tests that
need one are skipped with the reason; each such test has a mount-free companion (a blob
directory that is a file) so the behaviour stays covered everywhere.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["tmpfs"]


@contextlib.contextmanager
def tmpfs(path: Path, *, size_kb: int = 64, read_only: bool = False) -> Iterator[Path]:
    """Mount a ``size_kb`` tmpfs at ``path`` (read-only if asked) for the block's duration."""
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size_kb}k,mode=0700" + (",ro" if read_only else "")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or 'not permitted'}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@contextlib.contextmanager
def remounted_read_only(path: Path) -> Iterator[None]:
    """Make an existing tmpfs mount read-only for the block (writes fail with EROFS)."""
    subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)
    try:
        yield
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(path)], check=False)
