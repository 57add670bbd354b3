"""Common random numbers: how noisy is the difference between two staffing levels?

A study through the public API only. It simulates a scenario at two staffing levels with the
same seed and replications and prints, for each KPI, the mean of the paired difference (higher
staffing minus lower, replication by replication) and its standard deviation. With common
random numbers the standard deviation of a difference is much smaller than the spread of either
scenario alone, so fewer replications tell the two apart. The journey KPIs (resolution,
repeats, retrials, callbacks) share their random numbers too: each contact decides with its
own numbers (docs/explanation/journeys.md, "The random numbers").

    python experiments/crn_study.py                         # the retail bank, 12 replications
    python experiments/crn_study.py --quick                 # a smoke run (the test suite)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import ccsim

ROOT = Path(__file__).resolve().parents[1]
KPIS = ["service_level", "abandoned", "fcr", "repeats", "retrials", "callback"]


def _sd(x: np.ndarray) -> float:
    return float(np.std(x, ddof=1)) if len(x) > 1 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "retail_bank.toml")
    parser.add_argument("--path", default="agents.service.shifts.0.count", help="the staffing key")
    parser.add_argument("--low", type=int, default=48)
    parser.add_argument("--high", type=int, default=60)
    parser.add_argument("--replications", type=int, default=12)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="two replications of a short run")
    args = parser.parse_args()

    base = ccsim.load(args.config)
    if args.quick:
        base = base.with_overrides({"scenario.duration": "4h"})
        args.replications = 2
    runs = {}
    for level in (args.low, args.high):
        scenario = base.with_overrides({args.path: level})
        res = ccsim.simulate(scenario, replications=args.replications, seed=args.seed, contacts=False)
        runs[level] = res.per_replication.query("group_by == 'all'").set_index("replication")
    low, high = runs[args.low], runs[args.high]
    print(
        f"{args.config.name}: {args.path} = {args.low} vs {args.high}, "
        f"{args.replications} replications, seed {args.seed}"
    )
    print(f"{'KPI':<15}{'low':>12}{'high':>12}{'mean diff':>12}{'sd of diff':>12}{'sd of low':>12}")
    for kpi in KPIS:
        if kpi not in low.columns:
            continue
        a, b = low[kpi].to_numpy(dtype=float), high[kpi].to_numpy(dtype=float)
        d = b - a
        print(f"{kpi:<15}{a.mean():>12.4f}{b.mean():>12.4f}{d.mean():>12.4f}{_sd(d):>12.4f}{_sd(a):>12.4f}")


if __name__ == "__main__":
    main()
