"""Risk, not only means: how likely an interval or a day meets its service-level target.

From the spread across replications (and across days, which with ``scenario.busyness`` differ
in demand): a replication's interval meets the target when its service level is at least the
channel's target (and its abandonment at most ``abandon_cap``, if set). Intervals and days in
which the channel had no contact in the service-level denominator are left out.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

DAY = 86400.0


def status(mean: float, ci: float, target: float | None, higher_is_better: bool = True) -> str:
    """A mean against its target: 'met' (even at the low end of the 95% confidence interval),
    'missed' (even at its high end) or 'close' (the target lies inside the interval: can't
    tell); '' without a target. The report's badges and the terminal's marks both use it."""
    if target is None or not math.isfinite(mean):
        return ""
    ci = ci if math.isfinite(ci) else 0.0
    lo, hi = (mean - ci, mean + ci) if higher_is_better else (-(mean + ci), -(mean - ci))
    t = target if higher_is_better else -target
    return "met" if lo >= t else "missed" if hi < t else "close"


def _channel_sums(results: Any, by: list[str]) -> pd.DataFrame:
    iv = results.intervals
    frame = iv.assign(channel=iv["channel"].astype(str))
    if "day" in by:
        start = float(results.scenario.scenario.start)
        frame = frame.assign(day=np.floor((start + frame["start_s"]) / DAY).astype(int))
    cols = ["sl_numerator", "sl_denominator", "abandoned", "served"]
    return frame.groupby(["channel", "replication", *by], observed=True)[cols].sum().reset_index()


def _meets(frame: pd.DataFrame, channels: dict[str, Any], targets: dict[str, float]) -> pd.DataFrame:
    frame = frame[frame["channel"].isin(list(targets)) & (frame["sl_denominator"] > 0)].copy()
    frame["service_level"] = frame["sl_numerator"] / frame["sl_denominator"]
    answered = frame["served"] + frame["abandoned"]
    frame["abandon_rate"] = np.where(answered > 0, frame["abandoned"] / answered.where(answered > 0, 1), 0.0)
    cap = (
        frame["channel"].map({c: channels[c].service_level.abandon_cap or 1.0 for c in targets}).astype(float)
    )
    target = frame["channel"].map(targets).astype(float)
    frame["target"] = target
    frame["meets"] = (frame["service_level"] >= target - 1e-12) & (frame["abandon_rate"] <= cap + 1e-12)
    return frame


def _targets(results: Any, targets: dict[str, float] | None) -> dict[str, float]:
    channels = results.scenario.channels
    known = {c: ch.service_level.target for c, ch in channels.items() if ch.service_level is not None}
    if targets:
        known.update({c: t for c, t in targets.items() if c in known})
    return known


def interval_risk(results: Any, targets: dict[str, float] | None = None) -> pd.DataFrame:
    """Per channel and interval: the share of replications in which the interval meets its
    target (``p_meets``), and the mean and the 10th percentile of its service level."""
    tg = _targets(results, targets)
    frame = _meets(_channel_sums(results, ["interval"]), results.scenario.channels, tg)
    out = frame.groupby(["channel", "interval"]).agg(
        p_meets=("meets", "mean"),
        service_level=("service_level", "mean"),
        service_level_p10=("service_level", lambda v: float(np.percentile(v, 10))),
        replications=("meets", "size"),
    )
    return out.reset_index()


def risk(results: Any, targets: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per channel with a service level: ``p_interval`` (probability that an interval
    meets the target: share of replication x interval cells that do), ``p_worst_interval``
    (that probability in the interval where it is lowest), ``p_day`` (probability that a day's
    service level meets the target: share of replication x day cells) and ``target``.
    ``targets`` overrides channels' targets by name."""
    tg = _targets(results, targets)
    channels = results.scenario.channels
    per_iv = _meets(_channel_sums(results, ["interval"]), channels, tg)
    per_day = _meets(_channel_sums(results, ["day"]), channels, tg)
    rows = []
    for c, target in tg.items():
        iv = per_iv[per_iv["channel"] == c]
        day = per_day[per_day["channel"] == c]
        worst = iv.groupby("interval")["meets"].mean().min() if len(iv) else np.nan
        rows.append(
            {
                "channel": c,
                "target": target,
                "p_interval": float(iv["meets"].mean()) if len(iv) else np.nan,
                "p_worst_interval": float(worst),
                "p_day": float(day["meets"].mean()) if len(day) else np.nan,
                "days": len(day),
            }
        )
    return pd.DataFrame(rows)


def risk_by_replication(results: Any, targets: dict[str, float] | None = None) -> pd.DataFrame:
    """Per replication (the index): the share of its channel x interval cells that meet their
    target (``p_interval``) and of its channel x day cells (``p_day``), over the channels of
    ``targets`` (default: every channel with a service level)."""
    tg = _targets(results, targets)
    channels = results.scenario.channels
    per_iv = _meets(_channel_sums(results, ["interval"]), channels, tg)
    per_day = _meets(_channel_sums(results, ["day"]), channels, tg)
    out = pd.DataFrame(
        {
            "p_interval": per_iv.groupby("replication")["meets"].mean(),
            "p_day": per_day.groupby("replication")["meets"].mean(),
        }
    )
    out.index.name = None
    return out.astype(float)


def intervals_below(results: Any, targets: dict[str, float] | None = None) -> pd.DataFrame:
    """Per channel with a target and interval with contacts in its service level: the service
    level pooled over the replications, the ``target`` and ``below`` (pooled level < target)."""
    tg = _targets(results, targets)
    sums = _channel_sums(results, ["interval"])
    sums = sums[sums["channel"].isin(list(tg))]
    pooled = sums.groupby(["channel", "interval"])[["sl_numerator", "sl_denominator"]].sum().reset_index()
    pooled = pooled[pooled["sl_denominator"] > 0]
    pooled["service_level"] = pooled["sl_numerator"] / pooled["sl_denominator"]
    pooled["target"] = pooled["channel"].map(tg).astype(float)
    pooled["below"] = pooled["service_level"] < pooled["target"] - 1e-12
    return pooled[["channel", "interval", "service_level", "target", "below"]].reset_index(drop=True)
