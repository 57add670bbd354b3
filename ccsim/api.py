"""The public entry points: ``load``, ``simulate``."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from ccsim.config.loader import Scenario
from ccsim.config.loader import load as _load
from ccsim.engine import run_replication
from ccsim.metrics import Accumulator, SLRule
from ccsim.results import Results, replication_kpis, summarise


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file (raises ``ConfigError`` with a clear message)."""
    return _load(path)


def simulate(
    scenario: Scenario | str | Path,
    replications: int | Sequence[int] | None = None,
    seed: int | None = None,
    contacts: bool = True,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> Results:
    """Simulate a scenario and return its ``Results``.

    ``replications`` and ``seed`` default to the scenario's own. ``replications`` may also be a
    list of replication indices: replication ``r`` of a seed is the same whichever others run
    with it, so a sweep can spread one scenario's replications over workers. With ``contacts=False`` the
    per-contact table is not kept (intervals, agents and the summary still are). ``progress``
    is called as ``progress(done, total)`` after each replication.
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
    reps = len(indices)
    t0 = time.perf_counter()
    plan = scenario.plan
    rule = SLRule(scenario.channels, plan.channel_names)
    contact_frames, interval_frames, agent_frames, kpi_frames = [], [], [], []
    for done, r in enumerate(indices, start=1):
        acc = Accumulator(plan, rule, r, keep_contacts=contacts)
        info = run_replication(plan, root, r, acc)
        iv = acc.intervals()
        ag = acc.agents(info.spans)
        interval_frames.append(iv)
        agent_frames.append(ag)
        kpi_frames.append(replication_kpis(plan, r, acc.served_waits(), iv, ag))
        if contacts:
            contact_frames.append(acc.contacts())
        del acc
        if progress is not None:
            progress(done, reps)
    per_rep = pd.concat(kpi_frames, ignore_index=True)
    from ccsim.workload import overload_warnings

    return Results(
        scenario=scenario,
        seed=root,
        replications=reps,
        contacts=pd.concat(contact_frames, ignore_index=True) if contacts else None,
        intervals=pd.concat(interval_frames, ignore_index=True),
        agents=pd.concat(agent_frames, ignore_index=True),
        per_replication=per_rep,
        summary=summarise(per_rep, rule, plan.channel_names),
        sl_definitions=dict(rule.text),
        warnings=overload_warnings(scenario, plan),
        wall_time_s=time.perf_counter() - t0,
    )
