"""The back-test section of the report: observed against simulated, hour by hour.

``backtest_figure`` returns the figure, ``errors_figure`` the hourly errors of the simulation and
of the Erlang-A baseline (when the comparison has its ``_erlang`` columns), and
``backtest_section`` adds the section to a ``Page`` (the page builder calls it when
``ReportData.backtest`` is set: ``ccsim report`` on a folder written by ``ccsim backtest --out``
shows it too). ``ccsim.report.backtest.render_backtest`` writes the whole page.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ccsim.calibrate.backtesting import BacktestSettings
from ccsim.calibrate.comparison import errors
from ccsim.report.data import BacktestTables
from ccsim.report.parts import Page, esc
from ccsim.report.style import colour, style

OBSERVED = "#1d2330"
ERRORS = [
    ("service_level", "Service level: model − observed", 100.0, " pts"),
    ("abandon_rate", "Abandoned: model − observed", 100.0, " pts"),
    ("asa_s", "ASA: model − observed (s)", 1.0, " s"),
]
MODELS = [("sim", "ccsim (simulation)", 0, "dot"), ("erlang", "Erlang A (formula)", 1, "dash")]
PANELS = [
    ("offered", "Offered contacts per day", 1.0, ""),
    ("service_level", "Service level", 100.0, "%"),
    ("asa_s", "ASA (s)", 1.0, "s"),
    ("abandon_rate", "Abandoned", 100.0, "%"),
]


def _labels(table: pd.DataFrame, by: str) -> list[str]:
    keys = table[by].tolist()
    if by == "hour":
        return [f"{int(k):02d}:00" if not isinstance(k, str) else k for k in keys]
    return [str(k) for k in keys]


def shown(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """By hour, hours with less than one contact a day (observed and simulated) are left out."""
    if by != "hour":
        return table
    busy = (table["offered_obs"] >= 0.5) | (table["offered_sim"] >= 0.5) | (table[by].astype(str) == "all")
    return table[busy]


def backtest_figure(table: pd.DataFrame, by: str = "hour") -> go.Figure:
    """Four panels (offered, SL, ASA, abandoned) by ``by``: observed line, simulated mean with its
    95% confidence interval as error bars. The 'all' row, and hours with less than one contact a
    day, are left out."""
    rows = shown(table, by)
    rows = rows[rows[by].astype(str) != "all"]
    x = _labels(rows, by)
    fig = make_subplots(rows=2, cols=2, subplot_titles=[p[1] for p in PANELS], vertical_spacing=0.16)
    for i, (m, _title, scale, unit) in enumerate(PANELS):
        r, c = divmod(i, 2)
        obs = rows[f"{m}_obs"].to_numpy(dtype=float) * scale
        sim = rows[f"{m}_sim"].to_numpy(dtype=float) * scale
        ci = np.nan_to_num(rows[f"{m}_sim_ci"].to_numpy(dtype=float) * scale)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=obs,
                name="observed",
                mode="lines+markers",
                legendgroup="obs",
                showlegend=i == 0,
                line={"color": OBSERVED, "width": 2},
                marker={"size": 6},
                hovertemplate=f"observed %{{y:.1f}}{unit}<extra></extra>",
            ),
            row=r + 1,
            col=c + 1,
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=sim,
                name="simulated (95% CI)",
                mode="lines+markers",
                legendgroup="sim",
                showlegend=i == 0,
                line={"color": colour(0), "width": 2, "dash": "dot"},
                error_y={"type": "data", "array": ci, "visible": True, "thickness": 1.2},
                hovertemplate=f"simulated %{{y:.1f}}{unit}<extra></extra>",
            ),
            row=r + 1,
            col=c + 1,
        )
        top = np.nanmax(np.concatenate([obs, sim + ci, [1.0]]))
        if unit == "%":
            fig.update_yaxes(range=[0, min(100.0, top) * 1.05], ticksuffix="%", row=r + 1, col=c + 1)
        else:
            fig.update_yaxes(range=[0, top * 1.05], row=r + 1, col=c + 1)
    return style(fig, 640)


def errors_figure(table: pd.DataFrame, by: str = "hour") -> go.Figure:
    """Three panels (SL, abandonment, ASA): each model's error (model − observed) by ``by``, the
    simulation's with its 95% confidence interval. Hours with less than one contact a day and
    the 'all' row are left out."""
    rows = shown(table, by)
    rows = rows[rows[by].astype(str) != "all"]
    x = _labels(rows, by)
    fig = make_subplots(rows=3, cols=1, subplot_titles=[e[1] for e in ERRORS], vertical_spacing=0.1)
    for i, (m, _title, scale, unit) in enumerate(ERRORS):
        obs = rows[f"{m}_obs"].to_numpy(dtype=float) * scale
        for model, name, c, dash in MODELS:
            diff = rows[f"{m}_{model}"].to_numpy(dtype=float) * scale - obs
            ci = rows[f"{m}_sim_ci"].to_numpy(dtype=float) * scale if model == "sim" else None
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=diff,
                    name=name,
                    mode="lines+markers",
                    legendgroup=model,
                    showlegend=i == 0,
                    line={"color": colour(c), "width": 2, "dash": dash},
                    error_y=None
                    if ci is None
                    else {"type": "data", "array": np.nan_to_num(ci), "visible": True, "thickness": 1.2},
                    hovertemplate=f"{name} %{{y:+.1f}}{unit}<extra></extra>",
                ),
                row=i + 1,
                col=1,
            )
        fig.add_hline(y=0, line={"color": OBSERVED, "width": 1}, row=i + 1, col=1)
    return style(fig, 760)


def errors_html(bt: BacktestTables) -> str:
    """Each model's contact-weighted MAE and bias over the keys and its all-period error."""
    err = errors(bt.comparison, bt.by)
    heads = "".join(f"<th>{t.split(':')[0]} MAE</th><th>bias</th><th>all</th>" for _, t, _, _ in ERRORS)
    body = []
    for model, part in err.groupby("model", sort=False):
        cells = []
        for m, _, scale, unit in ERRORS:
            r = part[part["measure"] == m].iloc[0]
            cells += [f"{scale * r[k]:{'+' if k != 'mae' else ''}.1f}{unit}" for k in ("mae", "bias", "all")]
        body.append(f"<tr><td>{model}</td>{''.join(f'<td>{c}</td>' for c in cells)}</tr>")
    return f'<table class="data"><tr><th>model</th>{heads}</tr>{"".join(body)}</table>'


def erlang_html(settings: BacktestSettings) -> str:
    e = settings.get("erlang_a", {})
    src = e.get("sources", {})
    patience = e.get("patience_s")
    pat = "no abandonment (Erlang C)" if patience is None else f"mean patience {patience:.0f} s"
    scale = f"staffing proxy × {e['scale']:g}" if e.get("scale") is not None else "the scenario's staffing"
    return (
        f'<p class="how">The Erlang-A baseline (M/M/n+M in each interval, in steady state) is given '
        f"the same arrivals and agents as the simulation, with its own {esc(scale)} "
        f"({esc(src.get('scale', ''))}), mean handle time {e.get('handle_s', float('nan')):.1f} s "
        f"({esc(src.get('handle', ''))}) and {esc(pat)} ({esc(src.get('patience', ''))}). "
        "MAE and bias are over the hours (or groups), weighted by the observed contacts; "
        "<i>all</i> is the error over the whole period.</p>"
    )


def _fmt(v: float, m: str) -> str:
    if not math.isfinite(v):
        return "–"
    if m in ("service_level", "abandon_rate"):
        return f"{100 * v:.1f}%"
    if m == "asa_s":
        return f"{v:.0f}"
    return f"{v:,.0f}"


def comparison_html(table: pd.DataFrame, by: str) -> str:
    erlang = "service_level_erlang" in table.columns
    heads = "".join(
        f"<th>{t} obs</th><th>{t} sim</th>" + (f"<th>{t} Erlang A</th>" if erlang and m != "offered" else "")
        for m, t, _, _ in PANELS
    )
    body = []
    table = shown(table, by)
    for label, (_, row) in zip(_labels(table, by), table.iterrows(), strict=True):
        cells = []
        for m, *_ in PANELS:
            ci = row[f"{m}_sim_ci"]
            sim = _fmt(row[f"{m}_sim"], m) + (f" ± {_fmt(ci, m)}" if math.isfinite(ci) else "")
            cells.append(f'<td>{_fmt(row[f"{m}_obs"], m)}</td><td style="white-space:nowrap">{sim}</td>')
            if erlang and m != "offered":
                cells.append(f"<td>{_fmt(row[f'{m}_erlang'], m)}</td>")
        body.append(f"<tr><td>{label}</td>{''.join(cells)}</tr>")
    return f'<table class="data"><tr><th>{by}</th>{heads}</tr>{"".join(body)}</table>'


def settings_html(settings: BacktestSettings) -> str:
    s = settings
    staffing = (
        f"the log's staffing proxy ({s.get('proxy')} agents, × {s.get('scale', 1):g})"
        if s.get("staffing") == "proxy"
        else "the scenario's staffing"
    )
    demand = "the log's counts per interval" if s.get("demand") == "observed" else "the scenario's rates"
    return (
        f'<p class="how">The period of <b>{esc(s.get("log", "the log"))}</b> ({esc(s.get("first"))} to '
        f"{esc(s.get('last'))}, {esc(s.get('days'))} days) simulated {esc(s.get('replications'))} times "
        f"with demand from {esc(demand)} and {esc(staffing)}; handle times, patience and priorities "
        "are the scenario's. SL: answered within the channel's threshold over answered plus "
        "abandoned, on both sides. A gap larger than the confidence interval is a difference the "
        "model does not explain, not noise.</p>"
    )


def backtest_section(bt: BacktestTables, page: Page) -> None:
    """Add the back-test section to a report ``Page``."""
    page.section("backtest", "Back-test against the log", settings_html(bt.settings))
    page.figure(
        "fig-backtest",
        f"Observed and simulated by {bt.by}",
        "Black: the log. Blue: the simulation's mean, whiskers its 95% confidence interval across "
        "replications. Hours with less than one contact a day are left out.",
        lambda: backtest_figure(bt.comparison, bt.by),
    )
    page.add(comparison_html(bt.comparison, bt.by))
    if "service_level_erlang" not in bt.comparison.columns:
        return
    page.add(erlang_html(bt.settings))
    page.figure(
        "fig-backtest-errors",
        f"Errors of the simulation and of the Erlang-A formula by {bt.by}",
        "Each model's prediction minus the observation; 0 is the log. Whiskers on the "
        "simulation: its 95% confidence interval across replications.",
        lambda: errors_figure(bt.comparison, bt.by),
    )
    page.add(errors_html(bt))
