"""Many short replications against one long run, and one worker against two, in one process.

(a) 1,000 replications of an 8-hour day of a 12-agent line (Poisson arrivals at 4.2/min,
    exponential handle time with mean 2 min, exponential patience with mean 1 min, no warm-up;
    about 2 million calls) with ``contacts=False`` on one worker;
(b) one long run of the Erlang-A centre of ``erlang_a.py`` (configs/erlang_a.toml: 100 agents,
    19.5/min, 1 h warm-up) with as many measured calls, also ``contacts=False``;
(c) the replications of (a) again on two workers: first with a pool started for the run (as a
    script's first ``simulate`` call pays), then reusing it (as every later call does).

calls/s = measured arrivals / wall time of the ``ccsim.simulate`` call, tables included. CPU s
adds the CPU time of this process and of its worker processes during the call.
Printed: each calls/s, the ratio (a)/(b) (goal >= 0.6) and the speed-up of two workers over one
(goal >= 1.6 on a 2-core machine). With ``--repeat K`` each is run K times in turn and the fastest
kept. See README.md beside this file; figures in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import time
from pathlib import Path
from typing import Any

import pandas as pd

import ccsim
from ccsim import replications

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "configs" / "erlang_a.toml"
DAY = {
    "scenario.duration": "8h",
    "scenario.warmup": "0s",
    "agents.pool.count": 12,
    "demand.0.rate": "4.2/min",
    "contact_types.general.handle": {"dist": "exponential", "mean": "2min"},
    "segments.standard.patience": {"dist": "exponential", "mean": "1min"},
}
LONG_RATE = 19.5 / 60.0  # arrivals a second in configs/erlang_a.toml
TARGET_RATIO = 0.6
TARGET_SPEEDUP = 1.6


def children_cpu() -> dict[int, float]:
    """CPU seconds (user + system) of each live descendant of this process (Linux /proc): the
    workers, whether forked from here or from a fork server."""
    tick = os.sysconf("SC_CLK_TCK")
    table: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
        except (OSError, IndexError, ValueError):
            continue
    mine, grew = {os.getpid()}, True
    while grew:
        more = {pid for pid, (ppid, _) in table.items() if ppid in mine} - mine
        mine |= more
        grew = bool(more)
    return {pid: table[pid][1] for pid in mine - {os.getpid()}}


def timed(scenario: Any, **kwargs: Any) -> dict[str, Any]:
    """Wall time, CPU time (this process and its workers) and measured arrivals of one
    ``simulate`` call."""
    before, cpu = children_cpu(), time.process_time()
    start = time.perf_counter()
    results = ccsim.simulate(scenario, seed=1, contacts=False, **kwargs)
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu + sum(t - before.get(pid, 0.0) for pid, t in children_cpu().items())
    rows = results.per_replication
    calls = int(rows.loc[rows["group_by"] == "all", "offered"].sum())
    return {"calls": calls, "wall_s": wall, "cpu_s": cpu, "calls_per_s": calls / wall, "results": results}


def day_runs(days: int, workers: int) -> dict[str, Any]:
    return timed(ccsim.load(CONFIG).with_overrides(DAY), replications=days, workers=workers)


def long_run(calls: int) -> dict[str, Any]:
    duration = {"scenario.duration": f"{calls / LONG_RATE:.3f}s", "scenario.warmup": "3600s"}
    return timed(ccsim.load(CONFIG).with_overrides(duration), replications=1, workers=1)


def two_workers(days: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """On a pool started for the run, then on the same pool again."""
    replications.drop_shared_pool()
    cold = day_runs(days, 2)
    warm = day_runs(days, 2)
    return cold, warm


def burn(n: int = 10_000_000) -> float:
    """Seconds of a plain Python loop (the machine's speed for one process)."""
    start = time.perf_counter()
    total = 0
    for i in range(n):
        total += i
    return time.perf_counter() - start


def ceiling() -> float:
    """The speed-up two processes can get now: one loop alone against two loops side by side
    (1.0 when the other users of the machine leave one core's worth, 2.0 when both are free)."""
    alone = burn()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(burn, [1000, 1000])  # started
        start = time.perf_counter()
        pool.map(burn, [10_000_000, 10_000_000])
        both = time.perf_counter() - start
    return 2 * alone / both


def fastest(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return min(runs, key=lambda r: r["wall_s"])


def machine() -> dict[str, str]:
    return {
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--days", type=int, default=1000, help="replications of the 8-hour day (default 1000)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="run each K times in turn, keep the fastest")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()
    info = machine()
    print(
        f"machine: {info['cores']} cores, Python {info['python']}, load average {info['load']} at the start"
    )
    if os.getloadavg()[0] > 0.5:
        print("warning: the machine is busy (load average above 0.5): the figures will be low and noisy")
    ccsim.simulate(ccsim.load(CONFIG).with_overrides(DAY), replications=3, workers=1)  # imports, caches
    one, long, cold, warm, room = [], [], [], [], []
    for _ in range(args.repeat):
        one.append(day_runs(args.days, 1))
        long.append(long_run(one[-1]["calls"]))
        room.append(ceiling())
        c, w = two_workers(args.days)
        cold.append(c)
        warm.append(w)
    a, b, c2, w2 = fastest(one), fastest(long), fastest(cold), fastest(warm)
    for run in (c2, w2):
        for name in ("summary", "per_replication", "intervals", "agents"):
            pd.testing.assert_frame_equal(
                getattr(a["results"], name), getattr(run["results"], name), check_exact=True
            )
    ratio = a["calls_per_s"] / b["calls_per_s"]
    speedup_cold, speedup_warm = a["wall_s"] / c2["wall_s"], a["wall_s"] / w2["wall_s"]
    rows = [
        (f"(a) {args.days} days, 1 worker", a),
        ("(b) one long Erlang-A run", b),
        (f"(c) {args.days} days, 2 workers, new pool", c2),
        (f"(c) {args.days} days, 2 workers, pool reused", w2),
    ]
    print(f"{'run':<42} {'calls':>10} {'wall s':>8} {'CPU s':>8} {'calls/s':>10}")
    for label, run in rows:
        figures = (
            f"{run['calls']:>10,} {run['wall_s']:>8.2f} {run['cpu_s']:>8.2f} {run['calls_per_s']:>10,.0f}"
        )
        print(f"{label:<42} {figures}")
    print("two workers give the same tables as one: yes")
    verdict = "met" if ratio >= TARGET_RATIO else "not met"
    print(f"ratio (a)/(b): {ratio:.2f} (goal >= {TARGET_RATIO}: {verdict})")
    verdict = "met" if speedup_warm >= TARGET_SPEEDUP else "not met"
    print(f"speed-up of 2 workers over 1: {speedup_warm:.2f} (goal >= {TARGET_SPEEDUP}: {verdict})")
    print(f"  with a pool started for the run: {speedup_cold:.2f}")
    print(f"  what the machine left for two processes: {', '.join(f'{x:.2f}' for x in room)} (a plain loop)")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        figures = {label: {k: v for k, v in run.items() if k != "results"} for label, run in rows}
        out = {"machine": info, "runs": figures, "ratio": ratio, "speedup": speedup_warm, "ceiling": room}
        args.json.write_text(json.dumps({**out, "speedup_new_pool": speedup_cold}, indent=2) + "\n")


if __name__ == "__main__":
    main()
