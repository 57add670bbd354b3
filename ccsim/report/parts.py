"""The parts every page of the report is made of: the ``Page`` that collects sections and
figures into one self-contained HTML document, its style, the dark header bar, KPI cards, and
the formatting of numbers, shares and durations with their confidence half-widths.

plotly.js is embedded once in a ``<script>``; each figure is a JSON block drawn by one small
loader script, so a page opens offline from a file and prints (figures keep together, the
config unfolds).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

REPORT_NAME = "report.html"

PLOT_CONFIG = {
    "responsive": True,
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}

CSS = """
:root { --ink:#1d2330; --muted:#5b6475; --line:#dde1e8; --bg:#f5f6f8; --met:#2e7d32; --missed:#c62828;
  --close:#b26a00; --card:#fff; }
* { box-sizing: border-box; }
body { margin:0; font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;
  color:var(--ink); background:var(--bg); font-size:15px; line-height:1.45; }
header.top { background:#1d2330; color:#fff; padding:18px 28px 14px; }
header.top h1 { margin:0 0 6px; font-size:24px; font-weight:600; }
header.top .meta { color:#c9cfdb; font-size:13.5px; display:flex; flex-wrap:wrap; gap:4px 18px; }
header.top .meta b { color:#fff; font-weight:600; }
nav { position:sticky; top:0; z-index:10; background:#fff; border-bottom:1px solid var(--line);
  padding:8px 28px; display:flex; flex-wrap:wrap; gap:4px 20px; font-size:14px; }
nav a { color:var(--ink); text-decoration:none; } nav a:hover { text-decoration:underline; }
main { max-width:1280px; margin:0 auto; padding:8px 24px 40px; }
section { background:#fff; border:1px solid var(--line); border-radius:8px; margin:18px 0;
  padding:14px 20px; }
section h2 { margin:2px 0 4px; font-size:19px; }
section h3 { margin:16px 0 2px; font-size:15.5px; }
p.how { margin:2px 0 8px; color:var(--muted); font-size:14px; max-width:980px; }
.figure { width:100%; min-height:120px; }
.cards { display:grid; grid-template-columns:repeat(auto-fill,minmax(250px,1fr)); gap:12px;
  margin:10px 0 4px; }
.card { background:var(--card); border:1px solid var(--line); border-left:6px solid #8a94a6;
  border-radius:6px; padding:10px 14px; }
.card.met { border-left-color:var(--met); } .card.missed { border-left-color:var(--missed); }
.card.close { border-left-color:var(--close); }
.card .title { font-size:13px; color:var(--muted); text-transform:uppercase; letter-spacing:.03em; }
.card .value { font-size:28px; font-weight:650; margin:2px 0; }
.card .value .ci { font-size:15px; font-weight:400; color:var(--muted); margin-left:6px; }
.badge { display:inline-block; font-size:12.5px; font-weight:600; padding:1px 8px; border-radius:10px;
  color:#fff; background:#8a94a6; }
.badge.met { background:var(--met); } .badge.missed { background:var(--missed); }
.badge.close { background:var(--close); }
.card .def { font-size:12.5px; color:var(--muted); margin-top:4px; }
.card dl { display:grid; grid-template-columns:auto 1fr; gap:1px 10px; margin:8px 0 0; font-size:13.5px; }
.card dt { color:var(--muted); } .card dd { margin:0; text-align:right; font-variant-numeric:tabular-nums; }
.note { background:#fff8e1; border:1px solid #f3d37a; border-radius:6px; padding:8px 12px; margin:10px 0;
  font-size:14px; }
table.data { border-collapse:collapse; font-size:13.5px; margin:8px 0; font-variant-numeric:tabular-nums; }
table.data th, table.data td { border-bottom:1px solid var(--line); padding:4px 12px; text-align:right; }
table.data th:first-child, table.data td:first-child { text-align:left; }
details { margin:8px 0; } summary { cursor:pointer; font-weight:600; }
pre.config { background:#f7f8fa; border:1px solid var(--line); border-radius:6px; padding:10px 14px;
  font-size:12.5px; overflow:auto; max-height:560px; }
footer { color:var(--muted); font-size:12.5px; text-align:center; padding:10px; }
@media print {
  body { background:#fff; font-size:12px; } nav, .modebar-container { display:none !important; }
  header.top { background:#fff; color:#000; border-bottom:2px solid #000; padding:0 0 8px; }
  header.top .meta, header.top .meta b { color:#000; }
  main { max-width:none; padding:0; } section { border:none; padding:0; margin:10px 0; break-inside:auto; }
  .figure, .card, table.data { break-inside:avoid; } h2, h3 { break-after:avoid; }
  pre.config { max-height:none; overflow:visible; white-space:pre-wrap; }
  @page { margin:12mm; }
}
"""

LOADER = """
(function () {
  var config = %s;
  document.querySelectorAll('script[type="application/json"][data-figure]').forEach(function (s) {
    var spec = JSON.parse(s.textContent);
    Plotly.newPlot(s.getAttribute('data-figure'), spec.data, spec.layout, config);
  });
  window.addEventListener('beforeprint', function () {
    document.querySelectorAll('details').forEach(function (d) { d.open = true; });
    document.querySelectorAll('.js-plotly-plot').forEach(function (p) { Plotly.Plots.resize(p); });
  });
})();
"""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


# --------------------------------------------------------------------------- formatting


def pct(v: float | None, digits: int = 1) -> str:
    if v is None or not math.isfinite(v):
        return "–"
    if 0 < v < 0.5 * 10 ** -(digits + 2):
        return f"<{10**-digits:g}%"
    return f"{100 * v:.{digits}f}%"


def secs(v: float, ci: float = math.nan) -> str:
    """A duration in s, min or h (chosen by its size), with its ± half-width in the same unit."""
    if v is None or not math.isfinite(v):
        return "–"
    unit, size = ("s", 1.0) if v < 120 else ("min", 60.0) if v < 7200 else ("h", 3600.0)
    return f"{v / size:.1f} {unit}" + (f" ± {ci / size:.1f}" if ci is not None and math.isfinite(ci) else "")


def ci_text(ci: float, scale: float = 100.0, unit: str = "") -> str:
    return "" if ci is None or not math.isfinite(ci) else f"± {ci * scale:.1f}{unit}"


BADGE = {"met": "target met", "missed": "target missed", "close": "target within the CI"}


def top_bar(title: str, items: list[tuple[str, Any]]) -> str:
    """The page's dark header: its title and the run facts that are known (``items``)."""
    meta = "".join(f"<span>{esc(k)} <b>{esc(v)}</b></span>" for k, v in items if v not in (None, ""))
    return f'<header class="top"><h1>{esc(title)}</h1><div class="meta">{meta}</div></header>'


def summary_row(summary: pd.DataFrame, by: str, group: str) -> pd.Series | None:
    """The summary row of one group (``by``, ``group``), or None if the run has none."""
    rows = summary[(summary["group_by"] == by) & (summary["group"].astype(str) == group)]
    return rows.iloc[0] if len(rows) else None


def number(row: pd.Series | None, col: str) -> float:
    """A summary row's value as a float; NaN where the row or the value is missing."""
    if row is None or col not in row or pd.isna(row[col]):
        return math.nan
    return float(row[col])


def card(
    title: str, value: str, ci: str, st: str, target: str, definition: str, rows: list[tuple[str, str]]
) -> str:
    """A KPI card: title, value with its half-width, status colour, target line, SL definition
    and a list of further facts (label, HTML value)."""
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in rows)
    return (
        f'<div class="card {st}"><div class="title">{esc(title)}</div>'
        f'<div class="value">{esc(value)}<span class="ci">{esc(ci)}</span></div>'
        f"<div>{target}</div>"
        + (f'<div class="def">SL = {esc(definition)}</div>' if definition else "")
        + f"<dl>{dl}</dl></div>"
    )


class Page:
    """Collects sections and figures, then writes one HTML document."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.nav: list[tuple[str, str]] = []
        self.n_figures = 0

    def section(self, anchor: str, title: str, body: str = "") -> None:
        self.nav.append((anchor, title))
        self.parts.append(f'</section><section id="{anchor}"><h2>{esc(title)}</h2>{body}')

    def add(self, html_text: str) -> None:
        self.parts.append(html_text)

    def figure(self, fig_id: str, title: str, how: str, make: Callable[[], go.Figure]) -> None:
        fig = make()
        spec = fig.to_json(engine="json").replace("</", "<\\/")
        self.n_figures += 1
        self.parts.append(
            f'<h3>{esc(title)}</h3><p class="how">{how}</p>'
            f'<div class="figure" id="{fig_id}" style="height:{int(fig.layout.height or 450)}px"></div>'
            f'<script type="application/json" data-figure="{fig_id}">{spec}</script>'
        )

    def html(self, title: str, head: str, plotly_js: str) -> str:
        body = "".join(self.parts).removeprefix("</section>") + "</section>"
        nav = "".join(f'<a href="#{a}">{esc(t)}</a>' for a, t in self.nav)
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="generator" content="ccsim"><title>{esc(title)}</title><style>{CSS}</style>'
            f"<script>window.PlotlyConfig = {{MathJaxConfig: 'local'}};</script>"
            f"<script>{plotly_js}</script></head><body>{head}<nav>{nav}</nav><main>{body}</main>"
            f"<footer>ccsim report · self-contained, opens offline</footer>"
            f"<script>{LOADER % json.dumps(PLOT_CONFIG)}</script></body></html>\n"
        )


def write_report(text: str, path: Path) -> Path:
    """Write a page to ``path``: an .html file, or a folder (existing, or a new path without a
    suffix) to hold ``report.html``."""
    if path.is_dir() or (not path.suffix and not path.exists()):
        path = path / REPORT_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def plotly_bundle(plotly_js: str | None = None) -> str:
    """``plotly_js`` if given, else the plotly.js bundle shipped with plotly (imported on first
    use: it is large)."""
    if plotly_js is not None:
        return plotly_js
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())
