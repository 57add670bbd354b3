"""The "Agents' load" section of the page: for the agent groups with well-being rules
(``agents.NAME.wellbeing``), cards of the rolling occupancy, the recovery pauses and the longest
busy stretch, and a figure of the load per interval.

``add_section`` adds nothing for a run without such rules, so that run's page is as before.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ccsim.agentload import THRESHOLDS
from ccsim.report.data import ReportData
from ccsim.report.parts import Page, card, ci_text, number, pct, summary_row
from ccsim.report.style import colour, style, time_axis

__all__ = ["add_section", "load_cards", "load_figure"]


def _groups(data: ReportData) -> list[str]:
    """The agent groups whose load was measured (those with well-being rules)."""
    ag = data.agents
    if "sampled_s" not in ag.columns:
        return []
    sampled = ag.groupby(ag["agent_group"].astype(str), observed=True)["sampled_s"].sum()
    return [g for g, s in sampled.items() if s > 0]


def load_cards(data: ReportData, groups: list[str]) -> str:
    """Per group: the share of agent-time above 90% rolling occupancy (with 85% and 95%),
    the pauses and their time, the longest busy stretch; mean per replication ± half-width."""
    cards = []
    for g in groups:
        r = summary_row(data.summary, "agent_group", g)
        if r is None:
            continue
        longest = number(r, "longest_stretch_s")
        rows = [
            (f"above {round(t * 100)}%", f"{pct(number(r, f'occupancy_above_{round(t * 100)}'))} "
             f"{ci_text(number(r, f'occupancy_above_{round(t * 100)}_ci95'))}")
            for t in THRESHOLDS if t != 0.90
        ]  # fmt: skip
        rows += [
            ("recovery pauses", f"{number(r, 'pauses'):,.1f} {ci_text(number(r, 'pauses_ci95'), 1)}"),
            ("pause time", f"{number(r, 'pause_hours'):,.2f} h "
             f"{ci_text(number(r, 'pause_hours_ci95'), 1, ' h')}"),
            ("longest busy stretch",
             f"{longest / 60:,.0f} min {ci_text(number(r, 'longest_stretch_s_ci95') / 60, 1, ' min')}"
             if math.isfinite(longest) else "–"),
        ]  # fmt: skip
        cards.append(
            card(
                f"{g} · rolling occupancy above 90%",
                pct(number(r, "occupancy_above_90")),
                ci_text(number(r, "occupancy_above_90_ci95")),
                "",
                "share of agent-time",
                "",
                rows,
            )
        )
    return '<div class="cards">' + "".join(cards) + "</div>"


def load_figure(agents: pd.DataFrame, groups: list[str], labels: list[str]) -> go.Figure:
    """Per group (rows): the share of agent-time above 85/90/95% rolling occupancy per
    interval (lines) and the pause minutes per agent-hour on duty (bars), pooled over the
    replications."""
    frame = agents.assign(agent_group=agents["agent_group"].astype(str))
    fig = make_subplots(rows=len(groups), cols=1, shared_xaxes=True, subplot_titles=groups,
                        specs=[[{"secondary_y": True}] for _ in groups])  # fmt: skip
    cols = ["sampled_s", "pause_s", "staffed_s", *(f"above_{round(t * 100)}_s" for t in THRESHOLDS)]
    for row, g in enumerate(groups, start=1):
        sums = frame[frame["agent_group"] == g].groupby("interval")[cols].sum()
        x = [labels[k] for k in sums.index]
        present = (sums["staffed_s"] + sums["pause_s"]).where(lambda s: s > 0)
        fig.add_trace(
            go.Bar(x=x, y=sums["pause_s"] / present * 60.0, name="pause min per agent-hour",
                   marker_color="#c9d6e3", legendgroup="pause", showlegend=row == 1),
            row=row, col=1, secondary_y=True,
        )  # fmt: skip
        for k, t in enumerate(THRESHOLDS):
            share = sums[f"above_{round(t * 100)}_s"] / sums["sampled_s"].where(sums["sampled_s"] > 0)
            fig.add_trace(
                go.Scatter(x=x, y=share, mode="lines", name=f"above {round(t * 100)}%",
                           line={"color": colour(k)}, legendgroup=str(t), showlegend=row == 1),
                row=row, col=1,
            )  # fmt: skip
        fig.update_yaxes(tickformat=".0%", range=[0, 1], title_text="agent-time", row=row, col=1)
        fig.update_yaxes(title_text="pause min / h", row=row, col=1, secondary_y=True, showgrid=False)
    time_axis(fig, labels, 8)
    return style(fig, 260 * len(groups) + 60)


def add_section(page: Page, data: ReportData) -> None:
    """The section, for a run with well-being rules; nothing otherwise."""
    groups = _groups(data)
    if not groups:
        return
    page.section("load", "Agents' load")
    page.add(
        '<p class="how">Rolling occupancy: an agent\'s busy time over the last window of its group '
        "(e.g. 30 minutes), sampled every minute it is present. Mean per replication, ± 95% "
        "half-width. Recovery pauses are off-phone time (not in staffed time, in paid time).</p>"
    )
    page.add(load_cards(data, groups))
    page.figure(
        "fig-load",
        "Rolling occupancy and recovery pauses per interval",
        "Lines: share of the agents' time whose rolling occupancy was above 85, 90 and 95%. Bars: "
        "minutes of recovery pause per agent-hour present. All replications pooled. A cap shows "
        "as the lines held down in the peak, paid for with pauses (and service level).",
        lambda: load_figure(data.agents, groups, data.labels),
    )
