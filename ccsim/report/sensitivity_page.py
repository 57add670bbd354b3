"""The sensitivity page: which assumption decides how much service is enough.

``build_sensitivity`` lays out a ``SensitivityResult`` (``ccsim.optimize.sensitivities``) with the
report's skeleton: one sentence naming the assumption that moves the answer most, a tornado of
the band under each assumption's low and high value, a tornado of the total cost, every factor
in a table, and the global design's indices. ``ccsim sensitivity`` writes it as
``sensitivity.html``.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from ccsim.optimize.sensitivities import SensitivityResult
from ccsim.report.frontier_page import write_page
from ccsim.report.parts import Page, esc, pct, plotly_bundle, top_bar
from ccsim.report.style import style

SENSITIVITY_NAME = "sensitivity.html"
KINDS = {"money": "re-accounted", "operation": "re-simulated", "unpriced": "not priced"}


def band_tornado(result: SensitivityResult) -> go.Figure:
    """Per factor (largest swing on top): the band of service levels at its low value and at its
    high value, beside the band as priced."""
    t = result.table.iloc[::-1]
    base = result.base
    fig = go.Figure()
    fig.add_vrect(
        x0=base["band_low"], x1=base["band_high"], fillcolor="rgba(46, 139, 87, 0.15)", line_width=0
    )
    for side, colour, offset in (("low", "#4c78a8", -0.18), ("high", "#e45756", 0.18)):
        lo, hi = t[f"band_low_at_{side}"], t[f"band_high_at_{side}"]
        fig.add_bar(
            y=t["label"],
            x=(hi - lo).clip(lower=0.004),
            base=lo,
            orientation="h",
            name="band at the low value" if side == "low" else "band at the high value",
            marker_color=colour,
            offset=offset - 0.16,
            width=0.32,
            customdata=t[[side]],
            hovertemplate="%{y} x%{customdata[0]:g}: %{base:.1%}–%{x:.1%}<extra></extra>",
        )
    fig.update_layout(
        barmode="overlay",
        xaxis={"title": f"service level to aim for ({result.frontier.measure})", "tickformat": ".0%"},
        yaxis={"title": ""},
    )
    return style(fig, 120 + 46 * len(t))


def cost_tornado(result: SensitivityResult) -> go.Figure:
    """Per factor: the total cost at the cheapest point at the low and at the high value, as a
    change from the cost as priced, with the 95% half-width of that change (paired replication by
    replication with the cost as priced)."""
    t = result.table.iloc[::-1]
    fig = go.Figure()
    for side, colour in (("low", "#4c78a8"), ("high", "#e45756")):
        fig.add_bar(
            y=t["label"],
            x=t[f"total_cost_at_{side}_vs_base"],
            orientation="h",
            name=f"at the {side} value",
            marker_color=colour,
            error_x={"type": "data", "array": t[f"total_cost_at_{side}_vs_base_ci95"], "color": "#444"},
            customdata=t[[side, f"total_cost_at_{side}_vs_base_ci95"]],
            hovertemplate="%{y} x%{customdata[0]:g}: %{x:+,.0f} ± %{customdata[1]:,.0f}<extra></extra>",
        )
    fig.update_layout(
        barmode="overlay",
        xaxis={"title": f"change in total cost ({result.frontier.currency} {result.frontier.period})"},
        yaxis={"title": ""},
    )
    return style(fig, 120 + 46 * len(t))


def factors_table(result: SensitivityResult) -> str:
    cur = result.frontier.currency
    head = [
        "assumption",
        "how",
        "low – high",
        "band at low",
        "band at high",
        "total cost at low",
        "total cost at high",
        "total cost change",
    ]
    body = []
    for r in result.table.itertuples(index=False):
        cells = [
            esc(r.label),
            KINDS.get(str(r.kind), str(r.kind)),
            f"x{r.low:g} – x{r.high:g}",
            f"{pct(r.band_low_at_low, 0)}–{pct(r.band_high_at_low, 0)}",
            f"{pct(r.band_low_at_high, 0)}–{pct(r.band_high_at_high, 0)}",
            f"{r.total_cost_at_low:,.0f} ± {r.total_cost_at_low_ci95:,.0f} {esc(cur)}",
            f"{r.total_cost_at_high:,.0f} ± {r.total_cost_at_high_ci95:,.0f} {esc(cur)}",
            f"{r.total_cost_change:+,.0f} ± {r.total_cost_change_ci95:,.0f} {esc(cur)}",
        ]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    return (
        f'<table class="data"><tr>{th}</tr>{"".join(body)}</table>'
        '<p class="how">re-accounted: the frontier\'s replications priced again (total cost is linear in '
        "the assumption); re-simulated: the frontier's plans simulated again on the same replications; "
        "not priced: CSAT and NPS are reported, not part of the total cost, so they cannot move the band. "
        f"Total cost ({esc(cur)} {esc(result.frontier.period)}, mean ± 95% half-width): that of the "
        "cheapest point of the band at the low and at the high value, which may be two different plans. "
        "Change: high minus low, replication by replication on the same replications (common random "
        "numbers), with the half-width of those paired differences; a change whose ± exceeds it "
        "cannot be told from zero.</p>"
    )


def global_table(result: SensitivityResult) -> str:
    g = result.global_
    if g.empty:
        return "<p>No money assumption to vary together.</p>"
    cols = [c for c in g.columns if c != "factor"]
    th = "".join(f"<th>{esc(c.replace('_', ' '))}</th>" for c in ["factor", *cols])
    body = []
    for r in g.itertuples(index=False):
        vals = [esc(r[0])] + [_num(v) for v in r[1:]]
        body.append("<tr>" + "".join(f"<td>{v}</td>" for v in vals) + "</tr>")
    what = (
        "Morris elementary effects: mu* is how much the assumption moves the output on average, sigma "
        "how much that depends on the others"
        if result.design == "morris"
        else "Sobol indices: S1 the share of the output's variance due to the assumption alone, ST with "
        "its interactions"
    )
    return (
        f'<table class="data"><tr>{th}</tr>{"".join(body)}</table>'
        f'<p class="how">All money assumptions varied together within their ranges (SALib). {what}; '
        "outputs: the cheapest service level (best) and the total cost at it.</p>"
    )


def _num(v: Any) -> str:
    v = float(v)
    return "–" if not math.isfinite(v) else (f"{v:.3f}" if abs(v) < 10 else f"{v:,.0f}")


def build_sensitivity(result: SensitivityResult, name: str, facts: dict[str, Any] | None = None) -> str:
    facts = dict(facts or {})
    page = Page()
    page.section("answer", "Which assumption decides the answer")
    page.add(f'<p class="answer"><b>{esc(result.headline)}</b></p>')
    page.add(
        '<p class="how">Each assumption was moved to its low and its high value, one at a time, and the '
        "band of service levels that cannot be told apart from the cheapest was found again on the "
        "frontier's points. The green area is the band as priced.</p>"
    )
    page.figure(
        "fig-band-tornado",
        "Where to aim under each assumption",
        "Per assumption (the one that moves the answer most on top): the band at its low value (blue) "
        "and at its high value (red). An assumption whose bars sit on the green area does not change "
        "what to do.",
        lambda: band_tornado(result),
    )
    page.figure(
        "fig-cost-tornado",
        "What each assumption does to the total cost",
        "The total cost at the cheapest point at the low and high value, against the cost as priced; "
        "the whiskers are the 95% half-widths of that difference, paired replication by replication.",
        lambda: cost_tornado(result),
    )
    page.section("factors", "Every assumption")
    page.add(factors_table(result))
    page.section("global", "All money assumptions together")
    page.add(global_table(result))
    rows = "".join(f"<li><b>{esc(k)}</b>: {esc(v)}</li>" for k, v in facts.items() if v not in (None, ""))
    page.section(
        "run",
        "Run details",
        f"<ul>{rows}</ul><p>The folder holds sensitivity.csv, "
        "sensitivity_global.csv and the frontier's tables.</p>",
    )
    head = top_bar(
        f"Sensitivity: {name}",
        [
            ("rendered", f"{dt.datetime.now():%Y-%m-%d %H:%M}"),
            *((k, facts.get(k)) for k in ("seed", "config")),
        ],
    )
    return page.html(f"Sensitivity: {name} · ccsim report", head, plotly_bundle())


def render_sensitivity(
    result: SensitivityResult, path: str | Path, name: str, facts: dict[str, Any] | None = None
) -> Path:
    """Write the sensitivity page to ``path`` (an .html file, or a folder to hold sensitivity.html)."""
    return write_page(build_sensitivity(result, name, facts), path, SENSITIVITY_NAME)


__all__ = ["build_sensitivity", "render_sensitivity"]
