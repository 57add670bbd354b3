"""Paired comparison of two runs: the difference of a KPI replication by replication.

Two runs with the same seed see the same customers in replication ``r`` (common random
numbers), so the difference ``b - a`` per replication is far less noisy than the difference of
the two means with their own intervals.

>>> base = ccsim.simulate("configs/quickstart.toml")                                 # doctest: +SKIP
>>> more = ccsim.simulate(scenario.with_overrides({"agents.specialists.count": 18}))  # doctest: +SKIP
>>> ccsim.compare(base, more, "service_level", by="channel", group="phone")           # doctest: +SKIP
Paired(service_level channel=phone: b - a = +0.045 ± 0.018 over 5 common replications, seed 42)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ccsim.confidence import t_half_width


@dataclass(frozen=True)
class Paired:
    """The paired difference ``b - a`` of one KPI over the replications both runs have.

    ``mean`` and ``ci95`` (the 95% Student-t half-width of the mean difference), ``differences``
    (one per common replication, indexed by replication) and whether the two runs used the same
    seed (``common_random_numbers``; with different seeds the interval is still right, only wider).
    """

    kpi: str
    by: str
    group: str
    mean: float
    ci95: float
    differences: pd.Series
    seed_a: int
    seed_b: int

    @property
    def replications(self) -> int:
        return int(self.differences.notna().sum())

    @property
    def common_random_numbers(self) -> bool:
        return self.seed_a == self.seed_b

    @property
    def significant(self) -> bool:
        """True when the 95% interval of the difference excludes zero."""
        return math.isfinite(self.ci95) and abs(self.mean) > self.ci95

    def __repr__(self) -> str:
        where = "" if self.by == "all" else f" {self.by}={self.group}"
        seeds = (
            f"seed {self.seed_a}" if self.common_random_numbers else f"seeds {self.seed_a} and {self.seed_b}"
        )
        return (
            f"Paired({self.kpi}{where}: b - a = {self.mean:+.4g} ± {self.ci95:.2g} over "
            f"{self.replications} common replications, {seeds})"
        )


def kpi_per_replication(results: Any, kpi: str, by: str = "all", group: str = "all") -> pd.Series:
    """One KPI of each replication of a run (``Results``), indexed by replication: a column of
    ``per_replication``, else of the money tables (``results.money.per_replication``)."""
    if by != "all" and group == "all":
        raise ValueError("give the group, e.g. compare(a, b, 'service_level', by='channel', group='phone')")
    table = results.per_replication
    if kpi not in table.columns:
        table = results.money.per_replication
        if kpi not in table.columns:
            raise KeyError(f"no KPI {kpi!r} in the run's per_replication or money tables")
    rows = table[(table["group_by"] == by) & (table["group"].astype(str) == str(group))]
    if rows.empty:
        raise KeyError(f"no rows for {by}={group!r}")
    return rows.set_index("replication")[kpi].astype(float)


def compare(a: Any, b: Any, kpi: str = "service_level", by: str = "all", group: str = "all") -> Paired:
    """The paired difference ``b - a`` of ``kpi`` (for ``by``/``group``, e.g. ``by="channel",
    group="phone"``) over the replications that both runs have."""
    va = kpi_per_replication(a, kpi, by, group)
    vb = kpi_per_replication(b, kpi, by, group)
    common = va.index.intersection(vb.index)
    if len(common) == 0:
        raise ValueError("the two runs have no replication number in common")
    diff = (vb.loc[common] - va.loc[common]).sort_index()
    valid = diff.dropna().to_numpy()
    mean = float(valid.mean()) if len(valid) else math.nan
    return Paired(kpi, by, str(group), mean, t_half_width(diff.to_numpy()), diff, int(a.seed), int(b.seed))
