"""Figures of the report's "Customer journeys" section: who answered (personal agent, deputy, pool,
partner), callbacks and promises, repeat contacts and first-contact resolution, escalations,
and the bias of the wait announcement.

The section (``ccsim.report.journey_section``) appears only when a run uses journey policies
(``uses_journeys``). Like every figure function, each one here returns a
``plotly.graph_objects.Figure`` built from aggregated tables: the intervals and per-replication
tables, and three small aggregates of the contacts table kept by ``journey_aggregates`` (answered
contacts per channel x segment x tier, contacts per channel x origin x outcome, predicted
against actual waits in bins). Without a contacts table the intervals' counts stand in. Those
tables are made in ``ccsim.report.journeys_data``, whose names are importable from here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ccsim.report.journeys_data import CONTACT_COLUMNS as CONTACT_COLUMNS
from ccsim.report.journeys_data import JOURNEY_COUNTS as JOURNEY_COUNTS
from ccsim.report.journeys_data import JOURNEY_OUTCOMES as JOURNEY_OUTCOMES
from ccsim.report.journeys_data import ORIGINS, TIER_COLOURS, TIERS, _counts, across, kpi
from ccsim.report.journeys_data import announce_calibration as announce_calibration
from ccsim.report.journeys_data import escalation_routes as escalation_routes
from ccsim.report.journeys_data import journey_aggregates as journey_aggregates
from ccsim.report.journeys_data import origins_from_contacts as origins_from_contacts
from ccsim.report.journeys_data import origins_from_intervals as origins_from_intervals
from ccsim.report.journeys_data import tiers_from_contacts as tiers_from_contacts
from ccsim.report.journeys_data import tiers_from_intervals as tiers_from_intervals
from ccsim.report.journeys_data import uses_journeys as uses_journeys
from ccsim.report.style import TARGET, colour, errors, rgba, style, time_unit

__all__ = [
    "announcement_bias",
    "callbacks_and_promises",
    "escalations",
    "journey_aggregates",
    "repeats_and_fcr",
    "uses_journeys",
    "who_answered",
]


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
        segs = [
            s for s in dict.fromkeys(part["segment"]) if part.loc[part["segment"] == s, "served"].sum() > 0
        ]
        _tier_shares(fig, part, ch, i, reps, segs, shown)
        _tier_asa(fig, part, ch, i, segs, shown)
    fig.update_layout(barmode="group")
    fig = style(fig, 90 + 260 * len(channels))
    fig.update_layout(hovermode="closest")
    return fig


def _tier_shares(
    fig: go.Figure, part: pd.DataFrame, ch: str, row: int, reps: list[Any], segs: list[Any], shown: set[str]
) -> None:
    """Row ``row``, left: the share of a channel's answered contacts by who answered, stacked per
    segment (``shown``: the legend entries already drawn, added to)."""
    table = part.pivot_table(
        index=["replication", "segment"], columns="tier", values="served", aggfunc="sum", fill_value=0
    )
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
            row=row,
            col=1,
        )
        shown.add(tier)
        base = base + stats["mean"].fillna(0).to_numpy()
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02], row=row, col=1)


def _tier_asa(
    fig: go.Figure, part: pd.DataFrame, ch: str, row: int, segs: list[Any], shown: set[str]
) -> None:
    """Row ``row``, right: a channel's ASA per segment by who answered, with 95% whiskers."""
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
            row=row,
            col=2,
        )
        shown.add(group)
    fig.update_yaxes(title_text=f"ASA ({unit})", rangemode="tozero", row=row, col=2)


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
        _calibration_panel(fig, calibration)
    fig = style(fig, 360)
    fig.update_layout(hovermode="closest")
    return fig


def _calibration_panel(fig: go.Figure, calibration: pd.DataFrame) -> None:
    """Right: actual against announced wait per channel (mean, and the 10th to 90th percentile as
    a band) in bins of the announcement, with the diagonal of a right announcement. The x axis
    spans the announcements."""
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
