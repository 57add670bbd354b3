"""Figures and data of the report's "Customer journeys" section: who answered (personal agent, deputy, pool,
partner), callbacks and promises, repeat contacts and first-contact resolution, escalations,
and the bias of the wait announcement.

The section (``ccsim.report.journey_section``) appears only when a run uses journey policies
(``uses_journeys``). Like every figure function, each one here returns a
``plotly.graph_objects.Figure`` built from aggregated tables: the intervals and per-replication
tables, and three small aggregates of the contacts table kept by ``aggregate`` (answered
contacts per channel x segment x tier, contacts per channel x origin x outcome, predicted
against actual waits in bins). Without a contacts table the intervals' counts stand in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ccsim.metrics import t_half_width
from ccsim.model.store import OUTCOMES
from ccsim.report.data import ReportData
from ccsim.report.style import TARGET, colour, errors, rgba, style, time_unit

__all__ = [
    "aggregate",
    "announcement_bias",
    "callbacks_and_promises",
    "escalations",
    "repeats_and_fcr",
    "uses_journeys",
    "who_answered",
]

# counts in the intervals table that are zero unless a journey policy is on
JOURNEY_COUNTS = [
    "served_personal",
    "served_deputy",
    "served_partner",
    "promised",
    "announced",
    "retrials",
    "repeats",
    "escalated",
    "balked",
    "self_served",
    "passed_through",
    "declined",
    "callback",
    "voicemail",
    "fallback",
]
# outcomes beyond served, abandoned, blocked, closed and unfinished (the engine's codes 5 on)
JOURNEY_OUTCOMES = list(OUTCOMES[OUTCOMES.index("unfinished") + 1 :])
TIERS = ["personal", "deputy", "pool", "partner"]
TIER_COLOURS = {
    "personal": "#2e7d32",
    "deputy": "#9ccc65",
    "pool": "#1f77b4",
    "partner": "#e6730f",
    "personal or deputy": "#558b2f",
    "pool or partner": "#5c7fa3",
}
# how a contact came about (the contacts table's ``origin``), as the figures name it
ORIGINS = {
    "arrival": "new",
    "retrial": "retrial",
    "repeat": "repeat",
    "callback": "callback",
    "escalation": "escalation",
    "self_service": "after failed self-service",
    "voicemail": "callback of a voicemail",
    "fallback": "moved from a closed channel",
    "new_or_created": "new, or created (callback, escalation, ...)",
}
CONTACT_COLUMNS = ["origin", "served_by", "predicted_wait_s"]  # read from contacts.parquet if there


# --------------------------------------------------------------------------- data


def uses_journeys(intervals: pd.DataFrame) -> bool:
    """True if the run used a journey policy: any journey count is non-zero, or some answered
    contacts were neither resolved nor escalated (a resolution below 1)."""
    cols = [c for c in JOURNEY_COUNTS if c in intervals.columns]
    if cols and (intervals[cols].to_numpy() > 0).any():
        return True
    if {"served", "resolved", "escalated"} <= set(intervals.columns):
        unresolved = intervals["served"].sum() - intervals["resolved"].sum() - intervals["escalated"].sum()
        return bool(unresolved > 0)
    return False


def aggregate(data: ReportData, contacts: pd.DataFrame | None) -> None:
    """Keep the journey aggregates of the contacts table on ``data`` (a run with journeys only)."""
    if contacts is None or not len(contacts) or not uses_journeys(data.intervals):
        return
    if "served_by" in contacts.columns:
        data.tiers = tiers_from_contacts(contacts)
    if "origin" in contacts.columns:
        data.origins = origins_from_contacts(contacts)
    if "predicted_wait_s" in contacts.columns:
        data.calibration = announce_calibration(contacts)


def tiers_from_contacts(contacts: pd.DataFrame) -> pd.DataFrame:
    """Answered contacts and their summed wait per replication x channel x segment x tier (who
    answered: personal, deputy, pool, partner); ``asa_group`` is the tier itself."""
    served = contacts[contacts["outcome"].astype(str) == "served"]
    g = served.groupby(["replication", "channel", "segment", "served_by"], observed=True)["wait_s"]
    out = pd.DataFrame({"served": g.size(), "wait_s": g.sum()}).reset_index()
    out = out.rename(columns={"served_by": "tier"})
    for col in ("channel", "segment", "tier"):
        out[col] = out[col].astype(str)
    out = out[out["tier"].isin(TIERS)].reset_index(drop=True)
    out["asa_group"] = out["tier"]
    return out


def tiers_from_intervals(intervals: pd.DataFrame) -> pd.DataFrame:
    """The same frame as ``tiers_from_contacts`` from the intervals' counts. Their waits only tell
    personal and deputy together from the rest, so ``asa_group`` pairs the tiers up."""
    keys = ["replication", "channel", "segment"]
    cols = ["served_personal", "served_deputy", "served_pool", "served_partner"]
    g = intervals.groupby(keys, observed=True)[[*cols, "wait_personal_s", "wait_served_s"]].sum()
    g = g.reset_index()
    own = "personal or deputy" if g["served_deputy"].sum() > 0 else "personal"
    rest = "pool or partner" if g["served_partner"].sum() > 0 else "pool"
    wait_rest = g["wait_served_s"] - g["wait_personal_s"]
    parts = []
    for tier, wait, group in (
        ("personal", g["wait_personal_s"], own),
        ("deputy", 0.0, own),
        ("pool", wait_rest, rest),
        ("partner", 0.0, rest),
    ):
        parts.append(
            pd.DataFrame(
                {
                    "replication": g["replication"],
                    "channel": g["channel"].astype(str),
                    "segment": g["segment"].astype(str),
                    "tier": tier,
                    "served": g[f"served_{tier}"],
                    "wait_s": wait,
                    "asa_group": group,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def origins_from_contacts(contacts: pd.DataFrame) -> pd.DataFrame:
    """Contacts per replication x channel x origin x outcome (how they came about, how they ended)."""
    g = contacts.groupby(["replication", "channel", "origin", "outcome"], observed=True).size()
    out = g.rename("contacts").reset_index()
    for col in ("channel", "origin", "outcome"):
        out[col] = out[col].astype(str)
    return out[out["contacts"] > 0].reset_index(drop=True)


def origins_from_intervals(intervals: pd.DataFrame) -> pd.DataFrame:
    """The same frame from the intervals' counts: retrials, repeats, and the rest, new contacts
    and the other created ones together ('new_or_created'); the outcome is not known ('all')."""
    cols = ["offered", "retrials", "repeats"]
    g = intervals.groupby(["replication", "channel"], observed=True)[cols].sum().reset_index()
    rest = g["offered"] - g["retrials"] - g["repeats"]
    parts = [
        pd.DataFrame(
            {
                "replication": g["replication"],
                "channel": g["channel"].astype(str),
                "origin": origin,
                "outcome": "all",
                "contacts": values,
            }
        )
        for origin, values in (("new_or_created", rest), ("retrial", g["retrials"]), ("repeat", g["repeats"]))
    ]
    out = pd.concat(parts, ignore_index=True)
    return out[out["contacts"] > 0].reset_index(drop=True)


def announce_calibration(contacts: pd.DataFrame, bins: int = 12) -> pd.DataFrame:
    """Answered contacts that heard a predicted wait, per channel in bins of the prediction
    (equal counts, all replications pooled): mean predicted, mean actual, p10 and p90 of the
    actual wait, contacts in the bin."""
    heard = contacts[(contacts["outcome"].astype(str) == "served") & contacts["predicted_wait_s"].notna()]
    rows = []
    for ch, part in heard.groupby("channel", observed=True):
        predicted = part["predicted_wait_s"].to_numpy(dtype=float)
        actual = part["wait_s"].to_numpy(dtype=float)
        edges = np.unique(np.quantile(predicted, np.linspace(0, 1, bins + 1)))
        k = np.clip(np.searchsorted(edges, predicted, side="right") - 1, 0, max(len(edges) - 2, 0))
        for b in np.unique(k):
            m = k == b
            rows.append(
                (
                    str(ch),
                    int(b),
                    float(predicted[m].mean()),
                    float(actual[m].mean()),
                    float(np.quantile(actual[m], 0.1)),
                    float(np.quantile(actual[m], 0.9)),
                    int(m.sum()),
                )
            )
    columns = ["channel", "bin", "predicted_s", "actual_s", "actual_p10_s", "actual_p90_s", "n"]
    return pd.DataFrame(rows, columns=columns)


def escalation_routes(config: dict[str, Any]) -> dict[str, str]:
    """Contact type -> the type it is escalated to, from a config as run."""
    types = config.get("contact_types") or {}
    return {
        str(t): str(spec["escalation"]["to"])
        for t, spec in types.items()
        if isinstance(spec, dict) and isinstance(spec.get("escalation"), dict) and "to" in spec["escalation"]
    }


def across(frame: pd.DataFrame, keys: Sequence[str], column: str) -> pd.DataFrame:
    """Mean and 95% half-width across replications of ``column`` per ``keys`` (first-seen order)."""
    rows = []
    for key, part in frame.groupby(list(keys), observed=True, sort=False):
        v = part[column].to_numpy(dtype=float)
        mean = float(np.nanmean(v)) if np.isfinite(v).any() else math.nan
        rows.append((*(key if isinstance(key, tuple) else (key,)), mean, t_half_width(v)))
    return pd.DataFrame(rows, columns=[*keys, "mean", "ci"])


def kpi(per_replication: pd.DataFrame, by: str, column: str, count: bool = False) -> pd.DataFrame:
    """``across`` replications for the groups of ``by`` in the per-replication table. A count
    is 0 in a replication without the group's row (nothing offered); a rate is left out."""
    rows = per_replication[per_replication["group_by"] == by][["replication", "group", column]].copy()
    rows["group"] = rows["group"].astype(str)
    if count:
        reps = per_replication["replication"].unique()
        groups = list(dict.fromkeys(rows["group"]))
        full = pd.MultiIndex.from_product([groups, reps], names=["group", "replication"])
        rows = rows.set_index(["group", "replication"]).reindex(full, fill_value=0).reset_index()
    return across(rows, ["group"], column).set_index("group")


def _counts(frame: pd.DataFrame, keys: list[str], reps: Sequence[int]) -> pd.DataFrame:
    """``contacts`` summed per replication x ``keys``, every replication present (0 if none)."""
    g = frame.groupby(["replication", *keys], observed=True)["contacts"].sum()
    table = g.unstack(keys, fill_value=0).reindex(reps, fill_value=0)
    return table


# --------------------------------------------------------------------------- figures


def _bar(
    x: Sequence[Any], stats: pd.DataFrame, name: str, meta: str, col: str, fmt: str, **kw: Any
) -> go.Bar:
    """Bars of ``stats`` (mean, ci) with 95% whiskers."""
    ci = stats["ci"].fillna(0)
    return go.Bar(
        x=list(x),
        y=stats["mean"],
        name=name,
        meta=meta,
        marker_color=col,
        error_y=errors(stats["mean"], stats["ci"]),
        customdata=ci,
        hovertemplate=f"{name}: %{{y:{fmt}}} ± %{{customdata:{fmt}}}<extra></extra>",
        **kw,
    )


def who_answered(tiers: pd.DataFrame) -> go.Figure:
    """Per channel on which anyone but the pool answered (one row each): the share of answered
    contacts by who answered them (personal agent, deputy, pool, partner) per segment, stacked
    (left), and the ASA of each of them per segment with 95% whiskers (right)."""
    reps = sorted(tiers["replication"].unique())
    by_channel = tiers.groupby(["channel", "tier"])["served"].sum().unstack(fill_value=0)
    special = [t for t in ("personal", "deputy", "partner") if t in by_channel.columns]
    channels = [str(c) for c in dict.fromkeys(tiers["channel"]) if by_channel.loc[c, special].sum() > 0]
    channels = channels or [str(c) for c in dict.fromkeys(tiers["channel"])]
    titles = []
    for ch in channels:
        titles += [f"{ch}: who answered", f"{ch}: ASA by who answered"]
    fig = make_subplots(
        rows=len(channels),
        cols=2,
        subplot_titles=titles,
        horizontal_spacing=0.1,
        vertical_spacing=0.16 if len(channels) > 1 else 0.1,
    )
    shown: set[str] = set()
    for i, ch in enumerate(channels, start=1):
        part = tiers[tiers["channel"] == ch]
        table = part.pivot_table(
            index=["replication", "segment"], columns="tier", values="served", aggfunc="sum", fill_value=0
        )
        segs = [
            s for s in dict.fromkeys(part["segment"]) if part.loc[part["segment"] == s, "served"].sum() > 0
        ]
        full = pd.MultiIndex.from_product([reps, segs], names=["replication", "segment"])
        table = table.reindex(full, fill_value=0)
        total = table.sum(axis=1)
        shares = table.div(total.where(total > 0), axis=0).reset_index()
        base = np.zeros(len(segs))
        for tier in [t for t in TIERS if t in table.columns and table[t].sum() > 0]:
            stats = across(shares, ["segment"], tier).set_index("segment").reindex(segs)
            per_rep = table[tier].groupby(level="segment").mean().reindex(segs)
            fig.add_trace(
                go.Bar(
                    x=segs,
                    y=stats["mean"],
                    base=base.copy(),
                    name=tier,
                    legendgroup=tier,
                    showlegend=tier not in shown,
                    offsetgroup="share",
                    meta=f"share:{ch}:{tier}",
                    marker_color=TIER_COLOURS[tier],
                    customdata=np.c_[stats["ci"].fillna(0), per_rep],
                    hovertemplate=f"{tier}: %{{y:.1%}} ± %{{customdata[0]:.1%}} "
                    "(%{customdata[1]:.1f} contacts per replication)<extra></extra>",
                ),
                row=i,
                col=1,
            )
            shown.add(tier)
            base = base + stats["mean"].fillna(0).to_numpy()
        fig.update_yaxes(tickformat=".0%", range=[0, 1.02], row=i, col=1)
        sums = part.groupby(["replication", "segment", "asa_group"])[["served", "wait_s"]].sum().reset_index()
        sums["asa_s"] = sums["wait_s"] / sums["served"].where(sums["served"] > 0)
        sums = sums[sums["asa_s"].notna()]
        groups = [g for g in [*TIERS, *TIER_COLOURS] if g in set(sums["asa_group"])]
        unit, size = time_unit(float(sums["asa_s"].max()) if len(sums) else 0.0)
        for group in list(dict.fromkeys(groups)):
            stats = across(sums[sums["asa_group"] == group], ["segment"], "asa_s").set_index("segment")
            stats = stats.reindex(segs) / size
            fig.add_trace(
                _bar(
                    segs,
                    stats,
                    group,
                    f"asa:{ch}:{group}",
                    TIER_COLOURS[group],
                    ".1f",
                    legendgroup=group,
                    showlegend=group not in shown,
                    offsetgroup=group,
                ),
                row=i,
                col=2,
            )
            shown.add(group)
        fig.update_yaxes(title_text=f"ASA ({unit})", rangemode="tozero", row=i, col=2)
    fig.update_layout(barmode="group")
    fig = style(fig, 90 + 260 * len(channels))
    fig.update_layout(hovermode="closest")
    return fig


def callbacks_and_promises(per_replication: pd.DataFrame, origins: pd.DataFrame | None = None) -> go.Figure:
    """Left, per channel: callbacks accepted (callers who left the queue for one), voicemails
    left while closed, and (with the contacts table) the callbacks made that reached the
    customer; contacts per replication. Right: the share of promises kept (callbacks made by
    their promised time, e-mails answered by their acknowledged time) with 95% whiskers."""
    reps = sorted(per_replication["replication"].unique())
    ch = per_replication[per_replication["group_by"] == "channel"]
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.1,
        subplot_titles=["callbacks per replication", "promises kept"],
    )
    left = [
        str(c)
        for c in dict.fromkeys(ch["group"])
        if ch.loc[ch["group"] == c, ["callback", "voicemail"]].sum().sum() > 0
    ]
    bars: list[tuple[str, pd.DataFrame]] = []
    for col, label in (("callback", "accepted a callback"), ("voicemail", "left a voicemail")):
        stats = kpi(per_replication, "channel", col, count=True).reindex(left)
        if stats["mean"].fillna(0).sum() > 0:
            bars.append((label, stats))
    if origins is not None and (origins["outcome"] != "all").any():
        made = origins[origins["origin"].isin(["callback", "voicemail"]) & (origins["outcome"] == "served")]
        table = _counts(made, ["channel"], reps).reindex(columns=left, fill_value=0)
        per = table.melt(ignore_index=False, value_name="contacts").reset_index()
        bars.append(
            (
                "called back and answered",
                across(per, ["channel"], "contacts").set_index("channel").reindex(left),
            )
        )
    for j, (label, stats) in enumerate(bars):
        fig.add_trace(
            _bar(left, stats, label, f"callbacks:{label}", ["#0277bd", "#5c6bc0", "#2e7d32"][j], ".1f"),
            row=1,
            col=1,
        )
    fig.update_yaxes(title_text="contacts per replication", rangemode="tozero", row=1, col=1)
    promised = kpi(per_replication, "channel", "promised", count=True)
    right = [c for c in promised.index if promised.loc[c, "mean"] > 0]
    stats = kpi(per_replication, "channel", "promise_kept_rate").reindex(right)
    fig.add_trace(
        go.Bar(
            x=right,
            y=stats["mean"],
            name="promises kept",
            meta="promise_kept_rate",
            marker_color="#00897b",
            error_y=errors(stats["mean"], stats["ci"]),
            customdata=np.c_[stats["ci"].fillna(0), promised.reindex(right)["mean"]],
            hovertemplate="%{y:.1%} ± %{customdata[0]:.1%} of %{customdata[1]:.1f} promises per "
            "replication kept<extra></extra>",
        ),
        row=1,
        col=2,
    )
    fig.update_yaxes(tickformat=".0%", range=[0, 1.04], row=1, col=2)
    fig.update_layout(barmode="group")
    fig = style(fig, 360)
    fig.update_layout(hovermode="closest")
    return fig


def repeats_and_fcr(origins: pd.DataFrame, per_replication: pd.DataFrame) -> go.Figure:
    """Left: contacts per replication on each channel by how they came about (new, retrial,
    repeat, callback, escalation, ...), stacked. Middle: first-contact resolution per contact
    type and overall. Right: contacts per resolved issue. Whiskers: 95% confidence interval."""
    reps = sorted(per_replication["replication"].unique())
    fig = make_subplots(
        rows=1,
        cols=3,
        horizontal_spacing=0.08,
        column_widths=[0.4, 0.3, 0.3],
        subplot_titles=[
            "contacts per replication by how they came about",
            "first-contact resolution",
            "contacts per resolved issue",
        ],
    )
    table = _counts(origins, ["channel", "origin"], reps).mean()
    channels = list(dict.fromkeys(origins["channel"]))
    base = np.zeros(len(channels))
    for j, origin in enumerate(o for o in ORIGINS if o in set(origins["origin"])):
        y = np.array([float(table.get((c, origin), 0.0)) for c in channels])
        fig.add_trace(
            go.Bar(
                x=channels,
                y=y,
                base=base.copy(),
                name=ORIGINS[origin],
                offsetgroup="origin",
                meta=f"origin:{origin}",
                marker_color="#9aa5b8" if origin in ("arrival", "new_or_created") else colour(j),
                hovertemplate=f"{ORIGINS[origin]}: %{{y:,.1f}}<extra></extra>",
            ),
            row=1,
            col=1,
        )
        base = base + y
    fig.update_yaxes(title_text="contacts", rangemode="tozero", row=1, col=1)
    first = kpi(per_replication, "contact_type", "first_contacts", count=True)
    types = ["all", *(t for t in first.index if first.loc[t, "mean"] > 0)]
    for k, (col, fmt) in enumerate((("fcr", ".1%"), ("contacts_per_resolved", ".2f")), start=2):
        stats = pd.concat([kpi(per_replication, "all", col), kpi(per_replication, "contact_type", col)])
        stats = stats[~stats.index.duplicated()].reindex(types)
        name = "first-contact resolution" if col == "fcr" else "contacts per resolved issue"
        fig.add_trace(
            _bar(types, stats, name, col, "#37474f" if col == "fcr" else "#6d4c41", fmt, showlegend=False),
            row=1,
            col=k,
        )
    fig.update_yaxes(tickformat=".0%", range=[0, 1.04], row=1, col=2)
    fig.update_yaxes(rangemode="tozero", row=1, col=3)
    fig.update_layout(barmode="group")
    # room for the legend's rows (about four entries a row) above the subplot titles
    rows = 1 + sum(t.showlegend is not False for t in fig.data) // 5
    fig = style(fig, 360 + 20 * rows)
    fig.update_layout(hovermode="closest", margin={"t": 44 + 20 * rows})
    return fig


def escalations(per_replication: pd.DataFrame, intervals: pd.DataFrame, routes: dict[str, str]) -> go.Figure:
    """Per contact type that escalates (labelled 'type → next level'): escalated contacts per
    replication (left) and their share of the type's answered contacts (middle); right, the
    service level of each next level per channel (hover for its ASA). 95% whiskers."""
    count = kpi(per_replication, "contact_type", "escalated", count=True)
    sources = [t for t in count.index if count.loc[t, "mean"] > 0]
    labels = [f"{t} → {routes[t]}" if t in routes else t for t in sources]
    fig = make_subplots(
        rows=1,
        cols=3,
        horizontal_spacing=0.08,
        subplot_titles=[
            "escalated per replication",
            "share of answered contacts escalated",
            "service level at the next level",
        ],
    )
    rate = kpi(per_replication, "contact_type", "escalation_rate").reindex(sources)
    fig.add_trace(
        _bar(labels, count.reindex(sources), "escalated", "escalated", "#8e24aa", ",.1f", showlegend=False),
        row=1,
        col=1,
    )
    fig.add_trace(
        _bar(labels, rate, "escalation rate", "escalation_rate", "#ab47bc", ".1%", showlegend=False),
        row=1,
        col=2,
    )
    fig.update_yaxes(title_text="contacts", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", row=1, col=2)
    targets = list(dict.fromkeys(routes[t] for t in sources if t in routes))
    part = intervals[intervals["contact_type"].astype(str).isin(targets)]
    cols = ["sl_numerator", "sl_denominator", "wait_served_s", "served"]
    per = part.groupby(["replication", "contact_type", "channel"], observed=True)[cols].sum().reset_index()
    per = per[per["sl_denominator"] > 0]
    per["service_level"] = per["sl_numerator"] / per["sl_denominator"]
    per["asa_s"] = per["wait_served_s"] / per["served"].where(per["served"] > 0)
    for j, ch in enumerate(dict.fromkeys(per["channel"].astype(str))):
        on = per[per["channel"].astype(str) == ch].copy()
        on["contact_type"] = on["contact_type"].astype(str)
        sl = across(on, ["contact_type"], "service_level").set_index("contact_type").reindex(targets)
        asa = on.groupby("contact_type")["asa_s"].mean().reindex(targets)
        unit, size = time_unit(float(asa.max()) if asa.notna().any() else 0.0)
        fig.add_trace(
            go.Bar(
                x=targets,
                y=sl["mean"],
                name=ch,
                meta=f"next_level:{ch}",
                marker_color=colour(j),
                error_y=errors(sl["mean"], sl["ci"]),
                customdata=asa / size,
                hovertemplate=f"{ch}: service level %{{y:.1%}}, ASA %{{customdata:.1f}} {unit}"
                "<extra></extra>",
            ),
            row=1,
            col=3,
        )
    fig.update_yaxes(tickformat=".0%", range=[0, 1.04], row=1, col=3)
    fig.update_layout(barmode="group")
    fig = style(fig, 360)
    fig.update_layout(hovermode="closest")
    return fig


def announcement_bias(per_replication: pd.DataFrame, calibration: pd.DataFrame | None = None) -> go.Figure:
    """Left: per channel, the mean of actual minus announced wait of the answered contacts that
    heard a prediction (above zero: waits longer than announced), 95% whiskers. Right (with the
    contacts table): actual against predicted wait in bins of the prediction, the mean as a line
    and the 10th to 90th percentile as a band, with the line of a perfect prediction."""
    announced = kpi(per_replication, "channel", "announced", count=True)
    channels = [c for c in announced.index if announced.loc[c, "mean"] > 0]
    bias = kpi(per_replication, "channel", "announce_bias_s").reindex(channels)
    calibrated = calibration is not None and len(calibration) > 0
    fig = make_subplots(
        rows=1,
        cols=2 if calibrated else 1,
        horizontal_spacing=0.1,
        column_widths=[0.35, 0.65] if calibrated else None,
        subplot_titles=["actual minus announced wait", "actual against announced wait"][
            : 2 if calibrated else 1
        ],
    )
    unit, size = time_unit(float(np.nanmax(np.abs(bias["mean"].to_numpy(dtype=float)))) if len(bias) else 0.0)
    fig.add_trace(
        _bar(channels, bias / size, "bias", "bias", "#455a64", ".1f", showlegend=False),
        row=1,
        col=1,
    )
    fig.update_yaxes(
        title_text=f"actual − announced ({unit})", zeroline=True, zerolinecolor="#444", row=1, col=1
    )
    if calibrated:
        assert calibration is not None
        # the x axis spans the predictions; the diagonal (a right prediction) runs along it
        top = 1.05 * float(calibration["predicted_s"].max())
        unit, size = time_unit(max(top, float(calibration["actual_s"].max())))
        for j, (ch, part) in enumerate(calibration.groupby("channel", sort=False)):
            part = part.sort_values("predicted_s")
            x = part["predicted_s"] / size
            col = colour(j)
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=part["actual_p90_s"] / size,
                    mode="lines",
                    line={"width": 0},
                    hoverinfo="skip",
                    showlegend=False,
                    legendgroup=str(ch),
                ),
                row=1,
                col=2,
            )
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=part["actual_p10_s"] / size,
                    mode="lines",
                    line={"width": 0},
                    fill="tonexty",
                    fillcolor=rgba(col, 0.18),
                    hoverinfo="skip",
                    showlegend=False,
                    legendgroup=str(ch),
                ),
                row=1,
                col=2,
            )
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=part["actual_s"] / size,
                    mode="lines+markers",
                    name=f"{ch}: actual wait",
                    legendgroup=str(ch),
                    meta=f"calibration:{ch}",
                    line={"color": col, "width": 2},
                    customdata=np.c_[part["actual_p10_s"] / size, part["actual_p90_s"] / size, part["n"]],
                    hovertemplate=f"{ch}: announced %{{x:.1f}} {unit}, waited %{{y:.1f}} {unit} on average "
                    f"(10-90%: %{{customdata[0]:.1f}} to %{{customdata[1]:.1f}}; n=%{{customdata[2]}})"
                    "<extra></extra>",
                ),
                row=1,
                col=2,
            )
        fig.add_trace(
            go.Scatter(
                x=[0, top / size],
                y=[0, top / size],
                mode="lines",
                name="as announced",
                meta="diagonal",
                line={"color": TARGET, "dash": "dash", "width": 1.5},
                hoverinfo="skip",
            ),
            row=1,
            col=2,
        )
        fig.update_xaxes(title_text=f"announced wait ({unit})", range=[0, top / size], row=1, col=2)
        fig.update_yaxes(title_text=f"actual wait ({unit})", rangemode="tozero", row=1, col=2)
    fig = style(fig, 360)
    fig.update_layout(hovermode="closest")
    return fig
