"""The sweep report: the KPIs against each factor with 95% confidence bands, a heatmap for
two-factor grids, and every point with its status, on one self-contained HTML page.

``render_sweep(results, path)`` writes it (``ccsim sweep`` does, into the sweep's output folder).
The figures are functions returning a ``plotly.graph_objects.Figure``, for a notebook too:

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

import datetime as dt
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ccsim.report.page import Page, ci_text, esc, pct, secs
from ccsim.report.page import status as target_status
from ccsim.report.style import OCCUPANCY_SCALE, TARGET, colour, rgba, style, time_unit

__all__ = [
    "Panel",
    "Series",
    "build_sweep",
    "factor_figure",
    "factor_levels",
    "heatmap_figure",
    "panels",
    "point_table",
    "render_sweep",
    "two_factor_grid",
]

# The KPIs drawn against each factor: (KPI, title, per which groups)
HEADLINE = [
    ("service_level", "Service level", "channel"),
    ("asa_s", "ASA", "channel"),
    ("abandon_rate", "Abandoned", "channel"),
    ("occupancy", "Occupancy", "agent_group"),
]
SHARES = {
    "service_level",
    "abandon_rate",
    "block_rate",
    "balk_rate",
    "occupancy",
    "fcr",
    "resolution_rate",
    "escalation_rate",
    "personal_share",
    "partner_share",
    "promise_kept_rate",
}
LOWER_IS_BETTER = {"asa_s", "abandon_rate", "block_rate", "balk_rate", "mean_wait_s", "escalation_rate"}
MAX_SLICES = 6  # lines per group against a factor: one per value of the other factors, up to this
DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"]
SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star"]
MAX_TABLE_ROWS = 200
MISSING = {"failed": "failed", "pending": "not run"}
NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S*)\s*$")


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Series:
    """One line: a KPI column of ``results.summary`` and its label (a channel, a group, 'all')."""

    label: str
    column: str


@dataclass(frozen=True)
class Panel:
    """One panel of ``factor_figure``: a KPI and its lines."""

    kpi: str
    title: str
    series: tuple[Series, ...]

    @property
    def kind(self) -> str:
        """'share' (drawn in %), 'time' (seconds, drawn in s, min or h) or 'number'."""
        return kind_of(self.kpi)


def kind_of(kpi: str) -> str:
    base = kpi.split(".", 1)[0]
    return "share" if base in SHARES else "time" if base.endswith("_s") else "number"


def _finite(frame: pd.DataFrame, column: str) -> bool:
    return column in frame.columns and bool(np.isfinite(pd.to_numeric(frame[column], errors="coerce")).any())


def _group_columns(summary: pd.DataFrame, kpi: str, by: str) -> list[Series]:
    prefix = f"{kpi}.{by}."
    return [
        Series(c[len(prefix) :], c)
        for c in summary.columns
        if c.startswith(prefix) and not c.endswith("_ci95") and _finite(summary, c)
    ]


def panels(results: Any, kpis: Sequence[str] | None = None) -> list[Panel]:
    """The panels of ``factor_figure``. Default: service level, ASA and abandonment per channel,
    occupancy per agent group (each for the whole centre when it has no groups). ``kpis`` may
    name KPIs (``"wait_p90_s"``: per channel) or summary columns (``"asa_s.segment.vip"``)."""
    s = results.summary
    titles = {k: t for k, t, _ in HEADLINE}
    groups = {k: by for k, _, by in HEADLINE}
    out = []
    for kpi in kpis if kpis is not None else list(titles):
        if "." in kpi:  # one summary column
            if _finite(s, kpi):
                base, group = kpi.split(".", 1)[0], kpi.rsplit(".", 1)[-1]
                out.append(Panel(base, f"{titles.get(base, base)} · {group}", (Series(group, kpi),)))
            continue
        series = _group_columns(s, kpi, groups.get(kpi, "channel"))
        if not series and _finite(s, kpi):
            series = [Series("all", kpi)]
        if series:
            out.append(Panel(kpi, titles.get(kpi, kpi), tuple(series)))
    return out


def _label(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    return None


def factor_levels(values: Sequence[Any]) -> tuple[dict[str, float] | None, list[str], str]:
    """How a factor's values are drawn: (position of each value label if numeric, else None;
    the labels in drawing order; a unit suffix). Numbers are numeric; so are strings that are one
    number with the same suffix (``"20s"``, ``"30s"``; ``"30/h"``, ``"40/h"``), placed by their
    number. Anything else is categorical, in the order of the design."""
    present = [v for v in values if _label(v) != "–"]
    labels = list(dict.fromkeys(_label(v) for v in present))
    if not labels:
        return None, [], ""
    numbers = [_as_number(v) for v in present]
    if all(n is not None for n in numbers):
        pos = {_label(v): float(n) for v, n in zip(present, numbers, strict=True) if n is not None}
        return pos, sorted(labels, key=pos.__getitem__), ""
    matches = [NUMBER.match(v) if isinstance(v, str) else None for v in present]
    suffixes = {m.group(2) for m in matches if m is not None}
    if all(m is not None for m in matches) and len(suffixes) == 1:
        pos = {_label(v): float(m.group(1)) for v, m in zip(present, matches, strict=True) if m is not None}
        if len(set(pos.values())) == len(pos):  # "20s" and "20.0s" would be two labels at one place
            return pos, sorted(labels, key=pos.__getitem__), suffixes.pop()
    return None, labels, ""


def point_table(results: Any) -> pd.DataFrame:
    """Every point (done, failed or not run): ``point``, the factors, ``status``, ``error``, then
    the summary's columns (NaN where the point has no results)."""
    points = results.points
    cols = ["point", *results.factors, "status", "error"]
    table = points[[c for c in cols if c in points.columns]].copy()
    summary = results.summary.drop(columns=[f for f in results.factors if f in results.summary.columns])
    if "point" not in summary.columns:  # no point has results
        return table
    return table.merge(summary, on="point", how="left")


def two_factor_grid(results: Any) -> tuple[str, str] | None:
    """The two factors when the sweep is a full grid over exactly two factors, each with at
    least two values (every combination present); else None."""
    if len(results.factors) != 2:
        return None
    a, b = results.factors
    pts = results.points
    la, lb = (pts[f].map(_label) for f in (a, b))
    if la.nunique() < 2 or lb.nunique() < 2 or "–" in set(la) | set(lb):
        return None
    return (a, b) if len(set(zip(la, lb, strict=True))) == la.nunique() * lb.nunique() else None


def short(path: str) -> str:
    """A factor's path shortened for legends: its last two parts (``specialists.count``)."""
    return ".".join(path.split(".")[-2:])


def _targets(results: Any, raw: dict[str, Any] | None) -> dict[str, float]:
    """The service-level target of each channel in the base config (``raw``, else the sweep's
    scenario's, else that of the output folder's manifest.json), unless a factor sets it."""
    if raw is None:
        config = sweep_facts(results, versions=False).get("config")
        raw = config if isinstance(config, dict) else None
    out: dict[str, float] = {}
    for name, spec in ((raw or {}).get("channels") or {}).items():
        sl = spec.get("service_level") if isinstance(spec, dict) else None
        target = sl.get("target") if isinstance(sl, dict) else None
        varied = any(
            f.startswith(f"channels.{name}.service_level") and "target" in f for f in results.factors
        )
        if isinstance(target, int | float) and not varied:
            out[str(name)] = float(target)
    return out


# --------------------------------------------------------------------------- formatting


def fmt(value: float, kind: str) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if kind == "share":
        return pct(value)
    if kind == "time":
        return secs(value)
    return f"{value:,.4g}"


def fmt_ci(value: float, ci: float, kind: str) -> str:
    """``82.1% ± 2.3%``, ``35.2 s ± 4.1``, ``1,204 ± 12``; the mean alone without a half-width."""
    if value is None or not math.isfinite(value):
        return "–"
    if kind == "share":
        return f"{pct(value)} {ci_text(ci)}".strip()
    if kind == "time":
        return secs(value, ci)
    return f"{value:,.4g}" + (f" ± {ci:,.2g}" if ci is not None and math.isfinite(ci) else "")


def _values(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)


def _none(values: Sequence[float] | np.ndarray) -> list[float | None]:
    """A list for plotly with None where a value is missing (a gap, not a zero)."""
    return [float(v) if v is not None and math.isfinite(v) else None for v in values]


# --------------------------------------------------------------------------- figures


def _slices(results: Any, factor: str, table: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """The points split by the values of the other factors (one line each), or all together."""
    others = [f for f in results.factors if f != factor]
    if not others or results.design.get("kind") == "zip":  # zip: the factors move together
        return [("", table)]
    keys = table[others].apply(lambda r: " · ".join(f"{short(f)}={_label(r[f])}" for f in others), axis=1)
    return [(k, table[keys == k]) for k in dict.fromkeys(keys)]


def factor_figure(
    results: Any,
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
        if panel.kind == "share":
            fig.update_yaxes(tickformat=".0%", rangemode="tozero", **kw)
        else:
            fig.update_yaxes(title_text=suffix or None, rangemode="tozero", **kw)
        title = factor if i + cols >= len(chosen) else None
        if numeric:
            fig.update_xaxes(
                title_text=title,
                tickmode="array",
                tickvals=[pos[x] for x in order] if pos else [],
                ticktext=order,
                **kw,
            )
        else:
            fig.update_xaxes(
                title_text=title, type="category", categoryorder="array", categoryarray=order, **kw
            )
    # the legend: a colour per channel or group, a dash per value of the other factors
    for label in labels:
        _key(fig, label, label, {"color": colours[label], "width": 2}, "circle", lines)
    if len(slices) > 1:
        for k, (name, sub) in enumerate(slices):
            if not (sub["status"] == "done").any():
                continue  # nothing of it is drawn
            line = {"color": "#555", "width": 2, "dash": DASHES[k % len(DASHES)]}
            _key(fig, name, f"slice:{name}", line, SYMBOLS[k % len(SYMBOLS)], lines)
    fig = style(fig, 170 + 290 * rows)
    fig.update_layout(hovermode="x unified" if lines else "closest", margin={"t": 100})
    if not numeric:
        fig.update_layout(scattermode="group", scattergap=0.5)
    return fig


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


def heatmap_columns(results: Any) -> list[str]:
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
    results: Any, columns: Sequence[str] | None = None, raw_config: dict[str, Any] | None = None
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
        parts = column.split(".")
        colours: dict[str, Any]
        if parts[0] == "service_level" and (parts[-1] in targets or (len(parts) == 1 and targets)):
            target = targets.get(parts[-1], next(iter(targets.values()), 0.8))
            colours = {"colorscale": "RdYlGn", "zmid": target}
        elif parts[0] == "occupancy":
            colours = {"colorscale": OCCUPANCY_SCALE, "zmin": 0.0, "zmax": 1.0}
        elif parts[0] in LOWER_IS_BETTER or kind == "time":
            colours = {"colorscale": "OrRd"}
        else:
            colours = {"colorscale": "Blues"}
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


# --------------------------------------------------------------------------- page


def sweep_facts(results: Any, versions: bool = True) -> dict[str, Any]:
    """What the header and the details show: the output folder's manifest.json if there is one,
    completed from the results (scenario, config, seed, design, versions)."""
    facts: dict[str, Any] = {}
    if results.out is not None:
        manifest = Path(results.out) / "manifest.json"
        if manifest.is_file():
            try:
                facts = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                facts = {}
    sc = results.scenario
    if sc is not None:
        facts.setdefault("scenario", sc.name)
        facts.setdefault("config", sc.raw)
        facts.setdefault("source", sc.source)
    facts.setdefault("replications", results.replications)
    facts.setdefault("seed", results.seed)
    facts.setdefault("design", results.design)
    facts.setdefault("common_random_numbers", results.common_random_numbers)
    facts.setdefault("executor", results.executor)
    if results.wall_time_s:
        facts.setdefault("wall_time_s", round(results.wall_time_s, 3))
    if versions and "ccsim" not in facts:
        from ccsim.provenance import versions as current

        facts.update({k: v for k, v in current().items() if k not in facts})
    return facts


def _header(results: Any, facts: dict[str, Any]) -> str:
    counts = results.points["status"].value_counts()
    done = int(counts.get("done", 0))
    status = f"{done} of {len(results.points)} done" + "".join(
        f", {int(counts[s])} {MISSING[s]}" for s in ("failed", "pending") if counts.get(s, 0)
    )
    items = [
        ("ran", facts.get("started") or f"{dt.datetime.now():%Y-%m-%d %H:%M} (rendered)"),
        ("points", status),
        ("replications", results.replications),
        ("seed", results.seed),
        ("design", results.design.get("kind")),
        ("ccsim", facts.get("ccsim")),
        ("config", facts.get("source")),
        (
            "wall time",
            f"{facts['wall_time_s']:.1f} s" if isinstance(facts.get("wall_time_s"), int | float) else None,
        ),
        ("commit", str(facts["git_commit"])[:10] if facts.get("git_commit") else None),
    ]
    meta = "".join(f"<span>{esc(k)} <b>{esc(v)}</b></span>" for k, v in items if v not in (None, ""))
    name = facts.get("scenario") or "ccsim"
    return f'<header class="top"><h1>Sweep: {esc(name)}</h1><div class="meta">{meta}</div></header>'


def _describe_factor(results: Any, factor: str) -> str:
    pos, order, unit = factor_levels(list(results.points[factor]))
    shown = order if len(order) <= 12 else [*order[:5], "…", *order[-5:]]
    kind = "numeric" if pos is not None else "categorical"
    return (
        f"<li><code>{esc(factor)}</code>: {len(order)} values, {kind}{esc(f' ({unit})' if unit else '')}: "
        f"{esc(', '.join(shown))}</li>"
    )


def _intro(results: Any) -> str:
    kind = results.design.get("kind", "grid")
    words = {
        "grid": "every combination of the factors' values",
        "zip": "the factors' values taken together, the first of each, then the second, ...",
        "random": "a random sample of the factors' ranges",
        "lhs": "a Latin-hypercube sample of the factors' ranges",
        "points": "points given one by one",
    }.get(kind, kind)
    crn = (
        "Every point saw the same customers (common random numbers), so differences between points "
        "come from the factors, not from chance."
        if results.common_random_numbers
        else "Each point had its own random numbers (no common random numbers)."
    )
    factors = "".join(_describe_factor(results, f) for f in results.factors)
    return (
        f'<p class="how">{len(results.points)} points ({esc(words)}), each simulated '
        f"{results.replications} times. {crn} Every number is the mean across replications with "
        "the half-width of its 95% confidence interval (Student t): where two points' intervals "
        "do not overlap, the difference is unlikely to be chance.</p>"
        f"<ul>{factors}</ul>"
    )


def _notes(results: Any) -> str:
    notes = []
    failed = results.points[results.points["status"] == "failed"]
    if len(failed):
        items = "".join(
            f"<li>point {int(r['point'])} ("
            + esc(", ".join(f"{f}={_label(r[f])}" for f in results.factors))
            + f"): {esc(r['error'])}</li>"
            for _, r in failed.head(20).iterrows()
        )
        more = f"<li>… and {len(failed) - 20} more</li>" if len(failed) > 20 else ""
        notes.append(
            f"{len(failed)} point(s) failed; they are gaps in the lines and empty cells in the "
            f"maps. Run the same sweep again to retry them.<ul>{items}{more}</ul>"
        )
    pending = int((results.points["status"] == "pending").sum())
    if pending:
        notes.append(
            f"{pending} point(s) have not run yet (the sweep was interrupted or is still running); "
            "run the same sweep again to finish them."
        )
    if results.replications < 2:
        notes.append("One replication per point: no confidence interval can be shown.")
    for w in getattr(results, "warnings", []) or []:
        notes.append(f"Warning (some points): {esc(w)}")
    return "".join(f'<div class="note">{n}</div>' for n in notes)


def _points_html(results: Any, targets: dict[str, float]) -> str:
    table = point_table(results)
    cols = heatmap_columns(results)
    names = {"service_level": "SL", "asa_s": "ASA", "abandon_rate": "abandoned", "occupancy": "occupancy"}
    head = "<th>point</th>" + "".join(f'<th title="{esc(f)}">{esc(short(f))}</th>' for f in results.factors)
    for c in cols:
        parts = c.split(".")
        group = parts[2] if len(parts) == 3 else "all"
        head += f'<th title="{esc(c)}">{esc(names.get(parts[0], parts[0]))} {esc(group)}</th>'
    head += "<th>status</th>"
    body = []
    for _, r in table.head(MAX_TABLE_ROWS).iterrows():
        cells = [f"<td>{int(r['point'])}</td>"] + [f"<td>{esc(_label(r[f]))}</td>" for f in results.factors]
        for c in cols:
            mean, ci = float(r.get(c, math.nan)), float(r.get(f"{c}_ci95", math.nan))
            parts = c.split(".")
            colour_ = ""
            if parts[0] == "service_level" and parts[-1] in targets:
                st = target_status(mean, ci, targets[parts[-1]])
                colour_ = {"met": "var(--met)", "missed": "var(--missed)", "close": "var(--close)"}.get(
                    st, ""
                )
            style_ = (
                f' style="white-space:nowrap;color:{colour_}"' if colour_ else ' style="white-space:nowrap"'
            )
            cells.append(f"<td{style_}>{esc(fmt_ci(mean, ci, kind_of(c)))}</td>")
        st = str(r["status"])
        title = f' title="{esc(r["error"])}"' if st == "failed" and r.get("error") else ""
        cells.append(f"<td{title}>{esc(MISSING.get(st, st))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    more = (
        f'<p class="how">… {len(table) - MAX_TABLE_ROWS} more points in summary.csv and points.csv.</p>'
        if len(table) > MAX_TABLE_ROWS
        else ""
    )
    return (
        '<p class="how">Mean ± 95% half-width. Service level in green where the channel\'s target is '
        "met even at the low end of the interval, red where it is missed even at the high end, amber "
        "where the target lies inside the interval.</p>"
        f'<div style="overflow-x:auto"><table class="data"><tr>{head}</tr>{"".join(body)}</table></div>{more}'
    )


def _details(results: Any, facts: dict[str, Any]) -> str:
    from ccsim.report.data import to_toml

    items = [
        ("design", json.dumps(results.design)),
        ("factors", json.dumps(facts.get("factors") or results.factors)),
        ("seed", results.seed),
        ("common random numbers", "yes" if results.common_random_numbers else "no"),
        ("executor", results.executor or facts.get("executor")),
        ("output folder", str(results.out) if results.out is not None else None),
    ]
    rows = "".join(
        f"<tr><td>{esc(k)}</td><td style='text-align:left'><code>{esc(v)}</code></td></tr>"
        for k, v in items
        if v not in (None, "")
    )
    versions = ", ".join(
        f"{k} {facts[k]}" for k in ("ccsim", "simpy", "numpy", "pandas", "python") if facts.get(k)
    )
    command = f"<p>Command: <code>{esc(facts['command'])}</code></p>" if facts.get("command") else ""
    blocks = "".join(
        f'<details><summary>{title}</summary><pre class="config">{esc(to_toml(facts[k]))}</pre></details>'
        for k, title in [
            ("sweep", "Sweep file (TOML)"),
            ("config", "Base config as run (TOML, [set] overrides applied; each point changes its factors)"),
        ]
        if isinstance(facts.get(k), dict)
    )
    return f'<table class="data">{rows}</table>{command}<p>Versions: {esc(versions)}</p>{blocks}'


def build_sweep(results: Any, plotly_js: str | None = None) -> str:
    """The sweep report as HTML text (``plotly_js`` defaults to the bundle shipped with plotly)."""
    if plotly_js is None:
        from plotly.offline import get_plotlyjs

        plotly_js = get_plotlyjs()
    facts = sweep_facts(results)
    raw = facts.get("config") if isinstance(facts.get("config"), dict) else None
    targets = _targets(results, raw)
    page = Page()
    page.section("summary", "Summary", _intro(results) + _notes(results))
    has_results = bool(panels(results))
    if has_results:
        page.section("factors", "KPIs against each factor")
        for i, factor in enumerate(results.factors, start=1):
            others = [f for f in results.factors if f != factor]
            if not others or results.design.get("kind") == "zip":
                lines = "one line per channel (occupancy: per agent group)"
            else:
                lines = (
                    "one line per channel and value of the other factors "
                    f"({', '.join(short(f) for f in others)}; dashes or marker shapes tell them "
                    "apart) when the points form a grid, else one marker per point"
                )
            page.figure(
                f"fig-factor-{i}",
                f"Against {factor}",
                f"Mean across replications, {esc(lines)}. The shaded band (or the whiskers) is the "
                "95% confidence interval; a gap is a point that failed or has not run. Dashed red: "
                "the service-level target.",
                partial(factor_figure, results, factor, raw_config=raw),
            )
        grid = two_factor_grid(results)
        if grid is not None:
            page.section("map", "Two-factor map")
            page.figure(
                "fig-heatmap",
                f"{short(grid[0])} against {short(grid[1])}",
                "Each cell is one point: its mean and 95% half-width. Service level: green meets the "
                "channel's target, red misses it (the colour turns at the target). Occupancy: dark "
                "red above about 85-90%. An empty cell failed or has not run.",
                lambda: heatmap_figure(results, raw_config=raw),
            )
    else:
        page.add('<div class="note">No point has finished, so there is nothing to draw yet.</div>')
    page.section("points", "Every point", _points_html(results, targets))
    page.section("run", "Sweep details", _details(results, facts))
    name = facts.get("scenario") or "ccsim"
    return page.html(f"Sweep: {name} · ccsim report", _header(results, facts), plotly_js)


def render_sweep(results: Any, path: str | Path | None = None) -> Path:
    """Write the sweep report of a ``SweepResults`` (or of a sweep's output folder) to ``path``
    (an .html file, or a folder to hold ``report.html``; default: the sweep's output folder)."""
    from ccsim.report import REPORT_NAME, _write

    if isinstance(results, str | Path):
        from ccsim.experiments.results import SweepResults

        results = SweepResults.load(results)
    if path is None:
        if results.out is None:
            raise ValueError("the sweep has no output folder: give the path of the report")
        path = Path(results.out) / REPORT_NAME
    return _write(build_sweep(results), Path(path))
