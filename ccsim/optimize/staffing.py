"""Least-cost staffing per period and group that meets each channel's service-level target
(and abandonment cap) in simulation.

The search, with common random numbers throughout (every candidate plan is simulated with the
same seed and replications, so differences between plans are not noise):

1. **Pilot and analytic start.** A pilot run of the scenario as configured measures the
   offered load of each channel and period, including the contacts the journeys create. Each
   real-time channel gets the Erlang C (no patience) or Erlang A agents for its target, each
   deferred channel its offered load, shared among the groups able to take the work.
2. **Simulation-corrected fixed point** (after the iterative staffing algorithm, ISA, of
   Feldman, Mandelbaum, Massey and Whitt 2008): simulate the plan; in each channel and period
   measure the gap between the simulated service level and the Erlang value at the agents
   working there, and re-staff every period by the formula shifted by that gap; repeat until
   the plan stops changing (or misses rise twice running; the search goes on from the plan
   whose cost plus about two agents per miss is least). ISA takes a tail quantile of the
   simulated number in system to reach a delay probability; the gap correction reaches
   service-level thresholds and abandonment caps, carries the time lags and backlogs of
   time-varying demand through the simulation, and lets several groups share a channel
   (multi-skill).
3. **Repair**: while a channel misses its target in a period, add an agent there to the group
   doing most of that channel's work; a period two more agents did not improve is left alone
   (``_Search.give_up``: staffing cannot meet it).
4. **Trim**: remove one agent where the corrected formula says the target still holds (several
   where it calls them all surplus), a batch of periods at a time (never two neighbours); keep
   the removals that hold in simulation. A
   period where a removal failed is *binding*: one agent fewer misses the target.

The result is verified by an independent simulation (another seed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import ccsim.api as api
from ccsim.confidence import t_half_width
from ccsim.economics.targets import risk
from ccsim.optimize.problem import ChannelTarget, Problem, Shares, build_problem, measure, with_staffing
from ccsim.optimize.search import Memory, Progress, Staffing, _clock, _Search
from ccsim.results import Results
from ccsim.scenario import Scenario

SCREEN = 0.02  # try a removal in simulation when the formula expects at most this shortfall
MIN_REPLICATIONS = 20  # per-interval service levels are noisy: at least this many by default
FUTILE = 0.002  # a period whose service level rose less than this with two more agents: stop there


@dataclass
class Verification:
    """An independent simulation of a plan (another seed)."""

    seed: int
    replications: int
    performance: pd.DataFrame  # per channel and period: pooled SL, per-replication mean and CI
    meets: bool  # every channel and period meets its target (pooled over the replications)
    consistent: bool  # no channel and period is significantly below its target (95% CI)
    risk: pd.DataFrame  # ccsim.economics.risk: probability an interval / a day meets the target
    results: Results

    @property
    def cost(self) -> float:
        """Mean staffing cost per replication, from the verification run's money tables."""
        return float(self.results.money.kpi("staffing")[0])


@dataclass
class StaffingPlan:
    """A staffing plan: agents per period for each optimised group, and how it was found."""

    problem: Problem
    staffing: pd.DataFrame  # period, start, one column per group
    cost: float  # nominal staffing cost of the plan over the run (currency)
    scenario: Scenario  # the scenario with the plan in place
    performance: pd.DataFrame  # measure() under the optimisation's seed
    # (group, period) where one agent fewer misses a target, in simulation or by the formula
    binding: list[tuple[str, int]]
    simulations: int
    seed: int
    replications: int
    verification: Verification | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    feasible: bool = True  # False: no plan met every target within the budget; this one misses fewest

    @property
    def on_duty(self) -> pd.DataFrame:
        """Per period, the agents expected on duty of each optimised group with absence, breaks
        or blocks (the plan's rostered agents x the share of them on duty in the pilot)."""
        out = self.staffing[["period", "start"]].copy()
        for g in self.problem.groups:
            if g in self.problem.on_duty:
                out[g] = self.staffing[g].to_numpy() * self.problem.on_duty[g]
        return out

    def as_arrays(self) -> Staffing:
        return {g: self.staffing[g].to_numpy(dtype=int) for g in self.problem.groups}

    def to_csv(self, path: str | Path) -> Path:
        """Write the plan: one row per period, a ``start`` column and one column per group."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        table = self.staffing.drop(columns=["period"])
        for g in self.problem.on_duty:  # rostered agents in the group's column; on duty beside it
            table[f"{g}_on_duty"] = self.on_duty[g].round(2)
        table.to_csv(p, index=False)
        return p

    def config_lines(self, csv: str) -> str:
        """TOML for the scenario file: each optimised group's ``staffing`` line loading the plan
        written to ``csv`` (a path relative to the scenario file), under its table header; it
        replaces the group's ``count``, ``staffing`` or ``shifts``."""
        return "\n\n".join(
            f'[agents.{g}]\nstaffing = {{ file = "{csv}", column = "{g}" }}' for g in self.problem.groups
        )

    def verify(
        self,
        replications: int | None = None,
        seed: int | None = None,
        workers: int | None = None,
        executor: Any = None,
    ) -> Verification:
        """Simulate the plan with an independent seed (default: the optimisation seed + 1)."""
        seed = self.seed + 1 if seed is None else seed
        reps = replications or max(self.replications, 10)
        results = api.simulate(
            self.scenario, replications=reps, seed=seed, contacts=False, workers=workers, executor=executor
        )
        perf = measure(self.problem, results)
        perf = perf.merge(_per_replication(self.problem, results), on=["channel", "period"], how="left")
        perf["below"] = (perf["sl_mean"] + perf["sl_ci95"].fillna(0.0) < perf["target"]) & ~perf["meets"]
        targets = {c.name: c.target for c in self.problem.channels}
        self.verification = Verification(
            seed,
            reps,
            perf,
            bool(perf["meets"].all()),
            not bool(perf["below"].any()),
            risk(results, targets),
            results,
        )
        return self.verification


def _per_replication(problem: Problem, results: Results) -> pd.DataFrame:
    """Mean and 95% half-width across replications of each channel and period's service level."""
    iv = results.intervals
    frame = iv[iv["channel"].astype(str).isin([c.name for c in problem.channels])]
    frame = frame.assign(
        channel=frame["channel"].astype(str), period=problem.period_of_interval[frame["interval"].to_numpy()]
    )
    g = frame.groupby(["channel", "period", "replication"])[["sl_numerator", "sl_denominator"]].sum()
    g = g[g["sl_denominator"] > 0]
    sl = (g["sl_numerator"] / g["sl_denominator"]).rename("sl").reset_index()
    out = sl.groupby(["channel", "period"])["sl"].agg(
        sl_mean="mean", sl_ci95=lambda v: t_half_width(v.to_numpy())
    )
    return out.reset_index()


# ---------------------------------------------------------------------- the search


def _cells(perf: pd.DataFrame) -> dict[tuple[str, int], pd.Series]:
    return {(str(r.channel), int(r.period)): r for r in perf.itertuples(index=False)}


def _share(shares: Shares, c: str, g: str, k: int) -> float:
    v = shares.get((c, g))
    return float(v[k]) if v is not None else 0.0


def _effective(problem: Problem, n: Staffing, alpha: Shares, c: str, k: int) -> float:
    """Agents on duty working on channel c in period k: each group's rostered agents, less
    those absent or off the phones, split by its work mix."""
    return float(
        sum(n[g][k] * problem.availability(g, k) * _share(alpha, c, g, k) for g in problem.serves[c])
    )


def _need(problem: Problem, ch: ChannelTarget, k: int, row: pd.Series, eff: float) -> float:
    """Agents channel ``ch`` needs in period k: the Erlang formula shifted by the gap between
    simulation and formula at the agents working there now; for deferred channels the agents
    there now, plus a tenth where the target is missed."""
    now = max(1, round(eff))
    base = problem.analytic(ch, k, now)
    if base is None:
        return eff if row.meets else eff + max(1.0, 0.1 * eff)
    need = problem.agents_needed(ch, k, row.service_level - base[0], row.abandon_rate - base[1])
    return float(need if need is not None else now)


def analytic_start(problem: Problem) -> Staffing:
    """Erlang C/A agents per real-time channel and period, the offered load for deferred
    channels, shared among groups in proportion to the load each can take."""
    n = {g: np.zeros(problem.n_periods) for g in problem.groups}
    for ch in problem.channels:
        for k in range(problem.n_periods):
            need = problem.agents_needed(ch, k, 0.0, 0.0)
            if need is None:
                a = problem.rate[ch.name][k] * np.nan_to_num(problem.handle[ch.name][k])
                need = math.ceil(a) if a > 0 else 0
            working = problem.staffable(ch.name, k)
            loads = [problem.load.get((ch.name, g), np.zeros(problem.n_periods))[k] for g in working]
            total_k = sum(loads)  # (the load of the groups whose site is open)
            for g, load in zip(working, loads, strict=True):
                share = load / total_k if total_k > 0 else 0.0
                n[g][k] += need * share / problem.availability(g, k)  # rostered for those on duty
    return {g: np.ceil(v - 1e-9).astype(int) for g, v in n.items()}


def _fixed_point_step(
    problem: Problem, n: Staffing, perf: pd.DataFrame, shares: tuple[Shares, Shares]
) -> Staffing:
    """Step 2: each channel's change of agents (need - agents working on it now) is shared
    among its groups by the work they do for it; increases are taken whole, decreases damped
    (at most a quarter a step) because the gap moves with the staffing (retrials, callbacks and
    partners react to it)."""
    alpha, beta = shares
    cells = _cells(perf)
    delta = {g: np.zeros(problem.n_periods) for g in problem.groups}
    for ch in problem.channels:
        for k in range(problem.n_periods):
            row = cells.get((ch.name, k))
            if row is None or row.sl_denominator == 0:
                continue
            eff = _effective(problem, n, alpha, ch.name, k)
            change = _need(problem, ch, k, row, eff) - eff
            for g in problem.staffable(ch.name, k):  # (none at a closed site)
                delta[g][k] += change * _share(beta, ch.name, g, k) / problem.availability(g, k)
    out = {}
    for g in problem.groups:
        step = np.where(delta[g] > 0, np.ceil(delta[g] - 1e-9), np.trunc(delta[g]))
        step = np.clip(step, -np.maximum(1, n[g] // 4), np.maximum(2, n[g] // 2))
        out[g] = np.maximum(n[g] + step, 0).astype(int)
    return out


def _repair(problem: Problem, n: Staffing, perf: pd.DataFrame, shares: tuple[Shares, Shares]) -> Staffing:
    """Step 3: where a channel misses its target, the agents the corrected formula says are
    missing (at least one), to the group doing most of that channel's work."""
    alpha, beta = shares
    out = {g: v.copy() for g, v in n.items()}
    added: set[tuple[str, int]] = set()
    spec = {c.name: c for c in problem.channels}
    for row in perf[~perf["meets"]].itertuples(index=False):
        c, k = str(row.channel), int(row.period)
        groups = problem.staffable(c, k)
        if not groups:
            continue
        g = max(groups, key=lambda g: (_share(beta, c, g, k), -problem.cost[g]))
        if (g, k) not in added:
            eff = _effective(problem, n, alpha, c, k)
            missing = _need(problem, spec[c], k, row, eff) - eff
            per_agent = max(_share(alpha, c, g, k), 0.25) * problem.availability(g, k)
            out[g][k] += max(1, min(math.ceil(missing / per_agent), 1 + n[g][k] // 4))
            added.add((g, k))
    return out


def _safe_to_remove(
    problem: Problem,
    n: Staffing,
    cells: dict[tuple[str, int], pd.Series],
    shares: tuple[Shares, Shares],
    g: str,
    k: int,
    fewer: int = 1,
) -> bool:
    """Does the gap-corrected formula expect every channel the group serves in period k to
    still meet its target with ``fewer`` agents fewer: within ``SCREEN`` for one agent, fully
    for more (a bulk removal must be surplus by the formula; deferred channels allow one)?"""
    alpha, _ = shares
    screen = SCREEN if fewer == 1 else 0.0
    for ch in problem.channels:
        share = _share(alpha, ch.name, g, k)
        row = cells.get((ch.name, k))
        if g not in problem.serves[ch.name] or row is None or row.sl_denominator == 0 or share <= 0:
            continue
        if not row.meets:
            return False
        eff = _effective(problem, n, alpha, ch.name, k)
        now = max(1, round(eff))
        base = problem.analytic(ch, k, now)
        if base is None:
            if fewer > 1:
                return False
            continue  # deferred: only a simulation can tell
        after = problem.analytic(ch, k, max(0, round(eff - share * problem.availability(g, k) * fewer)))
        assert after is not None
        cap = ch.abandon_cap
        sl = after[0] + row.service_level - base[0]
        ab = after[1] + row.abandon_rate - base[1]
        if sl < ch.target - screen or (cap is not None and ab > cap + screen / 4):
            return False
    return True


def _removable(
    problem: Problem,
    n: Staffing,
    cells: dict[tuple[str, int], pd.Series],
    shares: tuple[Shares, Shares],
    g: str,
    k: int,
    most: int,
) -> int:
    """How many agents the trim may take from group ``g`` in period ``k`` at once: the most
    (up to ``most``) the corrected formula calls surplus, else one if ``_safe_to_remove``."""
    if most < 1 or not _safe_to_remove(problem, n, cells, shares, g, k):
        return 0
    r = 1
    while r < most and _safe_to_remove(problem, n, cells, shares, g, k, r + 1):
        r += 1
    return r


def optimize_staffing(
    scenario: Scenario,
    *,
    groups: list[str] | None = None,
    targets: dict[str, float] | None = None,
    replications: int | None = None,
    seed: int | None = None,
    start: Staffing | None = None,
    max_simulations: int = 80,
    confidence: float = 0.75,
    require_feasible: bool = True,
    verify: bool = True,
    verify_replications: int | None = None,
    progress: Progress | None = None,
    pilot: Results | None = None,
    workers: int | None = None,
    memory: Memory | None = None,
    executor: Any = None,
) -> StaffingPlan:
    """The least-cost plan found (see the module docstring). ``targets`` override channels'
    targets by name; ``start`` (agents per period by group) replaces the analytic start;
    ``pilot`` is a run of ``scenario`` to measure the offered load from (default: one is made).
    A period meets its target when the simulated service level is at least the target with
    one-sided ``confidence`` (0.5: the point estimate; higher guards against accepting plans
    that only looked good by chance, at the price of more agents). ``workers``: processes for
    the replications of each simulation, or ``executor`` (a Dask scheduler address or client, as for
    ``ccsim.simulate``); ``memory``: what plans achieved in
    earlier searches of the same scenario, seed and replications (for other targets), filled as
    this search goes (``search.Memory``)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence: must be in (0, 1) (got {confidence!r})")
    if targets:
        scenario = scenario.with_overrides(
            {f"channels.{c}.service_level.target": float(t) for c, t in targets.items()}
        )
    reps = replications or max(scenario.scenario.replications, MIN_REPLICATIONS)
    seed = scenario.scenario.seed if seed is None else seed
    if pilot is None:
        pilot = api.simulate(
            scenario, replications=reps, seed=seed, contacts=False, workers=workers, executor=executor
        )
    problem = build_problem(scenario, pilot, groups)
    search = _Search(problem, reps, seed, max_simulations, confidence, progress, workers, memory, executor)
    n = {g: np.asarray(v, dtype=int).copy() for g, v in (start or analytic_start(problem)).items()}
    for g in problem.groups:  # nobody works at a site while it is closed
        n[g][problem.closed(g)] = 0
    search.give_up(_unstaffable(problem), "no staffed group's site is open then")
    n = _fixed_point(search, n)  # 2.
    n = _repair_loop(search, n)  # 3.
    binding = _trim(search, n)  # 4.
    if search.best is None and (require_feasible or search.closest is None):
        raise RuntimeError("no plan met every target within the simulation budget; raise max_simulations")
    plan = _best_plan(search, scenario, binding)
    if verify:
        plan.verify(verify_replications, workers=workers, executor=executor)
    return plan


def _unstaffable(problem: Problem) -> set[tuple[str, int]]:
    """The (channel, period) cells with demand where no staffed group's site is open: no plan
    of these groups can serve them, so the search leaves them alone from the start."""
    return {
        (ch.name, k)
        for ch in problem.channels
        for k in range(problem.n_periods)
        if problem.rate[ch.name][k] > 0 and not problem.staffable(ch.name, k)
    }


def _fixed_point(search: _Search, n: Staffing) -> Staffing:
    """Step 2, the fixed point; stop when misses rose twice running, and go on from the plan
    whose cost plus the repair of its misses (about two agents each) is least."""
    problem = search.problem
    tried: list[tuple[int, float, Staffing]] = []
    for _ in range(8):
        perf, shares = search.run(n, "correct")
        tried.append((int((~perf["meets"]).sum()), problem.plan_cost(n), n))
        nxt = _fixed_point_step(problem, n, perf, shares)
        rising = len(tried) >= 3 and tried[-1][0] > tried[-2][0] > tried[-3][0]
        if search.key(nxt) in search.seen or search.exhausted or rising:
            break
        n = nxt
    per_miss = 2.0 * float(np.mean([problem.cost[g] for g in problem.groups]))
    return min(tried, key=lambda t: (t[1] + per_miss * t[0], t[0]))[2]


def _best_plan(search: _Search, scenario: Scenario, binding: set[tuple[str, int, int]]) -> StaffingPlan:
    """The cheapest plan that met every target (else the closest), simulated once more, with
    the periods where one agent fewer missed a target."""
    problem = search.problem
    best = search.best[1] if search.best is not None else search.closest[1]  # type: ignore[index]
    cost = problem.plan_cost(best)
    perf, _ = search.run(best, "final")
    staffing = pd.DataFrame({"period": np.arange(problem.n_periods)})
    staffing.insert(1, "start", [_clock(problem, k) for k in range(problem.n_periods)])
    for g in problem.groups:
        staffing[g] = best[g]
    return StaffingPlan(
        problem,
        staffing,
        cost,
        with_staffing(scenario, best),
        perf,
        sorted((g, k) for g, k, level in binding if best[g][k] == level > 0),
        search.simulated,
        search.seed,
        search.replications,
        history=search.history,
        feasible=search.best is not None,
    )


def _repair_loop(search: _Search, n: Staffing) -> Staffing:
    """Step 3. A period whose service level does not rise although agents were added to it
    twice is left alone (``FUTILE``): what it misses, staffing there cannot buy (contacts that
    arrive before the agents can help, a burst in the simulated sample). Without this the
    search would spend its budget adding agents that stay in the plan and help nobody."""
    while not search.exhausted:
        perf, shares = search.run(n, "repair")
        if perf["meets"].all():
            break
        futile = set()
        for row in perf[~perf["meets"]].itertuples(index=False):
            cell = (str(row.channel), int(row.period))
            agents = sum(int(n[g][cell[1]]) for g in search.problem.serves[cell[0]])
            levels = search.levels.setdefault(cell, [])
            levels.append((float(row.service_level), agents))
            if len(levels) >= 3:
                (sl0, n0), (sl1, n1) = levels[-3], levels[-1]
                if n1 >= n0 + 2 and sl1 - sl0 < FUTILE:  # two agents more, no better
                    futile.add(cell)
        if futile:
            search.give_up(futile)
            perf = search.adjusted(perf)
            if perf["meets"].all():
                break
        repaired = _repair(search.problem, n, perf, shares)
        if search.key(repaired) == search.key(n):
            break  # nothing a staffed group can do
        n = repaired
    return n


def _trim(search: _Search, n: Staffing) -> set[tuple[str, int, int]]:
    """Step 4; returns the (group, period, agents) at which one agent fewer missed a target.
    Where the corrected formula calls several agents surplus they go at once (at most a quarter
    of the period's agents); a bulk removal that fails in simulation is halved next time."""
    problem = search.problem
    tried: set[tuple[str, int, int]] = set()
    binding: set[tuple[str, int, int]] = set()
    bulk: dict[tuple[str, int], int] = {}  # (group, period) -> most agents to take at once
    by_cost = sorted(problem.groups, key=lambda g: -problem.cost[g])
    parity = 0
    idle_rounds = 0
    while not search.exhausted and idle_rounds < 2:
        perf, shares = search.run(n, "trim")
        if not perf["meets"].all():
            n = _repair_loop(search, n)
            continue
        cells = _cells(perf)
        batch: list[tuple[str, int, int]] = []
        for k in range(parity, problem.n_periods, 2):
            for g in by_cost:
                if n[g][k] > 0 and (g, k, int(n[g][k])) not in tried:
                    most = min(bulk.get((g, k), max(1, int(n[g][k]) // 4)), int(n[g][k]))
                    r = _removable(problem, n, cells, shares, g, k, most)
                    if r > 0:
                        batch.append((g, k, r))
                        break
                    tried.add((g, k, int(n[g][k])))
                    binding.add((g, k, int(n[g][k])))
        parity = 1 - parity
        if not batch:
            idle_rounds += 1
            continue
        idle_rounds = 0
        trial = {g: v.copy() for g, v in n.items()}
        for g, k, r in batch:
            trial[g][k] -= r
        perf_t, _ = search.run(trial, "trim")
        failing = perf_t[~perf_t["meets"]]
        spec = {c.name: c for c in problem.channels}
        revert = set()
        for row in failing.itertuples(index=False):
            c, k2 = str(row.channel), int(row.period)
            for g, k, _r in batch:
                if g in problem.serves[c] and 0 <= (k2 - k) % problem.n_periods <= spec[c].lag:
                    revert.add((g, k))
        for g, k, r in batch:
            if (g, k) not in revert:
                n[g][k] -= r
            elif r > 1:
                bulk[(g, k)] = r // 2
            else:
                tried.add((g, k, int(n[g][k])))
                binding.add((g, k, int(n[g][k])))
    return binding
