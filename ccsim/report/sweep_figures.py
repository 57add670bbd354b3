"""The figures of the sweep report, each a function returning a ``plotly.graph_objects.Figure``
(for a notebook too):

- ``factor_figure(results, factor)``: one panel per KPI (service level, ASA, abandonment,
  occupancy), one line per channel or agent group against the factor, the 95% confidence interval
  of each point as a band (whiskers for categorical factors and for sampled designs); with a
  second factor in a grid, one line per value of the other factor (dashed differently).
- ``heatmap_figure(results)``: for a grid over exactly two factors, one heatmap per KPI, a cell per
  point holding its mean and half-width.

Points that failed or have not run yet are gaps in the lines and empty cells in the heatmaps.
The numbers are those of ``results.summary`` (mean and ``_ci95`` half-width across replications).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ccsim.experiments.results import SweepResults
from ccsim.report.parts import esc, pct
from ccsim.report.style import OCCUPANCY_SCALE, TARGET, colour, rgba, style, time_unit
from ccsim.report.sweep_data import (
    HEADLINE,
    MISSING,
    Panel,
    Series,
    _finite,
    _group_columns,
    _label,
    _none,
    _targets,
    _values,
    factor_levels,
    fmt_ci,
    kind_of,
    panels,
    point_table,
    short,
    two_factor_grid,
)

LOWER_IS_BETTER = {"asa_s", "abandon_rate", "block_rate", "balk_rate", "mean_wait_s", "escalation_rate"}
MAX_SLICES = 6  # lines per group against a factor: one per value of the other factors, up to this
DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"]
SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star"]


def _slices(results: SweepResults, factor: str, table: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """The points split by the values of the other factors (one line each), or all together."""
    others = [f for f in results.factors if f != factor]
    if not others or results.design.get("kind") == "zip":  # zip: the factors move together
        return [("", table)]
    keys = table[others].apply(lambda r: " · ".join(f"{short(f)}={_label(r[f])}" for f in others), axis=1)
    return [(k, table[keys == k]) for k in dict.fromkeys(keys)]


def factor_figure(
    results: SweepResults,
    factor: str,
    kpis: Sequence[str] | None = None,
    raw_config: dict[str, Any] | None = None,
) -> go.Figure:
    """The KPIs against one factor (see the module docstring); ``kpis`` as in ``panels``.

    Traces carry ``meta``: ``{"role": "mean" | "ci95" | "target" | "key", "column": ...,
    "slice": ..., "scale": ...}``. A mean trace's ``y`` is the summary's mean divided by
    ``scale`` (times are drawn in s, min or h; the rest as they are) and its ``customdata`` rows
    are ``[point, mean, ci95]`` in the summary's units. A band is one closed outline per run of
    points with results: mean + ci95 going right, mean - ci95 coming back, cut at 0 (and at 100%
    for shares). ``raw_config`` (the base config) gives the service-level targets; default: the
    sweep's scenario's."""
    if factor not in results.factors:
        raise KeyError(f"no factor {factor!r}; factors: {', '.join(results.factors)}")
    table = point_table(results)
    chosen = panels(results, kpis)
    pos, order, _ = factor_levels(list(table[factor]))  # the labels keep their unit
    numeric = pos is not None
    slices = _slices(results, factor, table)
    if len(slices) > MAX_SLICES or any(s[factor].map(_label).nunique() < 2 for _, s in slices):
        slices = [("", table)]  # a sample, not a grid: each point is a marker with whiskers
        lines = False
    else:
        lines = numeric
    cols = 1 if len(chosen) == 1 else 2
    rows = max(1, math.ceil(len(chosen) / cols))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[p.title for p in chosen] or ["no point has results"],
        vertical_spacing=0.2 / rows if rows > 1 else 0.1,
        horizontal_spacing=0.09,
    )
    labels = list(dict.fromkeys(s.label for p in chosen for s in p.series))
    colours = {label: colour(i) for i, label in enumerate(labels)}
    alpha = 0.15 if len(slices) == 1 else 0.08
    targets = _targets(results, raw_config)
    for i, panel in enumerate(chosen):
        r, c = divmod(i, cols)
        kw = {"row": r + 1, "col": c + 1}
        scale, suffix = 1.0, ""
        if panel.kind == "time":
            top = max((np.nanmax(np.r_[_values(table, s.column), 0.0]) for s in panel.series), default=0.0)
            suffix, scale = time_unit(float(top))
        for s in panel.series:
            for k, (name, sub) in enumerate(slices):
                look = {
                    "colour": colours[s.label],
                    "dash": DASHES[k % len(DASHES)],
                    "symbol": SYMBOLS[k % len(SYMBOLS)],
                    "alpha": alpha,
                }
                _add_series(fig, sub, factor, pos, order, s, name, look, panel, scale, lines, kw)
        if panel.kpi == "service_level":
            _add_targets(fig, panel, targets, pos, order, kw)
        _factor_axes(fig, panel, factor if i + cols >= len(chosen) else None, pos, order, suffix, kw)
    _factor_legend(fig, labels, colours, slices, lines)
    fig = style(fig, 170 + 290 * rows)
    fig.update_layout(hovermode="x unified" if lines else "closest", margin={"t": 100})
    if not numeric:
        fig.update_layout(scattermode="group", scattergap=0.5)
    return fig


def _factor_axes(
    fig: go.Figure,
    panel: Panel,
    title: str | None,
    pos: dict[str, float] | None,
    order: list[str],
    suffix: str,
    kw: dict[str, int],
) -> None:
    """A panel's axes: shares in %, times in their unit; the factor's values along x, at their
    positions if numeric (``pos``), else as categories (``title``: the bottom row's only)."""
    if panel.kind == "share":
        fig.update_yaxes(tickformat=".0%", rangemode="tozero", **kw)
    else:
        fig.update_yaxes(title_text=suffix or None, rangemode="tozero", **kw)
    if pos is not None:
        fig.update_xaxes(
            title_text=title,
            tickmode="array",
            tickvals=[pos[x] for x in order] if pos else [],
            ticktext=order,
            **kw,
        )
    else:
        fig.update_xaxes(title_text=title, type="category", categoryorder="array", categoryarray=order, **kw)


def _factor_legend(
    fig: go.Figure,
    labels: list[str],
    colours: dict[str, str],
    slices: list[tuple[str, pd.DataFrame]],
    lines: bool,
) -> None:
    """The legend: a colour per channel or group, a dash per value of the other factors."""
    for label in labels:
        _key(fig, label, label, {"color": colours[label], "width": 2}, "circle", lines)
    if len(slices) > 1:
        for k, (name, sub) in enumerate(slices):
            if not (sub["status"] == "done").any():
                continue  # nothing of it is drawn
            line = {"color": "#555", "width": 2, "dash": DASHES[k % len(DASHES)]}
            _key(fig, name, f"slice:{name}", line, SYMBOLS[k % len(SYMBOLS)], lines)


def _key(fig: go.Figure, name: str, group: str, line: dict[str, Any], symbol: str, lines: bool) -> None:
    """A legend entry only (no data): clicking it shows or hides its legend group."""
    fig.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="lines+markers" if lines else "markers",
            name=name,
            legendgroup=group,
            showlegend=True,
            line=line,
            marker={"color": line["color"], "size": 7, "symbol": symbol},
            hoverinfo="skip",
            meta={"role": "key"},
        ),
        row=1,
        col=1,
    )


def _add_series(
    fig: go.Figure,
    sub: pd.DataFrame,
    factor: str,
    pos: dict[str, float] | None,
    order: list[str],
    s: Series,
    slice_name: str,
    look: dict[str, Any],
    panel: Panel,
    scale: float,
    lines: bool,
    kw: dict[str, int],
) -> None:
    labels = sub[factor].map(_label)
    sub = sub.assign(_x=labels)[labels != "–"]
    rank = {x: i for i, x in enumerate(order)}
    sub = sub.iloc[np.argsort([rank[x] for x in sub["_x"]], kind="stable")]
    mean, ci = _values(sub, s.column), _values(sub, f"{s.column}_ci95")
    if not np.isfinite(mean).any():
        return  # every point of this line failed or has not run: nothing to draw
    x: list[Any] = [pos[v] for v in sub["_x"]] if pos is not None else list(sub["_x"])
    name = s.label + (f" · {slice_name}" if slice_name else "")
    meta = {"column": s.column, "slice": slice_name, "scale": scale, "label": s.label}
    col = look["colour"]
    status = [MISSING.get(st, "") for st in sub["status"]]
    text = [
        f"{fmt_ci(m, h, panel.kind)} (point {p})" if not miss else f"point {p}: {miss}"
        for m, h, p, miss in zip(mean, ci, sub["point"], status, strict=True)
    ]
    if lines and np.isfinite(ci).any():
        high = 1.0 if panel.kind == "share" else np.inf
        upper, lower = np.minimum(mean + ci, high) / scale, np.maximum(mean - ci, 0.0) / scale
        bx: list[Any] = []
        by: list[float | None] = []
        for seg in _segments(np.isfinite(mean) & np.isfinite(ci)):
            bx += [*(x[i] for i in seg), *(x[i] for i in reversed(seg)), None]
            by += [*(float(upper[i]) for i in seg), *(float(lower[i]) for i in reversed(seg)), None]
        fig.add_trace(
            go.Scatter(
                x=bx[:-1],
                y=by[:-1],
                mode="lines",
                fill="toself",
                fillcolor=rgba(col, look["alpha"]),
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
                legendgroup=s.label,
                name=f"{name} 95% CI",
                meta={**meta, "role": "ci95"},
            ),
            **kw,
        )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=_none(mean / scale),
            mode="lines+markers" if lines else "markers",
            name=name,
            legendgroup=s.label,
            showlegend=False,
            line={"color": col, "width": 2, "dash": look["dash"]},
            marker={"size": 7 if lines else 9, "color": col, "symbol": look["symbol"]},
            error_y=(
                None
                if lines
                else {"type": "data", "array": _none(ci / scale), "visible": True, "thickness": 1.3}
            ),
            connectgaps=False,
            text=text,
            hovertemplate="%{text}",
            customdata=[[int(p), m, h] for p, m, h in zip(sub["point"], _none(mean), _none(ci), strict=True)],
            meta={**meta, "role": "mean"},
        ),
        **kw,
    )


def _segments(ok: np.ndarray) -> list[list[int]]:
    """Runs of consecutive True positions."""
    out: list[list[int]] = []
    for i, good in enumerate(ok):
        if good and out and out[-1][-1] == i - 1:
            out[-1].append(i)
        elif good:
            out.append([i])
    return out


def _add_targets(
    fig: go.Figure,
    panel: Panel,
    targets: dict[str, float],
    pos: dict[str, float] | None,
    order: list[str],
    kw: dict[str, int],
) -> None:
    if not order:
        return
    ends: list[Any] = [pos[order[0]], pos[order[-1]]] if pos is not None else [order[0], order[-1]]
    by_value: dict[float, list[str]] = {}
    for s in panel.series:
        if s.label in targets:
            by_value.setdefault(targets[s.label], []).append(s.label)
        elif s.label == "all" and len(set(targets.values())) == 1:
            by_value.setdefault(next(iter(targets.values())), []).append("all")
    for value, names in by_value.items():
        label = f"target {pct(value, 0)}" + ("" if len(by_value) == 1 else f" ({', '.join(names)})")
        fig.add_trace(
            go.Scatter(
                x=ends,
                y=[value, value],
                mode="lines",
                name=label,
                legendgroup=f"target {value}",
                showlegend=not any(t.legendgroup == f"target {value}" for t in fig.data),
                line={"color": TARGET, "dash": "dash", "width": 1.3},
                hoverinfo="skip",
                meta={"role": "target", "column": panel.series[0].column, "channels": names},
            ),
            **kw,
        )


def heatmap_columns(results: SweepResults) -> list[str]:
    """The KPIs of ``heatmap_figure`` by default: service level per channel, then the whole
    centre's ASA, abandonment and occupancy."""
    s = results.summary
    cols = [x.column for x in _group_columns(s, "service_level", "channel")]
    if not cols and _finite(s, "service_level"):
        cols = ["service_level"]
    return cols + [c for c in ("asa_s", "abandon_rate", "occupancy") if _finite(s, c)]


def _heat_title(column: str, targets: dict[str, float]) -> str:
    parts = column.split(".")
    titles = {k: t for k, t, _ in HEADLINE}
    title = titles.get(parts[0], parts[0])
    if len(parts) == 3:
        title += f" · {parts[2]}"
        if parts[0] == "service_level" and parts[2] in targets:
            title += f" (target {pct(targets[parts[2]], 0)})"
    else:
        title += " · all"
    return title


def heatmap_figure(
    results: SweepResults, columns: Sequence[str] | None = None, raw_config: dict[str, Any] | None = None
) -> go.Figure:
    """One heatmap per KPI column for a grid over two factors: the first factor down, the second
    across, each cell a point's mean with its 95% half-width (empty: failed or not run). Service
    levels are green where they meet the channel's target and red where they miss it. Traces
    carry ``meta={"column": ...}``; ``z`` holds the summary's means (rows: the first factor's
    values in order, columns: the second's). Raises ``ValueError`` if the sweep is not such a
    grid."""
    grid = two_factor_grid(results)
    if grid is None:
        raise ValueError("a heatmap needs a full grid over exactly two factors")
    a, b = grid
    table = point_table(results)
    rows_a = factor_levels(list(table[a]))[1]
    cols_b = factor_levels(list(table[b]))[1]
    columns = list(columns) if columns is not None else heatmap_columns(results)
    targets = _targets(results, raw_config)
    ncols = 1 if len(columns) <= 1 else 2
    nrows = max(1, math.ceil(len(columns) / ncols))
    fig = make_subplots(
        rows=nrows,
        cols=ncols,
        subplot_titles=[_heat_title(c, targets) for c in columns] or ["no point has results"],
        vertical_spacing=0.3 / nrows if nrows > 1 else 0.1,
        horizontal_spacing=0.14,
    )
    la, lb = table[a].map(_label), table[b].map(_label)
    cell = {(x, y): i for i, (x, y) in enumerate(zip(la, lb, strict=True))}
    for n, column in enumerate(columns):
        z, text = _heat_cells(table, column, rows_a, cols_b, cell)
        colours = _heat_colours(column, targets)
        r, c = divmod(n, ncols)
        fig.add_trace(
            go.Heatmap(
                x=cols_b,
                y=rows_a,
                z=z,
                text=text,
                texttemplate="%{text}",
                textfont={"size": 12},
                hovertemplate=f"{esc(short(a))}=%{{y}}<br>{esc(short(b))}=%{{x}}<br>%{{text}}<extra></extra>",
                hoverongaps=True,
                showscale=False,
                xgap=2,
                ygap=2,
                meta={"column": column},
                **colours,
            ),
            row=r + 1,
            col=c + 1,
        )
        fig.update_xaxes(
            type="category",
            categoryorder="array",
            categoryarray=cols_b,
            title_text=b,
            row=r + 1,
            col=c + 1,
        )
        fig.update_yaxes(
            type="category",
            categoryorder="array",
            categoryarray=rows_a,
            title_text=short(a),
            row=r + 1,
            col=c + 1,
        )
    fig = style(fig, 110 + 300 * nrows)
    fig.update_layout(hovermode="closest", plot_bgcolor="#eceff3")
    return fig


def _heat_cells(
    table: pd.DataFrame,
    column: str,
    rows_a: list[str],
    cols_b: list[str],
    cell: dict[tuple[str, str], int],
) -> tuple[list[list[float | None]], list[list[str]]]:
    """A heatmap's values (None where a point has none) and texts (mean ± half-width, or why a
    point has no result), rows by the first factor's values, columns by the second's."""
    kind = kind_of(column)
    mean, ci = _values(table, column), _values(table, f"{column}_ci95")
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    for ya in rows_a:
        zr, tr = [], []
        for xb in cols_b:
            i = cell[(ya, xb)]
            st = str(table["status"].iloc[i])
            zr.append(float(mean[i]) if math.isfinite(mean[i]) else None)
            tr.append(fmt_ci(mean[i], ci[i], kind) if st == "done" else MISSING.get(st, st))
        z.append(zr)
        text.append(tr)
    return z, text


def _heat_colours(column: str, targets: dict[str, float]) -> dict[str, Any]:
    """A heatmap's colours: service levels turn from red to green at the channel's target,
    occupancy dark red towards 100%, times and what is better low orange-red, the rest blue."""
    parts = column.split(".")
    if parts[0] == "service_level" and (parts[-1] in targets or (len(parts) == 1 and targets)):
        target = targets.get(parts[-1], next(iter(targets.values()), 0.8))
        return {"colorscale": "RdYlGn", "zmid": target}
    if parts[0] == "occupancy":
        return {"colorscale": OCCUPANCY_SCALE, "zmin": 0.0, "zmax": 1.0}
    if parts[0] in LOWER_IS_BETTER or kind_of(column) == "time":
        return {"colorscale": "OrRd"}
    return {"colorscale": "Blues"}
