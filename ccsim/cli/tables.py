"""Rich tables for the terminal: the compact summary of a run."""

from __future__ import annotations

import math
from typing import Any

from rich import box
from rich.table import Table


def _pm(mean: float, ci: float, fmt: str, unit: str = "") -> str:
    """'83.5±0.9%': a mean and its 95% half-width, compact enough for an 80-column terminal."""
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "-"
    text = format(mean, fmt)
    if ci is not None and not math.isnan(ci):
        text += "±" + format(ci, fmt)
    return text + unit


def summary_table(results: Any) -> Table:
    """One row per channel (and all): offered, service level vs target, ASA, abandonment;
    then occupancy per agent group. Means with their 95% confidence half-widths."""
    s = results.summary
    title = f"{results.scenario.name}: {results.replications} replication(s), seed {results.seed}"
    table = Table(
        title=title,
        title_justify="left",
        caption="mean±95% half-width over the replications",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1),
    )
    for col in ("", "offered", "SL (target)", "ASA s", "abandoned", "occupancy"):
        table.add_column(col, justify="left" if not col else "right", no_wrap=True)
    rows = s[s["group_by"].isin(["all", "channel"])]
    for _, r in rows.iterrows():
        target = r.get("sl_target")
        has_target = isinstance(target, float) and not math.isnan(target)
        met = ""
        if has_target and not math.isnan(r["service_level"]):
            met = " ✓" if r["service_level"] >= target else " ✗"
        table.add_row(
            "all" if r["group_by"] == "all" else str(r["group"]),
            f"{r['offered']:.0f}",
            _pm(r["service_level"] * 100, r["service_level_ci95"] * 100, ".1f", "%")
            + (f" ({target:.0%}){met}" if has_target else ""),
            _pm(r["asa_s"], r["asa_s_ci95"], ".1f"),
            _pm(r["abandon_rate"] * 100, r["abandon_rate_ci95"] * 100, ".1f", "%"),
            _pm(r["occupancy"] * 100, r["occupancy_ci95"] * 100, ".1f", "%")
            if r["group_by"] == "all"
            else "",
        )
    table.add_section()
    for _, r in s[s["group_by"] == "agent_group"].iterrows():
        occupancy = _pm(r["occupancy"] * 100, r["occupancy_ci95"] * 100, ".1f", "%")
        table.add_row(str(r["group"]), "", "", "", "", occupancy)
    return table
