"""The whole ``make bench`` run: PostgreSQL and wrk ready, the cached data set, per database
an ecert server (production settings) and a baseline server side by side, the scenarios,
the approvals, the two-worker verification run, the collection benchmarks and the
certificate documents' render and seal times."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import asyncpg

from bench.harness.config import BenchConfig
from bench.harness.dataset import (
    Dataset,
    DatasetSpec,
    drop_run_copy,
    ensure_dataset,
    restore_run_copy,
)
from bench.harness.graphql_client import GraphQLClient, staff_totp_code
from bench.harness.measure import Load, Outcome, measure_pair
from bench.harness.queries import MY_CERTIFICATES, REFERENCE
from bench.harness.servers import (
    HOST,
    Server,
    install_cleanup,
    machine_busy_seconds,
    postgres_cpu_seconds,
    start_server,
    stop_all,
    tree_cpu_seconds,
)
from bench.harness.wrk import (
    ensure_wrk,
    fixed_get_script,
    get_paths_script,
    post_script,
    random_row_script,
)

__all__ = ["BenchRun", "ServerMemory", "run_bench"]

ECERT_FACTORY = "graphql_api.app:app_from_environment"  # what `ecert serve --workers N` runs
BASELINE_FACTORY = "bench.harness.baseline_app:create_app"
RUN_DB = f"ecert_bench_run_{os.getpid()}"  # one per run: parallel runs never collide
BACKEND_LABEL = {"postgres": "PG", "sqlite": "SQLite"}
# Production settings, except the per-client /graphql limit: wrk is one client sending
# thousands of requests a second, so the limiter runs (its cost is measured) but never trips.
LIMITS = {"ECERT_GRAPHQL_REQUESTS_PER_MINUTE": "1000000", "ECERT_GRAPHQL_BURST": "1000000"}


@dataclass(frozen=True)
class ServerMemory:
    label: str
    idle_mib: float
    peak_mib: float


@dataclass
class BenchRun:
    config: BenchConfig
    dataset: Dataset | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    memory: list[ServerMemory] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # set-up steps that failed
    started: float = field(default_factory=time.monotonic)
    postgres_version: str = ""
    sqlite_version: str = sqlite3.sqlite_version
    # The machine's load when the run began: other work on a shared machine moves the
    # absolute numbers (the interleaved baselines absorb most of it, not all).
    load_at_start: tuple[float, float, float] = field(default_factory=os.getloadavg)


def _say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text[:300]}"


async def _pg_version(base: str) -> str:
    conn = await asyncpg.connect(f"{base}/postgres", timeout=5)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def ensure_postgres(base: str) -> str:
    """PostgreSQL's version; starts the local cluster (pg_ctlcluster) when it is down."""
    try:
        return asyncio.run(_pg_version(base))
    except (OSError, asyncpg.PostgresError, TimeoutError):
        pass
    clusters = (
        sorted(Path("/etc/postgresql").glob("*/main")) if Path("/etc/postgresql").exists() else []
    )
    if not clusters:
        raise RuntimeError(f"PostgreSQL at {base} is unreachable and no local cluster is installed")
    version = clusters[-1].parent.name
    _say(f"starting PostgreSQL {version} (pg_ctlcluster)")
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"]
    if shutil.which("sudo") and not _is_root():
        command = ["sudo", "-n", *command]
    subprocess.run(command, check=False, capture_output=True)
    for _ in range(30):
        try:
            return asyncio.run(_pg_version(base))
        except (OSError, asyncpg.PostgresError, TimeoutError):
            time.sleep(1)
    raise RuntimeError(f"PostgreSQL at {base} did not start")


def _is_root() -> bool:
    return os.geteuid() == 0


def _max_certificate_id(url: str) -> int:
    if url.startswith("sqlite://"):
        with sqlite3.connect(url.removeprefix("sqlite://")) as conn:
            return int(conn.execute("SELECT MAX(id) FROM certificate").fetchone()[0])

    async def fetch() -> int:
        conn = await asyncpg.connect(url)
        try:
            return int(await conn.fetchval("SELECT MAX(id) FROM certificate"))
        finally:
            await conn.close()

    return asyncio.run(fetch())


def _expect_ok(server: Server, path: str, headers: dict[str, str]) -> None:
    """One request before the load: a scenario measuring errors is no measurement."""
    request = urllib.request.Request(server.base + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"{server.name} answered {exc.code} for {path[:60]}") from None


def _expect_valid(server: Server, path: str) -> None:
    """A generated certificate must verify as 有效: measuring the 无法验证 answer (cheaper)
    would flatter a broken verification path."""
    request = urllib.request.Request(server.base + path, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        state = json.loads(response.read()).get("state")
    if state != "VALID":
        raise RuntimeError(f"{server.name} says {state} for a generated certificate, not VALID")


def _expect_graphql(server: Server, query: str, token: str | None) -> None:
    client = GraphQLClient(HOST, server.port, token=token)
    try:
        client.execute(query)
    finally:
        client.close()


@contextlib.contextmanager
def _scenario(
    run: BenchRun, kind: str, label: str, *, unit: str = "req/s", workers: int = 1
) -> Iterator[Outcome]:
    """An outcome recorded whatever happens; a failure becomes its one line."""
    outcome = Outcome(kind=kind, label=label, unit=unit, workers=workers)
    _say(f"scenario: {label}")
    try:
        yield outcome
    except Exception as exc:
        outcome.error = _one_line(exc)
        _say(f"FAILED {label}: {outcome.error}")
    run.outcomes.append(outcome)


class _Backend:
    """One database's servers and scripts for a run."""

    def __init__(self, run: BenchRun, backend: str, run_dir: Path, wrk: str) -> None:
        self.run, self.backend, self.run_dir, self.wrk = run, backend, run_dir, wrk
        assert run.dataset is not None
        self.dataset = run.dataset
        self.tag = BACKEND_LABEL[backend]
        self.lua = run_dir / "lua"
        self.lua.mkdir(exist_ok=True)
        self.url, self.data_dir = restore_run_copy(
            self.dataset, backend, run_dir, postgres=run.config.postgres, name=RUN_DB
        )
        self.max_id = _max_certificate_id(self.url)

    def start(self, workers: int = 1) -> tuple[Server, Server]:
        cores = "0" if workers == 1 else "0,1"
        env = {
            **self.dataset.environ(database_url=self.url, data_dir=self.data_dir, env="production"),
            **LIMITS,
        }
        suffix = "" if workers == 1 else f"-{workers}w"
        ecert = start_server(
            f"ecert-{self.backend}{suffix}",
            ECERT_FACTORY,
            env=env,
            log_dir=self.run_dir / "logs",
            cores=cores,
            workers=workers,
        )
        baseline = start_server(
            f"baseline-{self.backend}{suffix}",
            BASELINE_FACTORY,
            env={"BENCH_BASELINE_DATABASE": self.url},
            log_dir=self.run_dir / "logs",
            cores=cores,
            workers=workers,
            ready_path="/json",
        )
        return ecert, baseline

    def pair(
        self,
        outcome: Outcome,
        ecert: Load,
        baseline: Load,
        *,
        wrk_core: str | None = "1",
    ) -> None:
        cfg = self.run.config
        measure_pair(
            outcome,
            self.wrk,
            ecert,
            baseline,
            rounds=cfg.rounds,
            duration_s=cfg.duration_s,
            warmup_s=cfg.warmup_s,
            wrk_core=wrk_core,
            progress=lambda line: print(line, flush=True),
        )

    def row_load(self, baseline: Server) -> Load:
        script = random_row_script(self.lua / f"row-{self.backend}.lua", "/row/", 1, self.max_id)
        _expect_ok(baseline, f"/row/{self.max_id}", {})
        return Load(baseline.base, script)

    def verify_load(self, ecert: Server, accept: str, name: str) -> Load:
        paths = self.dataset.paths_file(self.backend)
        sample = paths.read_text(encoding="utf-8").split("\n", 3)[:3]
        for path in sample:
            _expect_valid(ecert, path)
        headers = {"Accept": accept}
        _expect_ok(ecert, sample[0], headers)
        return Load(ecert.base, get_paths_script(self.lua / f"{name}.lua", paths, headers))


def _verification_scenarios(b: _Backend, ecert: Server, baseline: Server, workers: int) -> None:
    run = b.run
    suffix = "" if workers == 1 else f", {workers} workers on both cores"
    for kind, accept, what in (
        ("verify-json", "application/json", "JSON"),
        ("verify-html", "text/html", "HTML"),
    ):
        if not run.config.wants(kind) or (workers > 1 and kind != "verify-json"):
            continue
        label = f"`/V/…` {what} ({b.tag}{suffix})"
        with _scenario(run, kind, label, workers=workers) as outcome:
            load = b.verify_load(ecert, accept, f"{kind}-{b.backend}-{workers}")
            b.pair(outcome, load, b.row_load(baseline), wrk_core="1" if workers == 1 else None)
            if workers > 1 and (median := outcome.median()) is not None:
                base = outcome.baseline_median() or 0.0
                outcome.note = (
                    f"server and baseline on cores 0–1, wrk unpinned; per worker: ecert "
                    f"{median / workers:,.0f} req/s, baseline {base / workers:,.0f} req/s"
                )


def _holder_scenarios(b: _Backend, ecert: Server, baseline: Server) -> None:
    run, dataset = b.run, b.dataset
    token = ""
    kinds = ("graphql-my-certificates", "graphql-reference", "holder-qr")
    if not any(run.config.wants(k) for k in kinds):
        return
    try:
        client = GraphQLClient(HOST, ecert.port)
        try:
            token = client.login(dataset.holder_id_number, dataset.password)
        finally:
            client.close()
    except Exception as exc:
        run.failures.append(f"holder login on {b.tag}: {_one_line(exc)}")
        _say(f"FAILED holder login on {b.tag}: {_one_line(exc)}")
    json_headers = {"Content-Type": "application/json", "Accept": "application/json"}
    auth = {"Authorization": f"Bearer {token}"}
    graphs = (
        (
            "graphql-my-certificates",
            "GraphQL `myCertificates(first:1)`, 15 fields, holder",
            MY_CERTIFICATES,
            True,
        ),
        ("graphql-reference", "GraphQL `reference { levels authorities }`", REFERENCE, False),
    )
    for kind, title, query, needs_token in graphs:
        if not run.config.wants(kind):
            continue
        with _scenario(run, kind, f"{title} ({b.tag})") as outcome:
            if needs_token and not token:
                raise RuntimeError("no holder session (the login failed)")
            body = json.dumps({"query": query})
            headers = {**json_headers, **(auth if needs_token else {})}
            _expect_graphql(ecert, query, token if needs_token else None)
            _expect_graphql(baseline, query, None)
            e_script = post_script(b.lua / f"{kind}-{b.backend}.lua", body, headers)
            b_script = post_script(b.lua / f"{kind}-{b.backend}-base.lua", body, json_headers)
            b.pair(
                outcome,
                Load(ecert.base, e_script, "/graphql"),
                Load(baseline.base, b_script, "/graphql"),
            )
    if run.config.wants("holder-qr"):
        with _scenario(run, "holder-qr", f"holder QR PNG ({b.tag})") as outcome:
            if not token:
                raise RuntimeError("no holder session (the login failed)")
            ids = dataset.holder_cert_ids.get(b.backend, [])
            paths = b.run_dir / f"qr-paths-{b.backend}.txt"
            paths.write_text("".join(f"/certificates/{c}/qr.png\n" for c in ids), encoding="utf-8")
            _expect_ok(ecert, f"/certificates/{ids[0]}/qr.png", auth)
            _expect_ok(baseline, "/json", {})
            e_script = get_paths_script(b.lua / f"qr-{b.backend}.lua", paths, auth)
            b_script = fixed_get_script(b.lua / f"json-{b.backend}.lua", {})
            b.pair(outcome, Load(ecert.base, e_script), Load(baseline.base, b_script, "/json"))
            outcome.note = (
                f"{len(ids)} certificates of the holder, picked at random; the first download "
                "of each (in the warm-up) renders it"
            )


def _approvals(b: _Backend, ecert: Server) -> None:
    run, dataset = b.run, b.dataset
    if not run.config.wants("approvals"):
        return
    label = f"approvals, sequential, reviewer over GraphQL ({b.tag})"
    with _scenario(run, "approvals", label, unit="/s") as outcome:
        pending = list(dataset.approvals.get(b.backend, []))
        per_round = run.config.approvals_per_round
        if len(pending) < per_round * run.config.rounds:
            raise RuntimeError(f"the data set has {len(pending)} registrations waiting")
        client = GraphQLClient(HOST, ecert.port)
        try:
            secret = dataset.reviewer_totp_secret[b.backend]
            client.login(dataset.reviewer_id_number, dataset.password, staff_totp_code(secret))
            usage = _CpuUsage.start(ecert)
            for n in range(run.config.rounds):
                batch, pending = pending[:per_round], pending[per_round:]
                started = time.perf_counter()
                for registration_id in batch:
                    client.approve(registration_id)
                rate = len(batch) / (time.perf_counter() - started)
                outcome.rates.append(rate)
                print(f"  round {n + 1} ecert    {rate:9,.1f} approvals/s", flush=True)
            shares = usage.shares()
        finally:
            client.close()
        outcome.note = (
            f"{per_round} approvals per round, one after another, each a new certificate; "
            f"an absolute rate, so other work on the machine lowers it: {shares}"
        )


@dataclass
class _CpuUsage:
    """Who used the machine's CPUs during a scenario measured without a baseline."""

    ecert: Server
    wall: float
    busy: float
    server: float
    postgres: float
    client: float

    @classmethod
    def start(cls, ecert: Server) -> _CpuUsage:
        return cls(ecert, *cls._now(ecert))

    @staticmethod
    def _now(ecert: Server) -> tuple[float, float, float, float, float]:
        own = os.times()
        return (
            time.perf_counter(),
            machine_busy_seconds(),
            tree_cpu_seconds(ecert.process.pid),
            postgres_cpu_seconds(),
            own.user + own.system,
        )

    def shares(self) -> str:
        """Each share in % of one core over the scenario's wall time."""
        wall, busy, server, postgres, client = (
            b - a
            for a, b in zip(
                (self.wall, self.busy, self.server, self.postgres, self.client),
                self._now(self.ecert),
                strict=True,
            )
        )
        other = max(busy - server - postgres - client, 0.0)

        def pct(x: float) -> str:
            return f"{100 * x / wall:.0f}%"

        return (
            f"ecert {pct(server)} of a core, PostgreSQL {pct(postgres)}, the client "
            f"{pct(client)}, everything else {pct(other)}"
        )


def _run_backend(run: BenchRun, backend: str, run_dir: Path, wrk: str) -> None:
    b = _Backend(run, backend, run_dir, wrk)
    ecert, baseline = b.start()
    try:
        idle = ecert.rss_mib()
        _verification_scenarios(b, ecert, baseline, workers=1)
        _holder_scenarios(b, ecert, baseline)
        _approvals(b, ecert)
        run.memory.append(ServerMemory(f"ecert, 1 worker ({b.tag})", idle, ecert.peak_rss_mib()))
    finally:
        ecert.stop()
        baseline.stop()
    if backend == "postgres" and run.config.wants("verify-json"):
        ecert, baseline = b.start(workers=2)
        try:
            idle = ecert.rss_mib()
            _verification_scenarios(b, ecert, baseline, workers=2)
            run.memory.append(
                ServerMemory(f"ecert, 2 workers + supervisor ({b.tag})", idle, ecert.peak_rss_mib())
            )
        finally:
            ecert.stop()
            baseline.stop()


def _collection(run: BenchRun, run_dir: Path) -> None:
    from bench.harness.collection import run_collection_bench

    cfg = run.config
    if not cfg.collection or not (
        cfg.wants("collection-import") or cfg.wants("collection-generation")
    ):
        return
    _say("collection and automatic-generation benchmarks (bench/bench_collection.py)")
    try:
        run.outcomes.extend(run_collection_bench(cfg, run_dir / "collection"))
    except Exception as exc:
        run.outcomes.append(
            Outcome(
                kind="collection-import", label="collection (`ecert import`)", error=_one_line(exc)
            )
        )
        _say(f"FAILED collection: {_one_line(exc)}")


def _documents(run: BenchRun) -> None:
    cfg = run.config
    if not (cfg.wants("document-pdf") or cfg.wants("document-card")):
        return
    _say("certificate documents (render + seal in this process, QR PNG as baseline)")
    try:
        from bench.harness.documents import run_documents_bench

        run.outcomes.extend(run_documents_bench(cfg, _say))
    except Exception as exc:
        run.outcomes.append(
            Outcome(kind="document-pdf", label="certificate PDF", error=_one_line(exc))
        )
        _say(f"FAILED documents: {_one_line(exc)}")


def run_bench(config: BenchConfig) -> BenchRun:
    """Everything ``make bench`` measures; servers are stopped whatever happens (Ctrl-C
    included: the table is then written with what was measured)."""
    install_cleanup()
    run = BenchRun(config)
    run_dir = Path(tempfile.mkdtemp(prefix="ecert-bench-run-"))
    try:
        if "postgres" in config.backends or config.collection:
            try:
                run.postgres_version = ensure_postgres(config.postgres)
            except Exception as exc:
                run.failures.append(f"PostgreSQL: {_one_line(exc)}; SQLite only")
                _say(f"FAILED PostgreSQL: {_one_line(exc)}; going on with SQLite only")
                backends = tuple(b for b in config.backends if b != "postgres")
                config = run.config = replace(config, backends=backends, collection=False)
        wrk = ensure_wrk()
        run.dataset = ensure_dataset(
            DatasetSpec(
                certificates=config.certificates,
                approvals=config.approvals_per_round * config.rounds,
                backends=config.backends,
                postgres=config.postgres,
            ),
            rebuild=config.rebuild,
        )
        for backend in config.backends:
            try:
                _run_backend(run, backend, run_dir, wrk)
            except Exception as exc:
                run.failures.append(f"{BACKEND_LABEL[backend]}: {_one_line(exc)}")
                _say(f"FAILED on {BACKEND_LABEL[backend]}: {_one_line(exc)}")
        _collection(run, run_dir)
        _documents(run)
    except KeyboardInterrupt:
        run.failures.append("interrupted (Ctrl-C): the table holds what was measured until then")
        _say("interrupted: stopping the servers")
    except Exception as exc:
        run.failures.append(f"set-up: {_one_line(exc)}")
        _say(f"FAILED set-up: {_one_line(exc)}")
    finally:
        stop_all()
        if "postgres" in config.backends:
            with contextlib.suppress(Exception):
                drop_run_copy(config.postgres, RUN_DB)
        shutil.rmtree(run_dir, ignore_errors=True)
    return run


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run bench/run_bench.py")
