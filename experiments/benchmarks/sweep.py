"""Sweep benchmark: points per second against the number of workers, local processes and Dask.

The workload is the Erlang-A centre of configs/erlang_a.toml at different agent counts, one
replication per point, at two run lengths: *short* points (8 h simulated, about 0.1-0.2 s each)
and *long* points (10 simulated days, about 1-2 s each). Each sweep runs through the public API,
``ccsim.sweep(..., out=<a temporary folder>, progress=False)``, so the times include what a user
waits for: starting the workers, sending the tasks, and writing each point's Parquet file.

- **serial**: ``executor="serial"``, in this process: the reference, one point after another.
- **processes xk**: ``workers=k`` (a fresh local pool per sweep, its start-up included).
- **dask xk**: a local Dask cluster of k single-threaded worker processes, started beforehand
  like a real cluster (not timed) and reached by its address, as ``--scheduler`` does
  (connecting is timed). A warm-up sweep runs first, so the workers have imported ccsim.

Figures per executor:

- **efficiency** = (points/s with k workers) / (k x points/s serial): the usual parallel
  efficiency. It needs k idle cores; other load on the machine lowers it.
- **busy** = (time the workers spent simulating, summed over points) / (k x wall time): the
  share of the workers' time spent on points rather than on starting, waiting and sending. Load
  elsewhere slows the simulation and the wall time alike, so this share isolates the
  executor's own overhead even on a busy machine.
- **vs processes** = Dask's wall time / local processes' wall time with as many workers.

Run it on a quiet machine (the load average is printed; repeats go round the executors in
turn and each keeps its fastest run)::

    python experiments/benchmarks/sweep.py                    # about five minutes
    python experiments/benchmarks/sweep.py --quick            # a smoke run
    python experiments/benchmarks/sweep.py --repeat 3 --json out/sweep_bench.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "configs" / "erlang_a.toml"
if str(ROOT) not in sys.path:  # use the checkout when ccsim is not installed
    sys.path.insert(0, str(ROOT))


def run_sweep(
    scenario: Any, points: int, executor: Any = None, workers: int | None = None
) -> tuple[float, float]:
    """(wall s, simulating s summed over points) of one sweep of ``points`` distinct agent counts."""
    import ccsim

    counts = [100 + i for i in range(points)]
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        res = ccsim.sweep(
            scenario,
            {"agents.pool.count": counts},
            replications=1,
            executor=executor,
            workers=workers,
            out=out,
            progress=False,
        )
        wall = time.perf_counter() - t0
    if not res.complete:
        raise RuntimeError(f"the sweep did not finish: {res.failed}")
    return wall, float(res.points["wall_s"].sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer and shorter points (a smoke run)")
    parser.add_argument("--repeat", type=int, default=1, help="run each case K times, keep the fastest")
    parser.add_argument("--max-workers", type=int, default=2, help="largest number of workers (default 2)")
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()

    import ccsim

    base = ccsim.load(CONFIG)
    cases = {
        "short": ("8h", 12 if args.quick else 40),
        "long": ("2d" if args.quick else "10d", 4 if args.quick else 10),
    }
    worker_counts = list(range(1, args.max_workers + 1))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"ccsim {ccsim.__version__}, Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average {load:.2f}"
    )
    if load > 0.5:
        print("warning: the machine is busy; efficiency will be low and noisy (busy is less affected)")

    scenarios = {name: base.with_overrides({"scenario.duration": d}) for name, (d, _) in cases.items()}
    best: dict[str, dict[str, tuple[float, float, int]]] = {name: {} for name in cases}

    def measure(name: str, label: str, executor: Any, k: int, workers: int | None = None) -> None:
        wall, busy = run_sweep(scenarios[name], cases[name][1], executor, workers)
        if label not in best[name] or wall < best[name][label][0]:
            best[name][label] = (wall, busy, k)

    # Local processes first, while this process has no other threads (so workers start by fork,
    # as in `ccsim sweep`); the Dask clusters below start threads here. Repeats go round the
    # executors in turn, so a burst of load elsewhere hits them alike.
    for name in cases:
        for _ in range(args.repeat):
            measure(name, "serial", "serial", 1)
            for k in worker_counts:
                measure(name, f"processes x{k}", "processes", k, k)
    if not args.skip_dask:
        from distributed import LocalCluster

        clusters = {
            k: LocalCluster(n_workers=k, threads_per_worker=1, processes=True, dashboard_address=":0")
            for k in worker_counts
        }
        try:
            for name in cases:
                for k, cluster in clusters.items():  # warm-up: the workers import ccsim
                    run_sweep(scenarios[name], k, cluster.scheduler_address)
                for _ in range(args.repeat):
                    for k, cluster in clusters.items():
                        measure(name, f"dask x{k}", cluster.scheduler_address, k)
        finally:
            for cluster in clusters.values():
                cluster.close()

    results: dict[str, Any] = {
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_at_start": load,
        },
        "cases": {},
    }
    for name, (duration, n_points) in cases.items():
        rows = best[name]
        serial_wall = rows["serial"][0]
        print(
            f"\n{name} points: {duration} simulated, {serial_wall / n_points:.2f} s each serially, "
            f"{n_points} points"
        )
        print(
            f"{'executor':<15}{'wall s':>8}{'points/s':>10}{'efficiency':>12}{'busy':>7}{'vs processes':>14}"
        )
        table = {}
        for label, (wall, busy_s, k) in rows.items():
            rate = n_points / wall
            eff = serial_wall / (k * wall)
            busy = busy_s / (k * wall)
            same_k = rows.get(f"processes x{k}")
            vs = wall / same_k[0] if label.startswith("dask") and same_k else None
            vs_text = f"{vs:>13.2f}x" if vs is not None else f"{'':>14}"
            print(f"{label:<15}{wall:>8.2f}{rate:>10.2f}{eff:>11.0%}{busy:>7.0%}{vs_text}")
            table[label] = {
                "wall_s": wall,
                "points_per_s": rate,
                "efficiency": eff,
                "busy": busy,
                "time_vs_processes": vs,
            }
        results["cases"][name] = {"duration": duration, "points": n_points, "executors": table}
    results["machine"]["load_at_end"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(f"\nload average at the end: {results['machine']['load_at_end']:.2f}")
    print(
        "efficiency = serial wall / (workers x wall); busy = time simulating / (workers x wall); "
        "vs processes = Dask wall / local processes' wall, same number of workers"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
