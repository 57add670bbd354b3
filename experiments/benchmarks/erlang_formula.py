"""Speed of the exact Erlang-A formula (ccsim.analytic.erlang_a) at the sizes planners use.

The staffing search and the optimiser's corrections call the formula many times per interval,
so one call must stay well below the 50 ms budget at 100 agents with a service-level threshold
(the most expensive definition, offered_excl_short) and stay quick at 1,000 agents. The script
times each case (the fastest of --repeat runs of --calls calls, as timeit does) and prints the
ratio of the budget to the time: above 1 means within the budget. See README.md beside this file.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ccsim import analytic  # noqa: E402  (the checkout's ccsim when it is not installed)

BUDGET_S = 0.05  # one call, the formula inside a staffing search
CASES = {
    "100 agents, 97.5 Erlangs, SL 20 s (offered_excl_short)": (
        (0.325, 300.0, 100, 180.0),
        {"within": 20.0, "definition": "offered_excl_short"},
    ),
    "1,000 agents, 900 Erlangs": ((3.0, 300.0, 1000, 300.0), {}),
}


def seconds_per_call(
    args: tuple[float, float, int, float], kwargs: dict[str, object], calls: int, repeat: int
) -> float:
    analytic.erlang_a(*args, **kwargs)  # warm the caches
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(calls):
            analytic.erlang_a(*args, **kwargs)
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    opts = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; budget {BUDGET_S * 1000:.0f} ms per call")
    for name, (args, kwargs) in CASES.items():
        t = seconds_per_call(args, kwargs, opts.calls, opts.repeat)
        print(f"{name}: {t * 1000:.2f} ms per call, budget/time = {BUDGET_S / t:.1f}x")


if __name__ == "__main__":
    main()
