"""Crash loop: SIGKILL `tanji serve` at random moments while footprints stream in and anchor.

One driver for the CI test (``tests/registry/test_crash_kills.py``, a few kills) and the long run
(``bench/crash_serve.py``, 50 kills or more). A client thread streams distinct footprints (single
POSTs and bulk POSTs, each with an ``Idempotency-Key``) and records every id the server
acknowledged (201, or ``created`` in a bulk 200). A request cut off by a kill is sent again, with
the same key and body, until the restarted server answers: its records are acknowledged once,
whether the first attempt had committed or not. Meanwhile the main thread starts the server
(small batches, no batching delay, fast polling: it anchors all the time), lets it run for a
random time drawn from a seeded generator (some kills land while it is still starting), sends
SIGKILL, looks at the database the dead server left, and starts it again.

After each kill every record acknowledged so far must be in the database, pending or on its way
to the chain. At the end the server drains the backlog and stops; then every acknowledged record
must be anchored in exactly one batch, every batch root anchored on chain by exactly one
``RootAnchored`` event (and no root the database does not know), and every stored proof must
lead from its leaf to its batch's root.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from sqlalchemy import Connection, text
from web3 import Web3

from anchoring.client import AnchorClient
from anchoring.ledger import (
    BATCH_ANCHORED,
    BATCH_SEALED,
    BATCH_SENT,
    RECORD_ANCHORED,
    RECORD_BATCHED,
    RECORD_PENDING,
)
from registry.chain import DEPLOYMENTS_FILE
from registry.crud.footprints import RECORD_TYPE
from tests.database import registry_database
from tests.nodes import ROOT, free_port
from tests.registry.factories import bearer, numbered
from tests.registry.server import TANJI, create_org
from verifier.protocol.merkle import verify_proof

#: Anchor all the time: a batch as soon as one record waits, at most 16 records, polled often.
SERVE_ENV = {
    "TANJI_BATCH_MAX_WAIT_SECONDS": "0",
    "TANJI_BATCH_MAX_SIZE": "16",
    "TANJI_POLL_INTERVAL_SECONDS": "0.05",
}
START_SECONDS = 120
#: Answers after which the client sends the same request again (the server is down, restarting,
#: or busy); any other answer than these and 200/201 is a driver or server bug.
RETRY_STATUSES = frozenset({409, 429, 500, 502, 503, 504})
RETRY_PAUSE_SECONDS = 0.05
LIVE_RECORD_STATUSES = frozenset({RECORD_PENDING, RECORD_BATCHED, RECORD_ANCHORED})


@dataclass(frozen=True)
class CrashPlan:
    """How many kills, when, and against which chain."""

    kills: int
    seed: int = 14
    #: A server runs for a time drawn uniformly from this range (seconds after it answers).
    min_uptime: float = 0.0
    max_uptime: float = 2.5
    #: This share of the kills (not the first) lands 0..max_startup s after the server was
    #: started, before it answers: while it recovers what the previous kill interrupted.
    startup_share: float = 0.2
    max_startup: float = 4.0
    #: Bulk requests carry 2..max_bulk footprints; ``bulk_share`` of the requests are bulk.
    max_bulk: int = 24
    bulk_share: float = 0.4
    #: JSON-RPC URL of an outside node (Hardhat); ``None``: the embedded chain in the data dir.
    rpc_url: str | None = None
    #: The anchoring key on an outside node (the embedded chain has its own dev keystore).
    signer_key: str | None = None
    drain_seconds: float = 600.0


@dataclass(frozen=True)
class KillPoint:
    """What one kill interrupted: a request in flight, and the batches it left unfinished."""

    #: Seconds since the server answered (since it was started, for a kill while starting).
    uptime: float
    while_starting: bool
    request_in_flight: bool
    #: Unfinished batches by status (``sealed``: root fixed, no transaction yet; ``sent``: signed
    #: transaction stored, split into mined and not yet mined by looking at the chain).
    sealed: int
    sent_unmined: int
    sent_mined: int
    acknowledged: int
    lost: int


@dataclass
class CrashReport:
    """The crash loop's figures; :attr:`failures` says what broke, if anything."""

    kills: int = 0
    acknowledged: int = 0
    requests: int = 0
    retried_requests: int = 0
    lost: int = 0
    anchored_twice: int = 0
    roots_twice: int = 0
    unknown_roots: int = 0
    bad_proofs: int = 0
    unacknowledged_rows: int = 0
    batches: int = 0
    seconds: float = 0.0
    #: Of ``seconds``: waiting for restarted servers to answer, and for the final drain.
    start_seconds: float = 0.0
    drain_seconds: float = 0.0
    points: list[KillPoint] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing lost, nothing anchored twice, every invariant held."""
        return not self.failures

    def coverage(self) -> str:
        """Where the kills landed."""
        points = self.points
        return (
            f"kills while starting {sum(p.while_starting for p in points)}, "
            f"with a request in flight {sum(p.request_in_flight for p in points)}, "
            f"with a sealed batch {sum(p.sealed > 0 for p in points)}, "
            f"with a sent, unmined batch {sum(p.sent_unmined > 0 for p in points)}, "
            f"with a mined, unconfirmed batch {sum(p.sent_mined > 0 for p in points)}"
        )

    def summary(self) -> str:
        """One line: kills, acknowledged, lost, anchored twice, batches, seconds."""
        return (
            f"kills {self.kills}, acknowledged {self.acknowledged}, lost {self.lost}, "
            f"anchored twice {self.anchored_twice}, batches {self.batches}, "
            f"seconds {self.seconds:.1f}"
        )


@dataclass(frozen=True)
class _Request:
    path: str
    body: dict[str, Any]
    key: str
    size: int


class Streamer(threading.Thread):
    """Streams distinct footprints, resending each request until it is answered."""

    def __init__(self, url: str, api_key: str, plan: CrashPlan) -> None:
        super().__init__(name="crashloop-client", daemon=True)
        self.url = url
        self.api_key = api_key
        self.plan = plan
        self.rng = random.Random(plan.seed * 7919 + 1)
        self.acknowledged: list[str] = []
        self.requests = 0
        self.retried = 0
        self.errors: list[str] = []
        self.in_flight = False
        self._next_item = 0
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Finish the request under way (the server must be up), then end."""
        self._stopping.set()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, headers=bearer(self.api_key), timeout=60) as http:
            while not self._stopping.is_set() and not self.errors:
                self._send_until_answered(http, self._next_request())

    def _next_request(self) -> _Request:
        self.requests += 1
        key = f"crash-{self.plan.seed}-{self.requests}"
        if self.rng.random() < self.plan.bulk_share:
            size = self.rng.randint(2, self.plan.max_bulk)
            items = [self._payload() for _ in range(size)]
            return _Request("/api/v1/footprints/bulk", {"items": items}, key, size)
        return _Request("/api/v1/footprints", self._payload(), key, 1)

    def _payload(self) -> dict[str, Any]:
        body = numbered(self._next_item)
        self._next_item += 1
        # Without a GTIN: which organisation owns a GTIN is not what this test is about.
        body.pop("gtin", None)
        return body

    def _send_until_answered(self, http: httpx.Client, request: _Request) -> None:
        attempts = 0
        while True:
            attempts += 1
            self.in_flight = True
            try:
                reply: httpx.Response | None = http.post(
                    request.path, json=request.body, headers={"Idempotency-Key": request.key}
                )
            except httpx.TransportError:
                reply = None
            finally:
                self.in_flight = False
            if reply is not None and reply.status_code in (200, 201):
                self.retried += attempts > 1
                self._acknowledge(request, reply)
                return
            if reply is not None and reply.status_code not in RETRY_STATUSES:
                self.errors.append(f"{request.path}: {reply.status_code} {reply.text[:500]}")
                return
            time.sleep(RETRY_PAUSE_SECONDS)

    def _acknowledge(self, request: _Request, reply: httpx.Response) -> None:
        body = reply.json()
        if request.size == 1 and reply.status_code == 201:
            self.acknowledged.append(str(body["id"]))
            return
        results = body.get("results", []) if isinstance(body, dict) else []
        created = [r for r in results if r.get("status") == "created"]
        if len(created) != request.size:
            self.errors.append(f"{request.path}: not every item created: {reply.text[:500]}")
        self.acknowledged.extend(str(r["id"]) for r in created)


def tanji(*args: str) -> list[str]:
    """The command line of ``tanji ARGS`` run by this interpreter."""
    return [*TANJI, *args]


def create_enterprise(data_dir: Path) -> str:
    """A new enterprise organisation in ``data_dir``; returns its API key.

    Its footprints carry no GTIN, so it needs no GS1 prefix.
    """
    return create_org(data_dir, gs1_prefix=None)


def _env(plan: CrashPlan) -> dict[str, str]:
    env = {**os.environ, **SERVE_ENV, "ETH_HASH_BACKEND": "pysha3"}
    if plan.rpc_url is not None:
        env["TANJI_RPC_URL"] = plan.rpc_url
        if plan.signer_key is not None:
            env["TANJI_SIGNER_KEY"] = plan.signer_key
    return env


def deploy_if_needed(data_dir: Path, plan: CrashPlan) -> None:
    """On an outside node, deploy the contract once (remembered in the data dir)."""
    if plan.rpc_url is None or (data_dir / DEPLOYMENTS_FILE).exists():
        return
    subprocess.run(
        [*tanji("deploy", "--rpc-url", plan.rpc_url), "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
        env=_env(plan),
        cwd=ROOT,
    )


def spawn_server(data_dir: Path, port: int, log: Path, plan: CrashPlan) -> subprocess.Popen[bytes]:
    """Start `tanji serve` (its output appended to ``log``); do not wait for it."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            [*tanji("serve", "--port", str(port)), "--data-dir", str(data_dir)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_env(plan),
            cwd=ROOT,
        )


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def wait_healthy(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Wait until ``/healthz`` answers 200 (the server has recovered and anchors)."""
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                kill(proc)
            raise RuntimeError(f"tanji serve did not come up; see {log}")
        time.sleep(0.05)


def kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL: no shutdown hook, no flush, no ``finally``."""
    proc.send_signal(signal.SIGKILL)
    proc.wait(START_SECONDS)


@contextmanager
def _database(data_dir: Path) -> Iterator[Connection]:
    """The data dir's registry database in this pass (SQLite file or PostgreSQL), read-only use."""
    engine = registry_database(data_dir)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _footprint_statuses(conn: Connection) -> dict[str, list[str]]:
    """Every footprint id, with the status of each ledger row it has (normally exactly one)."""
    statuses: dict[str, list[str]] = {
        row[0]: [] for row in conn.execute(text("SELECT id FROM footprint"))
    }
    rows = conn.execute(
        text("SELECT record_id, status FROM anchor_record WHERE record_type = :t"),
        {"t": RECORD_TYPE},
    )
    for record_id, status in rows:
        statuses.setdefault(record_id, []).append(status)
    return statuses


def _missing(
    acknowledged: list[str], statuses: dict[str, list[str]], allowed: frozenset[str]
) -> int:
    """Acknowledged records without a footprint row or without one ledger row in ``allowed``."""
    return sum(
        1
        for fp_id in acknowledged
        if fp_id not in statuses or not any(s in allowed for s in statuses[fp_id])
    )


def _backlog(conn: Connection) -> tuple[int, int]:
    pending = conn.execute(
        text("SELECT COUNT(*) FROM anchor_record WHERE status != :s"), {"s": RECORD_ANCHORED}
    ).scalar_one()
    batches = conn.execute(
        text("SELECT COUNT(*) FROM anchor_batch WHERE status != :s"), {"s": BATCH_ANCHORED}
    ).scalar_one()
    return int(pending), int(batches)


@contextmanager
def chain_reader(data_dir: Path, plan: CrashPlan) -> Iterator[AnchorClient]:
    """A read-only client of the data dir's anchor contract (the server must be stopped)."""
    close: Callable[[], None] | None = None
    if plan.rpc_url is None:
        from anchoring.embedded import EmbeddedChain

        embedded = EmbeddedChain.open(data_dir)
        w3, close = embedded.w3, embedded.close
    else:
        w3 = Web3(Web3.HTTPProvider(plan.rpc_url, request_kwargs={"timeout": 30}))
    try:
        deployments = json.loads((data_dir / DEPLOYMENTS_FILE).read_text("utf-8"))
        address = deployments[str(w3.eth.chain_id)]["address"]
        yield AnchorClient(w3, address, Account.create())
    finally:
        if close is not None:
            close()


def inspect_kill(
    data_dir: Path,
    plan: CrashPlan,
    acknowledged: list[str],
    uptime: float,
    in_flight: bool,
    starting: bool,
) -> KillPoint:
    """Look at what the killed server left: acknowledged records present, batches unfinished."""
    with _database(data_dir) as conn:
        statuses = _footprint_statuses(conn)
        open_batches = conn.execute(
            text("SELECT root, status FROM anchor_batch WHERE status != :s"),
            {"s": BATCH_ANCHORED},
        ).fetchall()
    sent = [root for root, status in open_batches if status == BATCH_SENT]
    mined = 0
    if sent:
        with chain_reader(data_dir, plan) as client:
            mined = sum(client.anchor_of(bytes.fromhex(root[2:])) is not None for root in sent)
    return KillPoint(
        uptime=uptime,
        while_starting=starting,
        request_in_flight=in_flight,
        sealed=sum(status == BATCH_SEALED for _, status in open_batches),
        sent_unmined=len(sent) - mined,
        sent_mined=mined,
        acknowledged=len(acknowledged),
        lost=_missing(acknowledged, statuses, LIVE_RECORD_STATUSES),
    )


def wait_drained(data_dir: Path, proc: subprocess.Popen[bytes], seconds: float) -> None:
    """Wait until no record waits and no batch is unfinished (read from the live database)."""
    deadline = time.monotonic() + seconds
    while True:
        with _database(data_dir) as conn:
            if _backlog(conn) == (0, 0):
                return
        if proc.poll() is not None:
            raise RuntimeError("tanji serve exited while draining")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the backlog did not drain in {seconds}s")
        time.sleep(0.2)


def check_final(
    data_dir: Path, plan: CrashPlan, acknowledged: list[str], report: CrashReport
) -> None:
    """Every acknowledged record anchored exactly once; every root on chain exactly once."""
    with _database(data_dir) as conn:
        statuses = _footprint_statuses(conn)
        batches = {
            row[0]: row[1:]
            for row in conn.execute(text("SELECT id, root, status, record_count FROM anchor_batch"))
        }
        records = conn.execute(
            text(
                "SELECT record_type, record_id, status, batch_id, leaf_hash, proof"
                " FROM anchor_record"
            )
        ).fetchall()
    report.batches = len(batches)
    report.lost = _missing(acknowledged, statuses, frozenset({RECORD_ANCHORED}))
    report.unacknowledged_rows = len(set(statuses) - set(acknowledged))
    # A record is anchored twice when it has two ledger rows, or when its root has two events.
    rows_per_record = Counter((r[0], r[1]) for r in records)
    twice = {key for key, n in rows_per_record.items() if n > 1}
    in_batch = Counter(r[3] for r in records)
    for batch_id, (_root, status, count) in batches.items():
        if status != BATCH_ANCHORED or in_batch[batch_id] != count:
            report.failures.append(f"batch {batch_id}: {status}, {in_batch[batch_id]}/{count}")
    with chain_reader(data_dir, plan) as client:
        events = client.contract.events.RootAnchored.get_logs(from_block=0)
    per_root = Counter("0x" + bytes(e["args"]["root"]).hex() for e in events)
    known_roots = {root for root, _, _ in batches.values()}
    report.unknown_roots = len(set(per_root) - known_roots)
    report.roots_twice = sum(1 for root in known_roots if per_root[root] != 1)
    for record_type, record_id, status, batch_id, leaf, proof in records:
        batch = batches.get(batch_id)
        if status != RECORD_ANCHORED or batch is None:
            report.failures.append(f"{record_type} {record_id}: {status}, batch {batch_id}")
            continue
        if per_root[batch[0]] > 1:
            twice.add((record_type, record_id))
        # A JSON column: text on SQLite, already a list through PostgreSQL's driver.
        hops = json.loads(proof or "[]") if isinstance(proof, str | None) else proof
        siblings = [bytes.fromhex(p[2:]) for p in hops]
        if not verify_proof(bytes.fromhex(batch[0][2:]), bytes.fromhex(leaf[2:]), siblings):
            report.bad_proofs += 1
    report.anchored_twice = len(twice)
    for name in ("lost", "anchored_twice", "roots_twice", "unknown_roots", "bad_proofs"):
        if getattr(report, name):
            report.failures.append(f"{name.replace('_', ' ')}: {getattr(report, name)}")
    if report.unacknowledged_rows:
        report.failures.append(f"footprints never acknowledged: {report.unacknowledged_rows}")


def run_crash_loop(
    data_dir: Path,
    plan: CrashPlan,
    *,
    log: Path | None = None,
    progress: Callable[[int, KillPoint], None] | None = None,
) -> CrashReport:
    """Kill `tanji serve` ``plan.kills`` times under load, then drain and check everything."""
    started = time.monotonic()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = log or data_dir.parent / "serve.log"
    rng = random.Random(plan.seed)
    api_key = create_enterprise(data_dir)
    deploy_if_needed(data_dir, plan)
    port = free_port()
    report = CrashReport()
    streamer = Streamer(f"http://127.0.0.1:{port}", api_key, plan)
    proc = spawn_server(data_dir, port, log, plan)
    wait_healthy(proc, port, log)
    streamer.start()
    try:
        for number in range(1, plan.kills + 1):
            # Some kills land while the server starts (and finishes what the last kill cut off).
            starting = number > 1 and rng.random() < plan.startup_share
            if starting:
                uptime = rng.uniform(0.0, plan.max_startup)
            else:
                waited = time.monotonic()
                wait_healthy(proc, port, log)
                report.start_seconds += time.monotonic() - waited
                uptime = rng.uniform(plan.min_uptime, plan.max_uptime)
            time.sleep(uptime)
            # A kill planned for the start-up counts as one only if the server is not up yet.
            starting = starting and not _answers(port)
            in_flight = streamer.in_flight
            kill(proc)
            report.kills = number
            point = inspect_kill(
                data_dir, plan, list(streamer.acknowledged), uptime, in_flight, starting
            )
            report.points.append(point)
            if point.lost:
                report.failures.append(f"kill {number}: {point.lost} acknowledged records missing")
            if progress is not None:
                progress(number, point)
            if streamer.errors:
                break
            proc = spawn_server(data_dir, port, log, plan)
        else:
            waited = time.monotonic()
            wait_healthy(proc, port, log)
            report.start_seconds += time.monotonic() - waited
            drain = time.monotonic()
            streamer.stop()
            streamer.join(START_SECONDS)
            wait_drained(data_dir, proc, plan.drain_seconds)
            report.drain_seconds = time.monotonic() - drain
    finally:
        streamer.stop()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(START_SECONDS)
            except subprocess.TimeoutExpired:
                kill(proc)
    report.failures.extend(streamer.errors)
    report.requests = streamer.requests
    report.retried_requests = streamer.retried
    report.acknowledged = len(streamer.acknowledged)
    if not streamer.errors:
        check_final(data_dir, plan, streamer.acknowledged, report)
    report.seconds = time.monotonic() - started
    return report
