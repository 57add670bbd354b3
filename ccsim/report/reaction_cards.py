"""KPI cards of the customers who react: channel choice (the contacts it moved, from which
channel to which, beside the demand each channel received after the choice), the communicated
scope (out-of-scope demand that still came) and proactive contact (outbound done, inbound
prevented, net agent hours). Each card appears only when its policy is in the run's config (or,
for proactive contact, its columns are in the summary)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ccsim.report.data import ReportData
from ccsim.report.parts import card, ci_text, number, summary_row

__all__ = ["reacting", "reaction_cards"]


def _config(data: ReportData) -> dict[str, Any]:
    config = data.manifest.get("config") or {}
    return config if isinstance(config, dict) else {}


def reacting(data: ReportData) -> bool:
    """Whether the run used channel choice, the communicated scope or proactive contact."""
    config = _config(data)
    return bool(config.get("choice") or config.get("scope_communication") or config.get("proactive")) or (
        "inbound_prevented" in data.summary.columns
    )


def reaction_cards(data: ReportData, r: pd.Series | None) -> list[str]:
    return [*_choice_card(data), *_scope_card(data), *_proactive_card(r)]


def _per_rep(row: pd.Series | None, col: str) -> str:
    value = number(row, col)
    return f"{value:,.1f} {ci_text(number(row, col + '_ci95'), 1.0)}".strip() if value == value else "–"


def _choice_card(data: ReportData) -> list[str]:
    """The contacts the choice moved (in all, then from -> to), beside the offered by channel
    after the choice (the channels customers choose among)."""
    choice = _config(data).get("choice")
    if not choice:
        return []
    channels = [str(c) for c in choice.get("channels", [])]
    rows = [
        (f"offered on {c}", _per_rep(summary_row(data.summary, "channel", c), "offered")) for c in channels
    ]
    share = float(choice.get("share", 1.0))
    among = ", ".join(channels)
    chooses = f"{share:.0%} of each stream's first arrivals choose among {among} by the expected wait"
    overall = summary_row(data.summary, "all", "all")
    if overall is None or "moved" not in overall:  # tables from before the moves were counted
        return [card("channel choice · share choosing", f"{share:.0%}", "", "", chooses, "", rows)]
    moves = data.summary[data.summary["group_by"] == "move"]
    for _, m in moves.iterrows():
        rows.append((f"moved {str(m['group']).replace('->', ' → ')}", _per_rep(m, "moved")))
    return [
        card(
            "channel choice · contacts moved",
            f"{number(overall, 'moved'):,.1f}",
            ci_text(number(overall, "moved_ci95"), 1.0),
            "",
            f"first arrivals per replication that took another channel than their stream's ({chooses})",
            "",
            rows,
        )
    ]


def _scope_card(data: ReportData) -> list[str]:
    """Out-of-scope demand that still came, and what the communication costs."""
    scope = _config(data).get("scope_communication")
    if not scope:
        return []
    types = {str(k): v for k, v in (_config(data).get("contact_types") or {}).items()}
    outside = [t for t, spec in types.items() if isinstance(spec, dict) and spec.get("in_scope") is False]
    rows = [
        (f"{t} offered", _per_rep(summary_row(data.summary, "contact_type", t), "offered")) for t in outside
    ]
    if scope.get("cost_per_month") is not None:
        rows.append(("cost", f"{float(scope['cost_per_month']):,.0f} per month"))
    elif scope.get("cost_per_day") is not None:
        rows.append(("cost", f"{float(scope['cost_per_day']):,.0f} per day"))
    return [
        card(
            "communicated scope · reduction",
            f"{float(scope.get('reduction', 0)):.0%}",
            "",
            "",
            "of the out-of-scope contacts no longer come",
            "",
            rows,
        )
    ]


def _proactive_card(r: pd.Series | None) -> list[str]:
    """Inbound contacts prevented, with the outbound work and the net agent hours."""
    if r is None or "inbound_prevented" not in r:
        return []
    rows = [
        ("outbound done", _per_rep(r, "outbound_done")),
        ("outbound not done", _per_rep(r, "outbound_not_done")),
        ("outbound agent-hours", _per_rep(r, "outbound_hours")),
        ("net agent-hours", _per_rep(r, "net_agent_hours")),
    ]
    return [
        card(
            "proactive contact · inbound prevented",
            f"{number(r, 'inbound_prevented'):,.1f}",
            ci_text(number(r, "inbound_prevented_ci95"), 1.0),
            "",
            "inbound contacts per replication that did not come; net = outbound - prevented handle time",
            "",
            rows,
        )
    ]
