"""The CPU accounting behind the approvals row's note: a process's time (its children's
included) and the machine's busy time, both read from /proc."""

from __future__ import annotations

import subprocess
import sys
import time

from bench.harness.servers import machine_busy_seconds, tree_cpu_seconds

_BURN = "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end: pass\n"


def test_a_child_burning_cpu_counts_in_its_parents_tree_and_in_the_machines_busy_time() -> None:
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import subprocess, sys; subprocess.run([sys.executable, '-c', {_BURN!r}])",
        ]
    )
    busy_before = machine_busy_seconds()
    try:
        used = 0.0
        while parent.poll() is None:
            used = max(used, tree_cpu_seconds(parent.pid))
            time.sleep(0.02)
        parent.wait(timeout=30)
    finally:
        parent.kill()
    assert used >= 0.3, f"the tree's CPU time read {used:.2f} s while the child burned 0.5 s"
    assert machine_busy_seconds() - busy_before >= 0.3, "the machine's busy time did not grow"


def test_a_process_that_is_gone_counts_nothing() -> None:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait(timeout=30)
    assert tree_cpu_seconds(finished.pid) == 0.0
