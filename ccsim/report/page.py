"""The self-contained HTML page: header, KPI cards, sections of figures, the resolved config.

plotly.js is embedded once in a ``<script>``; each figure is a JSON block drawn by one small
loader script, so the page opens offline from a file and prints (figures keep together,
the config unfolds).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ccsim.economics.targets import status
from ccsim.report import figures as F
from ccsim.report import money as M
from ccsim.report.data import ReportData, outcome_columns, percentiles_from_summary
from ccsim.toml_writer import to_toml

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


# --------------------------------------------------------------------------- blocks


def header(data: ReportData) -> str:
    m = data.manifest
    items = [
        ("ran", m["started"]) if m.get("started") else ("rendered", f"{dt.datetime.now():%Y-%m-%d %H:%M}"),
        ("seed", m.get("seed")),
        ("replications", m.get("replications", data.replications)),
        ("ccsim", m.get("ccsim")),
        ("config", m.get("source")),
        ("wall time", f"{m['wall_time_s']:.1f} s" if isinstance(m.get("wall_time_s"), int | float) else None),
        ("commit", str(m["git_commit"])[:10] if m.get("git_commit") else None),
    ]
    return top_bar(data.name, items)


def top_bar(title: str, items: list[tuple[str, Any]]) -> str:
    """The page's dark header: its title and the run facts that are known (``items``)."""
    meta = "".join(f"<span>{esc(k)} <b>{esc(v)}</b></span>" for k, v in items if v not in (None, ""))
    return f'<header class="top"><h1>{esc(title)}</h1><div class="meta">{meta}</div></header>'


def _row(summary: pd.DataFrame, by: str, group: str) -> pd.Series | None:
    rows = summary[(summary["group_by"] == by) & (summary["group"].astype(str) == group)]
    return rows.iloc[0] if len(rows) else None


def _get(row: pd.Series | None, col: str) -> float:
    if row is None or col not in row or pd.isna(row[col]):
        return math.nan
    return float(row[col])


def kpi_cards(data: ReportData) -> str:
    """One card per channel (SL against target, ASA, abandonment), one per agent group, one overall."""
    s = data.summary
    cards = []
    for c in data.channels:
        r = _row(s, "channel", c.name)
        if r is None:
            continue
        sl, sl_ci = _get(r, "service_level"), _get(r, "service_level_ci95")
        st = status(sl, sl_ci, c.target)
        ab, ab_ci = _get(r, "abandon_rate"), _get(r, "abandon_rate_ci95")
        ab_st = status(ab, ab_ci, c.abandon_cap, higher_is_better=False)
        badge = f'<span class="badge {st}">{BADGE.get(st, "")}</span>'
        target = f"{badge} target {pct(c.target, 0)}" if st else "no SL target set"
        asa = secs(_get(r, "asa_s"), _get(r, "asa_s_ci95"))
        rows = [
            ("ASA", asa),
            (
                "abandoned",
                f"{pct(ab)} {ci_text(ab_ci)}"
                + (f' <span class="badge {ab_st}">cap {pct(c.abandon_cap, 0)}</span>' if ab_st else ""),
            ),
            ("wait p90", secs(_get(r, "wait_p90_s"))),
            ("offered", f"{_get(r, 'offered'):,.0f}"),
        ]
        if _get(r, "blocked") > 0:
            rows.append(("blocked", f"{_get(r, 'blocked'):,.1f} ({pct(_get(r, 'block_rate'))})"))
        if math.isfinite(sl):
            cards.append(
                _card(
                    f"{c.name} · service level", pct(sl), ci_text(sl_ci), st, target, c.definition or "", rows
                )
            )
        else:  # no service level: the ASA leads
            cards.append(_card(f"{c.name} · ASA", secs(_get(r, "asa_s")), "", "", target, "", rows[1:]))
    for g in s[s["group_by"] == "agent_group"]["group"].astype(str):
        r = _row(s, "agent_group", g)
        cards.append(
            _card(
                f"{g} · occupancy",
                pct(_get(r, "occupancy")),
                ci_text(_get(r, "occupancy_ci95")),
                "",
                "busy time / staffed time",
                "",
                [("agents staffed (mean)", f"{_get(r, 'agents'):.1f}")],
            )
        )
    r = _row(s, "all", "all")
    if r is not None:
        cards.append(
            _card(
                "all channels · offered",
                f"{_get(r, 'offered'):,.0f}",
                ci_text(_get(r, "offered_ci95"), 1),
                "",
                "contacts per replication",
                "",
                [
                    ("served", pct(_get(r, "served") / _get(r, "offered") if _get(r, "offered") else None)),
                    ("abandoned", pct(_get(r, "abandon_rate"))),
                    ("occupancy, all agents", pct(_get(r, "occupancy"))),
                ],
            )
        )
    return '<div class="cards">' + "".join(cards) + "</div>"


def _card(
    title: str, value: str, ci: str, st: str, target: str, definition: str, rows: list[tuple[str, str]]
) -> str:
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in rows)
    return (
        f'<div class="card {st}"><div class="title">{esc(title)}</div>'
        f'<div class="value">{esc(value)}<span class="ci">{esc(ci)}</span></div>'
        f"<div>{target}</div>"
        + (f'<div class="def">SL = {esc(definition)}</div>' if definition else "")
        + f"<dl>{dl}</dl></div>"
    )


def outcomes_table(data: ReportData) -> str:
    s = data.summary
    shown = s[s["group_by"].isin(["all", "channel"])]
    outcomes = [o for o in outcome_columns(s) if o in ("served", "abandoned") or (shown[o] > 0).any()]
    head = "".join(f"<th>{esc(o.replace('_', ' '))}</th>" for o in ["offered", *outcomes])
    body = []
    for c in [*data.channels, None]:
        r = _row(s, "channel", c.name) if c else _row(s, "all", "all")
        if r is None:
            continue
        offered = _get(r, "offered")
        cells = [f"<td>{offered:,.1f} {esc(ci_text(_get(r, 'offered_ci95'), 1))}</td>"]
        for o in outcomes:
            v = _get(r, o)
            share = f" ({pct(v / offered)})" if offered > 0 and v > 0 else ""
            cells.append(f"<td>{v:,.1f}{esc(share)}</td>" if v > 0 else "<td>–</td>")
        body.append(f"<tr><td>{esc(c.name if c else 'all channels')}</td>{''.join(cells)}</tr>")
    return f'<table class="data"><tr><th></th>{head}</tr>{"".join(body)}</table>'


def run_details(data: ReportData) -> str:
    m = data.manifest
    defs = "".join(
        f"<li><b>{esc(c.name)}</b>: {esc(c.definition)}</li>" for c in data.channels if c.definition
    )
    versions = ", ".join(f"{k} {m[k]}" for k in ("ccsim", "simpy", "numpy", "pandas", "python") if m.get(k))
    cfg = (
        "".join(
            f'<details><summary>{title}</summary><pre class="config">{esc(to_toml(m[k]))}</pre></details>'
            for k, title in [
                ("config", "Config as run (TOML, overrides applied)"),
                ("resolved_config", "Resolved config (all defaults filled in; seconds, rates per second)"),
            ]
            if isinstance(m.get(k), dict)
        )
        or "<p>No config was recorded with this run.</p>"
    )
    command = f"<p>Command: <code>{esc(m['command'])}</code></p>" if m.get("command") else ""
    return (
        "<h3>Service-level definitions</h3>"
        f"<ul>{defs or '<li>no channel has a service-level target</li>'}</ul>"
        f"{command}<p>Versions: {esc(versions)}</p>{cfg}"
    )


# --------------------------------------------------------------------------- page


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


def money_section(page: Page, money: Any) -> None:
    """Costs, lost value and experience KPIs (ccsim.economics); a note instead of the cost
    figures when no prices were set."""
    page.section("money", "Money")
    if not M.priced(money):
        page.add(f'<p class="note no-prices">{esc(M.NO_PRICES)}</p>')
    else:
        _cost_figures(page, money)
    page.figure(
        "fig-experience",
        "Customer experience",
        f"CSAT, CES and NPS per channel, estimated per contact. {M.ASSUMPTION_NOTE}",
        lambda: M.experience_figure(money),
    )


def _cost_figures(page: Page, money: Any) -> None:
    page.figure(
        "fig-costs",
        "What the service costs and what it loses",
        "Per channel: staffing, telephony, partner, self-service and callback costs, and the value "
        "lost through abandoned, blocked and unresolved contacts and churn (mean per replication).",
        lambda: M.cost_breakdown_figure(money),
    )
    page.figure(
        "fig-cost-per-contact",
        "Cost per contact",
        "Service cost per offered contact, per served contact and per resolved issue.",
        lambda: M.cost_per_contact_figure(money),
    )


def build(data: ReportData, plotly_js: str | None = None) -> str:
    """The whole page as HTML text (``plotly_js`` defaults to the bundle shipped with plotly)."""
    if plotly_js is None:
        from plotly.offline import get_plotlyjs

        plotly_js = get_plotlyjs()
    labels = data.labels
    reps = data.replications
    spread_words = (
        f"Lines are the mean of {reps} replications; the shaded band runs from the lowest to the "
        "highest replication."
        if reps > 1
        else "One replication: no spread across replications can be shown."
    )
    page = Page()
    notes = [*data.manifest.get("warnings", []), *data.notes]
    page.section("summary", "Summary", "".join(f'<div class="note">{esc(n)}</div>' for n in notes))
    page.add(
        '<p class="how">Mean over replications with the 95% confidence half-width (±). Green: the target '
        "is met even at the low end of the interval; red: missed even at the high end; amber: the target "
        "lies within the interval, so more replications are needed to tell.</p>"
    )
    page.add(kpi_cards(data))
    if reps > 1:
        page.figure(
            "fig-spread",
            "Spread across replications",
            "Each dot is one replication, the bar their mean; a wide spread means the day's "
            "randomness matters as much as the staffing.",
            lambda: F.replication_spread(data.per_replication, data.channels),
        )

    if data.backtest is not None:  # a back-test's run: observed against simulated, first
        from ccsim.report.backtest import backtest_section

        backtest_section(data.backtest, page)

    page.section("intervals", "Per interval")
    page.figure(
        "fig-offered",
        "Offered contacts and staffing",
        "Left: contacts offered per interval (whiskers: range across replications). Right: agents "
        "staffed on the channel (a team working several channels counts on each), the offered "
        "load in Erlangs (arrivals × handle time) and the agents the Erlang C/A formula needs "
        "to meet the channel's SL target in that interval on its own.",
        lambda: F.offered_vs_staffed(data.intervals, data.workload, data.channels, labels),
    )
    page.figure(
        "fig-sl",
        "Service level and abandonment",
        f"By the interval in which contacts arrived. Dashed red: the target. {spread_words}",
        lambda: F.service_level_by_interval(data.intervals, data.channels, labels),
    )
    if any(c.deferred for c in data.channels):
        if data.backlog is not None:
            page.figure(
                "fig-backlog",
                "Backlog of deferred channels",
                "E-mails that have arrived but are not yet answered, at the end of each interval. "
                "Only contacts that arrived in the measured time count (not left-overs from the "
                f"warm-up). {spread_words}",
                lambda: F.backlog_figure(data.backlog, data.channels, labels),
            )
        else:
            page.add(
                '<div class="note">The backlog of deferred channels needs the contacts table; this '
                "run was made without it (<code>--no-contacts</code>).</div>"
            )

    page.section("waiting", "Waiting")
    if data.waits is not None and len(data.waits):
        page.figure(
            "fig-ecdf",
            "How long answered contacts waited",
            "Share of answered contacts that waited at most the time on the x axis, per segment, "
            "all replications pooled. The dashed line is the SL threshold; where a curve crosses "
            "it is the share answered within it (abandoned contacts are not in these curves).",
            lambda: F.wait_ecdf(data.waits, data.channels),
        )
    percentiles = (
        data.percentiles if data.percentiles is not None else percentiles_from_summary(data.per_replication)
    )
    page.figure(
        "fig-percentiles",
        "Wait percentiles",
        "p50, p90 and p99 of the waits of answered contacts: half, 90% and 99% of them waited "
        "at most this long. Mean across replications, whiskers: 95% confidence interval.",
        lambda: F.wait_percentiles(percentiles, data.channels),
    )
    page.figure(
        "fig-segments",
        "Segments compared (VIP against standard)",
        "Per channel, each segment's service level (red mark: the channel's target), ASA and "
        "abandonment. Whiskers: 95% confidence interval across replications.",
        lambda: F.segments_compared(data.intervals, data.channels),
    )

    page.section("agents", "Agents")
    page.figure(
        "fig-occupancy",
        "Occupancy per team and interval",
        "Share of staffed time spent handling contacts (talk and wrap-up; a chat counts "
        "1/concurrency). Mean across replications; hover for staffed agents and the range. "
        "Dark cells (above about 85-90%) are where queues build and agents tire.",
        lambda: F.occupancy_heatmap(data.agents, labels),
    )

    page.section("outcomes", "Outcomes")
    page.figure(
        "fig-outcomes",
        "Where contacts went",
        "Contacts per replication from each channel to their outcome, and served contacts on to "
        "answered within or after the SL threshold. Hover a node or flow for the numbers.",
        lambda: F.outcomes_sankey(data.intervals),
    )
    page.add(
        '<p class="how">Contacts per replication (mean, ± 95% half-width for offered; share of '
        "offered in brackets).</p>" + outcomes_table(data)
    )

    from ccsim.report.journey_section import add_section  # it builds on this module

    add_section(page, data)  # only for runs with journey policies
    if data.money is not None:
        money_section(page, data.money)

    page.section("run", "Run details", run_details(data))
    title = f"Back-test: {data.name}" if data.backtest is not None else data.name
    return page.html(f"{title} · ccsim report", header(data), plotly_js)
