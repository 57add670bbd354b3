"""The data of the report's "Customer journeys" section: whether a run uses journey policies
(``uses_journeys``), the three small aggregates of the contacts table kept by ``aggregate``
(answered contacts per channel x segment x tier, contacts per channel x origin x outcome,
predicted against actual waits in bins), the same tables from the intervals' counts when there
is no contacts table, the escalation routes of a config, and the means with 95% half-widths
across replications the figures of ``ccsim.report.journeys`` draw.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ccsim.confidence import t_half_width
from ccsim.model.store import OUTCOMES

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
    "chased",
    "chases",
    "late_answered",
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
    "chase": "chasing an unanswered contact",
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


def journey_aggregates(
    intervals: pd.DataFrame, contacts: pd.DataFrame | None
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, pd.DataFrame | None]:
    """The journey aggregates of the contacts table (a run with journeys only): who answered
    (``tiers``), where contacts came from (``origins``) and the announcements' calibration, each
    None where the run has no such data."""
    if contacts is None or not len(contacts) or not uses_journeys(intervals):
        return None, None, None
    tiers = tiers_from_contacts(contacts) if "served_by" in contacts.columns else None
    origins = origins_from_contacts(contacts) if "origin" in contacts.columns else None
    calibration = announce_calibration(contacts) if "predicted_wait_s" in contacts.columns else None
    return tiers, origins, calibration


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
