"""The search's memory: every candidate staffing plan simulated once, with common random
numbers (the same seed and replications), the cheapest plan that meets every target, and the
periods staffing cannot fix (``give_up``). Used by ``ccsim.optimize.staffing``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

import ccsim.api as api
from ccsim.optimize.problem import Problem, Shares, judge, performance, with_staffing, work_shares

Staffing = dict[str, np.ndarray]
Progress = Callable[[str], None]
# what a plan achieved (``performance``, free of targets) and who did which work, by plan: searches
# of the same scenario, seed and replications for other targets share it (``ccsim frontier``)
Memory = dict[tuple[int, ...], tuple[pd.DataFrame, tuple[Shares, Shares]]]


class _Search:
    """Simulates candidate plans with common random numbers and remembers every result."""

    def __init__(
        self,
        problem: Problem,
        replications: int,
        seed: int,
        budget: int,
        confidence: float,
        progress: Progress | None,
        workers: int | None = None,
        memory: Memory | None = None,
        executor: Any = None,
    ):
        self.problem, self.replications, self.seed, self.budget = problem, replications, seed, budget
        self.confidence = confidence
        self.progress = progress
        self.workers = workers
        self.executor = executor
        self.memory: Memory = {} if memory is None else memory
        self.simulated = 0  # simulations this search ran (plans found in memory are free)
        self.seen: dict[tuple[int, ...], tuple[pd.DataFrame, tuple[Shares, Shares]]] = {}
        self.best: tuple[tuple[float, int], Staffing] | None = None
        self.closest: tuple[tuple[int, float], Staffing] | None = None  # fewest misses, if none is feasible
        self.history: list[dict[str, Any]] = []
        self.contacts = any(len(v) > 1 for v in problem.serves.values())
        self.calls = 0
        # (channel, period) whose service level more agents do not raise (see _repair_loop):
        # left out of the feasibility test, since no staffing meets them
        self.futile: set[tuple[str, int]] = set()
        self.levels: dict[tuple[str, int], list[tuple[float, int]]] = {}  # (SL, agents) at repairs

    @property
    def exhausted(self) -> bool:
        """The budget of simulations is spent (or of steps, should the search revisit plans)."""
        return self.simulated >= self.budget or self.calls >= 4 * self.budget

    def key(self, n: Staffing) -> tuple[int, ...]:
        return tuple(int(v) for g in self.problem.groups for v in n[g])

    def adjusted(self, perf: pd.DataFrame) -> pd.DataFrame:
        """``perf`` with the futile periods counted as meeting their target."""
        if not self.futile:
            return perf
        cells = list(zip(perf["channel"].astype(str), perf["period"].astype(int), strict=True))
        out = perf.copy()
        out["meets"] = perf["meets"].to_numpy() | np.array([c in self.futile for c in cells])
        return out

    def give_up(
        self, cells: set[tuple[str, int]], why: str = "more agents there do not raise its service level"
    ) -> None:
        """Leave ``cells`` out of the feasibility test, saying ``why``; the plans seen are
        judged again."""
        new = cells - self.futile
        if not new:
            return
        self.futile |= new
        if self.progress:
            names = ", ".join(f"{c} {_clock(self.problem, k)}" for c, k in sorted(new))
            self.progress(f"left alone: {names} ({why})")
        for key, (perf, _) in self.seen.items():
            staffing = self._staffing(key)
            self._judge(staffing, self.adjusted(perf))

    def _staffing(self, key: tuple[int, ...]) -> Staffing:
        p, it = self.problem.n_periods, iter(key)
        return {g: np.array([next(it) for _ in range(p)]) for g in self.problem.groups}

    def _judge(self, n: Staffing, perf: pd.DataFrame) -> bool:
        """Keep the cheapest plan that meets every target, and the one closest to it."""
        cost = self.problem.plan_cost(n)
        ok = bool(perf["meets"].all())
        rank = (round(cost, 6), int(sum(n[g].sum() for g in n)))  # cost, then agent-periods
        if ok and (self.best is None or rank < self.best[0]):
            self.best = (rank, {g: v.copy() for g, v in n.items()})
        near = (int((~perf["meets"]).sum()), cost)
        if self.closest is None or near < self.closest[0]:
            self.closest = (near, {g: v.copy() for g, v in n.items()})
        return ok

    def run(self, n: Staffing, step: str) -> tuple[pd.DataFrame, tuple[Shares, Shares]]:
        """The performance of plan ``n`` (simulated once; futile periods count as met)."""
        self.calls += 1
        k = self.key(n)
        if k not in self.seen:
            remembered = k in self.memory
            if not remembered:
                scenario = with_staffing(self.problem.scenario, n)
                res = api.simulate(
                    scenario,
                    replications=self.replications,
                    seed=self.seed,
                    contacts=self.contacts,
                    workers=self.workers,
                    executor=self.executor,
                )
                self.memory[k] = (performance(self.problem, res), work_shares(self.problem, res))
                self.simulated += 1
            sums, shares = self.memory[k]
            perf = judge(self.problem, sums, self.confidence)
            self.seen[k] = (perf, shares)
            cost = self.problem.plan_cost(n)
            judged = self.adjusted(perf)
            ok = self._judge(n, judged)
            self.history.append(
                {
                    "simulation": self.simulated,
                    "remembered": remembered,
                    "step": step,
                    "cost": cost,
                    "feasible": ok,
                    "agents": int(sum(n[g].sum() for g in n)),
                    "failing": int((~judged["meets"]).sum()),
                }
            )
            if self.progress:
                state = "meets every target" if ok else f"{self.history[-1]['failing']} misses"
                agents = self.history[-1]["agents"]
                what = "remembered plan" if remembered else f"simulation {self.simulated}"
                self.progress(f"{what} ({step}): {agents} agent-periods, cost {cost:,.0f}, {state}")
        perf, shares = self.seen[k]
        return self.adjusted(perf), shares


def _clock(problem: Problem, k: int) -> str:
    t = (problem.scenario.scenario.start + k * problem.period_s) % 86400
    return f"{int(t // 3600):02d}:{int(t % 3600 // 60):02d}"
