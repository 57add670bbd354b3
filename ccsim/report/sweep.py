"""The sweep report: the KPIs against each factor with 95% confidence bands, a heatmap for
two-factor grids, and every point with its status, on one self-contained HTML page.

``render_sweep(results, path)`` writes it (``ccsim sweep`` does, into the sweep's output folder).
This module assembles the page (header, summary, notes, the table of every point, the sweep's
details); the figures are in ``ccsim.report.sweep_figures`` (``factor_figure``,
``heatmap_figure``) and the data they are drawn from in ``ccsim.report.sweep_data``
(``panels``, ``factor_levels``, ``point_table``, ``two_factor_grid``, ...). Both are importable
from here too.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from functools import partial
from pathlib import Path
from typing import Any

from ccsim.economics.targets import status as target_status
from ccsim.experiments.results import SweepResults
from ccsim.report.parts import REPORT_NAME, Page, esc, plotly_bundle, top_bar, write_report
from ccsim.report.sweep_data import HEADLINE as HEADLINE
from ccsim.report.sweep_data import MISSING as MISSING
from ccsim.report.sweep_data import NUMBER as NUMBER
from ccsim.report.sweep_data import SHARES as SHARES
from ccsim.report.sweep_data import Panel as Panel
from ccsim.report.sweep_data import Series as Series
from ccsim.report.sweep_data import _label, _targets
from ccsim.report.sweep_data import factor_levels as factor_levels
from ccsim.report.sweep_data import fmt as fmt
from ccsim.report.sweep_data import fmt_ci as fmt_ci
from ccsim.report.sweep_data import kind_of as kind_of
from ccsim.report.sweep_data import panels as panels
from ccsim.report.sweep_data import point_table as point_table
from ccsim.report.sweep_data import short as short
from ccsim.report.sweep_data import sweep_facts as sweep_facts
from ccsim.report.sweep_data import two_factor_grid as two_factor_grid
from ccsim.report.sweep_figures import DASHES as DASHES
from ccsim.report.sweep_figures import LOWER_IS_BETTER as LOWER_IS_BETTER
from ccsim.report.sweep_figures import MAX_SLICES as MAX_SLICES
from ccsim.report.sweep_figures import SYMBOLS as SYMBOLS
from ccsim.report.sweep_figures import factor_figure as factor_figure
from ccsim.report.sweep_figures import heatmap_columns as heatmap_columns
from ccsim.report.sweep_figures import heatmap_figure as heatmap_figure
from ccsim.toml_writer import to_toml

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

MAX_TABLE_ROWS = 200


def _header(results: SweepResults, facts: dict[str, Any]) -> str:
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
    return top_bar(f"Sweep: {facts.get('scenario') or 'ccsim'}", items)


def _describe_factor(results: SweepResults, factor: str) -> str:
    pos, order, unit = factor_levels(list(results.points[factor]))
    shown = order if len(order) <= 12 else [*order[:5], "…", *order[-5:]]
    kind = "numeric" if pos is not None else "categorical"
    return (
        f"<li><code>{esc(factor)}</code>: {len(order)} values, {kind}{esc(f' ({unit})' if unit else '')}: "
        f"{esc(', '.join(shown))}</li>"
    )


def _intro(results: SweepResults) -> str:
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


def _notes(results: SweepResults) -> str:
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
        notes.append(f"Warning: {esc(w)}")
    return "".join(f'<div class="note">{n}</div>' for n in notes)


def _points_html(results: SweepResults, targets: dict[str, float]) -> str:
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


def _details(results: SweepResults, facts: dict[str, Any]) -> str:
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


def build_sweep(results: SweepResults, plotly_js: str | None = None) -> str:
    """The sweep report as HTML text (``plotly_js`` defaults to the bundle shipped with plotly)."""
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
    return page.html(f"Sweep: {name} · ccsim report", _header(results, facts), plotly_bundle(plotly_js))


def render_sweep(results: SweepResults | str | Path, path: str | Path | None = None) -> Path:
    """Write the sweep report of a ``SweepResults`` (or of a sweep's output folder) to ``path``
    (an .html file, or a folder to hold ``report.html``; default: the sweep's output folder)."""
    if isinstance(results, str | Path):
        results = SweepResults.load(results)
    if path is None:
        if results.out is None:
            raise ValueError("the sweep has no output folder: give the path of the report")
        path = Path(results.out) / REPORT_NAME
    return write_report(build_sweep(results), Path(path))
