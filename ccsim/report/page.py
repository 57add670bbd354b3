"""The page of a run: header, KPI cards, the sections of figures, the resolved config.

The page is made of the parts in ``ccsim.report.parts``; the back-test and customer-journey
sections come from ``ccsim.report.backtest_section`` and ``ccsim.report.journey_section``.
"""

from __future__ import annotations

import datetime as dt
import math

from ccsim.economics.targets import status
from ccsim.report import figures as F
from ccsim.report import money as M
from ccsim.report.backtest_section import backtest_section
from ccsim.report.data import MoneyTables, ReportData, outcome_columns, percentiles_from_summary
from ccsim.report.journey_section import add_section as add_journey_section
from ccsim.report.load_section import add_section as add_load_section
from ccsim.report.parts import (
    BADGE,
    Page,
    card,
    ci_text,
    esc,
    number,
    pct,
    plotly_bundle,
    secs,
    summary_row,
    top_bar,
)
from ccsim.report.sites_section import add_section as add_sites_section
from ccsim.toml_writer import to_toml

__all__ = ["BADGE", "build", "header", "kpi_cards", "outcomes_table", "run_details", "status"]


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


def kpi_cards(data: ReportData) -> str:
    """One card per channel (SL against target, ASA, abandonment), one per agent group, one overall."""
    s = data.summary
    cards = []
    for c in data.channels:
        r = summary_row(s, "channel", c.name)
        if r is None:
            continue
        sl, sl_ci = number(r, "service_level"), number(r, "service_level_ci95")
        st = status(sl, sl_ci, c.target)
        ab, ab_ci = number(r, "abandon_rate"), number(r, "abandon_rate_ci95")
        ab_st = status(ab, ab_ci, c.abandon_cap, higher_is_better=False)
        badge = f'<span class="badge {st}">{BADGE.get(st, "")}</span>'
        target = f"{badge} target {pct(c.target, 0)}" if st else "no SL target set"
        asa = secs(number(r, "asa_s"), number(r, "asa_s_ci95"))
        rows = [
            ("ASA", asa),
            (
                "abandoned",
                f"{pct(ab)} {ci_text(ab_ci)}"
                + (f' <span class="badge {ab_st}">cap {pct(c.abandon_cap, 0)}</span>' if ab_st else ""),
            ),
            ("wait p90", secs(number(r, "wait_p90_s"))),
            ("offered", f"{number(r, 'offered'):,.0f}"),
        ]
        if number(r, "blocked") > 0:
            rows.append(("blocked", f"{number(r, 'blocked'):,.1f} ({pct(number(r, 'block_rate'))})"))
        if math.isfinite(sl):
            cards.append(
                card(
                    f"{c.name} · service level", pct(sl), ci_text(sl_ci), st, target, c.definition or "", rows
                )
            )
        else:  # no service level: the ASA leads
            cards.append(card(f"{c.name} · ASA", secs(number(r, "asa_s")), "", "", target, "", rows[1:]))
    for g in s[s["group_by"] == "agent_group"]["group"].astype(str):
        r = summary_row(s, "agent_group", g)
        cards.append(
            card(
                f"{g} · occupancy",
                pct(number(r, "occupancy")),
                ci_text(number(r, "occupancy_ci95")),
                "",
                "busy time / staffed time",
                "",
                [("agents staffed (mean)", f"{number(r, 'agents'):.1f}")],
            )
        )
    r = summary_row(s, "all", "all")
    if r is not None:
        cards.append(
            card(
                "all channels · offered",
                f"{number(r, 'offered'):,.0f}",
                ci_text(number(r, "offered_ci95"), 1),
                "",
                "contacts per replication",
                "",
                [
                    (
                        "served",
                        pct(number(r, "served") / number(r, "offered") if number(r, "offered") else None),
                    ),
                    ("abandoned", pct(number(r, "abandon_rate"))),
                    ("occupancy, all agents", pct(number(r, "occupancy"))),
                ],
            )
        )
    return '<div class="cards">' + "".join(cards) + "</div>"


def outcomes_table(data: ReportData) -> str:
    s = data.summary
    shown = s[s["group_by"].isin(["all", "channel"])]
    outcomes = [o for o in outcome_columns(s) if o in ("served", "abandoned") or (shown[o] > 0).any()]
    head = "".join(f"<th>{esc(o.replace('_', ' '))}</th>" for o in ["offered", *outcomes])
    body = []
    for c in [*data.channels, None]:
        r = summary_row(s, "channel", c.name) if c else summary_row(s, "all", "all")
        if r is None:
            continue
        offered = number(r, "offered")
        cells = [f"<td>{offered:,.1f} {esc(ci_text(number(r, 'offered_ci95'), 1))}</td>"]
        for o in outcomes:
            v = number(r, o)
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


def money_section(page: Page, money: MoneyTables) -> None:
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


def _cost_figures(page: Page, money: MoneyTables) -> None:
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
    page = Page()
    summary_section(page, data)
    if data.backtest is not None:  # a back-test's run: observed against simulated, first
        backtest_section(data.backtest, page)
    intervals_section(page, data)
    waiting_section(page, data)
    agents_section(page, data)
    add_load_section(page, data)  # only for runs with well-being rules
    add_sites_section(page, data)  # only for centres on several sites
    outcomes_section(page, data)
    add_journey_section(page, data)  # only for runs with journey policies
    if data.money is not None:
        money_section(page, data.money)
    page.section("run", "Run details", run_details(data))
    title = f"Back-test: {data.name}" if data.backtest is not None else data.name
    return page.html(f"{title} · ccsim report", header(data), plotly_bundle(plotly_js))


def spread_words(replications: int) -> str:
    """How a figure's spread across replications reads."""
    if replications > 1:
        return (
            f"Lines are the mean of {replications} replications; the shaded band runs from the lowest "
            "to the highest replication."
        )
    return "One replication: no spread across replications can be shown."


def summary_section(page: Page, data: ReportData) -> None:
    """The notes, the KPI cards and the spread across replications."""
    notes = [*data.manifest.get("warnings", []), *data.notes]
    page.section("summary", "Summary", "".join(f'<div class="note">{esc(n)}</div>' for n in notes))
    page.add(
        '<p class="how">Mean over replications with the 95% confidence half-width (±). Green: the target '
        "is met even at the low end of the interval; red: missed even at the high end; amber: the target "
        "lies within the interval, so more replications are needed to tell.</p>"
    )
    page.add(kpi_cards(data))
    if data.replications > 1:
        page.figure(
            "fig-spread",
            "Spread across replications",
            "Each dot is one replication, the bar their mean; a wide spread means the day's "
            "randomness matters as much as the staffing.",
            lambda: F.replication_spread(data.per_replication, data.channels),
        )


def intervals_section(page: Page, data: ReportData) -> None:
    """Offered contacts and staffing, service level and abandonment, the e-mail backlog."""
    labels = data.labels
    spread = spread_words(data.replications)
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
        f"By the interval in which contacts arrived. Dashed red: the target. {spread}",
        lambda: F.service_level_by_interval(data.intervals, data.channels, labels),
    )
    if not any(c.deferred for c in data.channels):
        return
    if data.backlog is None:
        page.add(
            '<div class="note">The backlog of deferred channels needs the contacts table; this '
            "run was made without it (<code>--no-contacts</code>).</div>"
        )
        return
    backlog = data.backlog
    page.figure(
        "fig-backlog",
        "Backlog of deferred channels",
        "E-mails that have arrived but are not yet answered, at the end of each interval. "
        "Only contacts that arrived in the measured time count (not left-overs from the "
        f"warm-up). {spread}",
        lambda: F.backlog_figure(backlog, data.channels, labels),
    )


def waiting_section(page: Page, data: ReportData) -> None:
    """The distribution of the waits, their percentiles, the segments compared."""
    page.section("waiting", "Waiting")
    waits = data.waits
    if waits is not None and len(waits):
        page.figure(
            "fig-ecdf",
            "How long answered contacts waited",
            "Share of answered contacts that waited at most the time on the x axis, per segment, "
            "all replications pooled. The dashed line is the SL threshold; where a curve crosses "
            "it is the share answered within it (abandoned contacts are not in these curves).",
            lambda: F.wait_ecdf(waits, data.channels),
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


def agents_section(page: Page, data: ReportData) -> None:
    """Occupancy per team and interval."""
    page.section("agents", "Agents")
    page.figure(
        "fig-occupancy",
        "Occupancy per team and interval",
        "Share of staffed time spent handling contacts (talk and wrap-up; a chat counts "
        "1/concurrency). Mean across replications; hover for staffed agents and the range. "
        "Dark cells (above about 85-90%) are where queues build and agents tire.",
        lambda: F.occupancy_heatmap(data.agents, data.labels),
    )


def outcomes_section(page: Page, data: ReportData) -> None:
    """Where contacts went: the flow to the outcomes and the table of outcomes."""
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
