"""Sizes that drive a run's memory and time, checked before anything is allocated.

A scenario is refused at load (``ConfigError``, with the limit in the message) when it would
need more than these. The limits are far above any contact centre's real size; they exist so
that a slip of the pen (``duration = "1e9h"``, a count of ten billion agents) is said at once
instead of filling the memory or running for hours. The horizon and the number of intervals
are checked on the validated config, before the plan's per-interval arrays are built; agents
on duty and the expected contacts on the (small) plan, before the first replication.
"""

from __future__ import annotations

from ccsim.config.schema import ScenarioConfig
from ccsim.units import MAX_DURATION

DAY = 86400.0
MAX_INTERVALS = 50_000
"""Reporting intervals in the measured time (a year of 15-minute intervals is 35,040)."""
MAX_DAYS = round(MAX_DURATION / DAY)
"""Simulated days: warm-up + duration + drain limit (when draining)."""
MAX_AGENTS = 100_000
"""Agents on duty at once, all groups together (each group at its largest staffing)."""
MAX_CONTACTS = 5_000_000
"""Expected arrivals per replication, the warm-up included (rates x time x mean busyness)."""

LIMITS = {
    "intervals in the measured time (duration / interval)": MAX_INTERVALS,
    "simulated days (warm-up + duration + drain limit), and any one duration": MAX_DAYS,
    "agents on duty at once, all groups together": MAX_AGENTS,
    "expected arrivals per replication, warm-up included": MAX_CONTACTS,
}
"""The limits, as the config reference lists them."""


def check_sizes(cfg: ScenarioConfig) -> list[str]:
    """The horizon, the number of intervals and the proactive campaigns' daily volumes (before any
    per-interval or per-contact array is built)."""
    sc = cfg.scenario
    problems = []
    intervals = sc.duration / sc.interval
    if intervals > MAX_INTERVALS:
        problems.append(
            f"scenario.interval: {intervals:,.0f} intervals of {sc.interval:g}s in the measured "
            f"time; at most {MAX_INTERVALS:,} are allowed: use a longer interval or a shorter duration"
        )
    days = (sc.warmup + sc.duration + (sc.drain_limit if sc.drain else 0.0)) / DAY
    if days > MAX_DAYS:
        problems.append(
            f"scenario: warm-up + duration + drain limit span {days:,.4g} days; at most "
            f"{MAX_DAYS:,} days are allowed (got warmup {sc.warmup:g}s, duration {sc.duration:g}s, "
            f"drain_limit {sc.drain_limit:g}s)"
        )
    for name, campaign in cfg.proactive.items():
        per_day = campaign.volume * DAY
        if not per_day <= MAX_CONTACTS:  # also catches an overflow to inf
            problems.append(
                f"proactive.{name}.volume: about {per_day:,.4g} outbound contacts a day; at most "
                f"{MAX_CONTACTS:,} are allowed: check the volume's unit (e.g. '400/day')"
            )
    return problems
