"""The staffing problem of a scenario: which groups to staff, the planning periods, each
channel's target and offered load, and the analytic service level of a channel (Erlang C/A).

A *period* is one value of the staffing plan: an interval of the measured time, or, when the
run covers whole days, an interval of the day (the plan then repeats daily and each period's
performance is pooled over the days).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

import ccsim.analytic as analytic
from ccsim.config.errors import ConfigError
from ccsim.config.loader import reachable
from ccsim.economics.accounting import group_rates
from ccsim.optimize.availability import on_duty_shares, site_open_shares
from ccsim.results import Results
from ccsim.scenario import Scenario

DAY = 86400.0


@dataclass(frozen=True)
class ChannelTarget:
    """A channel whose service level constrains the plan."""

    name: str
    target: float
    abandon_cap: float | None
    within: float
    definition: str
    short_abandon: float
    patience: float | None  # mean, s; None: nobody abandons (Erlang C)
    realtime: bool
    lag: int  # periods over which a staffing change can affect it


@dataclass
class Problem:
    """Everything the optimiser needs to know about a scenario, computed once."""

    scenario: Scenario
    groups: list[str]  # groups the plan staffs
    fixed: list[str]  # groups kept as configured
    n_periods: int
    period_of_interval: np.ndarray  # measured interval -> period
    period_s: float
    days: int  # days pooled into a period (1 unless the plan repeats daily)
    channels: list[ChannelTarget]
    serves: dict[str, list[str]]  # channel -> optimised groups able to serve it
    rate: dict[str, np.ndarray]  # channel -> arrivals per second per period (per concurrency)
    handle: dict[str, np.ndarray]  # channel -> mean handle time (talk + wrap-up), s
    cost: dict[str, float]  # group -> cost of one agent for one period (per day of the plan)
    load: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)  # (channel, group) -> Erlangs
    # group -> share of its rostered agents on duty per period (absence, breaks and blocks taken
    # off, from the pilot run); a group without a rota is absent here (all of them on duty)
    on_duty: dict[str, np.ndarray] = field(default_factory=dict)
    # group -> share of each period its site is open (sites with hours); absent: always open
    site_open: dict[str, np.ndarray] = field(default_factory=dict)

    def availability(self, group: str, k: int) -> float:
        """Share of the rostered agents of ``group`` on duty in period k (1 without a rota):
        the plan is of rostered agents, the formulas count agents on duty."""
        share = self.on_duty.get(group)
        return float(share[k]) if share is not None else 1.0

    def staffable(self, channel: str, k: int) -> list[str]:
        """The groups serving ``channel`` whose site is open at some time in period k (all of
        them without site hours): only these can be given agents for it. A group open for part
        of the period needs its agents while open (the formulas count agents at an instant), and
        each is paid for the whole period."""
        return [g for g in self.serves[channel] if g not in self.site_open or self.site_open[g][k] > 0]

    def closed(self, group: str) -> np.ndarray:
        """Per period: whether the group's site is closed all period (no agent can work)."""
        site = self.site_open.get(group)
        return site <= 0.0 if site is not None else np.zeros(self.n_periods, dtype=bool)

    # ------------------------------------------------------------------ analytic
    def analytic(self, channel: ChannelTarget, k: int, agents: int) -> tuple[float, float] | None:
        """(service level, abandonment) of the channel in period k with ``agents`` dedicated
        agents by Erlang C or A; None where no formula applies (deferred channels, no demand)."""
        rate, handle = self.rate[channel.name][k], self.handle[channel.name][k]
        if not channel.realtime or rate <= 0 or not math.isfinite(handle) or handle <= 0:
            return None
        if agents <= 0:
            return 0.0, 1.0 if channel.patience is not None else 0.0
        sl, ab = _metrics(
            float(rate),
            float(handle),
            int(agents),
            channel.within,
            channel.patience,
            channel.definition,
            channel.short_abandon,
        )
        return (sl if math.isfinite(sl) else 0.0), ab

    def agents_needed(self, channel: ChannelTarget, k: int, sl_bias: float, ab_bias: float) -> int | None:
        """Smallest agents whose analytic service level plus ``sl_bias`` reaches the target (and
        abandonment plus ``ab_bias`` stays under the cap); None where no formula applies."""
        if self.analytic(channel, k, 1) is None:
            return None

        def ok(n: int) -> bool:
            sl, ab = self.analytic(channel, k, n) or (0.0, 1.0)
            cap = channel.abandon_cap
            return sl + sl_bias >= channel.target and (cap is None or ab + ab_bias <= cap)

        a = self.rate[channel.name][k] * self.handle[channel.name][k]
        n = max(1, math.floor(a))
        while not ok(n) and n < 10 * a + 100:
            n += max(1, n // 8)
        while n > 1 and ok(n - 1):
            n -= 1
        return n

    def plan_cost(self, staffing: dict[str, np.ndarray]) -> float:
        """Nominal cost of a plan: agents x period x cost per paid hour / (1 - shrinkage)."""
        return float(sum(self.cost[g] * staffing[g].sum() for g in self.groups)) * self.days


@lru_cache(maxsize=200_000)
def _metrics(
    rate: float,
    handle: float,
    agents: int,
    within: float,
    patience: float | None,
    definition: str,
    short: float,
) -> tuple[float, float]:
    m = analytic.queue_metrics(rate, handle, agents, within, patience, definition, short)
    return m.service_level, m.p_abandon


def _channel_patience(scenario: Scenario, channel: str) -> float | None:
    ch = scenario.channels[channel]
    if ch.patience is not None:
        return float(ch.patience.mean)
    means, weights = [], []
    for d in scenario.demand:
        if d.channel != channel:
            continue
        mix = d.segment if isinstance(d.segment, dict) else {d.segment: 1.0}
        for s, w in mix.items():
            p = scenario.segments[s].patience
            if p is None:
                return None
            means.append(p.mean)
            weights.append(w)
    return float(np.average(means, weights=weights)) if means else None


def build_problem(
    scenario: Scenario,
    pilot: Results,
    groups: list[str] | None = None,
    targets: dict[str, float] | None = None,
) -> Problem:
    """The staffing problem of ``scenario``. ``pilot`` is a run of it (``Results``) from which
    the offered load per channel and period is measured: every contact that needed an agent,
    including the retrials, repeats, escalations and callbacks the journeys create. ``groups``
    to staff default to every group serving a channel with a service level; ``targets``
    override channels' service-level targets by name."""
    cfg = scenario.config
    clock = scenario.plan.clock
    targets = targets or {}
    able = _able_groups(scenario)
    groups, served = _staffed_groups(scenario, able, groups, targets)
    n_iv = clock.n_intervals
    whole_days = abs(clock.duration / DAY - round(clock.duration / DAY)) < 1e-6 and clock.duration >= 2 * DAY
    folds = whole_days and abs(DAY / clock.interval - round(DAY / clock.interval)) < 1e-6
    per_day = round(DAY / clock.interval) if folds else n_iv
    period_of = np.arange(n_iv) % per_day
    days = round(clock.duration / DAY) if folds else 1
    rate, handle, load = _pilot_load(scenario, pilot, period_of, per_day, days, groups, able)
    constrained = _constraining(served, rate, handle, load)
    cost_h, shrink = group_rates(cfg)
    cost = {g: clock.interval / 3600.0 * cost_h[g] / (1.0 - shrink[g]) for g in groups}
    return Problem(
        scenario=scenario,
        groups=list(groups),
        fixed=[g for g in cfg.agents if g not in groups],
        n_periods=per_day,
        period_of_interval=period_of,
        period_s=clock.interval,
        days=days,
        channels=[_channel_target(scenario, n, targets) for n in constrained],
        serves={c: [g for g in able[c] if g in groups] for c in cfg.channels},
        rate=rate,
        handle=handle,
        cost=cost,
        load=load,
        on_duty=on_duty_shares(pilot, period_of, per_day, groups),
        site_open=site_open_shares(scenario, period_of, per_day, groups),
    )


def _staffed_groups(
    scenario: Scenario, able: dict[str, list[str]], groups: list[str] | None, targets: dict[str, float]
) -> tuple[list[str], list[str]]:
    """The groups to staff (default: every group serving a channel with a service level) and the
    channels with a service level they serve; a ``ConfigError`` for an unknown group, no group,
    or a target on a channel without a service level."""
    cfg = scenario.config
    with_sl = [n for n, c in cfg.channels.items() if c.service_level is not None]
    if groups is None:
        groups = [g for g in cfg.agents if any(g in able[c] for c in with_sl)]
    served = [c for c in with_sl if any(g in able[c] for g in groups)]
    for g in groups:
        if g not in cfg.agents:
            raise ConfigError([f"optimise: unknown agent group {g!r}; known: {', '.join(cfg.agents)}"])
    if not groups:
        raise ConfigError(["optimise: no agent group serves a channel with a service level"])
    for c in targets:
        if c not in with_sl:
            raise ConfigError(
                [f"optimise: channel {c!r} has no service level; with one: {', '.join(with_sl)}"]
            )
    return groups, served


def _constraining(
    served: list[str],
    rate: dict[str, np.ndarray],
    handle: dict[str, np.ndarray],
    load: Mapping[tuple[str, str], np.ndarray],
) -> list[str]:
    """The channels that constrain the plan: those whose work the staffed groups take most of.
    A channel they serve only a sliver of (second-level work on a channel of another team) is
    left to the groups that carry it."""
    constrained = []
    for c in served:
        total = float(np.nansum(rate[c] * np.nan_to_num(handle[c])))
        taken = float(sum(v.sum() for (ch, _), v in load.items() if ch == c))
        if total <= 0 or taken >= 0.5 * total:
            constrained.append(c)
    return constrained


def _channel_target(scenario: Scenario, name: str, targets: dict[str, float]) -> ChannelTarget:
    """A constraining channel's service-level rule, its target (overridden by ``targets``) and
    how many periods its answer may lag its arrival."""
    ch = scenario.config.channels[name]
    sl = ch.service_level
    assert sl is not None
    interval = scenario.plan.clock.interval
    lag = max(1, math.ceil(sl.within / interval)) if not ch.realtime else 1
    return ChannelTarget(
        name,
        targets.get(name, sl.target),
        sl.abandon_cap,
        sl.within,
        sl.definition,
        sl.short_abandon,
        _channel_patience(scenario, name) if ch.realtime else None,
        ch.realtime,
        lag,
    )


def _pilot_load(
    scenario: Scenario,
    pilot: Results,
    period_of: np.ndarray,
    n_periods: int,
    days: int,
    groups: list[str],
    able: dict[str, list[str]],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[tuple[str, str], np.ndarray]]:
    """Arrival rate per concurrency and mean handle time per channel and period, and the load
    (Erlangs) of each channel that each optimised group can take, from the pilot run."""
    cfg, plan = scenario.config, scenario.plan
    iv = pilot.intervals
    agent_ns = {
        c: ch.non_service is not None and ch.non_service.handling == "agent" for c, ch in cfg.channels.items()
    }
    channel = iv["channel"].astype(str)
    need = iv["served"] + iv["abandoned"] + iv["unfinished"] + iv["declined"]
    need = need + iv["passed_through"] * channel.map(agent_ns).astype(float)
    frame = pd.DataFrame(
        {
            "channel": channel,
            "type": iv["contact_type"].astype(str),
            "period": period_of[iv["interval"].to_numpy()],
            "need": need,
            "work": iv["work_s"],
            "served": iv["served"],
        }
    )
    per_ct = frame.groupby(["channel", "type"])[["work", "served"]].sum()
    span = float(plan.clock.interval) * pilot.replications * days
    rate: dict[str, np.ndarray] = {}
    handle: dict[str, np.ndarray] = {}
    load: dict[tuple[str, str], np.ndarray] = {}
    for c in cfg.channels:
        conc = cfg.channels[c].concurrency
        lam = np.zeros(n_periods)
        work = np.zeros(n_periods)
        for (ch, t), row in per_ct.iterrows():
            if ch != c:
                continue
            ti = plan.type_index(str(t))
            wrap = plan.wrap[ti]
            base = plan.handle[(ti, plan.channel_index(c))].mean + (wrap.mean if wrap else 0.0)
            aht = row["work"] / row["served"] if row["served"] > 0 else base
            part = frame[(frame["channel"] == c) & (frame["type"] == t)]
            n = part.groupby("period")["need"].sum().reindex(range(n_periods), fill_value=0.0).to_numpy()
            lam_t = n / span / conc
            lam += lam_t
            work += lam_t * aht
            ct = cfg.contact_types[str(t)]
            takers = [
                g
                for g in (ct.groups or able[c])
                if g in groups and g in able[c] and (ct.skill or str(t)) in cfg.agents[g].proficiency
            ]
            takers = takers[:1] if ct.groups else takers
            for g in takers:
                load[(c, g)] = load.get((c, g), np.zeros(n_periods)) + lam_t * aht / len(takers)
        rate[c] = lam
        handle[c] = np.where(lam > 0, work / np.where(lam > 0, lam, 1.0), np.nan)
    return rate, handle, load


def _able_groups(scenario: Scenario) -> dict[str, list[str]]:
    """Channel -> groups able to serve some contact type that reaches it."""
    cfg = scenario.config
    out: dict[str, list[str]] = {c: [] for c in cfg.channels}
    for ch, t, _ in reachable(cfg):
        ct = cfg.contact_types[t]
        for g, group in cfg.agents.items():
            if (
                ch in group.channels
                and (ct.skill or t) in group.proficiency
                and (ct.groups is None or g in ct.groups)
                and g not in out[ch]
            ):
                out[ch].append(g)
    return out


def with_staffing(scenario: Scenario, staffing: Mapping[str, np.ndarray | Sequence[int]]) -> Scenario:
    """The scenario with each named group staffed per period (replacing count, staffing or
    shifts); other keys of the group (skills, channels, costs) are kept."""
    overrides = {}
    for g, values in staffing.items():
        table = copy.deepcopy(scenario.raw["agents"][g])
        for key in ("count", "staffing", "shifts"):
            table.pop(key, None)
        table["staffing"] = [int(v) for v in values]
        overrides[f"agents.{g}"] = table
    return scenario.with_overrides(overrides)


def measure(problem: Problem, results: Results, confidence: float = 0.5) -> pd.DataFrame:
    """Per constrained channel and period: pooled service level and abandonment over the
    replications (and days), its standard error across replications (delta method), and
    whether the target is met: service level - z x standard error >= target, with z the
    normal quantile of ``confidence`` (0.5: the point estimate), and abandonment <= cap."""
    return judge(problem, performance(problem, results), confidence)


def performance(problem: Problem, results: Results) -> pd.DataFrame:
    """The target-free part of ``measure``: what a plan achieved, per constrained channel and
    period. It does not depend on the targets, so a search for another target can reuse it."""
    iv = results.intervals
    names = [c.name for c in problem.channels]
    frame = iv[iv["channel"].astype(str).isin(names)]
    frame = frame.assign(
        channel=frame["channel"].astype(str), period=problem.period_of_interval[frame["interval"].to_numpy()]
    )
    cols = ["sl_numerator", "sl_denominator", "served", "abandoned"]
    per_rep = frame.groupby(["channel", "period", "replication"])[cols].sum().reset_index()
    sums = per_rep.groupby(["channel", "period"])[cols].sum().reset_index()
    sums["service_level"] = sums["sl_numerator"] / sums["sl_denominator"].where(sums["sl_denominator"] > 0)
    # standard error of a ratio of sums over R replications: sqrt(sum (x - r y)^2 / (R (R - 1))) / mean y
    per_rep = per_rep.merge(sums[["channel", "period", "service_level"]], on=["channel", "period"])
    per_rep["dev2"] = (
        per_rep["sl_numerator"] - per_rep["service_level"].fillna(0) * per_rep["sl_denominator"]
    ) ** 2
    g = per_rep.groupby(["channel", "period"])
    reps = g.size().to_numpy()
    mean_den = g["sl_denominator"].mean().to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(g["dev2"].sum().to_numpy() / (reps * np.maximum(reps - 1, 1))) / mean_den
    sums["sl_se"] = np.where(reps > 1, se, np.nan)
    answered = sums["served"] + sums["abandoned"]
    sums["abandon_rate"] = (sums["abandoned"] / answered.where(answered > 0)).fillna(0.0)
    return sums


def judge(problem: Problem, sums: pd.DataFrame, confidence: float = 0.5) -> pd.DataFrame:
    """``sums`` (``performance``) with each channel's target and whether it is met."""
    from scipy.special import ndtri  # scipy.special loads in a quarter second: when first used

    sums = sums.copy()
    spec = {c.name: c for c in problem.channels}
    sums["target"] = sums["channel"].map({c: s.target for c, s in spec.items()})
    cap = sums["channel"].map(
        {c: s.abandon_cap if s.abandon_cap is not None else 1.0 for c, s in spec.items()}
    )
    z = float(ndtri(confidence))
    margin = z * sums["sl_se"].fillna(0.0)
    sums["meets"] = (sums["sl_denominator"] == 0) | (
        (sums["service_level"] - margin >= sums["target"] - 1e-12) & (sums["abandon_rate"] <= cap + 1e-12)
    )
    return sums


Shares = dict[tuple[str, str], np.ndarray]


def work_shares(problem: Problem, results: Results) -> tuple[Shares, Shares]:
    """Who does which work, per period: ``alpha[(channel, group)]`` is the share of the group's
    agent work spent on the channel (so its agents are split across its channels), and
    ``beta[(channel, group)]`` the share of the channel's agent work done by the group (so a
    channel's need is split across its groups). Without contacts, or where nothing was served,
    groups and channels share evenly."""
    n = problem.n_periods
    alpha: Shares = {}
    beta: Shares = {}
    c = results.contacts
    pairs = [(ch, g) for ch, groups in problem.serves.items() for g in groups]
    sums = pd.DataFrame(0.0, index=range(n), columns=pd.MultiIndex.from_tuples(pairs) if pairs else None)
    if c is not None and pairs:
        conc = {name: float(ch.concurrency) for name, ch in problem.scenario.channels.items()}
        part = c[c["agent_group"].astype(str).isin(problem.groups)]
        channel = part["channel"].astype(str)
        work = (part["handle_s"].fillna(0) + part["wrap_s"].fillna(0)) / channel.map(conc).astype(float)
        # the period in which the work was done (answer time), not the one the contact arrived in
        done = np.floor((part["arrival_s"] + part["wait_s"].fillna(0)).to_numpy() / problem.period_s).astype(
            int
        )
        if abs(problem.n_periods * problem.period_s - DAY) < 1e-6:
            period = done % problem.n_periods  # the plan repeats daily: work after midnight is tomorrow's
        else:
            period = problem.period_of_interval[np.clip(done, 0, len(problem.period_of_interval) - 1)]
        table = pd.DataFrame(
            {
                "c": channel.to_numpy(),
                "g": part["agent_group"].astype(str).to_numpy(),
                "k": period,
                "w": work.to_numpy(),
            }
        )
        got = table.groupby(["k", "c", "g"])["w"].sum()
        for (k, ch, g), w in got.items():
            if (ch, g) in sums.columns:
                sums.loc[k, (ch, g)] = w
    for ch, groups in problem.serves.items():
        total = sum((sums[(ch, g)].to_numpy() for g in groups), np.zeros(n))
        for g in groups:
            w = sums[(ch, g)].to_numpy()
            beta[(ch, g)] = np.where(total > 0, w / np.where(total > 0, total, 1.0), 1.0 / len(groups))
    for g in problem.groups:
        chans = [ch for ch, groups in problem.serves.items() if g in groups]
        total = sum((sums[(ch, g)].to_numpy() for ch in chans), np.zeros(n))
        for ch in chans:
            w = sums[(ch, g)].to_numpy()
            alpha[(ch, g)] = np.where(total > 0, w / np.where(total > 0, total, 1.0), 1.0 / len(chans))
    return alpha, beta
