"""Study: how many sales agents, and how long should a sales call wait before it overflows?

The multi-skill centre of configs/multiskill.toml routes sales calls to the sales team first
and lets them overflow to the service team after ``contact_types.sales.overflow_delay`` (30 s
in the config). This study sweeps two things at once, with the public API only:

- staffing: the sales team's staffing plan with 0 to 3 agents added in every interval;
- policy: the overflow delay: at once, 30 s, 1 min or 2 min.

Every point is simulated with the same random numbers (the same customers arrive at every
point), so the curves differ by the staffing and the policy, not by chance. The figure shows
the phone service level and the ASA of sales calls against added agents, one line per delay,
with 95% confidence bars. Run it with::

    python experiments/sweep_study.py                  # about a minute on two cores
    python experiments/sweep_study.py --quick          # a smoke test: 2 h, fewer points

It writes ``out/sweep_study/sweep_study.html`` (open it in a browser) and the sweep's tables in
``out/sweep_study/sweep/``; rerunning resumes from the points already there.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import ccsim

ROOT = Path(__file__).resolve().parents[1]


def run(out: Path, quick: bool = False, executor: str = "processes"):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    scenario = ccsim.load(ROOT / "configs" / "multiskill.toml")
    if quick:
        scenario = scenario.with_overrides({"scenario.duration": "2h", "scenario.warmup": "15min"})
    base = list(scenario.agents["sales"].staffing or [])
    added = [0, 2] if quick else [0, 1, 2, 3]
    delays = ["0s", "60s"] if quick else ["0s", "30s", "1min", "2min"]
    plans = {k: [n + k for n in base] for k in added}
    results = ccsim.sweep(
        scenario,
        {"agents.sales.staffing": list(plans.values()), "contact_types.sales.overflow_delay": delays},
        replications=2 if quick else 10,
        executor=executor,
        out=out / "sweep",
    )
    summary = results.summary.copy()
    summary["sales agents added"] = [
        added[list(plans.values()).index(v)] for v in summary["agents.sales.staffing"]
    ]

    fig = make_subplots(rows=1, cols=2, subplot_titles=("phone service level", "ASA of sales calls (s)"))
    for i, delay in enumerate(delays):
        rows = summary[summary["contact_types.sales.overflow_delay"] == delay]
        for col, kpi in enumerate(["service_level.channel.phone", "asa_s.contact_type.sales"], start=1):
            fig.add_trace(
                go.Scatter(
                    x=rows["sales agents added"],
                    y=rows[kpi],
                    error_y={"type": "data", "array": rows[f"{kpi}_ci95"]},
                    mode="lines+markers",
                    name=f"overflow after {delay}",
                    legendgroup=delay,
                    showlegend=col == 1,
                    line={"color": f"hsl({40 + 70 * i}, 70%, 45%)"},
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(title_text="sales agents added in every interval", dtick=1)
    fig.update_layout(
        title=f"{scenario.name}: staffing and overflow policy "
        f"({results.replications} replications per point, mean and 95% CI)",
        template="plotly_white",
    )
    out.mkdir(parents=True, exist_ok=True)
    page = out / "sweep_study.html"
    fig.write_html(page, include_plotlyjs=True)
    print(
        summary[
            [
                "sales agents added",
                "contact_types.sales.overflow_delay",
                "service_level.channel.phone",
                "service_level.channel.phone_ci95",
                "asa_s.contact_type.sales",
            ]
        ].to_string(index=False)
    )
    print(f"figure written to {page}")
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("out") / "sweep_study", help="output folder")
    parser.add_argument("--quick", action="store_true", help="a short smoke run (2 h, 4 points)")
    parser.add_argument("--serial", action="store_true", help="run in this process")
    args = parser.parse_args()
    run(args.out, quick=args.quick, executor="serial" if args.serial else "processes")


if __name__ == "__main__":
    main()
