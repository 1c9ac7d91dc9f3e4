"""``make bench``: the issue 10 benchmark (see bench/README.md).

python bench/run_bench.py [--suffix -before]
BENCH_QUICK=1 python bench/run_bench.py      # smoke run: 1 round of 3 s, 20k certificates
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness.config import BenchConfig
from bench.harness.report import write_report
from bench.harness.runner import run_bench


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suffix", default="", help="appended to the result file's name")
    args = parser.parse_args(argv)
    try:
        config = BenchConfig.from_env()
    except ValueError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    try:
        run = run_bench(config)
    except KeyboardInterrupt:
        print("bench: interrupted; servers stopped", file=sys.stderr)
        return 130
    write_report(run, suffix=args.suffix)
    failed = [o.label for o in run.outcomes if o.error] + run.failures
    return 1 if failed and not run.outcomes else 0


if __name__ == "__main__":
    sys.exit(main())
