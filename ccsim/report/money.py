"""Figures for money: the cost breakdown, cost per contact, experience KPIs (a run's money
section), and the frontier and its marginal costs (``ccsim frontier``). Each returns go.Figure.

The experience figure says on its face that CSAT, CES, NPS and retention come from configurable
response functions whose defaults are assumptions (``docs/explanation/economics.md``).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ccsim.economics.accounting import COST_COMPONENTS, VALUE_COMPONENTS
from ccsim.optimize.frontiers import FrontierResult
from ccsim.report.data import MoneyTables
from ccsim.report.style import colour, rgba, style

LABELS = {
    "staffing": "staffing",
    "telephony": "telephony",
    "partner": "partner",
    "self_service": "self-service",
    "callback": "callbacks",
    "scope_communication": "communicating the scope",
    "lost_revenue": "lost revenue",
    "lost_lifetime_value": "lost lifetime value (churn)",
}
ASSUMPTION_NOTE = (
    "Estimated per contact from configurable response functions ([experience], [value].churn); "
    "their defaults are assumptions, not measurements."
)

NO_PRICES = (
    "No prices set: every cost and lost value of this run is zero. Give the agents' cost per "
    "hour and the other prices with `ccsim run CONFIG --prices FILE`, a [costs] and [value] "
    "table in the scenario, or `--set costs.agent_cost_per_hour=30`."
)


def priced(money: MoneyTables) -> bool:
    """True when the run's money tables hold any cost or lost value (prices were set)."""
    row = _rows(money, "all")
    cols = [c for c in ("service_cost", "lost_value") if c in row.columns]
    return bool(len(row) and cols and (row[cols].abs().to_numpy() > 0).any())


def _rows(money: MoneyTables, by: str) -> pd.DataFrame:
    s = money.summary
    return s[s["group_by"] == by]


def cost_breakdown_figure(money: MoneyTables, by: str = "channel") -> go.Figure:
    """Stacked bars per channel (or segment, contact type): the cost components and the lost
    value, mean per replication; the 'all' bar first."""
    rows = pd.concat([_rows(money, "all"), _rows(money, by)])
    names = ["all" if g == "all" else str(g) for g in rows["group"]]
    fig = go.Figure()
    for i, comp in enumerate([*COST_COMPONENTS, *VALUE_COMPONENTS]):
        values = rows[comp].to_numpy()
        if not (values > 0).any():
            continue
        lost = comp in VALUE_COMPONENTS
        fig.add_bar(
            name=LABELS[comp],
            x=names,
            y=values,
            marker_color=colour(i),
            marker_pattern_shape="/" if lost else "",
            hovertemplate=f"{LABELS[comp]}: %{{y:,.0f}} {money.currency}<extra></extra>",
        )
    fig.update_layout(
        barmode="stack", title=f"Cost and lost value per replication, by {by}", yaxis_title=money.currency
    )
    return style(fig, 380)


def cost_per_contact_figure(money: MoneyTables) -> go.Figure:
    """Service cost per contact and per resolved issue, by channel and by segment, with 95%
    confidence intervals across replications."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("by channel", "by segment"))
    for col, by in enumerate(("channel", "segment"), start=1):
        rows = _rows(money, by)
        for i, (kpi, label) in enumerate(
            (("cost_per_contact", "per contact"), ("cost_per_resolved", "per resolved issue"))
        ):
            fig.add_bar(
                name=label,
                x=rows["group"].astype(str),
                y=rows[kpi],
                marker_color=colour(i),
                error_y={"type": "data", "array": rows[f"{kpi}_ci95"].fillna(0)},
                showlegend=col == 1,
                legendgroup=kpi,
            )
    fig.update_layout(barmode="group", title="Service cost per contact and per resolved issue")
    fig.update_yaxes(title_text=money.currency, col=1)
    return style(fig, 360)


def experience_figure(money: MoneyTables, by: str = "channel") -> go.Figure:
    """CSAT (1-5), CES (1-7), NPS (-100..100) and retention rate by channel (or segment), with
    the note that they rest on assumed response functions."""
    rows = pd.concat([_rows(money, "all"), _rows(money, by)])
    names = ["all" if g == "all" else str(g) for g in rows["group"]]
    kpis = [
        ("csat", "CSAT (1–5)"),
        ("ces", "CES (1–7, easy)"),
        ("nps", "NPS"),
        ("retention_rate", "retention"),
    ]
    fig = make_subplots(rows=1, cols=4, subplot_titles=[t for _, t in kpis])
    for i, (kpi, _) in enumerate(kpis, start=1):
        fig.add_bar(
            x=names,
            y=rows[kpi],
            marker_color=colour(i - 1),
            showlegend=False,
            error_y={"type": "data", "array": rows[f"{kpi}_ci95"].fillna(0)},
            row=1,
            col=i,
        )
    fig.update_yaxes(range=[1, 5], row=1, col=1)
    fig.update_yaxes(range=[1, 7], row=1, col=2)
    fig.update_yaxes(tickformat=".1%", row=1, col=4)
    fig.add_annotation(
        text=ASSUMPTION_NOTE,
        xref="paper",
        yref="paper",
        x=0,
        y=-0.28,
        showarrow=False,
        xanchor="left",
        font={"size": 11, "color": "#666"},
    )
    fig.update_layout(title="Customer experience (estimated)", margin={"b": 90})
    return style(fig, 360)


def frontier_figure(result: FrontierResult) -> go.Figure:
    """Total cost against the service level achieved, per service choice: the central total
    with its 95% interval on both axes (the simulation's uncertainty), a shaded area from low to
    high customer value (the value assumption), the service cost and the lost value; the
    cheapest point of each choice marked, and the band of the best choice shaded."""
    fig = go.Figure()
    opt = result.optimum
    lead = opt[(opt["value_case"] == "central") & opt["best_choice"]] if "band_low" in opt else opt.iloc[:0]
    if len(lead):
        fig.add_vrect(
            x0=float(lead["band_low"].iloc[0]) - 0.002,
            x1=float(lead["band_high"].iloc[0]) + 0.002,
            fillcolor="rgba(46, 139, 87, 0.15)",
            line_width=0,
            annotation_text="band",
            annotation_position="top left",
        )
    for i, (choice, part) in enumerate(result.points.groupby("choice", sort=False)):
        _choice_curves(fig, str(choice), part.sort_values("service_level"), colour(i))
    fig.update_layout(
        title="How much service is too much: total cost against service level",
        xaxis={"title": f"service level achieved ({', '.join(result.channels)})", "tickformat": ".0%"},
        yaxis_title=f"{result.currency} {getattr(result, 'period', 'per replication')}",
        hovermode="closest",
    )
    return style(fig, 460)


def _choice_curves(fig: go.Figure, choice: str, part: pd.DataFrame, c: str) -> None:
    """One choice's frontier: the area from low to high customer value, the total cost with its
    intervals, the service cost, the lost value and its cheapest point (a star)."""
    x = part["service_level"]
    ci = {}
    if "total_cost_ci95" in part and "service_level_ci95" in part:
        ci = {
            "error_y": {"type": "data", "array": part["total_cost_ci95"].fillna(0), "thickness": 1.5},
            "error_x": {"type": "data", "array": part["service_level_ci95"].fillna(0), "thickness": 1},
        }
    fig.add_scatter(
        x=pd.concat([x, x[::-1]]),
        y=pd.concat([part["total_cost_high"], part["total_cost_low"][::-1]]),
        fill="toself",
        fillcolor=rgba(c, 0.12),
        line={"width": 0},
        hoverinfo="skip",
        name=f"{choice}: low–high customer value",
        legendgroup=str(choice),
    )
    fig.add_scatter(
        x=x,
        y=part["total_cost"],
        mode="lines+markers",
        line={"color": c, "width": 3},
        name=f"{choice}: total cost",
        legendgroup=str(choice),
        customdata=part[["target", "agent_hours"]],
        hovertemplate="SL %{x:.1%} (target %{customdata[0]:.0%}), "
        "%{customdata[1]:,.0f} agent hours: total %{y:,.0f}<extra></extra>",
        **ci,
    )
    fig.add_scatter(
        x=x,
        y=part["service_cost"],
        mode="lines",
        line={"color": c, "dash": "dot"},
        name=f"{choice}: service cost",
        legendgroup=str(choice),
    )
    fig.add_scatter(
        x=x,
        y=part["lost_value"],
        mode="lines",
        line={"color": c, "dash": "dash"},
        name=f"{choice}: lost value",
        legendgroup=str(choice),
    )
    best = part.loc[part["total_cost"].idxmin()]
    fig.add_scatter(
        x=[best["service_level"]],
        y=[best["total_cost"]],
        mode="markers",
        marker={"symbol": "star", "size": 16, "color": c},
        showlegend=False,
        hovertemplate=f"{choice}: cheapest at SL %{{x:.1%}}<extra></extra>",
    )


def marginal_figure(result: FrontierResult) -> go.Figure:
    """Per extra point of service level: what it costs (service cost) and what it saves (lost
    value), between neighbouring points of the frontier. More service pays while the saving
    exceeds the cost."""
    fig = go.Figure()
    m = result.marginal
    for i, (choice, part) in enumerate(m.groupby("choice", sort=False)):
        mid = (part["from_service_level"] + part["to_service_level"]) / 2
        fig.add_scatter(
            x=mid,
            y=part["service_cost_per_point"],
            mode="lines+markers",
            line={"color": colour(i)},
            name=f"{choice}: cost of a point",
        )
        fig.add_scatter(
            x=mid,
            y=-part["lost_value_per_point"],
            mode="lines+markers",
            line={"color": colour(i), "dash": "dash"},
            name=f"{choice}: value saved by a point",
        )
    fig.update_layout(
        title="Marginal cost and saving of one more point of service level",
        xaxis={"title": "service level", "tickformat": ".0%"},
        yaxis_title=f"{result.currency} per point",
        hovermode="closest",
    )
    return style(fig, 380)


def risk_figure(result: FrontierResult) -> go.Figure:
    """Probability that an interval, and a day, meets its target, against the target."""
    fig = go.Figure()
    for i, (choice, part) in enumerate(result.points.groupby("choice", sort=False)):
        part = part.sort_values("target")
        fig.add_scatter(
            x=part["target"],
            y=part["p_interval"],
            mode="lines+markers",
            line={"color": colour(i)},
            name=f"{choice}: an interval",
        )
        fig.add_scatter(
            x=part["target"],
            y=part["p_day"],
            mode="lines+markers",
            line={"color": colour(i), "dash": "dash"},
            name=f"{choice}: a day",
        )
    fig.update_layout(
        title="Risk: probability of meeting the target",
        xaxis={"title": "target", "tickformat": ".0%"},
        yaxis={"title": "probability", "tickformat": ".0%", "range": [0, 1.02]},
    )
    return style(fig, 340)
