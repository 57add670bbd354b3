"""Agent teams and a staffing proxy from who served when.

Logs record who answered, not who was on duty, so staffing must be estimated. Two proxies:

- ``distinct`` (the usual one): the number of distinct agents who served in an interval (an agent
  counts if any of their services overlaps the interval). It misses agents on duty who served
  nobody (idle, or on a break) and counts an agent who served for five minutes as present for
  the whole interval.
- ``presence``: each agent's services of a day are joined into spans on duty wherever the gap
  between the end of one and the start of the next is at most ``gap`` (default 30 min); staffing
  is the mean number of agents within such spans during the interval. It also counts agents
  between calls, but not before their first call or after their last.

Teams: with an ``agent_group`` column the log says who is in which team. Without it, an agent
who served at least ``TEAM_MIN_CALLS`` contacts, at least ``TEAM_SHARE`` (98%) of them of one
type, is put in the team ``<type>_team`` (if at least two agents are); everyone else in the team
``agents``. A team has the skill of a contact type if it served at least ``SKILL_SHARE`` of that
type's contacts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ccsim.calibrate.arrivals import DAY, per_day

TEAM_MIN_CALLS = 20
TEAM_SHARE = 0.98
TEAM_MIN_AGENTS = 2  # a "team" of one is put back with everyone else
SKILL_SHARE = 0.01
GENERAL = "agents"
PROXIES = ("distinct", "presence")


@dataclass
class Teams:
    """Which team each agent is in, and each team's skills and channels."""

    member: dict[str, str]  # agent id -> team
    skills: dict[str, list[str]]  # team -> contact types
    channels: dict[str, list[str]]  # team -> channels
    inferred: bool

    @property
    def names(self) -> list[str]:
        return list(self.skills)

    def general(self) -> str:
        """The team with the most skills (the one unknown agents are put in)."""
        return max(self.skills, key=lambda t: (len(self.skills[t]), t == GENERAL))


def served_by_agent(frame: pd.DataFrame) -> pd.DataFrame:
    if "agent_id" not in frame.columns:
        return frame.iloc[:0]
    return frame[(frame["outcome"] == "served") & (frame["agent_id"] != "")]


def infer_teams(frame: pd.DataFrame, teams: bool = True) -> Teams:
    """Teams from the log's ``agent_group`` column, or inferred from what each agent served."""
    served = served_by_agent(frame)
    has_groups = "agent_group" in served.columns and (served["agent_group"] != "").any()
    member: dict[str, str] = {}
    if has_groups:
        for agent, group in served.groupby("agent_id")["agent_group"].agg(lambda g: g.mode().iloc[0]).items():
            member[str(agent)] = str(group) or GENERAL
    else:
        mix = served.groupby(["agent_id", "contact_type"]).size().unstack(fill_value=0)
        for agent, row in mix.iterrows():
            total = row.sum()
            top = row.idxmax()
            dedicated = teams and total >= TEAM_MIN_CALLS and row[top] >= TEAM_SHARE * total
            member[str(agent)] = f"{top}_team" if dedicated and len(mix.columns) > 1 else GENERAL
        sizes = pd.Series(list(member.values())).value_counts()
        member = {a: (t if sizes[t] >= TEAM_MIN_AGENTS else GENERAL) for a, t in member.items()}
    team = served["agent_id"].map(member)
    by_type = pd.crosstab(team, served["contact_type"])
    skills: dict[str, list[str]] = {}
    channels: dict[str, list[str]] = {}
    for t in sorted(set(member.values())):
        share = by_type.loc[t] / by_type.sum(axis=0)
        skills[t] = [str(c) for c in by_type.columns if share[c] >= SKILL_SHARE]
        channels[t] = sorted(served.loc[team == t, "channel"].unique().tolist())
    if not skills:  # nobody served: one team that can do everything
        skills[GENERAL], channels[GENERAL] = [], sorted(frame["channel"].unique().tolist())
    for ctype in sorted(frame["contact_type"].unique()):
        if not any(ctype in s for s in skills.values()):
            top = (
                by_type[ctype].idxmax()
                if ctype in by_type.columns
                else max(skills, key=lambda t: len(skills[t]))
            )
            skills[str(top)].append(str(ctype))
    for ch in sorted(frame["channel"].unique()):
        if not any(ch in c for c in channels.values()):
            channels[max(skills, key=lambda t: len(skills[t]))].append(str(ch))
    return Teams(member, skills, channels, inferred=not has_groups)


def service_spans(frame: pd.DataFrame) -> pd.DataFrame:
    """Agent, start and end (datetime) of each service by a known agent (talk plus wrap-up)."""
    served = served_by_agent(frame)
    start = served["arrival"] + pd.to_timedelta(served["wait_s"].fillna(0.0), unit="s")
    work = served["handle_s"].fillna(0.0)
    if "wrap_s" in served.columns:
        work = work + served["wrap_s"].fillna(0.0)
    end = start + pd.to_timedelta(work.clip(lower=1.0), unit="s")
    return pd.DataFrame(
        {"agent_id": served["agent_id"].to_numpy(), "start": start.to_numpy(), "end": end.to_numpy()}
    )


def _seconds(times: pd.Series | np.ndarray, origin: pd.Timestamp) -> np.ndarray:
    return (pd.to_datetime(pd.Series(times)) - origin).dt.total_seconds().to_numpy()


def merge_spans(spans: pd.DataFrame, gap: float) -> pd.DataFrame:
    """Each agent's services joined into spans on duty where gaps are at most ``gap`` seconds."""
    rows = []
    for agent, part in spans.sort_values("start").groupby("agent_id", sort=False):
        s = part["start"].to_numpy()
        e = np.maximum.accumulate(part["end"].to_numpy())
        breaks = np.flatnonzero((s[1:] - e[:-1]) / np.timedelta64(1, "s") > gap)
        first = np.concatenate([[0], breaks + 1])
        last = np.concatenate([breaks, [len(s) - 1]])
        rows.append(pd.DataFrame({"agent_id": agent, "start": s[first], "end": e[last]}))
    if not rows:
        return spans.iloc[:0]
    return pd.concat(rows, ignore_index=True)


def proxy_grid(
    frame: pd.DataFrame,
    days: list[pd.Timestamp],
    interval: float,
    member: dict[str, str],
    groups: list[str],
    method: str = "distinct",
    gap: float = 1800.0,
) -> dict[str, np.ndarray]:
    """Staffing proxy per team: an array (day, interval of the day) for each of ``groups``.

    Agents not in ``member`` (or in a team not in ``groups``) count in ``groups[0]``.
    """
    if method not in PROXIES:
        raise ValueError(f"proxy must be one of {', '.join(PROXIES)} (got {method!r})")
    n_k = per_day(interval)
    origin = days[0] if days else pd.Timestamp(0)
    n_cal = round((days[-1] - origin).total_seconds() / DAY) + 1 if days else 0
    row_of_cal = np.full(n_cal + 2, -1)
    for i, d in enumerate(days):
        row_of_cal[round((d - origin).total_seconds() / DAY)] = i
    out = {g: np.zeros((len(days), n_k)) for g in groups}
    spans = service_spans(frame)
    if method == "presence":
        spans = merge_spans(spans, gap)
    if not len(spans):
        return out
    team = spans["agent_id"].map(lambda a: member.get(str(a), groups[0]))
    team = team.where(team.isin(groups), groups[0]).to_numpy()
    s = _seconds(spans["start"], origin)
    e = _seconds(spans["end"], origin)
    first = np.floor(s / interval).astype(np.int64)
    last = np.floor((e - 1e-6) / interval).astype(np.int64)
    span_n = np.maximum(last - first + 1, 1)
    idx = np.repeat(np.arange(len(s)), span_n)
    cell = first[idx] + (np.arange(len(idx)) - np.repeat(np.cumsum(span_n) - span_n, span_n))
    if method == "distinct":
        weight = np.ones(len(idx))
        pairs = pd.DataFrame({"agent": spans["agent_id"].to_numpy()[idx], "cell": cell, "team": team[idx]})
        pairs = pairs.drop_duplicates(["agent", "cell"])
        cell, tm, weight = pairs["cell"].to_numpy(), pairs["team"].to_numpy(), np.ones(len(pairs))
    else:
        lo = np.maximum(s[idx], cell * interval)
        hi = np.minimum(e[idx], (cell + 1) * interval)
        weight = np.clip(hi - lo, 0.0, None) / interval
        tm = team[idx]
    cal_day = cell // n_k
    ok = (cell >= 0) & (cal_day < len(row_of_cal))
    row = np.where(ok, row_of_cal[np.clip(cal_day, 0, len(row_of_cal) - 1)], -1)
    ok &= row >= 0
    for g in groups:
        sel = ok & (tm == g)
        np.add.at(out[g], (row[sel], cell[sel] % n_k), weight[sel])
    return out
