"""The agents the Erlang C/A formula asks for, per interval and channel of the offered load
(``ccsim.workload.offered_load``): what ``ccsim validate`` and the run's page set beside the
staffing. Apart from ``ccsim.workload`` so that ``ccsim.simulate`` does not load the formulas
(and SciPy) it does not use.
"""

from __future__ import annotations

import math

import pandas as pd

from ccsim.analytic import agents_for_service_level
from ccsim.model.plan import Plan
from ccsim.scenario import Scenario


def erlang_estimate(scenario: Scenario, plan: Plan, frame: pd.DataFrame) -> list[float]:
    """Agents the Erlang C/A formula asks for, per row of the offered-load frame."""
    patience: dict[str, float | None] = {}
    for ch in plan.channels:
        means, weights = [], []
        for s in plan.streams:
            if s.channel != plan.channel_names.index(ch.name):
                continue
            for seg, w in zip(s.segments, s.segment_shares, strict=True):
                dist = plan.patience[seg]
                means.append(dist.mean if dist is not None else math.inf)
                weights.append(w)
        finite = [m for m in means if math.isfinite(m)]
        patience[ch.name] = (
            sum(m * w for m, w in zip(means, weights, strict=True)) / sum(weights)
            if finite and len(finite) == len(means)
            else None
        )
    out = []
    for _, row in frame.iterrows():
        sl = scenario.channels[row["channel"]].service_level
        if sl is None or row["rate_per_h"] <= 0 or row["kind"] == "email" or math.isnan(row["aht_s"]):
            out.append(math.nan)
            continue
        conc = scenario.channels[row["channel"]].concurrency
        n = agents_for_service_level(
            row["rate_per_h"] / 3600 / conc,
            row["aht_s"],
            sl.within,
            sl.target,
            patience=patience[row["channel"]],
            definition=sl.definition,
            abandon_cap=sl.abandon_cap,
        )
        out.append(float(n))
    return out
