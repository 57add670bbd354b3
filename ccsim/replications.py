"""Run a scenario's replications, in this process or spread over workers, into ``Record``s.

Replication ``r`` of a seed draws from its own random streams (``model/sampling.py``), so its
record is the same whichever process runs it and whatever runs beside it: the worker count
changes the speed, never the numbers.

How a run is spread:

- The first replication runs in this process. If the rest is expected to take less than
  ``SERIAL_BELOW_S`` seconds (the first one's time x the replications left), it stays here too:
  starting or reaching workers would cost more than it saves.
- Otherwise the rest is cut into chunks of consecutive replications, each about ``CHUNK_S``
  seconds of work and at least two per worker, and sent to the workers. A chunk carries the
  pickled scenario, the seed and its replication numbers, and comes back as the records of its
  replications: counts and sums, not contacts unless they were asked for. Records are kept as
  chunks finish, so memory holds the compact records, never a worker's contacts in flight.
- Local workers are processes of one pool per Python process, started on first use and reused
  by later runs (an optimiser calls ``simulate`` hundreds of times), shut down at exit. A run
  with another worker count replaces the pool. A Dask scheduler address or client (as for
  ``ccsim sweep``) runs the chunks on that cluster instead.
- In a worker process (of this pool, a sweep or a Dask cluster) the default is one worker:
  pools are not nested.
"""

from __future__ import annotations

import atexit
import math
import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from ccsim.config.errors import ConfigError
from ccsim.economics.experience import ExperienceCounts
from ccsim.engine import run_replication
from ccsim.executors import (
    Executor,
    FuturesExecutor,
    exit_with_parent,
    make_executor,
    process_context,
)
from ccsim.metrics import SLRule
from ccsim.reducers import Accumulator
from ccsim.scenario import Scenario
from ccsim.tables import Layout, Record, record

SERIAL_BELOW_S = 0.5  # expected seconds of the replications after the first: below, no workers
CHUNK_S = 0.25  # about this many seconds of work per chunk sent to a worker

Progress = Callable[[int, int], None]


class Replicator:
    """Runs replications of one scenario in this process: engine -> accumulator -> record."""

    def __init__(self, scenario: Scenario, seed: int, contacts: bool):
        self.plan = scenario.plan
        self.rule = SLRule(self.plan.channels)
        self.layout = Layout(self.plan)
        self.experience = ExperienceCounts(scenario.config)
        self.seed, self.contacts = seed, contacts

    def accumulator(self, replication: int) -> Accumulator:
        """The sink of one replication's finished contacts."""
        return Accumulator(self.plan, self.rule, replication, self.contacts, self.experience)

    def run(self, replication: int) -> Record:
        acc = self.accumulator(replication)
        info = run_replication(self.plan, self.seed, replication, acc)
        return record(acc, info.spans, self.layout, info.duty, info.load, info.outbound)


@dataclass(frozen=True)
class Chunk:
    """What a worker needs to run some replications of a scenario."""

    scenario: bytes  # pickled Scenario
    seed: int
    replications: tuple[int, ...]
    contacts: bool


_LAST: tuple[bytes, Scenario] | None = None  # in a worker: the last scenario unpickled


def run_chunk(chunk: Chunk) -> list[Record]:
    """In a worker: the records of a chunk's replications (the scenario unpickled once for all
    the chunks of a run that reach this worker)."""
    global _LAST
    last = _LAST  # one read: threads of a Dask worker may replace it meanwhile
    if last is None or last[0] != chunk.scenario:
        last = (chunk.scenario, pickle.loads(chunk.scenario))
        _LAST = last
    runner = Replicator(last[1], chunk.seed, chunk.contacts)
    return [runner.run(r) for r in chunk.replications]


def default_workers() -> int:
    """One per core; one in a worker process (a pool's, a sweep's, a Dask worker's)."""
    if multiprocessing.parent_process() is not None:
        return 1
    return os.cpu_count() or 1


def check_workers(workers: int | None) -> int:
    if workers is None:
        return default_workers()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError([f"workers: must be a whole number >= 1 (got {workers!r})"])
    return workers


def run(
    scenario: Scenario,
    seed: int,
    indices: list[int],
    contacts: bool,
    workers: int | None = None,
    executor: Any = None,
    progress: Progress | None = None,
) -> list[Record]:
    """The records of replications ``indices`` of ``seed``, in that order."""
    n_workers = check_workers(workers)
    named = executor if isinstance(executor, str) else None
    local = executor is None or named in ("processes", "serial")
    if named == "serial":
        n_workers = 1
    remote = None if local else make_executor(executor, workers)  # a wrong one fails here, at once
    here = Replicator(scenario, seed, contacts)
    t0 = time.perf_counter()
    records = [here.run(indices[0])]
    _report(progress, 1, len(indices))
    rest = indices[1:]
    per_rep = time.perf_counter() - t0
    if not rest or (local and n_workers == 1) or per_rep * len(rest) < SERIAL_BELOW_S:
        for r in rest:
            records.append(here.run(r))
            _report(progress, len(records), len(indices))
        return records
    pool = shared_pool(n_workers) if remote is None else remote
    chunks = _chunks(scenario, seed, rest, contacts, per_rep, n_workers)
    return records + _gather(pool, chunks, progress, len(indices), local)


def _chunks(
    scenario: Scenario, seed: int, rest: list[int], contacts: bool, per_rep: float, workers: int
) -> list[Chunk]:
    """Consecutive replications in chunks of about ``CHUNK_S`` seconds, two or more per worker."""
    size = max(1, int(CHUNK_S / max(per_rep, 1e-9)))
    size = min(size, math.ceil(len(rest) / (2 * workers)))
    blob = pickle.dumps(scenario, protocol=pickle.HIGHEST_PROTOCOL)
    return [Chunk(blob, seed, tuple(rest[i : i + size]), contacts) for i in range(0, len(rest), size)]


def _gather(
    pool: Executor, chunks: list[Chunk], progress: Progress | None, total: int, local: bool
) -> list[Record]:
    """Run the chunks; keep each one's records as it finishes; the records in chunk order."""
    done: dict[int, list[Record]] = {}
    count = total - sum(len(c.replications) for c in chunks)
    for i, result in pool.map(run_chunk, chunks):
        if isinstance(result, BaseException):
            if local and isinstance(result, BrokenProcessPool):
                drop_shared_pool()
                raise RuntimeError(f"a worker process died ({result})") from result
            raise result
        done[i] = result
        count += len(result)
        _report(progress, count, total)
    return [rec for i in range(len(chunks)) for rec in done[i]]


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


_POOL: dict[str, Any] = {}
_POOL_LOCK = threading.Lock()


def shared_pool(workers: int) -> Executor:
    """This process's pool of ``workers`` local processes, started on first use and reused."""
    with _POOL_LOCK:
        if _POOL.get("pid") != os.getpid():
            _POOL.clear()  # a forked child's copy of its parent's pool: not this process's to stop
        if _POOL.get("workers") != workers:
            _shutdown()
            pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=process_context(), initializer=exit_with_parent
            )
            _POOL.update(workers=workers, pid=os.getpid(), pool=pool)
        return FuturesExecutor(_POOL["pool"], f"local processes ({workers} workers)")


def drop_shared_pool(wait: bool = True) -> None:
    """Shut the shared pool down (the next run starts a new one); ``wait`` for its workers and
    its manager thread to end, so that the next pool can be forked from a one-thread process."""
    with _POOL_LOCK:
        _shutdown(wait)


def _shutdown(wait: bool = True) -> None:
    pool = _POOL.pop("pool", None)
    _POOL.clear()
    if pool is not None:
        pool.shutdown(wait=wait, cancel_futures=True)


atexit.register(drop_shared_pool, wait=False)
