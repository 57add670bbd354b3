"""Shared look of the report's figures: colours, layout, interval axes, mean-and-range bands."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ccsim.metrics import COUNTS, add_ratios

PALETTE = ["#1f77b4", "#e6730f", "#2ca02c", "#9467bd", "#8c564b", "#d62728", "#17becf", "#7f7f7f"]
TARGET = "#c62828"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
ROW_HEIGHT = 230
NICE_STEPS = [1, 2, 4, 6, 8, 12, 16, 24, 48, 96, 144, 192, 288, 336, 672]
# pale up to 60% busy, warm from 80%, dark red towards 100%: the eye goes to overloaded cells
OCCUPANCY_SCALE = [
    [0.0, "#f7fbff"],
    [0.5, "#c6dbef"],
    [0.7, "#fff0d0"],
    [0.8, "#fdbf6f"],
    [0.9, "#e34a33"],
    [1.0, "#7f0000"],
]


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def style(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 64, "r": 24, "t": 64, "b": 48},
        font={"family": FONT, "size": 13},
        legend={"orientation": "h", "yref": "container", "y": 1.0, "yanchor": "top", "x": 0},
        hovermode="x unified",
    )
    fig.update_annotations(font_size=13)
    return fig


def time_unit(seconds: float) -> tuple[str, float]:
    """A readable unit for waits up to ``seconds``: ('s', 1), ('min', 60) or ('h', 3600)."""
    if seconds > 3 * 3600:
        return "h", 3600.0
    if seconds > 5 * 60:
        return "min", 60.0
    return "s", 1.0


def counts_in(frame: pd.DataFrame) -> list[str]:
    """The additive count columns a table has (one saved by an older ccsim may lack newer ones)."""
    return [c for c in COUNTS if c in frame.columns]


def by_channel_interval(intervals: pd.DataFrame) -> pd.DataFrame:
    """Counts and KPIs per replication x interval x channel (types and segments summed)."""
    keys = ["replication", "interval", "channel"]
    out = intervals.groupby(keys, observed=True)[counts_in(intervals)].sum().reset_index()
    out["channel"] = out["channel"].astype(str)
    return add_ratios(out)


def spread(frame: pd.DataFrame, keys: list[str], column: str) -> pd.DataFrame:
    """Mean, lowest and highest value across replications of ``column`` per ``keys``."""
    g = frame.groupby(keys, observed=True)[column]
    return pd.DataFrame({"mean": g.mean(), "low": g.min(), "high": g.max()}).reset_index()


def band(
    fig: go.Figure,
    x: Sequence,
    stats: pd.DataFrame,
    col: str,
    name: str,
    row: int,
    column: int,
    fmt: str,
    show: bool,
    meta: str = "",
) -> None:
    """The mean as a line (tagged ``meta``) and the range across replications as a band behind it."""
    kw = {"row": row, "col": column}
    fig.add_trace(
        go.Scatter(
            x=x,
            y=stats["high"],
            mode="lines",
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
            legendgroup=name,
        ),
        **kw,
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=stats["low"],
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=rgba(col, 0.18),
            hoverinfo="skip",
            legendgroup=name,
            name="range across replications",
            showlegend=False,
        ),
        **kw,
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=stats["mean"],
            mode="lines+markers" if len(x) <= 48 else "lines",
            name=name,
            legendgroup=name,
            showlegend=show,
            line={"color": col, "width": 2},
            marker={"size": 4},
            meta=meta or name,
            customdata=np.c_[stats["low"], stats["high"]],
            hovertemplate=f"%{{y:{fmt}}} (replications %{{customdata[0]:{fmt}}} to %{{customdata[1]:{fmt}}})",
        ),
        **kw,
    )


def target_line(
    fig: go.Figure, x: Sequence, value: float, name: str, row: int, column: int, show: bool, meta: str
) -> None:
    fig.add_trace(
        go.Scatter(
            x=list(x),
            y=[value] * len(x),
            mode="lines",
            name=name,
            legendgroup="target",
            showlegend=show,
            line={"color": TARGET, "dash": "dash", "width": 1.5},
            hovertemplate=f"{name}<extra></extra>",
            meta=meta,
        ),
        row=row,
        col=column,
    )


def legend_once(fig: go.Figure) -> None:
    """Show each legend group once, on its first trace."""
    seen: set[str] = set()
    for trace in fig.data:
        trace.showlegend = trace.legendgroup not in seen
        seen.add(trace.legendgroup)


def time_axis(fig: go.Figure, labels: list[str], max_ticks: int = 12, col: int | None = None) -> None:
    """Interval labels in their order on the x axes (of column ``col``), horizontal, at most about
    ``max_ticks`` of them (fewer when labels carry a day), every 1, 2, 4, 6, 8, 12, ... intervals."""
    longest = max((len(x) for x in labels), default=5)
    fit = max(2, int(max_ticks * 5 / max(5, longest)))
    step = next(k for k in [*NICE_STEPS, len(labels) + 1] if len(labels) <= fit * k)
    fig.update_xaxes(
        type="category",
        categoryorder="array",
        categoryarray=labels,
        tickmode="array",
        tickvals=labels[::step],
        ticktext=labels[::step],
        tickangle=0,
        col=col,
    )


def errors(mean: pd.Series, ci: pd.Series) -> dict:
    """Symmetric 95% whiskers, cut at zero (waits and rates are never negative)."""
    ci = ci.fillna(0)
    return {
        "type": "data",
        "symmetric": False,
        "array": ci,
        "arrayminus": np.minimum(ci, mean.fillna(0)),
        "color": "#444",
        "thickness": 1,
    }
