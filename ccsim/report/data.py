"""What the report draws: the run's tables, its metadata, and small aggregates of the contacts.

``from_results`` and ``from_folder`` both return a ``ReportData``. Figures read the aggregated
tables (intervals, agents, replications, summary) directly; of the contacts table only small
aggregates are kept here (wait quantiles, percentiles, e-mail backlog per interval), so the page
stays small however many contacts a run had.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from ccsim.calibrate.backtesting import BacktestSettings
from ccsim.config import ConfigError
from ccsim.erlang_requirement import erlang_estimate
from ccsim.metrics import OUTCOME_COLUMNS
from ccsim.model.timeline import clock_label
from ccsim.report.journeys_data import CONTACT_COLUMNS, journey_aggregates
from ccsim.results import Results
from ccsim.scenario import Scenario, from_dict
from ccsim.units import parse_clock, parse_duration
from ccsim.workload import offered_load

# probabilities at which wait quantiles are kept for the ECDF (0.5% steps)
ECDF_PROBS = np.linspace(0.0, 1.0, 201)
REQUIRED_FILES = [
    "summary.csv",
    "intervals.parquet",
    "agents.parquet",
    "replications.parquet",
    "manifest.json",
]


@dataclass(frozen=True)
class ChannelInfo:
    """A channel as the report needs it: kind and service-level rule."""

    name: str
    kind: str
    within_s: float | None = None
    target: float | None = None
    definition: str | None = None  # the SL definition in words
    abandon_cap: float | None = None

    @property
    def deferred(self) -> bool:
        return self.kind == "email"


class MoneyTables(Protocol):
    """What the page reads of a run's money: ``ccsim.economics.Money``, or its summary as saved."""

    @property
    def summary(self) -> pd.DataFrame: ...

    @property
    def currency(self) -> str: ...


class BacktestTables(Protocol):
    """What the page reads of a back-test: ``ccsim.calibrate.Backtest``, or its table as saved."""

    @property
    def comparison(self) -> pd.DataFrame: ...

    @property
    def by(self) -> str: ...

    @property
    def settings(self) -> BacktestSettings: ...


@dataclass
class SavedMoney:
    """The money summary of an output folder (money.csv) and its currency."""

    summary: pd.DataFrame
    currency: str


@dataclass
class SavedBacktest:
    """The back-test of an output folder: its comparison.csv and the settings in its manifest."""

    comparison: pd.DataFrame
    by: str
    settings: BacktestSettings


@dataclass
class ReportData:
    """Everything the page shows, already loaded (see the module docstring)."""

    name: str
    manifest: dict[str, Any]
    channels: list[ChannelInfo]
    interval_s: float
    start_s: float  # time of day at which the measured time starts
    intervals: pd.DataFrame
    agents: pd.DataFrame
    per_replication: pd.DataFrame
    summary: pd.DataFrame
    workload: pd.DataFrame | None = None  # interval x channel: load, staffed, required agents
    waits: pd.DataFrame | None = None  # channel x segment x prob: wait quantile (answered)
    percentiles: pd.DataFrame | None = None  # replication x channel x segment: p50/p90/p99
    backlog: pd.DataFrame | None = None  # replication x interval x channel: waiting at the end
    # runs with journey policies (ccsim.report.journeys_data.journey_aggregates), from the contacts table:
    tiers: pd.DataFrame | None = None  # replication x channel x segment x who answered: served, wait
    origins: pd.DataFrame | None = None  # replication x channel x origin x outcome: contacts
    calibration: pd.DataFrame | None = None  # channel x bin of the announced wait: actual waits
    notes: list[str] = field(default_factory=list)
    money: MoneyTables | None = None  # if accounted
    # a back-test's run (ccsim.calibrate.Backtest, or an object with its ``comparison``, ``by``
    # and ``settings``): observed against simulated, shown after the summary
    backtest: BacktestTables | None = None

    @property
    def replications(self) -> int:
        return int(self.intervals["replication"].nunique())

    @property
    def n_intervals(self) -> int:
        return int(self.intervals["interval"].max()) + 1 if len(self.intervals) else 0

    @property
    def labels(self) -> list[str]:
        return interval_labels(self.start_s, self.interval_s, self.n_intervals)

    def channel(self, name: str) -> ChannelInfo:
        return next(c for c in self.channels if c.name == name)


def outcome_columns(frame: pd.DataFrame) -> list[str]:
    """The outcome count columns of a table (served, abandoned, blocked, ...), in the core's order."""
    return [o for o in OUTCOME_COLUMNS if o in frame.columns]


def interval_labels(start_s: float, interval_s: float, n: int) -> list[str]:
    """Clock time at which each interval starts: '08:00', and 'd2 08:00' from the second day on."""
    return [clock_label(start_s + k * interval_s) for k in range(n)]


# --------------------------------------------------------------------------- entry points


def from_results(results: Results, manifest: dict[str, Any] | None = None) -> ReportData:
    """The report data of a ``Results`` object (``manifest`` adds to its own, e.g. ``started``)."""
    info = results.manifest()
    info.update(manifest or {})
    info.setdefault("wall_time_s", round(getattr(results, "wall_time_s", 0.0), 3))
    data = _build(
        info,
        results.scenario,
        results.intervals,
        results.agents,
        results.per_replication,
        results.summary,
        results.contacts,
    )
    if "churn_risk" in results.intervals.columns:
        data.money = results.money
    return data


def from_folder(folder: str | Path) -> ReportData:
    """The report data of an output folder written by ``ccsim run`` or ``Results.write``."""
    path = Path(folder)
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such output folder")
    missing = [f for f in REQUIRED_FILES if not (path / f).exists()]
    if missing:
        raise FileNotFoundError(
            f"{path}: not a ccsim output folder (missing {', '.join(missing)}); write one with "
            "`ccsim run CONFIG --out DIR`"
        )
    info = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    contacts = None
    if (path / "contacts.parquet").exists():
        cols = ["replication", "channel", "segment", "arrival_s", "wait_s", "outcome"]
        names = set(pq.read_schema(path / "contacts.parquet").names)
        cols += [c for c in CONTACT_COLUMNS if c in names]
        contacts = pd.read_parquet(path / "contacts.parquet", columns=cols)
    data = _build(
        info,
        _scenario_from_manifest(info, path),
        pd.read_parquet(path / "intervals.parquet"),
        pd.read_parquet(path / "agents.parquet"),
        pd.read_parquet(path / "replications.parquet"),
        pd.read_csv(path / "summary.csv"),
        contacts,
    )
    if (path / "money.csv").exists():
        costs = (info.get("resolved_config") or {}).get("costs") or {}
        currency = costs.get("currency", "") if isinstance(costs, dict) else ""
        data.money = SavedMoney(pd.read_csv(path / "money.csv"), currency)
    if (path / "comparison.csv").exists() and isinstance(info.get("backtest"), dict):
        data.backtest = _backtest_from_folder(path / "comparison.csv", info["backtest"])
    return data


def _backtest_from_folder(csv: Path, settings: BacktestSettings) -> SavedBacktest:
    """The back-test of a folder written by ``ccsim backtest --out``: its comparison table (the
    key column as written: hours as numbers, the 'all' row as text) and its settings."""
    table = pd.read_csv(csv, dtype={0: str})
    by = str(settings.get("by") or table.columns[0])
    keys = table[by].astype(str)
    numeric = pd.to_numeric(keys, errors="coerce")
    table[by] = [
        int(n) if k != "all" and pd.notna(n) and float(n).is_integer() else k
        for k, n in zip(keys, numeric, strict=True)
    ]
    return SavedBacktest(table, by, settings)


def _scenario_from_manifest(info: dict[str, Any], folder: Path) -> Scenario | None:
    """Re-validate the config of a manifest (for staffing and the Erlang estimate); None if it fails."""
    raw = info.get("config")
    if not isinstance(raw, dict):
        return None
    source = info.get("source")
    bases = [Path(source).parent] if source else []
    for base in [*bases, folder, Path(".")]:
        try:
            return from_dict(raw, base_dir=base)
        except (ConfigError, OSError, ValueError):
            continue
    return None


def _build(
    info: dict[str, Any],
    scenario: Scenario | None,
    intervals: pd.DataFrame,
    agents: pd.DataFrame,
    per_rep: pd.DataFrame,
    summary: pd.DataFrame,
    contacts: pd.DataFrame | None,
) -> ReportData:
    raw = info.get("config") or {}
    channel_names = _categories(intervals, "channel")
    channels = _channels(scenario, raw, channel_names, summary, info)
    interval_s, start_s = _clock(scenario, raw)
    data = ReportData(
        name=str(info.get("scenario") or raw.get("scenario", {}).get("name") or "ccsim run"),
        manifest=info,
        channels=channels,
        interval_s=interval_s,
        start_s=start_s,
        intervals=intervals,
        agents=agents,
        per_replication=per_rep,
        summary=summary,
    )
    if scenario is not None:
        data.workload = workload(scenario)
    else:
        data.notes.append(
            "The config in manifest.json could not be re-validated here, so staffing and the "
            "Erlang estimate are not shown."
        )
    if contacts is not None and len(contacts):
        data.waits = wait_quantiles(contacts)
        data.percentiles = wait_percentiles(contacts)
        deferred = [c.name for c in channels if c.deferred]
        if deferred:
            data.backlog = backlog(contacts, deferred, interval_s, data.n_intervals)
        data.tiers, data.origins, data.calibration = journey_aggregates(data.intervals, contacts)
    else:
        data.notes.append(
            "The run kept no contacts table (--no-contacts), so the wait distributions and the "
            "e-mail backlog are not shown; percentiles come from the per-channel summary."
        )
    return data


def _categories(frame: pd.DataFrame, column: str) -> list[str]:
    col = frame[column]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [str(c) for c in col.cat.categories if (col == c).any()]
    return [str(c) for c in pd.unique(col)]


def _channels(
    scenario: Scenario | None,
    raw: dict[str, Any],
    names: list[str],
    summary: pd.DataFrame,
    info: dict[str, Any],
) -> list[ChannelInfo]:
    texts = info.get("service_level_definitions") or {}
    out = []
    for name in names:
        if scenario is not None:
            spec = scenario.channels[name]
            sl = spec.service_level
            out.append(
                ChannelInfo(
                    name,
                    spec.kind,
                    sl.within if sl else None,
                    sl.target if sl else None,
                    texts.get(name),
                    sl.abandon_cap if sl else None,
                )
            )
            continue
        spec_raw = raw.get("channels", {}).get(name, {})
        sl_raw = spec_raw.get("service_level") or {}
        row = summary[(summary["group_by"] == "channel") & (summary["group"] == name)]
        target = float(row["sl_target"].iloc[0]) if "sl_target" in row and len(row) else math.nan
        out.append(
            ChannelInfo(
                name,
                str(spec_raw.get("kind", "voice")),
                parse_duration(sl_raw["within"]) if "within" in sl_raw else None,
                None if math.isnan(target) else target,
                texts.get(name),
                sl_raw.get("abandon_cap"),
            )
        )
    return out


def _clock(scenario: Scenario | None, raw: dict[str, Any]) -> tuple[float, float]:
    if scenario is not None:
        return float(scenario.scenario.interval), float(scenario.scenario.start)
    sc = raw.get("scenario", {})
    return parse_duration(sc.get("interval", "30min")), parse_clock(sc["start"]) if "start" in sc else 0.0


# --------------------------------------------------------------------------- aggregates


def workload(scenario: Scenario) -> pd.DataFrame:
    """Offered load, staffed agents and the Erlang C/A requirement per interval and channel."""
    frame = offered_load(scenario, scenario.plan)
    frame["required"] = erlang_estimate(scenario, scenario.plan, frame)
    return frame


def _answered(contacts: pd.DataFrame) -> pd.DataFrame:
    served = contacts[contacts["outcome"].astype(str) == "served"]
    return served[["replication", "channel", "segment", "wait_s"]]


def wait_quantiles(contacts: pd.DataFrame) -> pd.DataFrame:
    """Quantiles of the waits of answered contacts (all replications pooled) at ``ECDF_PROBS``.

    One row per channel x segment x probability, plus ``n`` (contacts behind the curve); plotted
    as (wait, probability) it is the ECDF, exact at every 0.5%.
    """
    rows = []
    answered = _answered(contacts)
    for (ch, seg), part in answered.groupby(["channel", "segment"], observed=True, sort=True):
        waits = part["wait_s"].to_numpy(dtype=float)
        if not len(waits):
            continue
        q = np.quantile(waits, ECDF_PROBS, method="inverted_cdf")
        rows.append(
            pd.DataFrame(
                {"channel": str(ch), "segment": str(seg), "prob": ECDF_PROBS, "wait_s": q, "n": len(waits)}
            )
        )
    if not rows:
        return pd.DataFrame(columns=["channel", "segment", "prob", "wait_s", "n"])
    return pd.concat(rows, ignore_index=True)


def share_within(waits: pd.DataFrame, channel: str, segment: str, threshold: float) -> float:
    """Share of answered contacts waiting at most ``threshold``, read off the kept quantiles."""
    part = waits[(waits["channel"] == channel) & (waits["segment"] == segment)]
    if part.empty:
        return math.nan
    below = part.loc[part["wait_s"] <= threshold, "prob"]
    return float(below.max()) if len(below) else 0.0


def wait_percentiles(contacts: pd.DataFrame) -> pd.DataFrame:
    """p50, p90 and p99 of answered waits per replication, channel and segment."""
    answered = _answered(contacts)
    columns = ["replication", "channel", "segment", "wait_p50_s", "wait_p90_s", "wait_p99_s"]
    if answered.empty:  # e.g. a short horizon while every channel is closed
        return pd.DataFrame(columns=columns)
    grouped = answered.groupby(["replication", "channel", "segment"], observed=True)["wait_s"]
    out = grouped.quantile([0.5, 0.9, 0.99]).unstack()
    out.columns = ["wait_p50_s", "wait_p90_s", "wait_p99_s"]
    out = out.reset_index()
    for col in ("channel", "segment"):
        out[col] = out[col].astype(str)
    return out


def percentiles_from_summary(per_rep: pd.DataFrame) -> pd.DataFrame:
    """The same frame as ``wait_percentiles``, per channel only (segment 'all'), for runs without contacts."""
    rows = per_rep[per_rep["group_by"] == "channel"]
    waits = ["wait_p50_s", "wait_p90_s", "wait_p99_s"]
    if not set(waits) <= set(rows.columns):  # no contact answered in any replication
        return pd.DataFrame(columns=["replication", "channel", "segment", *waits])
    out = rows[["replication", "group", *waits]].rename(columns={"group": "channel"})
    out.insert(2, "segment", "all")
    return out.reset_index(drop=True)


def backlog(contacts: pd.DataFrame, channels: list[str], interval_s: float, n_intervals: int) -> pd.DataFrame:
    """Contacts waiting (arrived, not yet answered or gone) at the end of each interval.

    Counts only contacts that arrived in the measured time: ones left over from the warm-up
    are not in the contacts table.
    """
    ends = (np.arange(n_intervals) + 1) * interval_s
    rows = []
    for (rep, ch), part in contacts[contacts["channel"].astype(str).isin(channels)].groupby(
        ["replication", "channel"], observed=True
    ):
        arrival = part["arrival_s"].to_numpy(dtype=float)
        wait = np.nan_to_num(part["wait_s"].to_numpy(dtype=float), nan=0.0)
        leave = np.where(part["outcome"].astype(str) == "unfinished", np.inf, arrival + wait)
        arrived = np.searchsorted(np.sort(arrival), ends, side="right")
        left = np.searchsorted(np.sort(leave), ends, side="right")
        for k in range(n_intervals):
            rows.append((int(rep), k, str(ch), int(arrived[k] - left[k])))
    return pd.DataFrame(rows, columns=["replication", "interval", "channel", "waiting"])
