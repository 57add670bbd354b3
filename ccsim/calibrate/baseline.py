"""The Erlang-A baseline of a back-test: the formula a planner already has, given the same inputs.

For each interval of each day of the back-test the Erlang-A queue (M/M/n+M,
``ccsim.analytic.erlang_a``) is evaluated in steady state with

- the arrival rate the simulation is given in that interval (with ``demand="observed"``, the
  log's count over the interval length);
- the agents the simulation is given in that interval, all teams together (with
  ``staffing="proxy"``, the staffing proxy times the Erlang-A model's *own* scale, rounded per
  team as for the simulation);
- one mean handle time: the scenario's handle (plus wrap-up) laws weighted by the log's mix of
  contact types;
- one mean patience ``1/theta``: the estimate ``E[wait] / P(abandon)`` of Brown et al. (2005)
  on the calibration log, which ``ccsim calibrate`` records in the scenario file; else the
  scenario's mean patience weighted by the log's mix of segments.

Every contact of the log gets the prediction of its interval: P(answered within the channel's
threshold), P(abandon) and the mean wait of those answered. Sums over the contacts of a key
(hour, weekday, ...) give the baseline's service level, abandonment and ASA on the same
definitions as the observed ones. The Erlang-A scale is fitted the way the simulation's is
(``fit_erlang`` and ``fit_scale`` in ``ccsim.calibrate.backtesting``, the same root finder): the
factor on the calibration log's staffing proxy at which the baseline reproduces that log's
overall service level.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

import numpy as np
import pandas as pd

from ccsim.analytic import queue_metrics
from ccsim.calibrate import arrivals as A
from ccsim.scenario import Scenario

ERLANG_SCALE_COMMENT = "ccsim: erlang_a_scale ="  # read back by ccsim backtest
ERLANG_PATIENCE_COMMENT = "ccsim: erlang_a_patience ="
HANDLED = ("served", "abandoned")


class ErlangSettings(TypedDict):
    """The Erlang-A inputs as a back-test's manifest records them."""

    handle_s: float
    patience_s: float | None
    scale: float | None  # None: the scenario's own staffing, no scale applied
    sources: dict[str, str]  # handle, patience, scale -> where the value came from


@dataclass
class ErlangInputs:
    """What the Erlang-A baseline is fed besides rates and agents, and where each value came from."""

    handle: float  # mean handle (+ wrap-up) time, s
    patience: float | None  # mean patience 1/theta, s; None: nobody abandons (Erlang C)
    scale: float  # factor on the staffing proxy
    notes: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        pat = "no abandonment (Erlang C)" if self.patience is None else f"1/theta {self.patience:.0f}s"
        return f"Erlang A: handle {self.handle:.1f}s, {pat}, staffing scale {self.scale:g}"

    def settings(self, scaled: bool = True) -> ErlangSettings:
        """The inputs and their sources, for the back-test's manifest (``scaled``: the scale was
        applied to a staffing proxy)."""
        notes = dict(self.notes)
        if not scaled:
            notes["scale"] = "not used: the scenario's own staffing"
        return {
            "handle_s": round(self.handle, 2),
            "patience_s": None if self.patience is None else round(self.patience, 2),
            "scale": self.scale if scaled else None,
            "sources": notes,
        }


def brown_patience(frame: pd.DataFrame) -> float | None:
    """Mean patience ``E[wait] / P(abandon)`` over the contacts served or abandoned (Brown et al.
    2005, section 5.3); exact for exponential patience. None when nobody abandoned."""
    f = frame[frame["outcome"].isin(HANDLED)]
    p_ab = float((f["outcome"] == "abandoned").mean()) if len(f) else 0.0
    if p_ab <= 0:
        return None
    return float(f["wait_s"].astype(float).mean()) / p_ab


def _shares(values: pd.Series, known: Mapping[str, object]) -> dict[str, float]:
    """The log's mix over the scenario's names; names the scenario lacks count as its commonest."""
    counts = values.astype(str).value_counts()
    top = next((k for k in counts.index if k in known), next(iter(known)))
    mapped = counts.groupby([k if k in known else top for k in counts.index]).sum()
    return {str(k): float(v / mapped.sum()) for k, v in mapped.items()}


def mixed_handle(scenario: Scenario, frame: pd.DataFrame) -> float:
    """The scenario's mean handle (+ wrap-up) time per type, weighted by the log's type mix."""
    total = 0.0
    for name, share in _shares(frame["contact_type"], scenario.contact_types).items():
        ct = scenario.contact_types[name]
        total += share * (ct.handle.mean + (ct.wrap_up.mean if ct.wrap_up is not None else 0.0))
    return total


def mixed_patience(scenario: Scenario, frame: pd.DataFrame) -> float | None:
    """The scenario's mean patience per segment, weighted by the log's segment mix (segments
    that never abandon are left out; None if none abandons)."""
    parts = [
        (share, patience.mean)
        for name, share in _shares(frame["segment"], scenario.segments).items()
        if (patience := scenario.segments[name].patience) is not None
    ]
    if not parts:
        return None
    return sum(s * mean for s, mean in parts) / sum(s for s, _ in parts)


def recorded(scenario: Scenario) -> dict[str, float]:
    """The Erlang-A scale and patience that ``ccsim calibrate`` recorded in the scenario file."""
    source = scenario.source
    if not source or not Path(source).exists():
        return {}
    text = Path(source).read_text(encoding="utf-8")
    out = {}
    for key, comment in (("scale", ERLANG_SCALE_COMMENT), ("patience", ERLANG_PATIENCE_COMMENT)):
        m = re.search(rf"^#\s*{re.escape(comment)}\s*([0-9.]+)", text, re.MULTILINE)
        if m:
            out[key] = float(m.group(1))
    return out


def inputs_for(
    scenario: Scenario, frame: pd.DataFrame, sim_scale: float, scale: float | None = None
) -> ErlangInputs:
    """The baseline's inputs for a back-test of ``frame`` (the log's demand) with ``scenario``.

    The scale is ``scale`` if given, else the one recorded in the scenario file, else the
    simulation's; the patience the recorded Brown estimate, else the scenario's mean.
    """
    rec = recorded(scenario)
    notes = {"handle": "the scenario's handle-time laws weighted by the log's mix of contact types"}
    if "patience" in rec:
        patience: float | None = rec["patience"]
        notes["patience"] = "E[wait] / P(abandon) of the calibration log (Brown et al. 2005)"
    else:
        patience = mixed_patience(scenario, frame)
        notes["patience"] = "the scenario's mean patience weighted by the log's segment mix"
    if scale is not None:
        notes["scale"] = "given with --erlang-scale"
    elif "scale" in rec:
        scale = rec["scale"]
        notes["scale"] = "fitted on the calibration log like the simulation's (recorded in the scenario)"
    else:
        scale = sim_scale
        notes["scale"] = "the simulation's (the scenario file records no Erlang-A scale)"
    return ErlangInputs(mixed_handle(scenario, frame), patience, float(scale), notes)


def _kpis(rate: float, handle: float, agents: int, patience: float | None, within: float) -> tuple:
    """(P(answered within), P(abandon), ASA) of one interval in steady state."""
    if rate <= 0:
        return (math.nan, math.nan, math.nan)
    if agents <= 0:
        return (0.0, 1.0, math.nan) if patience is not None else (0.0, 0.0, math.nan)
    m = queue_metrics(rate, handle, agents, within=within, patience=patience)
    return (m.answered_within, m.p_abandon, m.asa)


def per_contact(
    frame: pd.DataFrame,
    cal: list[pd.Timestamp],
    interval: float,
    rates: np.ndarray,
    agents: np.ndarray,
    inputs: ErlangInputs,
    within: dict[str, float],
) -> pd.DataFrame:
    """Each served or abandoned contact of ``frame`` with the prediction of its interval.

    ``rates`` (per second) and ``agents`` are arrays (calendar day, interval of the day) over
    ``cal``. Columns added: ``_within`` P(answered within the threshold), ``_ab``
    P(abandon), ``_asa`` the mean wait of those answered.
    """
    f = frame[frame["outcome"].isin(HANDLED)]
    row, k = A.grid_index(f["arrival"], cal, interval)
    ok = row >= 0
    f, row, k = f[ok], row[ok], k[ok]
    limit = f["channel"].map(within).fillna(20.0).astype(float).to_numpy()
    cache: dict[tuple[float, int, float], tuple] = {}
    out = np.empty((len(f), 3))
    for i, key in enumerate(zip(rates[row, k], agents[row, k].astype(int), limit, strict=True)):
        if key not in cache:
            cache[key] = _kpis(float(key[0]), inputs.handle, int(key[1]), inputs.patience, float(key[2]))
        out[i] = cache[key]
    return f.assign(_within=out[:, 0], _ab=out[:, 1], _asa=out[:, 2])


def grouped(predicted: pd.DataFrame, keys: pd.Series) -> pd.DataFrame:
    """Service level, abandonment and ASA of the baseline per key and for 'all' (expected counts
    summed over the contacts of a key, as the observed measures count them)."""
    p = predicted
    answered = 1.0 - p["_ab"]
    g = pd.DataFrame(
        {
            "key": keys.to_numpy(),
            "within": p["_within"].to_numpy(),
            "ab": p["_ab"].to_numpy(),
            "ans": answered.to_numpy(),
            "wait": np.nan_to_num(answered.to_numpy() * p["_asa"].to_numpy()),
            "n": 1.0,
        }
    )
    sums = g.groupby("key", sort=True)[["within", "ab", "ans", "wait", "n"]].sum()
    total = sums.sum()
    total.name = "all"
    sums = pd.concat([sums, total.to_frame().T])
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.DataFrame(
            {
                "service_level": sums["within"] / sums["n"],
                "abandon_rate": sums["ab"] / sums["n"],
                "asa_s": sums["wait"] / sums["ans"],
            },
            index=sums.index,
        ).astype(float)
