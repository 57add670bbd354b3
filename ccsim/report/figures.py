"""The report's figures: one function per figure, each returning a ``plotly.graph_objects.Figure``.

Every figure is drawn from aggregated tables (intervals, agents, replications) or from the small
contact aggregates of ``ccsim.report.data``. With several replications a figure shows the mean
and the spread across replications (a band from the lowest to the highest replication, or 95%
confidence intervals as error bars), not the mean alone. The waiting section's figures live in
``ccsim.report.waits``, the customer-journey section's in ``ccsim.report.journeys``; both are
importable from here too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ccsim.report.data import ChannelInfo, outcome_columns
from ccsim.report.journeys import (
    announcement_bias,
    callbacks_and_promises,
    escalations,
    repeats_and_fcr,
    who_answered,
)
from ccsim.report.style import (
    OCCUPANCY_SCALE,
    PALETTE,
    ROW_HEIGHT,
    TARGET,
    band,
    by_channel_interval,
    colour,
    legend_once,
    rgba,
    spread,
    style,
    target_line,
    time_axis,
    time_unit,
)
from ccsim.report.waits import segments_compared, wait_ecdf, wait_percentiles

__all__ = [
    "announcement_bias",
    "backlog_figure",
    "callbacks_and_promises",
    "escalations",
    "occupancy_heatmap",
    "offered_vs_staffed",
    "outcomes_sankey",
    "repeats_and_fcr",
    "replication_spread",
    "segments_compared",
    "service_level_by_interval",
    "time_unit",
    "wait_ecdf",
    "wait_percentiles",
    "who_answered",
]


# --------------------------------------------------------------------------- per interval


def offered_vs_staffed(
    intervals: pd.DataFrame, workload: pd.DataFrame | None, channels: list[ChannelInfo], labels: list[str]
) -> go.Figure:
    """Per channel: offered contacts per interval (left; mean, whiskers the replication range) and
    agents (right): staffed, the offered load in Erlangs and the Erlang C/A requirement."""
    names = [c.name for c in channels]
    titles = []
    for c in channels:
        kind = f" ({c.kind})" if c.kind != c.name else ""
        titles += [f"{c.name}{kind}: offered contacts", f"{c.name}: agents staffed and needed"]
    fig = make_subplots(
        rows=len(names),
        cols=2,
        shared_xaxes=True,
        vertical_spacing=0.1,
        horizontal_spacing=0.07,
        subplot_titles=titles,
    )
    per = by_channel_interval(intervals)
    lines = [
        ("staffed agents", "agents", {"color": "#222", "width": 2, "shape": "hvh"}),
        ("Erlang C/A requirement", "required", {"color": TARGET, "width": 2, "dash": "dash"}),
        ("offered load (Erlangs)", "load_erlangs", {"color": PALETTE[1], "width": 1.5, "dash": "dot"}),
    ]
    for i, ch in enumerate(names, start=1):
        stats = spread(per[per["channel"] == ch], ["interval"], "offered")
        fig.add_trace(
            go.Bar(
                x=[labels[k] for k in stats["interval"]],
                y=stats["mean"],
                name="offered contacts",
                legendgroup="offered",
                marker_color=rgba(PALETTE[0], 0.6),
                meta=f"offered:{ch}",
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": stats["high"] - stats["mean"],
                    "arrayminus": stats["mean"] - stats["low"],
                    "color": "#555",
                    "thickness": 1,
                },
                hovertemplate="offered %{y:.1f}",
            ),
            row=i,
            col=1,
        )
        fig.update_yaxes(title_text="contacts", rangemode="tozero", row=i, col=1)
        fig.update_yaxes(title_text="agents", rangemode="tozero", row=i, col=2)
        if workload is None:
            continue
        w = workload[workload["channel"] == ch].sort_values("interval")
        for label, col, line in lines:
            if w[col].notna().any():
                fig.add_trace(
                    go.Scatter(
                        x=[labels[k] for k in w["interval"]],
                        y=w[col],
                        mode="lines",
                        name=label,
                        legendgroup=col,
                        line=line,
                        meta=f"{col}:{ch}",
                        hovertemplate=f"{label} %{{y:.1f}}",
                    ),
                    row=i,
                    col=2,
                )
    legend_once(fig)
    time_axis(fig, labels, 7)
    return style(fig, 70 + ROW_HEIGHT * len(names))


def service_level_by_interval(
    intervals: pd.DataFrame, channels: list[ChannelInfo], labels: list[str]
) -> go.Figure:
    """Per channel: service level (left) and abandonment (right) per interval, each the mean with
    the range across replications, the SL target and any abandonment cap as dashed lines."""
    per = by_channel_interval(intervals)
    titles = []
    for c in channels:
        sl = f"{c.name}: service level" + (f" ({c.definition})" if c.definition else " (no target set)")
        titles += [sl, f"{c.name}: abandoned"]
    fig = make_subplots(
        rows=len(channels),
        cols=2,
        shared_xaxes=True,
        vertical_spacing=0.09,
        horizontal_spacing=0.07,
        column_widths=[0.6, 0.4],
        subplot_titles=titles,
    )
    first_target = True
    for i, c in enumerate(channels, start=1):
        part = per[per["channel"] == c.name]
        col = colour(i - 1)
        sl = spread(part, ["interval"], "service_level")
        x = [labels[k] for k in sl["interval"]]
        band(fig, x, sl, col, f"{c.name} service level", i, 1, ".1%", True, f"service_level:{c.name}")
        if c.target is not None:
            target_line(fig, labels, c.target, "target", i, 1, first_target, f"target:{c.name}")
            first_target = False
        ab = spread(part, ["interval"], "abandon_rate")
        band(fig, x, ab, col, f"{c.name} abandoned", i, 2, ".1%", False, f"abandon_rate:{c.name}")
        if c.abandon_cap is not None:
            target_line(fig, labels, c.abandon_cap, "abandonment cap", i, 2, False, f"cap:{c.name}")
        fig.update_yaxes(tickformat=".0%", range=[0, 1.04], row=i, col=1)
        top = max(float(ab["high"].max()) if ab["high"].notna().any() else 0.0, c.abandon_cap or 0.0)
        fig.update_yaxes(tickformat=".0%", range=[0, max(top * 1.1, 0.05)], row=i, col=2)
    time_axis(fig, labels, 8, col=1)
    time_axis(fig, labels, 5, col=2)
    return style(fig, 70 + ROW_HEIGHT * len(channels))


def backlog_figure(backlog: pd.DataFrame, channels: list[ChannelInfo], labels: list[str]) -> go.Figure:
    """Deferred channels: contacts waiting at the end of each interval (mean, replication range)."""
    fig = make_subplots(rows=1, cols=1)
    ends = [*labels[1:], "end"]
    for i, c in enumerate(ch for ch in channels if ch.deferred):
        part = backlog[backlog["channel"] == c.name]
        if part.empty:
            continue
        stats = spread(part, ["interval"], "waiting")
        x = [ends[k] for k in stats["interval"]]
        band(
            fig,
            x,
            stats,
            colour(i + 2),
            f"{c.name}: waiting at interval end",
            1,
            1,
            ".1f",
            True,
            f"waiting:{c.name}",
        )
    fig.update_yaxes(title_text="contacts waiting", rangemode="tozero")
    time_axis(fig, ends)
    fig.update_xaxes(title_text="end of interval")
    return style(fig, 320)


# --------------------------------------------------------------------------- agents


def occupancy_heatmap(agents: pd.DataFrame, labels: list[str]) -> go.Figure:
    """Occupancy per agent group (rows) and interval (columns), mean across replications; the
    hover adds the staffed agents and the range across replications."""
    frame = agents.copy()
    frame["agent_group"] = frame["agent_group"].astype(str)
    groups = list(dict.fromkeys(frame["agent_group"]))
    occ = frame.pivot_table(
        index="agent_group", columns="interval", values="occupancy", aggfunc="mean", dropna=False
    ).reindex(groups)
    lo = frame.pivot_table(
        index="agent_group", columns="interval", values="occupancy", aggfunc="min", dropna=False
    ).reindex(groups)
    hi = frame.pivot_table(
        index="agent_group", columns="interval", values="occupancy", aggfunc="max", dropna=False
    ).reindex(groups)
    staffed = frame.pivot_table(
        index="agent_group", columns="interval", values="agents", aggfunc="mean", dropna=False
    ).reindex(groups)
    x = [labels[k] for k in occ.columns]
    fig = go.Figure(
        go.Heatmap(
            z=occ.to_numpy(),
            x=x,
            y=groups,
            zmin=0,
            zmax=1,
            colorscale=OCCUPANCY_SCALE,
            customdata=np.dstack([staffed.to_numpy(), lo.to_numpy(), hi.to_numpy()]),
            texttemplate="%{z:.0%}" if len(x) <= 40 else None,
            textfont={"size": 11},
            colorbar={"title": {"text": "occupancy"}, "tickformat": ".0%", "thickness": 14},
            xgap=1,
            ygap=1,
            hovertemplate="%{y} at %{x}: %{z:.1%} busy of %{customdata[0]:.1f} agents staffed"
            "<br>replications %{customdata[1]:.1%} to %{customdata[2]:.1%}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    time_axis(fig, x, 20)
    fig = style(fig, 120 + 48 * len(groups))
    fig.update_layout(hovermode="closest", margin={"t": 36})
    return fig


# --------------------------------------------------------------------------- outcomes, spread

OUTCOME_COLOURS = {
    "served": "#2e7d32",
    "abandoned": "#c62828",
    "blocked": "#6a1b9a",
    "closed": "#757575",
    "unfinished": "#ef6c00",
    "balked": "#ad1457",
    "self_served": "#00897b",
    "passed_through": "#90a4ae",
    "declined": "#8d6e63",
    "callback": "#0277bd",
    "voicemail": "#5c6bc0",
    "fallback": "#9e9d24",
    "chased": "#4e342e",
}


def outcomes_sankey(intervals: pd.DataFrame) -> go.Figure:
    """Where contacts went: each channel's offered contacts (left) to their outcomes, and the
    served ones on to answered within or after the SL threshold; means per replication."""
    reps = intervals["replication"].nunique()
    every = outcome_columns(intervals)
    cols = [*every, "served_within_sl"]
    totals = intervals.groupby("channel", observed=True)[cols].sum() / reps
    totals.index = totals.index.astype(str)
    channels = list(totals.index)
    outcomes = [o for o in every if totals[o].sum() > 0]
    labels = [f"{c} {totals.loc[c, every].sum():,.0f}" for c in channels]
    labels += [f"{o.replace('_', ' ')} {totals[o].sum():,.0f}" for o in outcomes]
    within = float(totals["served_within_sl"].sum())
    later = float(totals["served"].sum()) - within
    labels += [f"within SL threshold {within:,.0f}", f"after SL threshold {later:,.0f}"]
    source, target, value = _sankey_links(totals, channels, outcomes, within, later)
    colours = [colour(i) for i in range(len(channels))]
    colours += [OUTCOME_COLOURS.get(o, colour(j + 3)) for j, o in enumerate(outcomes)]
    colours += ["#66bb6a", "#ffa726"]
    # columns fixed: channels, outcomes, then within/after the threshold (served ones only)
    sizes = [
        *(totals.loc[c, every].sum() for c in channels),
        *(totals[o].sum() for o in outcomes),
        within,
        later,
    ]
    xs = [0.01] * len(channels) + [0.5] * len(outcomes) + [0.99] * 2
    ys = _stack(sizes[: len(channels)]) + _stack(sizes[len(channels) : -2]) + _stack(sizes[-2:])
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat=",.1f",
            node={
                "label": labels,
                "color": colours,
                "pad": 18,
                "thickness": 18,
                "x": xs,
                "y": ys,
                "customdata": channels + outcomes + ["within", "after"],
                "hovertemplate": "%{label}<extra></extra>",
            },
            link={
                "source": source,
                "target": target,
                "value": value,
                "color": [
                    rgba(colours[t] if t >= len(channels) else colours[s], 0.3)
                    for s, t in zip(source, target, strict=True)
                ],
            },
        )
    )
    # journey outcomes add small nodes: each needs its pad and a label's height
    fig = style(fig, max(380, 150 + 34 * len(outcomes)))
    fig.update_layout(margin={"t": 24, "b": 24})
    return fig


def _sankey_links(
    totals: pd.DataFrame, channels: list[str], outcomes: list[str], within: float, later: float
) -> tuple[list[int], list[int], list[float]]:
    """The flows (source node, target node, contacts): channel to outcome, and served on to
    within or after the SL threshold (the last two nodes)."""
    source, target, value = [], [], []
    for i, c in enumerate(channels):
        for j, o in enumerate(outcomes):
            if totals.loc[c, o] > 0:
                source.append(i)
                target.append(len(channels) + j)
                value.append(float(totals.loc[c, o]))
    if "served" in outcomes:
        s = len(channels) + outcomes.index("served")
        for node, v in ((len(channels) + len(outcomes), within), (len(channels) + len(outcomes) + 1, later)):
            if v > 0:
                source.append(s)
                target.append(node)
                value.append(v)
    return source, target, value


def _stack(sizes: Sequence[float], gap: float = 0.04) -> list[float]:
    """Centres (0 to 1, top down) of nodes stacked in one Sankey column, in proportion to size."""
    total = float(sum(sizes)) or 1.0
    free = max(0.0, 1.0 - gap * (len(sizes) - 1))
    out, y = [], 0.0
    for v in sizes:
        h = free * v / total
        out.append(min(0.999, max(0.001, y + h / 2)))
        y += h + gap
    return out


def replication_spread(per_replication: pd.DataFrame, channels: list[ChannelInfo]) -> go.Figure:
    """Each replication as a dot: service level and abandonment per channel, occupancy per agent
    group, with the mean as a bar and the SL target marked."""
    fig = make_subplots(
        rows=1,
        cols=3,
        horizontal_spacing=0.07,
        subplot_titles=["service level per channel", "abandoned per channel", "occupancy per agent group"],
    )
    ch = per_replication[per_replication["group_by"] == "channel"]
    ag = per_replication[per_replication["group_by"] == "agent_group"]
    panels = [(ch, "service_level", 1), (ch, "abandon_rate", 2), (ag, "occupancy", 3)]
    for frame, col, k in panels:
        groups = list(dict.fromkeys(frame["group"].astype(str)))
        means = frame.groupby("group")[col].mean().reindex(groups)
        fig.add_trace(
            go.Bar(
                x=groups,
                y=means,
                name="mean",
                legendgroup="mean",
                showlegend=k == 1,
                meta=f"mean:{col}",
                marker_color="rgba(31,119,180,0.25)",
                hovertemplate="mean %{y:.1%}",
            ),
            row=1,
            col=k,
        )
        fig.add_trace(
            go.Scatter(
                x=frame["group"].astype(str),
                y=frame[col],
                mode="markers",
                name="one replication",
                legendgroup="rep",
                showlegend=k == 1,
                customdata=frame["replication"],
                meta=f"replications:{col}",
                marker={"color": "#08306b", "size": 7, "opacity": 0.8, "line": {"width": 0}},
                hovertemplate="replication %{customdata}: %{y:.1%}<extra></extra>",
            ),
            row=1,
            col=k,
        )
        fig.update_yaxes(tickformat=".0%", rangemode="tozero", row=1, col=k)
    with_target = [c for c in channels if c.target is not None]
    fig.add_trace(
        go.Scatter(
            x=[c.name for c in with_target],
            y=[c.target for c in with_target],
            mode="markers",
            name="target",
            meta="target",
            marker={
                "symbol": "line-ew-open",
                "size": 40,
                "color": TARGET,
                "line": {"width": 2.5, "color": TARGET},
            },
            hovertemplate="target %{y:.0%}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    fig.update_yaxes(range=[0, 1.04], row=1, col=1)
    fig = style(fig, 340)
    fig.update_layout(hovermode="closest")
    return fig
