"""The page of a staffing plan: the folder ``ccsim optimize`` writes, drawn by ``ccsim report``.

It shows the plan (agents per period and group), its independent verification (each period's
service level with its 95% interval against the target, coloured met / can't tell / missed
as the run report does) and the risk (the probability that an interval and a day meet the
target), then how to run the plan (``ccsim run CONFIG --plan FOLDER``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ccsim.economics.targets import status
from ccsim.report.parts import Page, esc, pct, plotly_bundle, top_bar
from ccsim.report.style import ROW_HEIGHT, TARGET, colour, style

PLAN_REPORT = "report.html"
PLAN_FILES = ("optimize.json", "staffing.csv", "verification.csv")
STATE_COLOURS = {"met": "#2e7d32", "close": "#e0a000", "missed": "#c62828"}
STATE_NAMES = {
    "met": "target met",
    "close": "can't tell (target inside the 95% interval)",
    "missed": "missed",
}


def is_plan_folder(folder: str | Path) -> bool:
    return all((Path(folder) / f).exists() for f in PLAN_FILES)


def staffing_figure(staffing: pd.DataFrame) -> go.Figure:
    """Agents per period, stacked by group."""
    fig = go.Figure()
    groups = [c for c in staffing.columns if c != "start"]
    for i, g in enumerate(groups):
        fig.add_bar(x=staffing["start"], y=staffing[g], name=g, marker_color=colour(i))
    fig.update_layout(barmode="stack", yaxis_title="agents", xaxis_title="period start")
    return style(fig, 380)


def verification_figure(perf: pd.DataFrame, starts: list[str]) -> go.Figure:
    """One row per channel: each period's mean service level with its 95% interval (drawn
    within 0-100%), coloured by its state against the target, and the target as a line."""
    channels = list(dict.fromkeys(perf["channel"]))
    fig = make_subplots(rows=len(channels), cols=1, shared_xaxes=True, subplot_titles=channels)
    shown: set[str] = set()
    for row, c in enumerate(channels, start=1):
        part = perf[perf["channel"] == c].sort_values("period")
        part = part.assign(start=[starts[int(k)] if int(k) < len(starts) else str(k) for k in part["period"]])
        half = part["sl_ci95"].fillna(0.0)
        states = [
            status(float(m), float(h), float(t)) or "met"
            for m, h, t in zip(part["sl_mean"], half, part["target"], strict=True)
        ]
        for st in ("met", "close", "missed"):
            keep = [s == st for s in states]
            if not any(keep):
                continue
            sub, h = part[keep], half[keep]
            fig.add_scatter(
                x=sub["start"],
                y=sub["sl_mean"],
                error_y={
                    "type": "data",
                    "array": (sub["sl_mean"] + h).clip(upper=1.0) - sub["sl_mean"],
                    "arrayminus": sub["sl_mean"] - (sub["sl_mean"] - h).clip(lower=0.0),
                },
                mode="markers",
                marker={"color": STATE_COLOURS[st], "size": 7},
                name=STATE_NAMES[st],
                legendgroup=st,
                showlegend=st not in shown,
                row=row,
                col=1,
            )
            shown.add(st)
        fig.add_scatter(
            x=part["start"],
            y=part["target"],
            mode="lines",
            line={"color": TARGET, "dash": "dash", "shape": "hv"},
            name="target",
            legendgroup="target",
            showlegend=row == 1,
            row=row,
            col=1,
        )
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    fig.update_xaxes(categoryorder="array", categoryarray=starts)
    return style(fig, 120 + ROW_HEIGHT * len(channels))


def risk_table(risk: pd.DataFrame) -> str:
    head = "<tr><th>channel</th><th>target</th><th>P(interval meets)</th><th>P(worst interval meets)</th>"
    head += "<th>P(day meets)</th></tr>"
    rows = "".join(
        f"<tr><td>{esc(r.channel)}</td><td>{pct(r.target, 0)}</td><td>{pct(r.p_interval, 0)}</td>"
        f"<td>{pct(r.p_worst_interval, 0)}</td><td>{pct(r.p_day, 0)}</td></tr>"
        for r in risk.itertuples(index=False)
    )
    return f'<table class="data">{head}{rows}</table>'


def build_plan(folder: str | Path, plotly_js: str | None = None) -> str:
    """The plan page of an optimize folder as HTML text."""
    src = Path(folder)
    facts = json.loads((src / "optimize.json").read_text(encoding="utf-8"))
    staffing = pd.read_csv(src / "staffing.csv", dtype={"start": str})
    perf = pd.read_csv(src / "verification.csv")
    v = facts.get("verification", {})
    command = ["ccsim run", str(facts.get("config") or "CONFIG"), "--plan", str(src)]
    command += [f"--set {item}" for item in facts.get("set") or []]
    command += [f"--prices {facts['prices']}"] if facts.get("prices") else []
    verdict = (
        "every period meets its target"
        if v.get("meets")
        else (
            "some periods miss their target, none significantly"
            if v.get("consistent")
            else "some periods are significantly below their target"
        )
    )
    page = Page()
    page.section("plan", "The plan")
    page.add(
        f'<p class="how">Nominal staffing cost {facts.get("cost", 0):,.2f} {esc(facts.get("currency", ""))} '
        f"after {facts.get('simulations')} simulations of {facts.get('replications')} replications. "
        f"Run it with <code>{esc(' '.join(command))}</code>.</p>"
    )
    page.figure("fig-plan", "Agents per period", "Stacked by agent group.", lambda: staffing_figure(staffing))
    page.section("verification", "Independent check")
    page.add(
        f'<p class="how">Simulated again with seed {v.get("seed")} and {v.get("replications")} '
        f"replications: {verdict}.</p>"
    )
    page.figure(
        "fig-verification",
        "Service level per period against the target",
        "Per channel and period: the mean over the replications with its 95% interval (cut at 0 and "
        "100%); green: met even at the low end, red: missed even at the high end, amber: the target "
        "is inside the interval. Periods without contacts are left out.",
        lambda: verification_figure(perf, staffing["start"].tolist()),
    )
    if (src / "risk.csv").exists():
        page.section("risk", "Risk of missing the target")
        page.add(risk_table(pd.read_csv(src / "risk.csv")))
    if (src / "plan.toml").exists():
        text = (src / "plan.toml").read_text(encoding="utf-8")
        page.section("use", "Use the plan", f"<pre>{esc(text)}</pre>")
    items = [("rendered", f"{dt.datetime.now():%Y-%m-%d %H:%M}"), ("seed", facts.get("seed"))]
    return page.html(
        f"Staffing plan: {src.name} · ccsim report",
        top_bar(f"Staffing plan: {src.name}", items),
        plotly_bundle(plotly_js),
    )


def render_plan_folder(folder: str | Path, path: str | Path | None = None) -> Path:
    """Write the plan page of an optimize folder (default: its report.html)."""
    out = Path(path) if path is not None else Path(folder) / PLAN_REPORT
    if out.is_dir() or not out.suffix:
        out = out / PLAN_REPORT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(build_plan(folder), encoding="utf-8")
    return out
