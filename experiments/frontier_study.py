"""How much service is too much? The service-level frontier of a priced centre.

A study through the public API only (``ccsim.load``, ``ccsim.economics``, ``ccsim.optimize``):
for a range of phone service-level targets, find the least-cost staffing that meets each,
simulate it with an independent seed, and add up total cost = staffing + telephony + partner +
self-service + callbacks + lost value. Prints the frontier, the cheapest target under a low,
central and high customer value and the marginal cost of each extra point of service level;
writes the tables and an interactive figure.

    python experiments/frontier_study.py                        # configs/costs.toml, a few minutes
    python experiments/frontier_study.py --config configs/retail_bank.toml \\
        --prices configs/prices/retail_bank.toml --replications 3   # the bank: much longer
    python experiments/frontier_study.py --quick                # a smoke run (the test suite)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import ccsim
from ccsim.economics import with_prices
from ccsim.optimize import frontier
from ccsim.report.money import frontier_figure, marginal_figure, risk_figure

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "costs.toml")
    parser.add_argument("--prices", type=Path, default=None, help="a prices file to add")
    parser.add_argument("--targets", default=None, help="e.g. 0.6,0.7,0.8,0.9 (default: the config's)")
    parser.add_argument("--replications", type=int, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "frontier_study")
    parser.add_argument("--quick", action="store_true", help="a shortened smoke run")
    args = parser.parse_args()

    scenario = ccsim.load(args.config)
    if args.prices is not None:
        scenario = with_prices(scenario, args.prices)
    targets = [float(t) for t in args.targets.split(",")] if args.targets else None
    options: dict = {"replications": args.replications, "refine": 3}
    if args.quick:
        scenario = scenario.with_overrides({"scenario.duration": "2h"})
        targets = targets or [0.6, 0.9]
        options = {
            "replications": 4,
            "eval_replications": 4,
            "refine": 0,
            "max_simulations": 6,
            "choices": {},
        }

    result = frontier(scenario, targets=targets, progress=print, **options)

    cur = result.currency
    print(f"\nThe frontier of {scenario.name} ({cur} per replication, mean):")
    columns = [
        "choice",
        "target",
        "service_level",
        "agent_hours",
        "service_cost",
        "lost_value",
        "total_cost",
        "total_cost_low",
        "total_cost_high",
        "p_interval",
        "p_day",
        "csat",
        "nps",
    ]
    print(result.points[columns].round(3).to_string(index=False))
    print("\nCheapest target of each choice, by customer value:")
    print(result.optimum.round(3).to_string(index=False))
    print("\nMarginal cost of one point (0.01) of service level:")
    print(result.marginal.round(2).to_string(index=False))

    args.out.mkdir(parents=True, exist_ok=True)
    result.points.to_csv(args.out / "frontier.csv", index=False)
    result.optimum.to_csv(args.out / "optimum.csv", index=False)
    result.marginal.to_csv(args.out / "marginal.csv", index=False)
    figures = [frontier_figure(result), marginal_figure(result), risk_figure(result)]
    html = "".join(f.to_html(full_html=False, include_plotlyjs=i == 0) for i, f in enumerate(figures))
    (args.out / "frontier.html").write_text(f"<!doctype html><meta charset='utf-8'><body>{html}</body>\n")
    print(f"\nwritten to {args.out}/")


if __name__ == "__main__":
    main()
