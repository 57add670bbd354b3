"""Where a path's time goes, counted rather than timed: ccsim lines run per contact, by function,
and the size of the event heap the loop pops from.

A sampling profile of the engine moves with the machine's load; counts do not. This script
runs one replication of a config (after one untimed run that pays the imports) with a line
tracer on ccsim's own code, divides each function's executed lines by the contacts of the run,
and then runs it again untraced, recording the heap's size at each pop and the share of its
timers due more than ten minutes ahead. Compare the retail bank with Erlang-A to see how much
more the general path does per contact, and where (docs/performance.md, the journeys path).
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import sys
from collections.abc import Callable
from heapq import heappop
from pathlib import Path
from types import FrameType, ModuleType

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
AHEAD = 600.0  # s: a timer due further ahead than this counts as far


def count_lines(ccsim: object, scenario: object, seed: int) -> tuple[int, collections.Counter[str]]:
    """Contacts of one replication and the ccsim lines each function ran."""
    counts: collections.Counter[str] = collections.Counter()

    def trace(frame: FrameType, event: str, _arg: object) -> Callable[..., object] | None:
        code = frame.f_code
        if event == "call":
            return trace if "/ccsim/" in code.co_filename else None
        if event == "line":
            counts[f"{code.co_filename.split('/ccsim/')[-1]}:{code.co_name}"] += 1
        return trace

    before = sys.gettrace()  # a debugger's or coverage's, put back after
    sys.settrace(trace)
    try:
        results = ccsim.simulate(scenario, replications=1, seed=seed, workers=1)  # type: ignore[attr-defined]
    finally:
        sys.settrace(before)
    return len(results.contacts), counts


def heap_sizes(ccsim: object, scheduler: ModuleType, scenario: object, seed: int) -> tuple[np.ndarray, float]:
    """The heap's size at each pop of one replication, and the mean share of far timers."""
    sizes: list[int] = []
    far: list[float] = []

    def pop(heap: list[tuple[float, int, int, object]]) -> tuple[float, int, int, object]:
        sizes.append(len(heap))
        if len(sizes) % 50 == 0:  # a sample of the heap's horizon
            t0 = heap[0][0]
            far.append(sum(1 for entry in heap if entry[0] > t0 + AHEAD) / len(heap))
        return heappop(heap)

    scheduler.heappop = pop  # type: ignore[assignment]  # the loop looks it up when it starts
    try:
        ccsim.simulate(scenario, replications=1, seed=seed, workers=1)  # type: ignore[attr-defined]
    finally:
        scheduler.heappop = heappop
    return np.asarray(sizes), float(np.mean(far)) if far else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path, nargs="?", default=ROOT / "configs" / "retail_bank.toml")
    parser.add_argument("--duration", default=None, help="override scenario.duration (e.g. 30000s)")
    parser.add_argument("--top", type=int, default=25, help="functions to list")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if importlib.util.find_spec("ccsim") is None:  # not installed: use this checkout
        sys.path.insert(0, str(ROOT))
    import ccsim
    from ccsim.model import scheduler

    scenario = ccsim.load(args.config)
    if args.duration:
        scenario = scenario.with_overrides({"scenario.duration": args.duration})
    ccsim.simulate(scenario, replications=1, seed=args.seed, workers=1)  # imports, untraced
    n, counts = count_lines(ccsim, scenario, args.seed)
    total = sum(counts.values())
    print(f"{args.config.name}: {n:,} contacts, {total / n:.1f} ccsim lines per contact")
    for name, k in counts.most_common(args.top):
        print(f"{k / n:8.2f}  {name}")
    sizes, far = heap_sizes(ccsim, scheduler, scenario, args.seed)
    if len(sizes):
        print(
            f"event heap at a pop: mean {sizes.mean():,.0f}, 90th percentile "
            f"{np.percentile(sizes, 90):,.0f}; {far:.0%} of its timers due more than "
            f"{AHEAD / 60:.0f} min ahead; {len(sizes) / n:.2f} pops per contact"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
