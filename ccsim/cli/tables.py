"""Rich tables for the terminal: the compact summary of a run."""

from __future__ import annotations

import math
from typing import Any

from rich.table import Table


def _pm(mean: float, ci: float, fmt: str) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "-"
    text = format(mean, fmt)
    if ci is not None and not math.isnan(ci):
        text += " ± " + format(ci, fmt)
    return text


def summary_table(results: Any) -> Table:
    """One row per channel (and all): offered, service level vs target, ASA, abandonment."""
    s = results.summary
    title = f"{results.scenario.name}: {results.replications} replication(s), seed {results.seed}"
    table = Table(title=title, title_justify="left")
    for col in ("", "offered", "service level", "target", "ASA (s)", "abandoned", "occupancy"):
        table.add_column(col, justify="left" if not col else "right")
    rows = s[s["group_by"].isin(["all", "channel"])]
    for _, r in rows.iterrows():
        target = r.get("sl_target")
        met = ""
        if isinstance(target, float) and not math.isnan(target) and not math.isnan(r["service_level"]):
            met = " ✓" if r["service_level"] >= target else " ✗"
        table.add_row(
            "all channels" if r["group_by"] == "all" else str(r["group"]),
            _pm(r["offered"], r["offered_ci95"], ".0f"),
            _pm(r["service_level"] * 100, r["service_level_ci95"] * 100, ".1f") + " %" + met,
            f"{target:.0%}" if isinstance(target, float) and not math.isnan(target) else "",
            _pm(r["asa_s"], r["asa_s_ci95"], ".1f"),
            _pm(r["abandon_rate"] * 100, r["abandon_rate_ci95"] * 100, ".1f") + " %",
            _pm(r["occupancy"] * 100, r["occupancy_ci95"] * 100, ".1f") + " %"
            if r["group_by"] == "all"
            else "",
        )
    for _, r in s[s["group_by"] == "agent_group"].iterrows():
        table.add_row(
            f"agents: {r['group']}",
            "",
            "",
            "",
            "",
            "",
            _pm(r["occupancy"] * 100, r["occupancy_ci95"] * 100, ".1f") + " %",
        )
    return table
