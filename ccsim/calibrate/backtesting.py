"""Back-test: simulate the period of a call log with a scenario and compare with what was observed.

The scenario simulated covers every calendar day of the log from 00:00 of its first day. Two
choices say how much of the log it is given:

- ``demand="observed"`` (default): each channel's arrival rate in each interval of each day is the
  log's count divided by the interval, with the log's mix of types and segments (no busyness
  factor: the day's level is known). ``"scenario"``: the scenario's own rates, its busyness factor
  included, laid on the calendar (a 7-day list starts on Monday, a daily pattern repeats).
- ``staffing="proxy"`` (default): the log's staffing proxy (``distinct`` or ``presence``, see
  ``ccsim.calibrate.staffing``) per interval of each day, agents put in the scenario's teams
  (an agent of a team the scenario does not have counts in its most skilled team).
  ``"scenario"``: the scenario's staffing laid on the calendar like the rates.

Handle times, patience, priorities and routing are always the scenario's. With both defaults the
back-test asks "given the day's demand and the agents who were there, does the model reproduce
the waits?"; with both set to ``scenario`` it is a forecast of the period.

The comparison groups contacts by hour of the day (or weekday, day, segment, contact type) and
gives, observed and simulated (mean over replications and 95% half-width), the offered contacts
per day, the service level (answered within the channel's threshold over answered plus
abandoned), the ASA and the abandonment rate (abandoned over answered plus abandoned).
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NotRequired, TypedDict

import numpy as np
import pandas as pd

import ccsim.api as api
from ccsim.calibrate import arrivals as A
from ccsim.calibrate import baseline as B
from ccsim.calibrate import period as P
from ccsim.calibrate.calllog import CallLog, LogError
from ccsim.calibrate.comparison import KEYS, compare, errors, format_table, key_of, measures, with_baseline
from ccsim.calibrate.scaling import fit_factor
from ccsim.calibrate.scenario import SCALE_COMMENT
from ccsim.progress import ProgressOption
from ccsim.results import Results
from ccsim.scenario import Scenario, from_dict

__all__ = [
    "KEYS",
    "Backtest",
    "backtest",
    "build",
    "fit_erlang",
    "fit_scale",
    "scale_from_file",
]


class BacktestSettings(TypedDict):
    """What a back-test simulated, as its manifest and report record it."""

    demand: str
    staffing: str
    proxy: str | None  # None: the scenario's staffing
    gap: float | None  # None: no presence proxy
    scale: float
    replications: int
    seed: int
    days: int
    first: str  # YYYY-MM-DD
    last: str
    log: str  # the log's files
    scenario: str  # the scenario's name
    sl_within: dict[str, float]  # service-level threshold per channel, s
    by: str
    erlang_a: NotRequired[B.ErlangSettings]


@dataclass
class Backtest:
    """The comparison table, the simulated run and what was simulated."""

    comparison: pd.DataFrame
    results: Results
    scenario: Scenario
    by: str
    settings: BacktestSettings

    def table(self) -> str:
        """The comparison as a Markdown table (percentages and seconds)."""
        return format_table(self.comparison, self.by)

    def errors(self) -> pd.DataFrame:
        """Each model's weighted MAE and bias over the keys and its all-period error."""
        return errors(self.comparison, self.by)


def _checked(log: CallLog, scenario: Scenario, demand: str, staffing: str) -> float:
    """The scenario's interval, after checking that the back-test can be set up."""
    if demand not in ("observed", "scenario"):
        raise LogError([f"demand must be observed or scenario (got {demand!r})"])
    if staffing not in ("proxy", "scenario"):
        raise LogError([f"staffing must be proxy or scenario (got {staffing!r})"])
    frame = log.demand
    if not len(frame):
        raise LogError(["the log has no contacts to compare with"])
    interval = float(scenario.scenario.interval)
    try:
        A.per_day(interval)
    except ValueError as exc:
        raise LogError([f"scenario.interval: {exc}"]) from None
    unknown = sorted(set(frame["channel"]) - set(scenario.channels))
    if unknown:
        raise LogError(
            [
                f"the log has channel(s) {', '.join(unknown)} that the scenario lacks "
                f"(it has: {', '.join(scenario.channels)})"
            ]
        )
    return interval


def _staff(
    log: CallLog, scenario: Scenario, staffing: str, proxy: str, gap: float
) -> Callable[[float], dict[str, np.ndarray]]:
    """A function of the scale giving the agents per team on the calendar (the scale is
    ignored with the scenario's staffing)."""
    interval = float(scenario.scenario.interval)
    cal = P.calendar(log.days)
    if staffing == "scenario":
        own = P.scenario_staffing(scenario, cal, interval)
        return lambda scale: own
    grids = P.proxy_grids(log, scenario, cal, interval, proxy, gap)
    return lambda scale: P.scaled(grids, scale)


def build(
    log: CallLog,
    scenario: Scenario,
    demand: str = "observed",
    staffing: str = "proxy",
    proxy: str = "distinct",
    gap: float = 1800.0,
    scale: float = 1.0,
    agents: dict[str, np.ndarray] | None = None,
) -> Scenario:
    """The scenario of the back-test period (see the module notes); ``agents`` per team on the
    calendar, if given, replaces the staffing that ``staffing``, ``proxy`` and ``scale`` say."""
    interval = _checked(log, scenario, demand, staffing)
    frame = log.demand
    days = log.days
    cal = P.calendar(days)
    raw = copy.deepcopy(scenario.raw)
    sc = raw["scenario"]
    sc.update(duration=f"{len(cal)}d", start="00:00", warmup="0s")
    sc["name"] = f"Back-test of {scenario.name} on {days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d}"
    plan = scenario.plan
    if demand == "observed":
        sc.pop("busyness", None)
        raw["demand"] = []
        for ch, part in frame.groupby("channel", sort=True):
            grid = A.count_grid(part["arrival"], cal, interval)
            raw["demand"].append(
                {
                    "channel": str(ch),
                    "contact_type": _mix(part["contact_type"], scenario.contact_types, "contact type"),
                    "segment": _mix(part["segment"], scenario.segments, "segment"),
                    "rates": [f"{v / interval * 3600:.6g}/h" for v in grid.ravel()],
                }
            )
    else:
        for i, stream in enumerate(plan.streams):
            d = raw["demand"][i]
            for k in ("rate", "rates", "volume", "profile"):
                d.pop(k, None)
            d["rates"] = [f"{v * 3600:.6g}/h" for v in P.at_calendar(stream.rate, plan, cal, interval)]
    if agents is None:
        agents = _staff(log, scenario, staffing, proxy, gap)(scale)
    for g in scenario.agents:
        entry = raw["agents"][g]
        for k in ("count", "staffing", "shifts"):
            entry.pop(k, None)
        entry["staffing"] = [int(v) for v in agents[g].ravel()]
    return from_dict(raw, base_dir=scenario.base_dir)


def _mix(values: pd.Series, known: Mapping[str, object], what: str) -> str | dict[str, float]:
    counts = values.value_counts()
    top_known = next((str(k) for k in counts.index if k in known), next(iter(known)))
    mapped = counts.groupby([k if k in known else top_known for k in counts.index]).sum()
    return {str(k): float(v) for k, v in mapped.items()} if len(mapped) > 1 else str(mapped.index[0])


def simulated_frame(results: Results, origin: pd.Timestamp) -> pd.DataFrame:
    c = results.contacts
    if c is None:
        raise ValueError("the run kept no contacts table; simulate with contacts=True")
    return pd.DataFrame(
        {
            "replication": c["replication"].to_numpy(),
            "arrival": origin + pd.to_timedelta(c["arrival_s"].to_numpy(), unit="s"),
            "outcome": c["outcome"].astype(str).to_numpy(),
            "wait_s": c["wait_s"].to_numpy(dtype=float),
            "channel": c["channel"].astype(str).to_numpy(),
            "segment": c["segment"].astype(str).to_numpy(),
            "contact_type": c["contact_type"].astype(str).to_numpy(),
        }
    )


def backtest(
    log: CallLog,
    scenario: Scenario | str | Path,
    replications: int | None = None,
    seed: int | None = None,
    demand: str = "observed",
    staffing: str = "proxy",
    proxy: str = "distinct",
    gap: float = 1800.0,
    by: str = "hour",
    scale: float | None = None,
    progress: ProgressOption = None,
    baseline: bool = True,
    erlang_scale: float | None = None,
) -> Backtest:
    """Simulate the log's period with ``scenario`` and compare (see the module notes).

    ``scale`` multiplies the staffing proxy; by default it is the ``staffing_scale`` that
    ``ccsim calibrate --fit-scale`` recorded in the scenario file, else 1. With ``baseline``
    the Erlang-A prediction from the same inputs is added (``ccsim.calibrate.baseline``), its
    staffing scale ``erlang_scale``, else the one recorded in the file, else ``scale``.
    """
    if by not in KEYS:
        raise LogError([f"by must be one of {', '.join(KEYS)} (got {by!r})"])
    if isinstance(scenario, (str, os.PathLike)):
        scenario = api.load(scenario)
    if scale is None:
        scale = scale_from_file(scenario) or 1.0
    _checked(log, scenario, demand, staffing)
    staff = _staff(log, scenario, staffing, proxy, gap)
    period = build(log, scenario, demand, staffing, proxy, gap, scale, agents=staff(scale))
    results = api.simulate(period, replications=replications, seed=seed, progress=progress)
    days = log.days
    within = _within(scenario)
    table = compare(log.demand, simulated_frame(results, days[0]), by, within, days)
    settings: BacktestSettings = {
        "demand": demand,
        "staffing": staffing,
        "proxy": proxy if staffing == "proxy" else None,
        "gap": gap if staffing == "proxy" and proxy == "presence" else None,
        "scale": scale,
        "replications": results.replications,
        "seed": results.seed,
        "days": len(days),
        "first": f"{days[0]:%Y-%m-%d}",
        "last": f"{days[-1]:%Y-%m-%d}",
        "log": ", ".join(log.sources),
        "scenario": scenario.name,
        "sl_within": within,
        "by": by,
    }
    if baseline:
        inputs = B.inputs_for(scenario, log.demand, scale, erlang_scale)
        agents = P.all_teams(staff(inputs.scale))
        rates = _rates(log, scenario, demand)
        predicted = B.per_contact(
            log.demand, P.calendar(days), period.scenario.interval, rates, agents, inputs, within
        )
        table = with_baseline(table, B.grouped(predicted, key_of(predicted, by)), by)
        settings["erlang_a"] = inputs.settings(staffing == "proxy")
    return Backtest(table, results, period, by, settings)


def _within(scenario: Scenario) -> dict[str, float]:
    return {
        name: (ch.service_level.within if ch.service_level else 20.0)
        for name, ch in scenario.channels.items()
    }


def _rates(log: CallLog, scenario: Scenario, demand: str) -> np.ndarray:
    interval = float(scenario.scenario.interval)
    cal = P.calendar(log.days)
    if demand == "observed":
        return P.observed_rates(log, cal, interval)
    return P.scenario_rates(scenario, cal, interval)


def fit_erlang(
    log: CallLog,
    scenario: Scenario,
    proxy: str = "distinct",
    gap: float = 1800.0,
    fit_on: str = "service_level",
) -> tuple[B.ErlangInputs, tuple[float, float], list[tuple[float, float, float]]]:
    """The Erlang-A baseline's inputs fitted on the log's own period, the way ``fit_scale``
    fits the simulation's: patience ``E[wait] / P(abandon)`` of the log, handle times of the
    scenario by the log's type mix, and the factor on the staffing proxy chosen by
    ``ccsim.calibrate.scaling.fit_factor``. Returns the inputs, the observed (service level,
    abandonment) and the steps (factor, SL, abandonment)."""
    _checked(log, scenario, "observed", "proxy")
    days = log.days
    cal = P.calendar(days)
    interval = float(scenario.scenario.interval)
    within = _within(scenario)
    staff = _staff(log, scenario, "proxy", proxy, gap)
    rates = P.observed_rates(log, cal, interval)
    inputs = B.ErlangInputs(B.mixed_handle(scenario, log.demand), B.brown_patience(log.demand), 1.0)

    def evaluate(scale: float) -> tuple[float, float]:
        inputs.scale = scale
        agents = P.all_teams(staff(scale))
        predicted = B.per_contact(log.demand, cal, interval, rates, agents, inputs, within)
        row = B.grouped(predicted, pd.Series(np.zeros(len(predicted)))).loc["all"]
        return float(row["service_level"]), float(row["abandon_rate"])

    observed = _observed(log, within)
    inputs.scale, steps = fit_factor(evaluate, observed, fit_on)
    return inputs, observed, steps


def _observed(log: CallLog, within: dict[str, float]) -> tuple[float, float]:
    row = measures(log.demand, "day", within, log.days).loc["all"]
    return float(row["service_level"]), float(row["abandon_rate"])


def scale_from_file(scenario: Scenario) -> float | None:
    """The staffing scale a calibrated scenario file records in a comment, if any."""
    source = scenario.source
    if not source or not Path(source).exists():
        return None
    m = re.search(rf"^#\s*{re.escape(SCALE_COMMENT)}\s*([0-9.]+)", Path(source).read_text(), re.MULTILINE)
    return float(m.group(1)) if m else None


def fit_scale(
    log: CallLog,
    scenario: Scenario,
    proxy: str = "distinct",
    gap: float = 1800.0,
    replications: int = 1,
    seed: int | None = None,
    fit_on: str = "service_level",
) -> tuple[float, tuple[float, float], list[tuple[float, float, float]]]:
    """The factor on the staffing proxy at which the simulation of the log's own period fits
    its observed service level (and with ``fit_on="both"`` its abandonment), chosen by
    ``ccsim.calibrate.scaling.fit_factor`` with the same random numbers at every step, so the
    simulated measures are smooth, monotone functions of the factor. Returns the factor, the
    observed (service level, abandonment) and the steps as (factor, simulated SL, abandonment)."""

    def evaluate(scale: float) -> tuple[float, float]:
        bt = backtest(
            log,
            scenario,
            replications=replications,
            seed=seed,
            proxy=proxy,
            gap=gap,
            scale=scale,
            baseline=False,
        )
        row = bt.comparison.iloc[-1]
        return float(row["service_level_sim"]), float(row["abandon_rate_sim"])

    observed = _observed(log, _within(scenario))
    scale, steps = fit_factor(evaluate, observed, fit_on)
    return scale, observed, steps
