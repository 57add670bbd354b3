"""The journeys path against the plain one: the retail bank's contacts/s over Erlang-A's calls/s.

Both run in this one process, in turn, through the public API (``ccsim.simulate`` on one
worker, the contacts table built): ccsim's Erlang-A centre of ``erlang_a.py`` (no journey
policy: the lean path) and ``configs/retail_bank.toml`` (every journey policy on: the general
path). Each is run ``--repeat`` times in turn and its fastest run kept; the ratio of the two
rates is what this benchmark is about (goal: at least 0.35). It also prints the rates per CPU
second (``time.process_time``), which a busy machine disturbs less. See README.md beside this file.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ERLANG_A = ROOT / "configs" / "erlang_a.toml"
BANK = ROOT / "configs" / "retail_bank.toml"
RATE = 19.5 / 60.0  # Erlang-A arrivals per second (configs/erlang_a.toml)
WARMUP = 3600.0  # s, timed but not counted (as in erlang_a.py)
GOAL_RATIO = 0.35


def erlang_a_rate(ccsim: object, arrivals: int, seed: int) -> tuple[int, float, float]:
    """Measured arrivals, wall and CPU time of ccsim's Erlang-A run (as ``erlang_a.run_ccsim``)."""
    over = {"scenario.duration": f"{arrivals / RATE:.3f}s", "scenario.warmup": f"{WARMUP:.0f}s"}
    scenario = ccsim.load(ERLANG_A).with_overrides({**over, "scenario.replications": 1})  # type: ignore[attr-defined]
    start, cpu = time.perf_counter(), time.process_time()
    results = ccsim.simulate(scenario, replications=1, seed=seed, workers=1)  # type: ignore[attr-defined]
    n = len(results.contacts)
    return n, time.perf_counter() - start, time.process_time() - cpu


def bank_rate(ccsim: object, replications: int, seed: int) -> tuple[int, float, float]:
    """Contacts (new and created during the run), wall and CPU time of the bank's replications."""
    scenario = ccsim.load(BANK)  # type: ignore[attr-defined]
    start, cpu = time.perf_counter(), time.process_time()
    results = ccsim.simulate(scenario, replications=replications, seed=seed, workers=1)  # type: ignore[attr-defined]
    n = len(results.contacts)
    return n, time.perf_counter() - start, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arrivals", type=int, default=300_000, help="Erlang-A measured arrivals")
    parser.add_argument("--replications", type=int, default=10, help="retail bank replications (days)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, in turn; keep the fastest")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None, help="write the figures to this file")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("ccsim") is None:  # not installed: use this checkout
        sys.path.insert(0, str(ROOT))
    import ccsim

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"journeys benchmark: Erlang-A {args.arrivals:,} arrivals, retail bank "
        f"{args.replications} replications; load average {load}"
    )
    bank_rate(ccsim, 1, args.seed)  # pays the imports and first-call costs, untimed
    best: dict[str, tuple[int, float, float]] = {}
    for _ in range(args.repeat):  # in turn, so that a busy spell does not hit one alone
        for key, run in (
            ("erlang_a", lambda: erlang_a_rate(ccsim, args.arrivals, args.seed)),
            ("bank", lambda: bank_rate(ccsim, args.replications, args.seed)),
        ):
            n, wall, cpu = run()
            print(f"  {key}: {n:,} in {wall:.2f} s ({cpu:.2f} s CPU) = {n / wall:,.0f}/s", file=sys.stderr)
            if key not in best or n / wall > best[key][0] / best[key][1]:
                best[key] = (n, wall, min(cpu, best.get(key, (0, 0.0, cpu))[2]))
            else:
                best[key] = (*best[key][:2], min(cpu, best[key][2]))
    rates = {k: n / wall for k, (n, wall, _) in best.items()}
    cpu_rates = {k: n / cpu for k, (n, _, cpu) in best.items()}
    ratio = rates["bank"] / rates["erlang_a"]
    cpu_ratio = cpu_rates["bank"] / cpu_rates["erlang_a"]
    print(f"{'':30}{'per wall s':>12}{'per CPU s':>12}")
    print(f"{'Erlang-A (plain path), calls':<30}{rates['erlang_a']:>12,.0f}{cpu_rates['erlang_a']:>12,.0f}")
    print(f"{'retail bank (journeys), contacts':<30}{rates['bank']:>12,.0f}{cpu_rates['bank']:>12,.0f}")
    print(
        f"ratio bank / Erlang-A: {ratio:.3f} (per CPU s: {cpu_ratio:.3f}; goal >= {GOAL_RATIO}: "
        f"{'PASS' if ratio >= GOAL_RATIO else 'FAIL'}); fastest of {args.repeat}; "
        f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "load_start": load,
                    "rates": rates,
                    "ratio": ratio,
                    "cpu_rates": cpu_rates,
                    "cpu_ratio": cpu_ratio,
                    "best": best,
                    "repeat": args.repeat,
                },
                indent=2,
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
