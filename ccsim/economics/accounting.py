"""Money from the tables of a run: what the service cost and what customers' experience lost.

Components (currency units, additive over any grouping):

- ``staffing``: paid agent hours (hours on duty / (1 - shrinkage)) x cost per paid hour. A
  group's cost in an interval is allocated to the rows (channel x type x segment) it can serve
  in proportion to their agent work there (talk + wrap-up, a chat weighted 1/concurrency,
  partner-served work left out); a group cost in an interval without such work is allocated
  by the group's work over the replication.
- ``telephony``: minutes waited x the channel's waiting price + minutes talked x its talking price.
- ``partner``: contacts served by a partner x its price.
- ``self_service``: self-service sessions x the channel's session price.
- ``callback``: callbacks made (accepted offers and voicemails) x the callback cost.
- ``scope_communication``: the cost per day of ``[scope_communication]`` x the measured time,
  spread evenly over each interval's rows of the contact types outside the scope.
- ``service_cost`` = the six above.
- ``lost_revenue``: contacts lost for good x (the segment's + the type's ``lost_per_contact``).
- ``lost_lifetime_value``: expected churned customers x the segment's lifetime value.
- ``lost_value`` = the two above; ``total_cost`` = ``service_cost + lost_value``; ``_low`` and
  ``_high`` variants scale the customer value by ``value.uncertainty``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from ccsim.confidence import t_half_width
from ccsim.config.schema import ScenarioConfig
from ccsim.scenario import Scenario

COST_COMPONENTS = ["staffing", "telephony", "partner", "self_service", "callback", "scope_communication"]
VALUE_COMPONENTS = ["lost_revenue", "lost_lifetime_value"]
MONEY = [
    *COST_COMPONENTS,
    "service_cost",
    *VALUE_COMPONENTS,
    "lost_value",
    "total_cost",
    "lost_value_low",
    "lost_value_high",
    "total_cost_low",
    "total_cost_high",
]
COUNTS = [
    "offered",
    "served",
    "resolved",
    "lost",
    "issues",
    "churn_risk",
    "rated",
    "csat_sum",
    "ces_sum",
    "promoters",
    "detractors",
]
RATIOS = [
    "cost_per_contact",
    "cost_per_served",
    "cost_per_resolved",
    "lost_value_per_contact",
    "retention_rate",
    "csat",
    "ces",
    "nps",
]
DAY = 86400.0
KEYS = ["replication", "interval", "start_s", "channel", "contact_type", "segment"]


class Run(Protocol):
    """What the money of a run is computed from: its scenario and its intervals and agents
    tables (``ccsim.results.Results`` is one)."""

    scenario: Scenario
    intervals: pd.DataFrame
    agents: pd.DataFrame


def _div(a: Any, b: Any) -> Any:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(
            np.asarray(b) > 0, np.asarray(a, dtype=float) / np.where(np.asarray(b) > 0, b, 1), np.nan
        )


def add_money_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """Per-contact and experience ratios from the additive columns (in place; also returned)."""
    frame["cost_per_contact"] = _div(frame["service_cost"], frame["offered"])
    frame["cost_per_served"] = _div(frame["service_cost"], frame["served"])
    frame["cost_per_resolved"] = _div(frame["service_cost"], frame["resolved"])
    frame["lost_value_per_contact"] = _div(frame["lost_value"], frame["offered"])
    frame["retention_rate"] = 1.0 - _div(frame["churn_risk"], frame["issues"])
    frame["csat"] = _div(frame["csat_sum"], frame["rated"])
    frame["ces"] = _div(frame["ces_sum"], frame["rated"])
    frame["nps"] = 100.0 * _div(frame["promoters"] - frame["detractors"], frame["rated"])
    return frame


def group_rates(config: ScenarioConfig) -> tuple[dict[str, float], dict[str, float]]:
    """Cost per paid hour and shrinkage of each agent group (defaults: its site's cost per
    hour, then ``[costs]``)."""
    costs = config.costs
    site_cost = {
        g: s.cost_per_hour for s in config.sites.values() for g in s.groups if s.cost_per_hour is not None
    }
    cost = {
        n: g.cost_per_hour if g.cost_per_hour is not None else site_cost.get(n, costs.agent_cost_per_hour)
        for n, g in config.agents.items()
    }
    shrink = {
        n: g.shrinkage if g.shrinkage is not None else costs.shrinkage for n, g in config.agents.items()
    }
    return cost, shrink


def agent_money(agents: pd.DataFrame, config: ScenarioConfig) -> pd.DataFrame:
    """The agents table with ``paid_hours`` and ``staffing`` (cost) per row. With a rota
    (absence, breaks, blocks simulated) paid time is the time on duty plus the planned
    off-phone time plus the absent time where absence is paid, grossed up by the shrinkage
    left (what is not simulated)."""
    cost, shrink = group_rates(config)
    out = agents[["replication", "interval", "start_s", "agent_group", "staffed_s"]].copy()
    name = out["agent_group"].astype(str)
    paid_s = out["staffed_s"]
    if "rostered_s" in agents.columns:
        sick_pay = {n: float(g.absence is not None and g.absence.paid) for n, g in config.agents.items()}
        paid_s = paid_s + agents["off_phone_s"] + agents["absent_s"] * name.map(sick_pay).astype(float)
    if "pause_s" in agents.columns:  # recovery pauses (well-being rules): paid, off the phones
        paid_s = paid_s + agents["pause_s"]
    out["paid_hours"] = paid_s / 3600.0 / (1.0 - name.map(shrink).astype(float))
    out["staffing"] = out["paid_hours"] * name.map(cost).astype(float)
    return out


def _eligible(config: ScenarioConfig, group: str, channel: pd.Series, ctype: pd.Series) -> np.ndarray:
    g = config.agents[group]
    skills = g.proficiency
    ok_types = [
        t
        for t, ct in config.contact_types.items()
        if (ct.skill or t) in skills and (ct.groups is None or group in ct.groups)
    ]
    return (channel.isin(g.channels) & ctype.isin(ok_types)).to_numpy()


def _allocate_staffing(iv: pd.DataFrame, ag: pd.DataFrame, config: ScenarioConfig) -> np.ndarray:
    """Each group's cost per replication x interval spread over the rows it can serve."""
    conc = {n: float(c.concurrency) for n, c in config.channels.items()}
    channel = iv["channel"].astype(str)
    ctype = iv["contact_type"].astype(str)
    own = 1.0 - _div(iv["served_partner"], iv["served"])
    work = iv["work_s"].to_numpy(dtype=float) * np.nan_to_num(own, nan=1.0) / channel.map(conc).to_numpy()
    rep = iv["replication"].to_numpy()
    slot = pd.MultiIndex.from_arrays([rep, iv["interval"].to_numpy()])
    out = np.zeros(len(iv))
    for group, part in ag.groupby("agent_group", observed=True):
        cost = part.set_index(["replication", "interval"])["staffing"]
        here = cost.reindex(slot).fillna(0.0).to_numpy()  # the group's cost of each row's slot
        elig = _eligible(config, str(group), channel, ctype)
        w = np.where(elig, work, 0.0)
        slot_w = pd.Series(w).groupby([rep, iv["interval"].to_numpy()]).transform("sum").to_numpy()
        alloc = np.where(slot_w > 0, here * w / np.where(slot_w > 0, slot_w, 1.0), 0.0)
        # cost of slots without eligible work: by the group's work over the replication, else
        # evenly over the rows it could serve (or over all rows of the replication)
        done = pd.Series(alloc).groupby(rep).sum()
        for r, total in cost.groupby(level=0).sum().items():
            amount = total - float(done.get(r, 0.0))
            if amount <= 1e-12:
                continue
            rows = rep == r
            weights = np.where(rows, w, 0.0)
            if weights.sum() <= 0:
                weights = (rows & elig).astype(float)
            if weights.sum() <= 0:
                weights = rows.astype(float)
            alloc += amount * weights / weights.sum()
        out += alloc
    return out


def _partner_price(config: ScenarioConfig, channel: str, ctype: str) -> float:
    for p in config.partners.values():  # the engine sends to the first partner listing both
        if channel in p.channels and ctype in p.contact_types:
            return float(p.price)
    return 0.0


def _scope_cost(iv: pd.DataFrame, config: ScenarioConfig) -> np.ndarray:
    """The cost of communicating the scope per row: the cost per day x the interval's length,
    shared evenly by the interval's rows of the types outside the scope."""
    scope = config.scope_communication
    cost = np.zeros(len(iv))
    if scope is None or scope.daily_cost == 0:
        return cost
    sc = config.scenario
    outside = (
        iv["contact_type"].astype(str).isin([n for n, t in config.contact_types.items() if not t.in_scope])
    )
    rows = outside.groupby([iv["replication"], iv["interval"]]).transform("sum").to_numpy()
    length = np.minimum(sc.interval, sc.duration - iv["start_s"].to_numpy(dtype=float))
    cost[outside.to_numpy()] = (scope.daily_cost * length / DAY / np.maximum(rows, 1))[outside.to_numpy()]
    return cost


def interval_money(results: Run) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Money per row of the intervals table, and per row of the agents table."""
    config = results.scenario.config
    costs, value = config.costs, config.value
    iv = results.intervals
    ag = agent_money(results.agents, config)
    channel = iv["channel"].astype(str)
    ctype = iv["contact_type"].astype(str)
    segment = iv["segment"].astype(str)
    m = iv[KEYS].copy()
    for c in COUNTS:
        m[c] = iv[c].to_numpy()
    m["staffing"] = _allocate_staffing(iv, ag, config)
    wait_price = channel.map({c: t.waiting for c, t in costs.telephony.items()}).fillna(0.0)
    talk_price = channel.map({c: t.talking for c, t in costs.telephony.items()}).fillna(0.0)
    m["telephony"] = (iv["wait_total_s"] * wait_price + iv["talk_s"] * talk_price) / 60.0
    pairs = {(c, t): _partner_price(config, c, t) for c, t in set(zip(channel, ctype, strict=True))}
    price = np.array([pairs[(c, t)] for c, t in zip(channel, ctype, strict=True)])
    m["partner"] = iv["served_partner"].to_numpy() * price
    m["self_service"] = iv["self_served"] * channel.map(costs.self_service_price).astype(float)
    m["callback"] = (iv["callback"] + iv["voicemail"]) * costs.callback
    m["scope_communication"] = _scope_cost(iv, config)
    m["service_cost"] = m[COST_COMPONENTS].sum(axis=1)
    seg_lost = {s: (v.lost_per_contact, v.lifetime_value) for s, v in value.segments.items()}
    type_lost = {t: v.lost_per_contact for t, v in value.contact_types.items()}
    per_lost = segment.map(lambda s: seg_lost.get(s, (0.0, 0.0))[0]) + ctype.map(type_lost).fillna(0.0)
    ltv = segment.map(lambda s: seg_lost.get(s, (0.0, 0.0))[1]).astype(float)
    m["lost_revenue"] = iv["lost"] * per_lost.astype(float)
    m["lost_lifetime_value"] = iv["churn_risk"] * ltv
    m["lost_value"] = m["lost_revenue"] + m["lost_lifetime_value"]
    m["total_cost"] = m["service_cost"] + m["lost_value"]
    for case in ("low", "high"):
        factor = getattr(value.uncertainty, case)
        m[f"lost_value_{case}"] = m["lost_value"] * factor
        m[f"total_cost_{case}"] = m["service_cost"] + m[f"lost_value_{case}"]
    return m, ag


def _summarise(per_rep: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    rows = []
    for (by, group), frame in per_rep.groupby(["group_by", "group"], sort=False):
        row: dict[str, Any] = {"group_by": by, "group": group, "replications": len(frame)}
        for k in columns:
            v = frame[k].to_numpy(dtype=float)
            row[k] = float(np.nanmean(v)) if np.isfinite(v).any() else math.nan
            row[f"{k}_ci95"] = t_half_width(v)
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class Money:
    """Costs, customer value and experience KPIs of a run (see the module docstring).

    ``intervals``: money per replication x interval x channel x type x segment; ``agents``: paid
    hours and staffing cost per replication x interval x group; ``per_replication``: the sums
    and ratios per replication and group (all, channel, segment, contact type, agent group);
    ``summary``: their mean and 95% half-width across replications.
    """

    currency: str
    intervals: pd.DataFrame
    agents: pd.DataFrame
    per_replication: pd.DataFrame
    summary: pd.DataFrame

    def kpi(self, name: str, by: str = "all", group: str = "all") -> tuple[float, float]:
        """(mean, 95% half-width) of a money column, e.g. ``kpi("cost_per_contact", "channel", "phone")``."""
        row = self.summary[(self.summary["group_by"] == by) & (self.summary["group"] == group)]
        if row.empty:
            raise KeyError(f"no money row for {by}={group!r}")
        return float(row[name].iloc[0]), float(row[f"{name}_ci95"].iloc[0])

    def breakdown(self) -> pd.DataFrame:
        """The components of the total cost (mean and half-width per replication), one row each."""
        rows = [(c, *self.kpi(c)) for c in [*COST_COMPONENTS, *VALUE_COMPONENTS]]
        return pd.DataFrame(rows, columns=["component", "mean", "ci95"])


def account(results: Run) -> Money:
    """The money of a run (``Results``); ``results.money`` calls this once and keeps it."""
    m, ag = interval_money(results)
    columns = [*MONEY, *COUNTS]
    parts = [m.groupby("replication")[columns].sum().reset_index().assign(group_by="all", group="all")]
    for by in ("channel", "segment", "contact_type"):
        g = m.groupby(["replication", by], observed=True)[columns].sum().reset_index()
        parts.append(g.rename(columns={by: "group"}).assign(group_by=by))
    per_rep = pd.concat(parts, ignore_index=True)
    per_rep["group"] = per_rep["group"].astype(str)
    hours = ag.groupby("replication")["paid_hours"].sum()
    per_rep["paid_hours"] = np.nan
    is_all = per_rep["group_by"] == "all"
    per_rep.loc[is_all, "paid_hours"] = per_rep.loc[is_all, "replication"].map(hours).to_numpy()
    by_group = ag.groupby(["replication", "agent_group"], observed=True)[["paid_hours", "staffing"]].sum()
    by_group = by_group.reset_index().rename(columns={"agent_group": "group"}).assign(group_by="agent_group")
    by_group["group"] = by_group["group"].astype(str)
    add_money_ratios(per_rep)
    per_rep = pd.concat([per_rep, by_group], ignore_index=True)
    per_rep = per_rep[["replication", "group_by", "group", *columns, "paid_hours", *RATIOS]]
    summary = _summarise(per_rep, [*columns, "paid_hours", *RATIOS])
    return Money(config_currency(results), m, ag, per_rep, summary)


def config_currency(results: Run) -> str:
    return str(results.scenario.config.costs.currency)
