"""From a call log to a scenario: every fit, assembled into an ordinary scenario with provenance.

``calibrate(log)`` returns a ``Calibration``: the scenario as a dict (``raw``, what the TOML
holds), one note per value saying where it came from, and the fits themselves for inspection.
``Calibration.to_toml()`` writes the file with the notes as comments; ``scenario()`` loads it.

The scenario covers one week from Monday 00:00 when the log has every weekday at least twice
(rates and staffing lists of 7 days), else one day (a daily pattern).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ccsim.calibrate import arrivals as A
from ccsim.calibrate import baseline as B
from ccsim.calibrate import patience as PT
from ccsim.calibrate import staffing as S
from ccsim.calibrate.calllog import CallLog, Facts, LogError
from ccsim.calibrate.fitting import KS_MAX, Fit, fit_handle, fit_patience, kaplan_meier, km_at
from ccsim.calibrate.writer import write_toml
from ccsim.scenario import Scenario, from_dict
from ccsim.units import format_duration

KINDS = {"voice", "chat", "email", "walk_in", "social"}
MIN_TYPE_CONTACTS = 30
SCALE_COMMENT = "ccsim: staffing_scale ="  # read back by ccsim backtest
ERLANG_NOTE = "Erlang-A baseline of `ccsim backtest`:"


@dataclass
class Options:
    """Choices the log cannot make: interval, pattern, service-level target, staffing proxy."""

    interval: float = 1800.0
    pattern: str = "auto"  # auto, week or daily
    sl_within: float = 20.0
    sl_target: float = 0.8
    proxy: str = "distinct"  # distinct or presence
    gap: float = 1800.0  # presence proxy: longest gap inside a span on duty
    teams: bool = True  # infer teams of agents who serve (almost) only one type
    name: str | None = None
    replications: int = 5
    seed: int = 1
    ks_max: float = KS_MAX
    min_type: int = MIN_TYPE_CONTACTS  # rarer contact types are folded into the most common one
    patience: str = "aic"  # aic (exponential or lognormal by AIC) or held_out (ccsim.calibrate.patience)
    routing: str = "documented"  # documented (the data's head starts) or tested (on the waits)
    recent: float = 0.0  # fit handle times and patience on the latest this many seconds (0: all)


@dataclass
class Calibration:
    """A calibrated scenario (``raw``), the notes behind its numbers and the fits."""

    raw: dict[str, Any]
    notes: dict[str, str]
    header: list[str]
    list_labels: dict[str, list[str]]
    per_day: int
    handle: dict[str, Fit] = field(default_factory=dict)
    wrap: dict[str, Fit] = field(default_factory=dict)
    patience: dict[str, Fit] = field(default_factory=dict)
    busyness: A.Busyness | None = None
    teams: S.Teams | None = None
    pattern: str = "daily"
    staffing_means: dict[str, np.ndarray] = field(default_factory=dict)
    staffing_scale: float = 1.0

    def set_scale(self, scale: float, how: str) -> None:
        """Multiply the staffing proxy by ``scale`` (the agents effectively available)."""
        self.staffing_scale = scale
        for g, mean in self.staffing_means.items():
            self.raw["agents"][g]["staffing"] = [math.floor(scale * v + 0.5) for v in mean.ravel()]
            base = self.notes[f"agents.{g}.staffing"].split(" Multiplied by")[0]
            self.notes[f"agents.{g}.staffing"] = f"{base} Multiplied by {scale:g}: {how}."
        self.header = [h for h in self.header if SCALE_COMMENT not in h]
        self.header.append(f"{SCALE_COMMENT} {scale:g}")

    def set_erlang(self, patience: float | None, scale: float | None = None, how: str = "") -> None:
        """Record the Erlang-A baseline's patience and (fitted) staffing scale in the header, for
        ``ccsim backtest`` (see ``ccsim.calibrate.baseline``)."""
        ours = (B.ERLANG_PATIENCE_COMMENT, B.ERLANG_SCALE_COMMENT, ERLANG_NOTE)
        self.header = [h for h in self.header if not h.startswith(ours)]
        if patience is None:
            self.header.append(f"{ERLANG_NOTE} nobody abandoned, so Erlang C (no patience).")
        else:
            self.header.append(
                f"{ERLANG_NOTE} mean patience 1/theta = E[wait] / P(abandon) of the log "
                f"(Brown et al. 2005) = {patience:.1f}s"
                + (f"; staffing scale {scale:g}, {how}" if scale is not None else "")
                + "."
            )
            self.header.append(f"{B.ERLANG_PATIENCE_COMMENT} {patience:.2f}")
        if scale is not None:
            self.header.append(f"{B.ERLANG_SCALE_COMMENT} {scale:g}")

    def to_toml(self) -> str:
        """The scenario file's text, each value with a comment saying where it came from."""
        return write_toml(self)

    def scenario(self, base_dir: str = ".") -> Scenario:
        """The calibrated scenario, validated (``base_dir``: where relative paths start)."""
        return from_dict(self.raw, base_dir=base_dir)

    def summary(self) -> pd.DataFrame:
        """One row per fitted duration: what, family, mean, cv, n and the note."""
        rows = []
        for kind, fits in (("handle", self.handle), ("wrap_up", self.wrap), ("patience", self.patience)):
            for name, f in fits.items():
                rows.append(
                    {
                        "what": kind,
                        "name": name,
                        "family": f.family,
                        "mean_s": f.mean,
                        "mean_se_s": f.mean_se,
                        "cv": f.cv,
                        "n": f.n,
                        "events": f.events,
                    }
                )
        return pd.DataFrame(rows)


def _rate(per_s: float) -> str:
    return f"{per_s * 3600:.4g}/h"


def _shares(counts: pd.Series) -> str | dict[str, float]:
    counts = counts[counts > 0].sort_values(ascending=False)
    if len(counts) == 1:
        return str(counts.index[0])
    total = counts.sum()
    return {str(k): round(float(v / total), 4) for k, v in counts.items()}


def _fold_rare(frame: pd.DataFrame, min_n: int, notes: list[str]) -> pd.DataFrame:
    counts = frame["contact_type"].value_counts()
    rare = counts[counts < min_n].index.tolist()
    if rare and len(rare) < len(counts):
        top = str(counts.index[0])
        frame = frame.copy()
        frame.loc[frame["contact_type"].isin(rare), "contact_type"] = top
        notes.append(
            f"contact types with fewer than {min_n} contacts ({', '.join(map(str, rare))}) counted as {top}"
        )
    return frame


def calibrate(log: CallLog, options: Options | None = None) -> Calibration:
    """Fit a scenario to a call log (see the module notes and ``docs/howto/calibrate.md``)."""
    opt = options or Options()
    if not len(log.demand):
        raise LogError(["the log has no contacts to calibrate from"])
    folded: list[str] = []
    frame = _fold_rare(log.demand.copy(), opt.min_type, folded)
    days = log.days
    pattern = A.choose_pattern(days, opt.pattern)
    rows = A.pattern_rows(days, pattern)
    notes: dict[str, str] = {}
    labels: dict[str, list[str]] = {}
    busy = A.fit_busyness(A.count_grid(frame["arrival"], days, opt.interval).sum(axis=1), rows, days)
    raw: dict[str, Any] = {"scenario": _scenario_table(log, opt, pattern, busy, notes)}
    raw["channels"] = _channels(frame, opt, notes)
    durations = _recent(frame, opt.recent, folded)
    raw["segments"], patience = _segments(durations, log.facts, notes, opt)
    raw["contact_types"], handle, wrap = _contact_types(durations, opt, notes)
    raw["demand"] = _demand(frame, days, opt.interval, pattern, rows, notes, labels)
    teams = S.infer_teams(frame, opt.teams)
    raw["agents"], means = _agents(log, teams, opt, pattern, rows, notes, labels)
    if log.facts.get("head_start", {}):
        raw["routing"] = {"priority": "head_start"}
        notes["routing.priority"] = "the segments' head starts (see segments) are added to their waits"
        if opt.routing == "tested":
            _tested_routing(raw, frame, log.facts, opt.interval, notes)
    header = _header(log, len(frame), folded)
    n_k = A.per_day(opt.interval)
    cal = Calibration(raw, notes, header, labels, n_k, handle, wrap, patience, busy, teams, pattern, means)
    cal.set_erlang(B.brown_patience(frame))
    return cal


def _pattern_size(pattern: str) -> int:
    """Days in the rates and staffing lists: 7 for a week pattern, else 1."""
    return 7 if pattern == "week" else 1


def _scenario_table(
    log: CallLog, opt: Options, pattern: str, busy: A.Busyness, notes: dict[str, str]
) -> dict[str, Any]:
    """The ``[scenario]`` table: name, the period the lists cover, interval, busyness."""
    sc: dict[str, Any] = {
        "name": opt.name or f"Calibrated from {', '.join(log.sources)}",
        "duration": "7d" if pattern == "week" else "1d",
        "start": "00:00",
        "interval": format_duration(opt.interval),
        "replications": opt.replications,
        "seed": opt.seed,
    }
    notes["scenario.duration"] = (
        "one week from Monday 00:00: the rates and staffing lists hold 7 days"
        if pattern == "week"
        else "one day: the rates and staffing lists are a daily pattern"
    )
    if busy.spec() is not None:
        sc["busyness"] = busy.spec()
    notes["scenario.busyness"] = busy.describe()
    return sc


def _channels(frame: pd.DataFrame, opt: Options, notes: dict[str, str]) -> dict[str, Any]:
    """One channel per channel of the log: its kind from its name, the chosen service level."""
    channels: dict[str, Any] = {}
    for ch in sorted(frame["channel"].unique()):
        kind = ch if ch in KINDS else ("chat" if "chat" in ch else "email" if "mail" in ch else "voice")
        channels[ch] = {
            "kind": kind,
            "service_level": {"within": format_duration(opt.sl_within), "target": opt.sl_target},
        }
        notes[f"channels.{ch}.service_level"] = "not in the log: chosen with --sl-within and --sl-target"
        notes[f"channels.{ch}.kind"] = "from the channel's name (voice unless it says chat or mail)"
    return channels


def _segments(
    frame: pd.DataFrame, facts: Facts, notes: dict[str, str], opt: Options
) -> tuple[dict[str, Any], dict[str, Fit]]:
    """One segment per segment of the log: priority, head start, and the patience fitted to the
    waits (censored by the answered contacts)."""
    segments: dict[str, Any] = {}
    patience: dict[str, Fit] = {}
    head = facts.get("head_start", {})
    for seg, part in frame.groupby("segment", sort=True):
        entry: dict[str, Any] = {}
        if "priority" in part.columns:
            entry["priority"] = int(part["priority"].mode().iloc[0])
            notes[f"segments.{seg}.priority"] = "the log's priority column (smaller is served first)"
        else:
            entry["priority"] = 1
            notes[f"segments.{seg}.priority"] = "no priority column in the log: all segments equal"
        if seg in head:
            entry["head_start"] = format_duration(float(head[seg]))
            notes[f"segments.{seg}.head_start"] = str(facts.get("head_start_source", "the log's facts"))
        waited = part[part["outcome"].isin(["served", "abandoned"])]
        abandoned = (waited["outcome"] == "abandoned").to_numpy()
        if opt.patience == "held_out" and abandoned.sum() >= PT.MIN_BAND_EVENTS:
            fit, how = _held_out_patience(waited, entry, opt.interval)
        else:
            fit = fit_patience(waited["wait_s"].to_numpy(), abandoned)
            how = fit.describe()
            if fit.spec() is not None:
                entry["patience"] = fit.spec()
        patience[str(seg)] = fit
        notes[f"segments.{seg}.patience"] = how + _km_text(fit)
        if "patience_profile" in entry:
            notes[f"segments.{seg}.patience_profile"] = "the factors of the time-of-day bands (see patience)"
        segments[str(seg)] = entry
    return segments, patience


def _recent(frame: pd.DataFrame, recent: float, header: list[str]) -> pd.DataFrame:
    """The contacts of the latest ``recent`` seconds of whole days (all with 0), for the fits of
    handle times and patience."""
    if recent <= 0:
        return frame
    days = max(1, round(recent / 86_400))
    start = frame["arrival"].max().normalize() - pd.Timedelta(days=days - 1)
    part = frame[frame["arrival"] >= start]
    header.append(
        f"--recent: handle times and patience fitted on the last {days} day(s), from {start:%Y-%m-%d}."
    )
    return part


def _tested_routing(
    raw: dict[str, Any], frame: pd.DataFrame, facts: Facts, interval: float, notes: dict[str, str]
) -> None:
    """The documented head starts checked against the waits (``patience.routing_test``): kept,
    dropped (first come first served) or given to the other segments instead."""
    for seg, head in facts["head_start"].items():
        test = PT.routing_test(frame, seg, interval)
        notes["routing.priority"] = test.describe(float(head))
        if test.rule == "head_start":
            continue
        for name, entry in raw["segments"].items():
            entry.pop("head_start", None)
            entry["priority"] = 1
            notes[f"segments.{name}.priority"] = "all segments alike: see routing.priority"
            notes.pop(f"segments.{name}.head_start", None)
            if test.rule == "reversed" and name != seg:
                entry["head_start"] = format_duration(round(test.difference))
                notes[f"segments.{name}.head_start"] = "the mean difference of the waits (routing.priority)"
        if test.rule == "fcfs":
            raw.pop("routing")


def _held_out_patience(part: pd.DataFrame, entry: dict[str, Any], interval: float) -> tuple[Fit, str]:
    """Patience law and time-of-day profile chosen by held-out likelihood (``patience.choose``)."""
    choice = PT.choose(part)
    entry["patience"] = choice.law.spec()
    if choice.width:
        entry["patience_profile"] = PT.profile(choice.factors, interval)
    d = PT.waits(part)
    km = kaplan_meier(d["w"].to_numpy(), d["a"].to_numpy())
    fit = Fit(choice.law.name, choice.law.mean, math.nan, choice.n, events=choice.events, km=km)
    return fit, choice.describe()


def _km_text(fit: Fit) -> str:
    """The Kaplan-Meier share still waiting at a few times, for the patience note."""
    km = fit.km
    if km is None or not len(km):
        return ""
    return "; Kaplan-Meier: still waiting " + ", ".join(
        f"{100 * km_at(km, t):.0f}% at {format_duration(t)}" for t in (30, 60, 120, 300)
    )


def _contact_types(
    frame: pd.DataFrame, opt: Options, notes: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Fit], dict[str, Fit]]:
    """One contact type per type of the log: its handle time and, if the log has it, its
    wrap-up time, fitted to the served contacts."""
    types: dict[str, Any] = {}
    handle: dict[str, Fit] = {}
    wrap: dict[str, Fit] = {}
    served = frame[frame["outcome"] == "served"]
    all_handles = served["handle_s"].to_numpy(dtype=float)
    for ctype in sorted(frame["contact_type"].unique()):
        part = served[served["contact_type"] == ctype]
        values = part["handle_s"].to_numpy(dtype=float)
        if not np.any(values > 0):
            values = all_handles
            notes[f"contact_types.{ctype}.handle"] = "no served contacts of this type: all types pooled; "
        fit = fit_handle(values, ks_max=opt.ks_max)
        handle[ctype] = fit
        entry = {"handle": fit.spec()}
        notes[f"contact_types.{ctype}.handle"] = (
            notes.get(f"contact_types.{ctype}.handle", "") + fit.describe()
        )
        if "wrap_s" in part.columns and np.any(part["wrap_s"].fillna(0) > 0):
            wfit = fit_handle(part["wrap_s"].to_numpy(dtype=float), ks_max=opt.ks_max)
            wrap[ctype] = wfit
            entry["wrap_up"] = wfit.spec()
            notes[f"contact_types.{ctype}.wrap_up"] = wfit.describe()
        types[ctype] = entry
    return types, handle, wrap


def _demand(
    frame: pd.DataFrame,
    days: list[pd.Timestamp],
    interval: float,
    pattern: str,
    rows: np.ndarray,
    notes: dict[str, str],
    labels: dict[str, list[str]],
) -> list[dict[str, Any]]:
    """One demand stream per channel: the mix of types and segments and the rate per interval."""
    streams = []
    for i, (ch, part) in enumerate(frame.groupby("channel", sort=True)):
        grid = A.count_grid(part["arrival"], days, interval)
        mean, n_days = A.pattern_mean(grid, rows, _pattern_size(pattern))
        rates = (mean / interval).ravel()
        streams.append(
            {
                "channel": str(ch),
                "contact_type": _shares(part["contact_type"].value_counts()),
                "segment": _shares(part["segment"].value_counts()),
                "rates": [_rate(r) for r in rates],
            }
        )
        notes[f"demand.{i}.contact_type"] = "shares of the channel's contacts in the log"
        notes[f"demand.{i}.segment"] = (
            "shares of the channel's contacts in the log (drawn independently of the type)"
        )
        notes[f"demand.{i}.rates"] = (
            f"contacts per interval in the log / interval length, averaged over the days of each "
            f"{'weekday' if pattern == 'week' else 'day'} ({len(part):,} contacts on {len(days)} days)"
        )
        labels[f"demand.{i}.rates"] = A.pattern_labels(pattern, n_days, mean.sum(axis=1))
    return streams


def _agents(
    log: CallLog,
    teams: S.Teams,
    opt: Options,
    pattern: str,
    rows: np.ndarray,
    notes: dict[str, str],
    labels: dict[str, list[str]],
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """One agent group per team: its skills and channels, and the staffing proxy per interval
    (the mean over the days of the pattern, rounded); also the unrounded means."""
    days = log.days
    proxy = S.proxy_grid(log.frame, days, opt.interval, teams.member, teams.names, opt.proxy, opt.gap)
    agents: dict[str, Any] = {}
    means: dict[str, np.ndarray] = {}
    for g in teams.names:
        mean, n_days = A.pattern_mean(proxy[g], rows, _pattern_size(pattern))
        means[g] = mean
        agents[g] = {
            "skills": teams.skills[g],
            "channels": teams.channels[g],
            "staffing": [math.floor(v + 0.5) for v in mean.ravel()],
        }
        notes[f"agents.{g}.skills"] = _team_note(teams, g)
        notes[f"agents.{g}.staffing"] = _proxy_note(opt)
        labels[f"agents.{g}.staffing"] = [
            lab.split(",")[0] + f", at most {m:.1f} on average"
            for lab, m in zip(
                A.pattern_labels(pattern, n_days, mean.max(axis=1)), mean.max(axis=1), strict=True
            )
        ]
    return agents, means


def _team_note(teams: S.Teams, g: str) -> str:
    """Where a team and its skills came from."""
    size = sum(1 for t in teams.member.values() if t == g)
    how = (
        "the log's agent_group"
        if not teams.inferred
        else (
            f"agents who served at least {S.TEAM_SHARE:.0%} {g.removesuffix('_team')}"
            if g != S.GENERAL
            else "agents not dedicated to one contact type"
        )
    )
    return (
        f"{size} agent(s) in the log ({how}); skills: types of which the team served "
        f"at least {S.SKILL_SHARE:.0%}"
    )


def _proxy_note(opt: Options) -> str:
    """How the staffing proxy was read from the log."""
    return (
        "staffing proxy (no staffing record in a call log): "
        + (
            "distinct agents serving in the interval"
            if opt.proxy == "distinct"
            else f"agents within spans on duty (services joined across gaps up to "
            f"{format_duration(opt.gap)}), mean over the interval"
        )
        + ", averaged over the days and rounded."
    )


def _header(log: CallLog, offered: int, folded: list[str]) -> list[str]:
    """The file's opening comments: the log, what the reader and the folding changed, and what
    was chosen by hand or is not modelled."""
    days = log.days
    return [
        f"Calibrated by `ccsim calibrate` from {', '.join(log.sources)}.",
        f"The log: {len(log.frame):,} contacts ({offered:,} offered to the queue) on {len(days)} "
        f"days, {days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d}.",
        *log.notes,
        *folded,
        "Each value's comment says where it came from. Not in a call log and chosen by hand: the "
        "service-level threshold and target, the interval and the staffing proxy.",
        "Not modelled: which team is tried first (every able agent is equal), retrials and repeats, "
        "the dependence of segment on contact type.",
    ]
