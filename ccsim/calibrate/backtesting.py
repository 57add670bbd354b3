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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ccsim.calibrate import arrivals as A
from ccsim.calibrate import staffing as S
from ccsim.calibrate.logs import CallLog, LogError
from ccsim.calibrate.scenario import SCALE_COMMENT
from ccsim.metrics import t_half_width

DAY = 86400.0
KEYS = ("hour", "weekday", "day", "segment", "contact_type")
METRICS = ["offered", "service_level", "asa_s", "abandon_rate"]


@dataclass
class Backtest:
    """The comparison table, the simulated run and what was simulated."""

    comparison: pd.DataFrame
    results: Any
    scenario: Any
    by: str
    settings: dict[str, Any] = field(default_factory=dict)

    def table(self) -> str:
        """The comparison as a Markdown table (percentages and seconds)."""
        return format_table(self.comparison, self.by)


def _key(frame: pd.DataFrame, by: str) -> pd.Series:
    t = frame["arrival"]
    if by == "hour":
        return t.dt.hour
    if by == "weekday":
        return t.dt.weekday.map(dict(enumerate(A.WEEKDAYS)))
    if by == "day":
        return t.dt.strftime("%Y-%m-%d")
    return frame[by].astype(str)


def _days_per_key(frame: pd.DataFrame, by: str, days: list[pd.Timestamp]) -> dict[Any, int]:
    if by == "weekday":
        return pd.Series([A.WEEKDAYS[d.weekday()] for d in days]).value_counts().to_dict()
    if by == "day":
        return {f"{d:%Y-%m-%d}": 1 for d in days}
    return {k: len(days) for k in _key(frame, by).unique()}


def measures(
    frame: pd.DataFrame, by: str, within: dict[str, float], days: list[pd.Timestamp]
) -> pd.DataFrame:
    """The four measures per key of a table with arrival, outcome, wait_s, channel (+ key columns)."""
    f = frame.assign(key=_key(frame, by).to_numpy())
    served = (f["outcome"] == "served").to_numpy()
    aband = (f["outcome"] == "abandoned").to_numpy()
    limit = f["channel"].map(within).astype(float).to_numpy()
    wait = f["wait_s"].to_numpy(dtype=float)
    f = f.assign(
        _served=served,
        _aband=aband,
        _within=served & (wait <= limit + 1e-9),
        _wait=np.where(served, wait, 0.0),
    )
    g = f.groupby("key", sort=True)[["_served", "_aband", "_within", "_wait"]].sum()
    g["_n"] = f.groupby("key", sort=True).size()
    tot = g.sum()
    tot.name = "all"
    g = pd.concat([g, tot.to_frame().T])
    n_days = _days_per_key(f, by, days)
    n_days["all"] = len(days)
    handled = g["_served"] + g["_aband"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame(
            {
                "offered": g["_n"] / pd.Series(n_days).reindex(g.index).fillna(1).clip(lower=1),
                "service_level": g["_within"] / handled,
                "asa_s": g["_wait"] / g["_served"],
                "abandon_rate": g["_aband"] / handled,
            },
            index=g.index,
        )
    return out.astype(float)


def _calendar(days: list[pd.Timestamp]) -> list[pd.Timestamp]:
    return list(pd.date_range(days[0], days[-1], freq="D"))


def _at(step: Any, plan: Any, cal: list[pd.Timestamp], interval: float) -> list[float]:
    """A step function of the scenario read on the calendar (7-day lists start on Monday)."""
    clock = plan.clock
    week = clock.duration >= 7 * DAY - 1e-6
    out = []
    for d in cal:
        for k in range(round(DAY / interval)):
            tod = (k + 0.5) * interval
            offset = (d.weekday() * DAY if week else 0.0) + tod - clock.start
            span = 7 * DAY if week else DAY
            out.append(step.at(clock.warmup + offset % span))
    return out


def build(
    log: CallLog,
    scenario: Any,
    demand: str = "observed",
    staffing: str = "proxy",
    proxy: str = "distinct",
    gap: float = 1800.0,
    scale: float = 1.0,
) -> Any:
    """The scenario of the back-test period (see the module notes)."""
    import ccsim

    if demand not in ("observed", "scenario"):
        raise LogError([f"demand must be observed or scenario (got {demand!r})"])
    if staffing not in ("proxy", "scenario"):
        raise LogError([f"staffing must be proxy or scenario (got {staffing!r})"])
    frame = log.demand
    if not len(frame):
        raise LogError(["the log has no contacts to compare with"])
    interval = scenario.scenario.interval
    try:
        n_k = A.per_day(interval)
    except ValueError as exc:
        raise LogError([f"scenario.interval: {exc}"]) from None
    days = log.days
    cal = _calendar(days)
    raw = copy.deepcopy(scenario.raw)
    sc = raw["scenario"]
    sc.update(duration=f"{len(cal)}d", start="00:00", warmup="0s")
    sc["name"] = f"Back-test of {scenario.name} on {days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d}"
    plan = scenario.plan
    unknown = sorted(set(frame["channel"]) - set(scenario.channels))
    if unknown:
        raise LogError(
            [
                f"the log has channel(s) {', '.join(unknown)} that the scenario lacks "
                f"(it has: {', '.join(scenario.channels)})"
            ]
        )
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
            d["rates"] = [f"{v * 3600:.6g}/h" for v in _at(stream.rate, plan, cal, interval)]
    groups = list(scenario.agents)
    if staffing == "proxy":
        teams = S.infer_teams(frame, teams=True)
        general = max(groups, key=lambda g: (len(scenario.agents[g].proficiency), g == S.GENERAL))
        member = {a: (t if t in groups else general) for a, t in teams.member.items()}
        order = [general, *[g for g in groups if g != general]]
        grids = S.proxy_grid(log.frame, cal, interval, member, order, proxy, gap)
        counts = {g: [int(np.floor(scale * v + 0.5)) for v in grids[g].ravel()] for g in groups}
    else:
        counts = {
            g: [round(v) for v in _at(plan.groups[i].staffing, plan, cal, interval)]
            for i, g in enumerate(groups)
        }
    for g in groups:
        entry = raw["agents"][g]
        for k in ("count", "staffing", "shifts"):
            entry.pop(k, None)
        entry["staffing"] = counts[g][: len(cal) * n_k]
    return ccsim.from_dict(raw, base_dir=scenario.base_dir)


def _mix(values: pd.Series, known: dict[str, Any], what: str) -> str | dict[str, float]:
    counts = values.value_counts()
    top_known = next((str(k) for k in counts.index if k in known), next(iter(known)))
    mapped = counts.groupby([k if k in known else top_known for k in counts.index]).sum()
    return {str(k): float(v) for k, v in mapped.items()} if len(mapped) > 1 else str(mapped.index[0])


def simulated_frame(results: Any, origin: pd.Timestamp) -> pd.DataFrame:
    c = results.contacts
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


def compare(
    observed: pd.DataFrame,
    simulated: pd.DataFrame,
    by: str,
    within: dict[str, float],
    days: list[pd.Timestamp],
) -> pd.DataFrame:
    """Observed against simulated (mean and 95% half-width over replications), one row per key."""
    keep = simulated["arrival"].dt.normalize().isin(days)
    sim = simulated[keep & ~simulated["outcome"].isin(["passed_through"])]
    obs = _norm(measures(observed, by, within, days))
    per_rep = [_norm(measures(part, by, within, days)) for _, part in sim.groupby("replication")]
    keys = {k for frame in [obs, *per_rep] for k in frame.index if k != "all"}
    index = [*sorted(keys, key=_order(by)), "all"]
    out = pd.DataFrame(index=pd.Index(index, dtype=object, name=by))
    for m in METRICS:
        stack = np.array([p[m].reindex(index).to_numpy(dtype=float) for p in per_rep])
        if m == "offered":
            stack = np.nan_to_num(stack)
        out[f"{m}_obs"] = obs[m].reindex(index).to_numpy()
        out[f"{m}_sim"] = [_mean(stack[:, j]) for j in range(len(index))]
        out[f"{m}_sim_ci"] = [t_half_width(stack[:, j]) for j in range(len(index))]
    out["offered_obs"] = out["offered_obs"].fillna(0.0)
    return out.reset_index()


def _norm(frame: pd.DataFrame) -> pd.DataFrame:
    """Keys as plain Python values (hours as int), so that tables of several runs align."""
    frame = frame.copy()
    frame.index = [k if isinstance(k, str) else int(k) for k in frame.index]
    return frame


def _mean(v: np.ndarray) -> float:
    v = v[np.isfinite(v)]
    return float(v.mean()) if len(v) else float("nan")


def _order(by: str) -> Any:
    if by == "weekday":
        return lambda k: A.WEEKDAYS.index(k) if k in A.WEEKDAYS else 99
    return lambda k: k


def backtest(
    log: CallLog,
    scenario: Any,
    replications: int | None = None,
    seed: int | None = None,
    demand: str = "observed",
    staffing: str = "proxy",
    proxy: str = "distinct",
    gap: float = 1800.0,
    by: str = "hour",
    scale: float | None = None,
    progress: Any = None,
) -> Backtest:
    """Simulate the log's period with ``scenario`` and compare (see the module notes).

    ``scale`` multiplies the staffing proxy; by default it is the ``staffing_scale`` that
    ``ccsim calibrate --fit-scale`` recorded in the scenario file, else 1.
    """
    import ccsim

    if by not in KEYS:
        raise LogError([f"by must be one of {', '.join(KEYS)} (got {by!r})"])
    if isinstance(scenario, str) or hasattr(scenario, "__fspath__"):
        scenario = ccsim.load(scenario)
    if scale is None:
        scale = scale_from_file(scenario) or 1.0
    period = build(log, scenario, demand, staffing, proxy, gap, scale)
    results = ccsim.simulate(period, replications=replications, seed=seed, progress=progress)
    days = log.days
    within = {
        name: (ch.service_level.within if ch.service_level else 20.0)
        for name, ch in scenario.channels.items()
    }
    table = compare(log.demand, simulated_frame(results, days[0]), by, within, days)
    settings = {
        "demand": demand,
        "staffing": staffing,
        "proxy": proxy if staffing == "proxy" else None,
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
    return Backtest(table, results, period, by, settings)


def format_table(table: pd.DataFrame, by: str) -> str:
    """A Markdown table: observed | simulated (± half-width) for each measure."""

    def pct(v: float) -> str:
        return "–" if not np.isfinite(v) else f"{100 * v:.1f}%"

    def sec(v: float) -> str:
        return "–" if not np.isfinite(v) else f"{v:.0f}s"

    def num(v: float) -> str:
        return "–" if not np.isfinite(v) else f"{v:,.0f}"

    fmt = {"offered": num, "service_level": pct, "asa_s": sec, "abandon_rate": pct}
    heads = {"offered": "offered/day", "service_level": "SL", "asa_s": "ASA", "abandon_rate": "abandoned"}
    cols = [by] + [f"{heads[m]} {s}" for m in METRICS for s in ("obs", "sim")]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in table.iterrows():
        cells = [
            f"{row[by]:02d}:00" if by == "hour" and isinstance(row[by], int | np.integer) else str(row[by])
        ]
        for m in METRICS:
            f = fmt[m]
            ci = row[f"{m}_sim_ci"]
            cells.append(f(row[f"{m}_obs"]))
            cells.append(f(row[f"{m}_sim"]) + (f" ± {f(ci).rstrip('s')}" if np.isfinite(ci) else ""))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def scale_from_file(scenario: Any) -> float | None:
    """The staffing scale a calibrated scenario file records in a comment, if any."""
    import re
    from pathlib import Path

    source = getattr(scenario, "source", None)
    if not source or not Path(source).exists():
        return None
    m = re.search(rf"^#\s*{re.escape(SCALE_COMMENT)}\s*([0-9.]+)", Path(source).read_text(), re.MULTILINE)
    return float(m.group(1)) if m else None


def fit_scale(
    log: CallLog,
    scenario: Any,
    proxy: str = "distinct",
    gap: float = 1800.0,
    replications: int = 1,
    seed: int | None = None,
    low: float = 0.4,
    high: float = 1.2,
    tol: float = 0.002,
) -> tuple[float, list[tuple[float, float, float]]]:
    """The factor on the staffing proxy at which the simulated service level of the log's own
    period matches the observed one within ``tol``.

    Regula falsi (Illinois) on ``[low, high]``, with the same random numbers at every step, so
    the simulated service level is a smooth, rising function of the factor. Returns the factor
    (clamped to the bracket) and the steps tried as (factor, simulated SL, observed SL).
    """
    steps: list[tuple[float, float, float]] = []

    def err(scale: float) -> float:
        bt = backtest(log, scenario, replications=replications, seed=seed, proxy=proxy, gap=gap, scale=scale)
        row = bt.comparison.iloc[-1]
        steps.append((scale, float(row["service_level_sim"]), float(row["service_level_obs"])))
        return float(row["service_level_sim"] - row["service_level_obs"])

    a, b = low, high
    fa, fb = err(a), err(b)
    if fa >= 0:
        return a, steps
    if fb <= 0:
        return b, steps
    side = 0
    c = b
    for _ in range(12):
        c = (a * fb - b * fa) / (fb - fa)
        fc = err(c)
        if abs(fc) <= tol or b - a < 0.005:
            break
        if fc < 0:
            a, fa = c, fc
            if side == -1:
                fb /= 2
            side = -1
        else:
            b, fb = c, fc
            if side == 1:
                fa /= 2
            side = 1
    return round(c, 3), steps
