"""The data of the sweep report: which KPI panels to draw, how a factor's values are placed,
every point's row (factors, status, summary), the two factors of a grid, the service-level targets,
the sweep's facts (manifest.json completed from the results) and how numbers are written.

The figures (``ccsim.report.sweep_figures``) and the page (``ccsim.report.sweep``) are built
from these; the numbers are those of ``results.summary`` (mean and ``_ci95`` half-width across
replications).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ccsim.experiments.results import SweepResults
from ccsim.provenance import versions as run_versions
from ccsim.report.parts import ci_text, pct, secs

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


def panels(results: SweepResults, kpis: Sequence[str] | None = None) -> list[Panel]:
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


def point_table(results: SweepResults) -> pd.DataFrame:
    """Every point (done, failed or not run): ``point``, the factors, ``status``, ``error``, then
    the summary's columns (NaN where the point has no results)."""
    points = results.points
    cols = ["point", *results.factors, "status", "error"]
    table = points[[c for c in cols if c in points.columns]].copy()
    summary = results.summary.drop(columns=[f for f in results.factors if f in results.summary.columns])
    if "point" not in summary.columns:  # no point has results
        return table
    return table.merge(summary, on="point", how="left")


def two_factor_grid(results: SweepResults) -> tuple[str, str] | None:
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


def _targets(results: SweepResults, raw: dict[str, Any] | None) -> dict[str, float]:
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


# --------------------------------------------------------------------------- facts


def sweep_facts(results: SweepResults, versions: bool = True) -> dict[str, Any]:
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
        facts.update({k: v for k, v in run_versions().items() if k not in facts})
    return facts
