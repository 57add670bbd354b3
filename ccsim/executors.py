"""Executors: where a sweep's tasks and a run's chunks of replications run
(``ccsim.experiments`` and ``ccsim.replications`` use them).

Every executor has one method, ``map(fn, tasks)``, yielding ``(index, result)`` as tasks finish,
in any order; a task that could not run (a worker that died, a lost connection) yields the
exception instead of a result. The sweep's numbers never depend on the executor: each task is a
pure function of its inputs.

- :class:`SerialExecutor`: one task after another in this process (debugging, tiny sweeps).
- :class:`ProcessExecutor`: local processes, one per core by default (``concurrent.futures``).
- :class:`DaskExecutor`: a ``dask.distributed`` cluster, given a scheduler address
  (``"tcp://host:8786"``) or a ``distributed.Client``. Workers need ccsim installed (the same
  version) and read the files the scenario names from the same paths.
- :class:`FuturesExecutor`: any ``concurrent.futures.Executor`` you already have.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor as _StdExecutor
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol, runtime_checkable

from ccsim.config.errors import ConfigError


@runtime_checkable
class Executor(Protocol):
    """What a sweep needs from an executor."""

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]: ...

    def describe(self) -> str: ...


class SerialExecutor:
    """Run the tasks one after another in this process."""

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        for i, task in enumerate(tasks):
            try:
                result = fn(task)
            except Exception as exc:  # the task functions catch their own errors; this is a net
                result = exc
            yield i, result

    def describe(self) -> str:
        return "serial"


def process_context() -> Any:
    """How local worker processes start.

    On Linux, ``fork`` while this process has a single thread: workers start at once, and a
    script needs no ``if __name__ == "__main__":`` guard. With other threads running (Jupyter,
    a Dask client), where forking is unsafe, ``forkserver``; on macOS and Windows ``spawn`` (the
    platforms' defaults; a script then needs the guard, as with any multiprocessing code).
    """
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if sys.platform.startswith("linux") and "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["ccsim.experiments.tasks", "ccsim.replications"])
        return ctx
    return multiprocessing.get_context("spawn")


MAIN_GUARD = (
    "Worker processes start by re-running the main script, so put a script's code under "
    '`if __name__ == "__main__":` (or use executor="serial").'
)


def exit_with_parent() -> None:
    """In a worker process: exit as soon as the process that started it is gone (a sweep killed
    with SIGKILL cannot shut its pool down, and idle workers would otherwise wait for ever)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="ccsim-exit-with-parent", daemon=True).start()


class FuturesExecutor:
    """Run the tasks on a ``concurrent.futures.Executor`` (not shut down afterwards)."""

    def __init__(self, pool: _StdExecutor, name: str | None = None):
        self.pool = pool
        self.name = name or type(pool).__name__

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        futures = {self.pool.submit(fn, task): i for i, task in enumerate(tasks)}
        return self._results(futures)

    @staticmethod
    def _results(futures: dict[Any, int]) -> Iterator[tuple[int, Any]]:
        try:
            for fut in as_completed(futures):
                try:
                    result = fut.result()
                except Exception as exc:
                    result = exc
                yield futures[fut], result
        finally:
            for fut in futures:
                fut.cancel()

    def describe(self) -> str:
        return self.name


class ProcessExecutor:
    """Local processes: ``workers`` of them (default: one per core)."""

    def __init__(self, workers: int | None = None):
        if workers is not None and (isinstance(workers, bool) or int(workers) < 1):
            raise ConfigError([f"workers: must be >= 1 (got {workers!r})"])
        self.workers = int(workers) if workers is not None else (os.cpu_count() or 1)

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """Submit every task now (the workers start here), and yield results as they finish."""
        if not tasks:
            return iter(())
        if getattr(multiprocessing.current_process(), "_inheriting", False):
            raise RuntimeError(f"ccsim.sweep was called while a worker process was starting. {MAIN_GUARD}")
        pool = ProcessPoolExecutor(
            max_workers=min(self.workers, len(tasks)),
            mp_context=process_context(),
            initializer=exit_with_parent,
        )
        return self._results(pool, FuturesExecutor(pool).map(fn, tasks))

    @staticmethod
    def _results(pool: ProcessPoolExecutor, results: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
        finished = False
        try:
            for i, result in results:
                if isinstance(result, BrokenProcessPool):
                    result = RuntimeError(f"{result} A worker process died. {MAIN_GUARD}")
                yield i, result
            finished = True
        finally:
            # interrupted: drop what has not started and do not wait for what runs
            pool.shutdown(wait=finished, cancel_futures=True)

    def describe(self) -> str:
        return f"local processes ({self.workers} workers)"


CLUSTER_MISSING = (
    "a Dask cluster needs dask.distributed, which is not installed: pip install 'ccsim[cluster]'"
)


class DaskExecutor:
    """A ``dask.distributed`` cluster: a scheduler ``address`` or a ``Client``.

    Given an address, the executor connects for the sweep and disconnects after it; a client you
    pass stays open. Tasks are submitted with ``pure=False`` and unique keys, so nothing is
    mistaken for a cached result.
    """

    def __init__(self, address: str | None = None, client: Any = None, timeout: float = 10.0):
        if (address is None) == (client is None):
            raise ValueError("DaskExecutor needs a scheduler address or a Client (one of them)")
        self.address = address
        self.client = client
        self.timeout = timeout

    def _connect(self) -> Any:
        try:
            from distributed import Client
        except ImportError:  # an optional dependency: the cluster extra
            raise ConfigError([CLUSTER_MISSING]) from None
        address = str(self.address)
        if address.startswith("tcp://"):  # fail at once on a refused connection (a wrong address)
            host, _, port = address.removeprefix("tcp://").rpartition(":")
            try:
                socket.create_connection((host.strip("[]"), int(port)), timeout=self.timeout).close()
            except (OSError, ValueError) as exc:
                raise ConfigError([f"could not reach the Dask scheduler at {address} ({exc})"]) from None
        try:
            return Client(self.address, timeout=self.timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ConfigError([f"could not reach the Dask scheduler at {self.address} ({exc})"]) from None

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """Connect (given an address), submit every task, and yield results as they finish."""
        if not tasks:
            return iter(())
        own = self.client is None
        client = self._connect() if own else self.client
        tag = uuid.uuid4().hex[:12]
        futures = [
            client.submit(fn, task, key=f"ccsim-sweep-{tag}-{i}", pure=False) for i, task in enumerate(tasks)
        ]
        return self._results(client, futures, own)

    @staticmethod
    def _results(client: Any, futures: list[Any], own: bool) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed as dask_completed

        index = {fut.key: i for i, fut in enumerate(futures)}
        try:
            for fut in dask_completed(futures, loop=client.loop):
                try:
                    result = fut.result()
                except Exception as exc:  # a worker died, the task was lost, ...
                    result = exc
                yield index[fut.key], result
                fut.release()
        finally:
            client.cancel([f for f in futures if not f.done()])
            if own:
                client.close()

    def describe(self) -> str:
        if self.client is not None:
            return f"dask ({getattr(self.client.scheduler, 'address', 'client')})"
        return f"dask ({self.address})"


def make_executor(executor: Any = None, workers: int | None = None) -> Executor:
    """The executor a sweep uses, from the ``executor`` argument of ``ccsim.sweep``.

    ``None`` or ``"processes"``: local processes (``workers`` of them, default one per core);
    ``"serial"``: this process; a scheduler address (``"tcp://host:8786"``) or a
    ``distributed.Client``: that Dask cluster; a ``concurrent.futures.Executor``: that pool; or
    any object with ``map(fn, tasks)`` and ``describe()`` like the executors here.
    """
    if executor is None or executor == "processes":
        return ProcessExecutor(workers)
    if isinstance(executor, str):
        if executor == "serial":
            return SerialExecutor()
        if "://" in executor:
            return DaskExecutor(address=executor)
        raise ConfigError(
            [
                f"executor: must be 'processes', 'serial', a Dask scheduler address such as "
                f"'tcp://host:8786', a distributed.Client or an executor object (got {executor!r})"
            ]
        )
    if type(executor).__module__.split(".")[0] == "distributed" and hasattr(executor, "submit"):
        return DaskExecutor(client=executor)
    if isinstance(executor, _StdExecutor):
        return FuturesExecutor(executor)
    if isinstance(executor, Executor):
        return executor
    raise ConfigError([f"executor: not an executor (got {type(executor).__name__})"])
