"""Figures of the waiting section: wait distributions (ECDF), percentiles, segments compared.

Like every figure function, each returns a ``plotly.graph_objects.Figure`` built from aggregated
tables or the small contact aggregates of ``ccsim.report.data``.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ccsim.confidence import t_half_width
from ccsim.metrics import add_ratios
from ccsim.report.data import ChannelInfo, share_within
from ccsim.report.style import TARGET, colour, counts_in, errors, style, time_unit
from ccsim.units import format_duration


def wait_ecdf(waits: pd.DataFrame, channels: list[ChannelInfo]) -> go.Figure:
    """Per channel: the share of answered contacts that waited at most x (ECDF), one line per
    segment, with the SL threshold as a dashed vertical line. The y axis starts a little below
    the share answered at once, where the curves begin."""
    shown = [c for c in channels if (waits["channel"] == c.name).any()]
    cols = min(3, max(1, len(shown)))
    rows = max(1, math.ceil(len(shown) / cols))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[c.name for c in shown],
        horizontal_spacing=0.07,
        vertical_spacing=0.2,
    )
    segments = sorted(waits["segment"].unique())
    for i, c in enumerate(shown):
        r, k = i // cols + 1, i % cols + 1
        part = waits[waits["channel"] == c.name]
        tail = max(float(part[part["prob"] <= 0.995]["wait_s"].max()) * 1.15, 1.0)
        within = c.within_s
        top = max(tail, within * 1.15) if within is not None and within <= 3 * tail else tail
        unit, size = time_unit(top)
        at_once = float(part[part["wait_s"] <= 0]["prob"].max()) if (part["wait_s"] <= 0).any() else 0.0
        floor = max(0.0, math.floor(10 * at_once) / 10 - 0.1)
        for seg in segments:
            curve = part[part["segment"] == seg].sort_values("prob")
            if curve.empty:
                continue
            n = int(curve["n"].iloc[0])
            fig.add_trace(
                go.Scatter(
                    x=curve["wait_s"] / size,
                    y=curve["prob"],
                    mode="lines",
                    name=seg,
                    legendgroup=seg,
                    showlegend=seg not in {t.name for t in fig.data},
                    meta=f"ecdf:{c.name}:{seg}",
                    line={"color": colour(segments.index(seg) + 3), "width": 2},
                    hovertemplate=f"{seg}: %{{y:.1%}} answered within %{{x:.1f}} {unit} (n={n})"
                    "<extra></extra>",
                ),
                row=r,
                col=k,
            )
        if within is not None:
            _threshold(fig, waits, c.name, segments, within, top, unit, size, (r, k))
        fig.update_xaxes(title_text=f"wait ({unit})", range=[0, top / size], row=r, col=k)
        fig.update_yaxes(tickformat=".0%", range=[floor, 1.01], row=r, col=k)
    fig = style(fig, 90 + 300 * rows)
    fig.update_layout(hovermode="closest")
    return fig


def _threshold(
    fig: go.Figure,
    waits: pd.DataFrame,
    channel: str,
    segments: list[str],
    within: float,
    top: float,
    unit: str,
    size: float,
    cell: tuple[int, int],
) -> None:
    """A channel's SL threshold as a dashed vertical line (in the legend when off the chart),
    and a note with each segment's share answered within it."""
    r, k = cell
    part = waits[waits["channel"] == channel]
    t = within / size
    share = "".join(
        f"<br>{seg} {share_within(waits, channel, seg, within):.0%}"
        for seg in segments
        if (part["segment"] == seg).any()
    )
    fig.add_trace(
        go.Scatter(
            x=[t, t],
            y=[0, 1],
            mode="lines",
            name="SL threshold",
            legendgroup="threshold",
            showlegend=not any(tr.legendgroup == "threshold" for tr in fig.data),
            meta=f"threshold:{channel}",
            visible=True if within <= top else "legendonly",
            line={"color": TARGET, "dash": "dash", "width": 1.5},
            hovertemplate=f"threshold {t:g} {unit}<extra></extra>",
        ),
        row=r,
        col=k,
    )
    where = "" if within <= top else " (off the chart)"
    fig.add_annotation(
        x=0.98,
        y=0.04,
        xref="x domain",
        yref="y domain",
        xanchor="right",
        yanchor="bottom",
        showarrow=False,
        align="right",
        text=f"answered within {format_duration(within)}{where}:{share}",
        font={"size": 11.5, "color": TARGET},
        bgcolor="rgba(255,255,255,0.85)",
        row=r,
        col=k,
    )


def wait_percentiles(percentiles: pd.DataFrame, channels: list[ChannelInfo]) -> go.Figure:
    """Per channel and segment: p50, p90 and p99 of answered waits, mean across replications
    with 95% confidence intervals."""
    names = [c.name for c in channels if (percentiles["channel"] == c.name).any()]
    fig = make_subplots(rows=1, cols=max(1, len(names)), subplot_titles=names, horizontal_spacing=0.07)
    cols = {"p50": "wait_p50_s", "p90": "wait_p90_s", "p99": "wait_p99_s"}
    for i, ch in enumerate(names, start=1):
        part = percentiles[percentiles["channel"] == ch]
        unit, size = time_unit(float(part["wait_p99_s"].max()))
        segs = sorted(part["segment"].unique())
        for j, (label, col) in enumerate(cols.items()):
            g = part.groupby("segment")[col]
            mean = g.mean().reindex(segs) / size
            ci = g.apply(lambda v: t_half_width(v.to_numpy(dtype=float))).reindex(segs) / size
            fig.add_trace(
                go.Bar(
                    x=segs,
                    y=mean,
                    name=label,
                    legendgroup=label,
                    showlegend=i == 1,
                    meta=f"{label}:{ch}",
                    marker_color=["#9ecae1", "#4292c6", "#08519c"][j],
                    error_y=errors(mean, ci),
                    hovertemplate=f"{label} %{{y:.1f}} {unit}",
                ),
                row=1,
                col=i,
            )
        fig.update_yaxes(title_text=f"wait ({unit})", rangemode="tozero", row=1, col=i)
    fig.update_layout(barmode="group")
    return style(fig, 340)


def segments_compared(intervals: pd.DataFrame, channels: list[ChannelInfo]) -> go.Figure:
    """Segments side by side per channel (VIP against standard): service level with its target,
    ASA and abandonment; mean across replications with 95% confidence intervals."""
    keys = ["replication", "channel", "segment"]
    per = add_ratios(intervals.groupby(keys, observed=True)[counts_in(intervals)].sum().reset_index())
    per = per[per["offered"] > 0]
    per["channel"], per["segment"] = per["channel"].astype(str), per["segment"].astype(str)
    names = [c.name for c in channels]
    metrics = [
        ("service_level", "service level", ".0%"),
        ("asa_s", "ASA (s)", ".1f"),
        ("abandon_rate", "abandoned", ".1%"),
    ]
    fig = make_subplots(rows=1, cols=3, subplot_titles=[m[1] for m in metrics], horizontal_spacing=0.07)
    segments = sorted(per["segment"].unique())
    for k, (col, _, fmt) in enumerate(metrics, start=1):
        for j, seg in enumerate(segments):
            part = per[per["segment"] == seg]
            g = part.groupby("channel")[col]
            mean = g.mean().reindex(names)
            ci = g.apply(lambda v: t_half_width(v.to_numpy(dtype=float))).reindex(names)
            fig.add_trace(
                go.Bar(
                    x=names,
                    y=mean,
                    name=seg,
                    legendgroup=seg,
                    showlegend=k == 1,
                    meta=f"{col}:{seg}",
                    marker_color=colour(j + 3),
                    error_y=errors(mean, ci),
                    hovertemplate=f"{seg} %{{y:{fmt}}}",
                ),
                row=1,
                col=k,
            )
        if col == "service_level":
            with_target = [c for c in channels if c.target is not None]
            fig.add_trace(
                go.Scatter(
                    x=[c.name for c in with_target],
                    y=[c.target for c in with_target],
                    mode="markers",
                    name="target",
                    legendgroup="target",
                    meta="target",
                    marker={
                        "symbol": "line-ew-open",
                        "size": 40,
                        "color": TARGET,
                        "line": {"width": 2.5, "color": TARGET},
                    },
                    hovertemplate="target %{y:.0%}",
                ),
                row=1,
                col=k,
            )
        fig.update_yaxes(tickformat=fmt if fmt.endswith("%") else None, rangemode="tozero", row=1, col=k)
    fig.update_yaxes(range=[0, 1.04], row=1, col=1)
    fig.update_layout(barmode="group")
    return style(fig, 360)
