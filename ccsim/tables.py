"""Records of replications -> the tables of a run: intervals, agents, KPIs per replication and
contacts.

Each replication leaves a compact ``Record``: numpy arrays of its counts per interval row, the
same counts summed per KPI group (overall, by channel, segment and contact type), the
percentiles of its waits per group, staffed and busy time per agent group and interval, and the
contacts' columns when they are kept. Records are what travels back from a worker process. The
tables are built from all the records at once, one pandas pass per table, so a thousand short
replications cost a thousand small numpy reductions rather than a thousand pandas pipelines.

Every number of a table is computed from one replication's record alone, so the tables do not
depend on how replications were grouped into workers or chunks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ccsim.agentload import LOAD, THRESHOLDS, load_seconds
from ccsim.metrics import (
    COUNTS,
    FLOAT_COUNTS,
    OUTCOME_NAMES,
    add_ratios,
    interval_edges,
    return_freed_memory,
    span_overlap,
)
from ccsim.model.plan import Plan
from ccsim.model.proactive import TALLY
from ccsim.model.store import ORIGINS, SERVED_BY
from ccsim.model.wellbeing import LoadLog
from ccsim.reducers import Accumulator

QUANTILES = [50, 90, 99]
WAIT_COLUMNS = [f"wait_p{q}_s" for q in QUANTILES]
OFFERED = COUNTS.index("offered")
DIMENSIONS = ["channel", "segment", "contact_type"]  # the KPI groupings, in the table's order
OUTBOUND = TALLY  # a campaign's tally (model/proactive.py)
OUTBOUND_COUNTS = ["outbound_done", "outbound_not_done", "outbound_reached", "inbound_prevented"]
DUTY = ["rostered", "absent", "off"]  # agent-seconds of the rota (absence, breaks and blocks)


@dataclass
class Record:
    """What one replication leaves for the tables (all numpy, small, picklable)."""

    replication: int
    counts: np.ndarray  # (interval rows, COUNTS + waiting_at_end): the rows of the intervals table
    sums: np.ndarray  # (KPI groups, COUNTS): the counts summed per group of the layout
    waits: np.ndarray  # (KPI groups, QUANTILES): percentiles of the answered contacts' waits
    staffed: np.ndarray  # (agent groups, intervals) seconds
    busy: np.ndarray  # (agent groups, intervals) seconds, a chat weighing 1/concurrency
    contacts: dict[str, np.ndarray] | None = None  # the contacts table's columns, as codes
    duty: np.ndarray | None = None  # (DUTY, agent groups, intervals) seconds; None: no rota
    load: np.ndarray | None = None  # (agentload.LOAD, agent groups, intervals); None: no well-being rules
    longest: np.ndarray | None = None  # (agent groups,) the longest busy stretch, seconds
    outbound: np.ndarray | None = None  # (campaigns, OUTBOUND) tallies; None: no proactive contact
    outbound_busy: np.ndarray | None = None  # (agent groups, intervals) seconds of outbound work
    sites: np.ndarray | None = None  # (sites, COUNTS) by the site offered to; None: one site
    site_waits: np.ndarray | None = None  # (sites, QUANTILES): percentiles of the answered waits
    moves: np.ndarray | None = None  # (channels, channels) first arrivals moved [from, to]; None: no choice


class Layout:
    """Where the rows of a plan's tables come from: the intervals table has a row per interval
    x (channel, contact type, segment) that demand can produce; the KPI groups are overall, then
    each channel, segment and contact type."""

    def __init__(self, plan: Plan):
        clock = plan.clock
        n_ch, n_ty, n_sg = len(plan.channels), len(plan.type_names), len(plan.segment_names)
        self.n_iv = n_iv = clock.n_intervals
        cmb = np.array(plan.combos, dtype=np.int64).reshape(-1, 3)
        self.n_combos = len(cmb)
        self.k_iv = np.repeat(np.arange(n_iv), len(cmb))
        self.k_ch, self.k_ty, self.k_sg = (np.tile(cmb[:, j], n_iv) for j in range(3))
        self.rows = ((self.k_iv * n_ch + self.k_ch) * n_ty + self.k_ty) * n_sg + self.k_sg
        names = {
            "channel": plan.channel_names,
            "segment": plan.segment_names,
            "contact_type": plan.type_names,
        }
        column = {"channel": 0, "contact_type": 1, "segment": 2}  # in a combo
        self.group_by = ["all"]
        self.group = ["all"]
        self.dims: list[tuple[int, int]] = [(-1, -1)]  # (waits' code array, code) per group
        onehot = [np.ones(len(cmb))]
        for dim, by in enumerate(DIMENSIONS):
            for code, label in enumerate(names[by]):
                self.group_by.append(by)
                self.group.append(label)
                self.dims.append((dim, code))
                onehot.append((cmb[:, column[by]] == code).astype(float))
        self.onehot = np.array(onehot)  # (KPI groups, combos)


def record(
    acc: Accumulator,
    spans: np.ndarray,
    layout: Layout,
    duty: np.ndarray | None = None,
    load: LoadLog | None = None,
    outbound: tuple[np.ndarray, np.ndarray] | None = None,
) -> Record:
    """The record of a finished replication (its accumulator, the spans agents were present,
    the pieces of its rota, ``rota.PIECE``, when it has one, its agents' load when they have
    well-being rules, and its proactive campaigns' tally and outbound work, ``proactive.SPAN``,
    when it has any). Staffed time leaves out the recovery pauses, as it leaves out breaks."""
    counts = np.empty((len(layout.rows), len(COUNTS) + 1))
    counts[:, :-1] = acc.counts.matrix[:, layout.rows].T
    counts[:, -1] = acc.backlog.values[layout.rows]
    per_combo = counts[:, :-1].reshape(layout.n_iv, layout.n_combos, len(COUNTS)).sum(axis=0)
    loads = load_seconds(load, spans, acc.busy.edges) if load is not None else None
    staffed = acc.busy.staffed(spans)
    busy = acc.busy.values.copy()
    outbound_busy = None
    if outbound is not None:  # outbound proactive work keeps agents busy too
        outbound_busy = outbound_seconds(outbound[1], acc.busy.edges, acc.busy.n_groups)
        busy += outbound_busy
    return Record(
        replication=acc.replication,
        counts=counts,
        sums=layout.onehot @ per_combo,
        waits=wait_percentiles(acc.waits.values(), layout),
        staffed=staffed - loads[0] if loads is not None else staffed,
        busy=busy,
        contacts=acc.contacts.columns() if acc.contacts is not None else None,
        duty=duty_seconds(duty, acc.busy.edges, acc.busy.n_groups) if duty is not None else None,
        load=loads,
        longest=load.longest if load is not None else None,
        outbound=outbound[0] if outbound is not None else None,
        outbound_busy=outbound_busy,
        sites=acc.sites.matrix.T.copy() if acc.sites is not None else None,
        site_waits=site_percentiles(*acc.sites.wait_values(), acc.sites.size)
        if acc.sites is not None
        else None,
        moves=acc.moves.matrix.copy() if acc.moves is not None else None,
    )


def outbound_seconds(spans: np.ndarray, edges: np.ndarray, n_groups: int) -> np.ndarray:
    """Agent-seconds of outbound proactive work per agent group x interval."""
    out = np.zeros((n_groups, len(edges) - 1))
    for g in range(n_groups):
        p = spans[spans["group"] == g]
        out[g] = span_overlap(p["start"], p["end"], np.ones(len(p)), edges)
    return out


def site_percentiles(wait: np.ndarray, site: np.ndarray, n_sites: int) -> np.ndarray:
    """Percentiles of the answered contacts' waits per site they were offered to (NaN: none)."""
    out = np.full((n_sites, len(QUANTILES)), np.nan)
    for s in range(n_sites):
        w = wait[site == s].astype(float)
        if len(w):
            out[s] = np.percentile(w, QUANTILES)
    return out


def duty_seconds(pieces: np.ndarray, edges: np.ndarray, n_groups: int) -> np.ndarray:
    """Agent-seconds rostered, absent and off the phones per agent group x interval."""
    out = np.zeros((len(DUTY), n_groups, len(edges) - 1))
    for g in range(n_groups):
        p = pieces[pieces["group"] == g]
        for k, name in enumerate(DUTY):
            out[k, g] = span_overlap(p["start"], p["end"], p[name], edges)
    return out


def wait_percentiles(waits: tuple[np.ndarray, ...], layout: Layout) -> np.ndarray:
    """Percentiles of the waits of the answered contacts of each KPI group (NaN: none)."""
    wait, ch, ty, sg = waits
    wait = wait.astype(float)
    out = np.full((len(layout.dims), len(QUANTILES)), np.nan)
    if not len(wait):
        return out
    out[0] = np.percentile(wait, QUANTILES)
    codes = (ch, sg, ty)  # as DIMENSIONS
    for i, (dim, code) in enumerate(layout.dims[1:], start=1):
        m = codes[dim] == code
        n = int(m.sum())
        if n == len(wait):  # the whole replication (a single channel, segment or type)
            out[i] = out[0]
        elif n:
            out[i] = np.percentile(wait[m], QUANTILES)
    return out


def intervals_table(plan: Plan, layout: Layout, records: list[Record]) -> pd.DataFrame:
    """Counts and KPIs per replication x interval x channel x contact type x segment (by arrival
    interval); every combination that demand can produce appears in every interval."""
    n = len(layout.rows)
    counts = np.concatenate([r.counts for r in records]) if records else np.zeros((0, len(COUNTS) + 1))
    reps = np.repeat(np.array([r.replication for r in records], dtype=np.int64), n)
    tile = len(records)
    k_iv = np.tile(layout.k_iv, tile)
    columns: dict[str, Any] = {
        "replication": reps,
        "interval": k_iv,
        "start_s": k_iv * plan.clock.interval,
        "clock": np.array([plan.clock.label(k) for k in range(plan.clock.n_intervals)], dtype=object)[k_iv],
        "channel": pd.Categorical.from_codes(np.tile(layout.k_ch, tile), plan.channel_names),
        "contact_type": pd.Categorical.from_codes(np.tile(layout.k_ty, tile), plan.type_names),
        "segment": pd.Categorical.from_codes(np.tile(layout.k_sg, tile), plan.segment_names),
    }
    for j, name in enumerate(COUNTS):
        columns[name] = counts[:, j] if name in FLOAT_COUNTS else counts[:, j].astype(np.int64)
    columns["waiting_at_end"] = counts[:, -1].astype(np.int64)
    return add_ratios(pd.DataFrame(columns))


def agents_table(plan: Plan, records: list[Record]) -> pd.DataFrame:
    """Staffed and busy time per replication x agent group x interval."""
    clock = plan.clock
    n_groups, n_iv = len(plan.group_names), clock.n_intervals
    tile = len(records)
    k_iv = np.tile(np.arange(n_iv, dtype=np.int64), n_groups * tile)
    edges = interval_edges(clock)
    staffed = np.concatenate([r.staffed.ravel() for r in records]) if records else np.zeros(0)
    busy = np.concatenate([r.busy.ravel() for r in records]) if records else np.zeros(0)
    out = pd.DataFrame(
        {
            "replication": np.repeat(
                np.array([r.replication for r in records], dtype=np.int64), n_groups * n_iv
            ),
            "interval": k_iv,
            "start_s": k_iv * clock.interval,
            "agent_group": pd.Categorical.from_codes(
                np.tile(np.repeat(np.arange(n_groups), n_iv), tile), plan.group_names
            ),
            "staffed_s": staffed,
            "busy_s": busy,
        }
    )
    out["agents"] = out["staffed_s"] / np.diff(edges)[k_iv]
    out["occupancy"] = _ratio(busy, staffed)
    if records and records[0].duty is not None:  # a rota: absence, breaks or blocks
        duty = np.concatenate([r.duty.reshape(len(DUTY), -1) for r in records if r.duty is not None], axis=1)
        out["rostered_s"], out["absent_s"], out["off_phone_s"] = duty
    if records and records[0].load is not None:  # well-being rules: pauses and rolling occupancy
        load = np.concatenate([r.load.reshape(len(LOAD), -1) for r in records if r.load is not None], axis=1)
        for name, column in zip(LOAD, load, strict=True):
            out[name] = column
    if records and records[0].outbound_busy is not None:  # proactive contact: outbound work
        out["outbound_s"] = np.concatenate(
            [r.outbound_busy.ravel() for r in records if r.outbound_busy is not None]
        )
    return out


def kpi_table(plan: Plan, layout: Layout, records: list[Record]) -> pd.DataFrame:
    """KPIs of each replication: overall, by channel, segment and contact type (those with
    contacts offered), and occupancy and agents by agent group."""
    if not records:
        return pd.DataFrame(columns=["replication", "group_by", "group", *COUNTS])
    sums = np.stack([r.sums for r in records])  # (replications, groups, COUNTS)
    waits = np.stack([r.waits for r in records])
    reps = np.array([r.replication for r in records], dtype=np.int64)
    keep = sums[:, :, OFFERED] > 0
    keep[:, 0] = True  # the overall row always
    pos, grp = np.nonzero(keep)  # replication by replication, groups in the layout's order
    columns: dict[str, Any] = {
        "replication": reps[pos],
        "group_by": np.array(layout.group_by, dtype=object)[grp],
        "group": np.array(layout.group, dtype=object)[grp],
    }
    columns.update({name: sums[pos, grp, j] for j, name in enumerate(COUNTS)})
    if not np.isnan(waits[:, 0]).all():  # no answered contact in the whole run: no such columns
        columns.update({name: waits[pos, grp, j] for j, name in enumerate(WAIT_COLUMNS)})
    kpis = add_ratios(pd.DataFrame(columns))
    staffed = np.stack([r.staffed for r in records])  # (replications, agent groups, intervals)
    busy = np.stack([r.busy for r in records])
    kpis["occupancy"] = np.where(
        grp == 0, _ratio(busy.sum(axis=(1, 2)), staffed.sum(axis=(1, 2)))[pos], np.nan
    )
    n_groups = len(plan.group_names)
    staffed_g, busy_g = staffed.sum(axis=2), busy.sum(axis=2)
    groups = pd.DataFrame(
        {
            "replication": np.repeat(reps, n_groups),
            "group_by": "agent_group",
            "group": np.tile(np.array(plan.group_names, dtype=object), len(records)),
            "occupancy": _ratio(busy_g, staffed_g).ravel(),
            "agents": (staffed_g / plan.clock.duration).ravel(),
        }
    )
    if records[0].outbound is not None:
        _outbound_kpis(kpis, groups, pos, grp, records)
    if records[0].duty is not None:
        _duty_kpis(kpis, groups, pos, grp, np.stack([r.duty for r in records if r.duty is not None]))
    if records[0].load is not None:
        _load_kpis(groups, records)
    # replication by replication: its KPI rows, then its agent groups' rows (then its sites', then
    # its channel moves')
    second = np.repeat(np.arange(len(records)), n_groups) * 2 + 1
    if plan.sites is not None:
        sites = site_rows(plan, records, staffed_g, busy_g)
        groups = pd.concat([groups, sites], ignore_index=True)
        second = np.concatenate([second, np.repeat(np.arange(len(records)), len(plan.sites.names)) * 2 + 1])
    if records[0].moves is not None:
        moves = move_rows(plan, records)
        total = np.array([r.moves.sum() for r in records if r.moves is not None], dtype=float)
        kpis["moved"] = np.where(grp == 0, total[pos], np.nan)  # on the overall row: all pairs
        groups = pd.concat([groups, moves], ignore_index=True)
        per_rep = len(moves) // len(records)
        second = np.concatenate([second, np.repeat(np.arange(len(records)), per_rep) * 2 + 1])
    order = np.argsort(np.concatenate([pos * 2, second]), kind="stable")
    both = pd.concat([kpis, groups], ignore_index=True)
    return both.take(order).reset_index(drop=True)


def site_rows(plan: Plan, records: list[Record], staffed_g: np.ndarray, busy_g: np.ndarray) -> pd.DataFrame:
    """The KPI rows of each site per replication: the counts of the contacts offered to it, their
    ratios and wait percentiles, and the occupancy and agents of its groups. ``staffed_g`` and
    ``busy_g``: (replications, agent groups) seconds."""
    sp = plan.sites
    assert sp is not None
    n = len(sp.names)
    counts = np.concatenate([r.sites for r in records if r.sites is not None])  # (reps x sites, COUNTS)
    waits = np.concatenate([r.site_waits for r in records if r.site_waits is not None])
    member = np.array([[float(s == k) for s in sp.group_site] for k in range(n)])  # (sites, groups)
    columns: dict[str, Any] = {
        "replication": np.repeat(np.array([r.replication for r in records], dtype=np.int64), n),
        "group_by": "site",
        "group": np.tile(np.array(sp.names, dtype=object), len(records)),
    }
    columns.update({name: counts[:, j] for j, name in enumerate(COUNTS)})
    columns.update({name: waits[:, j] for j, name in enumerate(WAIT_COLUMNS)})
    rows = add_ratios(pd.DataFrame(columns))
    staffed, busy = staffed_g @ member.T, busy_g @ member.T  # (replications, sites)
    rows["occupancy"] = _ratio(busy, staffed).ravel()
    rows["agents"] = (staffed / plan.clock.duration).ravel()
    return rows


def move_pairs(plan: Plan) -> list[tuple[int, int]]:
    """The (from, to) channel pairs channel choice can move a contact between: every ordered
    pair of ``choice.channels``, in their order."""
    spec = plan.policies.choice
    assert spec is not None
    return [(a, b) for a in spec.channels for b in spec.channels if a != b]


def move_label(plan: Plan, pair: tuple[int, int]) -> str:
    """'phone->chat': the ``group`` of a channel move's rows."""
    return f"{plan.channel_names[pair[0]]}->{plan.channel_names[pair[1]]}"


def move_rows(plan: Plan, records: list[Record]) -> pd.DataFrame:
    """The rows of the channel moves per replication (``group_by = 'move'``): the measured
    first arrivals that took the second channel instead of their stream's, the first; every
    pair in every replication, 0 where nobody moved."""
    pairs = move_pairs(plan)
    moved = np.array([[r.moves[a, b] for a, b in pairs] for r in records if r.moves is not None])
    return pd.DataFrame(
        {
            "replication": np.repeat(np.array([r.replication for r in records], dtype=np.int64), len(pairs)),
            "group_by": "move",
            "group": np.tile(np.array([move_label(plan, p) for p in pairs], dtype=object), len(records)),
            "moved": moved.ravel().astype(float),
        }
    )


def _duty_kpis(
    kpis: pd.DataFrame, groups: pd.DataFrame, pos: np.ndarray, grp: np.ndarray, duty: np.ndarray
) -> None:
    """Absent and off-phone agent-hours and the shares of rostered time they take (absence rate,
    planned shrinkage), per agent group and (absence rate and planned shrinkage) overall, in
    place. ``duty``: (replications, DUTY, agent groups, intervals) seconds."""
    per_group = duty.sum(axis=3)  # (replications, DUTY, groups)
    rostered, absent, off = (per_group[:, k].ravel() for k in range(len(DUTY)))
    groups["rostered_hours"] = rostered / 3600.0
    groups["absent_hours"] = absent / 3600.0
    groups["off_phone_hours"] = off / 3600.0
    groups["absence_rate"] = _ratio(absent, rostered)
    groups["planned_shrinkage"] = _ratio(off, rostered)
    total = per_group.sum(axis=2)  # (replications, DUTY)
    overall = grp == 0
    kpis["absent_hours"] = np.where(overall, total[pos, 1] / 3600.0, np.nan)
    kpis["absence_rate"] = np.where(overall, _ratio(total[:, 1], total[:, 0])[pos], np.nan)
    kpis["planned_shrinkage"] = np.where(overall, _ratio(total[:, 2], total[:, 0])[pos], np.nan)


def _load_kpis(groups: pd.DataFrame, records: list[Record]) -> None:
    """Per agent group, in place: recovery pauses (count, hours), the share of agent-time with a
    rolling occupancy above each threshold (NaN for a group without rules) and the longest
    busy stretch."""
    load = np.stack([r.load.sum(axis=2) for r in records if r.load is not None])  # (reps, LOAD, groups)
    at = {name: load[:, k].ravel() for k, name in enumerate(LOAD)}
    groups["pauses"] = at["pauses"]
    groups["pause_hours"] = at["pause_s"] / 3600.0
    for thr in THRESHOLDS:
        pc = round(thr * 100)
        groups[f"occupancy_above_{pc}"] = _ratio(at[f"above_{pc}_s"], at["sampled_s"])
    longest = np.stack([r.longest for r in records if r.longest is not None]).ravel()
    groups["longest_stretch_s"] = np.where(at["sampled_s"] > 0, longest, np.nan)


def _outbound_kpis(
    kpis: pd.DataFrame, groups: pd.DataFrame, pos: np.ndarray, grp: np.ndarray, records: list[Record]
) -> None:
    """Proactive contact on the overall row: outbound contacts done and not done, reached,
    inbound contacts prevented, and agent-hours (outbound work, the prevented contacts' handle
    time, net = outbound - prevented); outbound hours per agent group. In place."""
    t = np.stack([r.outbound.sum(axis=0) for r in records if r.outbound is not None])  # (reps, OUTBOUND)
    overall = grp == 0
    for name in OUTBOUND_COUNTS:
        kpis[name] = np.where(overall, t[pos, OUTBOUND.index(name)], np.nan)
    outbound_h = t[:, OUTBOUND.index("outbound_s")] / 3600.0
    prevented_h = t[:, OUTBOUND.index("prevented_s")] / 3600.0
    kpis["outbound_hours"] = np.where(overall, outbound_h[pos], np.nan)
    kpis["prevented_hours"] = np.where(overall, prevented_h[pos], np.nan)
    kpis["net_agent_hours"] = np.where(overall, (outbound_h - prevented_h)[pos], np.nan)
    per_group = np.stack([r.outbound_busy.sum(axis=1) for r in records if r.outbound_busy is not None])
    groups["outbound_hours"] = per_group.ravel() / 3600.0


def contacts_table(plan: Plan, records: list[Record]) -> pd.DataFrame:
    """One row per measured contact, replication by replication, each in arrival order.

    Built column by column, each column's pieces freed as it is made, so memory peaks at the
    table plus one column."""
    parts = [r.contacts for r in records if r.contacts is not None]
    categories = {
        "channel": plan.channel_names,
        "contact_type": plan.type_names,
        "segment": plan.segment_names,
        "outcome": list(OUTCOME_NAMES),
        "agent_group": [*plan.group_names, *(f"partner:{p}" for p in plan.partner_names), ""],
        "origin": list(ORIGINS),
        "stream_channel": plan.channel_names,
        "served_by": list(SERVED_BY),
        "site": plan.sites.names if plan.sites is not None else [],
    }
    columns: dict[str, Any] = {}
    for name in list(parts[0]):
        pieces = [p.pop(name) for p in parts]
        col = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
        del pieces
        return_freed_memory()
        if name in categories:
            columns[name] = pd.Categorical.from_codes(col, categories[name])
        elif name == "promise_kept":
            columns[name] = pd.array(np.where(col < 0, None, col == 1), dtype="boolean")
        else:
            columns[name] = col
    return pd.DataFrame(columns, copy=False)


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b, NaN where b is not positive."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(a, dtype=float) / np.where(b > 0, b, np.nan)
