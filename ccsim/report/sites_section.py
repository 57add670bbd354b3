"""The report's section on the sites of a centre on several sites: per site, the contacts
offered to it, answered, service level, ASA, occupancy, agents and paid hours and their cost,
each with its 95% interval (the summary's ``site`` rows)."""

from __future__ import annotations

import pandas as pd

from ccsim.report.data import ReportData
from ccsim.report.parts import Page, ci_text, esc, number, pct, secs

HOW = (
    "Per site: the contacts offered to it (their home site, or an open site while the home site "
    "was closed), those answered (by any site's agents), their service level and ASA, and its "
    "agents' occupancy, mean agents on duty, paid hours and staffing cost. Means per "
    "replication with their 95% intervals."
)


def add_section(page: Page, data: ReportData) -> None:
    """The sites section, for runs with ``[sites]`` (the summary has ``site`` rows)."""
    rows = data.summary[data.summary["group_by"] == "site"]
    if rows.empty:
        return
    page.section("sites", "Sites", f'<p class="how">{esc(HOW)}</p>{sites_table(rows)}')


def sites_table(rows: pd.DataFrame) -> str:
    head = ["site", "offered", "answered", "service level", "ASA"]
    head += ["occupancy", "agents", "paid hours", "cost"]
    body = []
    for _, r in rows.iterrows():
        cost = number(r, "staffing_cost")
        cells = [
            esc(r["group"]),
            f"{number(r, 'offered'):,.1f} {esc(ci_text(number(r, 'offered_ci95'), 1))}",
            f"{number(r, 'served'):,.1f} {esc(ci_text(number(r, 'served_ci95'), 1))}",
            f"{pct(number(r, 'service_level'))} {esc(ci_text(number(r, 'service_level_ci95')))}",
            esc(secs(number(r, "asa_s"), number(r, "asa_s_ci95"))),
            f"{pct(number(r, 'occupancy'))} {esc(ci_text(number(r, 'occupancy_ci95')))}",
            f"{number(r, 'agents'):,.1f}",
            f"{number(r, 'paid_hours'):,.1f}",
            f"{cost:,.0f} {esc(ci_text(number(r, 'staffing_cost_ci95'), 1))}" if cost == cost else "–",
        ]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    header = "".join(f"<th>{esc(h)}</th>" for h in head)
    return f'<table class="data"><tr>{header}</tr>{"".join(body)}</table>'
