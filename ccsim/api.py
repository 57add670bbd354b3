"""The public entry points: ``load``, ``simulate``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ccsim.economics.sites import with_site_costs
from ccsim.metrics import SLRule
from ccsim.progress import ProgressOption, SweepProgress
from ccsim.replications import run as replications_run
from ccsim.results import Results, summarise
from ccsim.scenario import Scenario
from ccsim.scenario import load as _load
from ccsim.tables import Layout, Record, agents_table, contacts_table, intervals_table, kpi_table
from ccsim.workload import overload_warnings


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file (raises ``ConfigError`` with a clear message)."""
    return _load(path)


def simulate(
    scenario: Scenario | str | Path,
    replications: int | Sequence[int] | None = None,
    seed: int | None = None,
    contacts: bool = True,
    progress: ProgressOption = None,
    workers: int | None = None,
    executor: Any = None,
) -> Results:
    """Simulate a scenario and return its ``Results``.

    ``replications`` and ``seed`` default to the scenario's own. ``replications`` may also be a
    list of replication indices: replication ``r`` of a seed is the same whichever others run
    with it, so a sweep can spread one scenario's replications over workers. With
    ``contacts=False`` the per-contact table is not kept (intervals, agents and the summary
    still are). ``progress``: ``progress(done, total)`` is called as replications finish;
    ``True`` shows a progress bar, ``None`` or ``False`` nothing.

    Replications are spread over ``workers`` local processes (default: one per core; 1: this
    process only), or run on ``executor``: a Dask scheduler address (``"tcp://host:8786"``), a
    ``distributed.Client``, a ``concurrent.futures.Executor``, ``"processes"`` (the default) or
    ``"serial"``. The numbers are the same whatever runs them. A run expected to take under half
    a second after its first replication stays in this process (``ccsim.replications``).
    """
    if not isinstance(scenario, Scenario):
        scenario = _load(scenario)
    sc = scenario.scenario
    if replications is None:
        indices = list(range(sc.replications))
    elif isinstance(replications, int):
        indices = list(range(replications))
    else:
        indices = [int(r) for r in replications]
    root = sc.seed if seed is None else int(seed)
    if not indices or min(indices) < 0 or len(set(indices)) != len(indices):
        raise ValueError(f"replications must be >= 1, or distinct indices >= 0 (got {replications!r})")
    t0 = time.perf_counter()
    with _progress(progress, len(indices), scenario.name) as report:
        records = replications_run(scenario, root, indices, contacts, workers, executor, report)
    return _results(scenario, root, records, contacts, t0)


def _results(scenario: Scenario, seed: int, records: list[Record], contacts: bool, t0: float) -> Results:
    """The tables of a run, built once from the records of all its replications."""
    plan = scenario.plan
    rule = SLRule(plan.channels)
    layout = Layout(plan)
    agents = agents_table(plan, records)
    per_rep = with_site_costs(kpi_table(plan, layout, records), agents, scenario.config)
    return Results(
        scenario=scenario,
        seed=seed,
        replications=len(records),
        contacts=contacts_table(plan, records) if contacts else None,
        intervals=intervals_table(plan, layout, records),
        agents=agents,
        per_replication=per_rep,
        summary=summarise(per_rep, rule, plan.channel_names),
        sl_definitions=dict(rule.text),
        warnings=overload_warnings(scenario, plan),
        wall_time_s=time.perf_counter() - t0,
    )


@contextmanager
def _progress(
    progress: ProgressOption, total: int, label: str
) -> Iterator[Callable[[int, int], None] | None]:
    """The ``progress(done, total)`` callable of a run: the user's, a bar (True), or none."""
    if progress is None or progress is False:
        yield None
    elif progress is True:
        with SweepProgress(total, 0, label, True) as bar:
            yield lambda done, _total: bar.advance(done - bar.done, True)
    elif callable(progress):
        yield progress
    else:
        raise TypeError(f"progress must be True, False, None or a callable (got {type(progress).__name__})")
