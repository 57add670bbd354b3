"""The call log that ``ccsim calibrate`` and ``ccsim backtest`` read: ``CallLog``, its columns and
their checks (``validate``).

A call log has one row per contact, as CSV or Parquet:

============== ======== =================================================================
column         needed   meaning
============== ======== =================================================================
arrival        yes      date and time the contact reached the queueing system (after any
                        IVR), e.g. ``2024-01-01 08:00:05``
outcome        yes      ``served``, ``abandoned``, or another ccsim outcome (``blocked``,
                        ``closed``, ``balked``, ``passed_through``, ...)
wait_s         yes      seconds from arrival to answer (served) or to hanging up (abandoned)
handle_s       served   talk time in seconds
wrap_s         no       after-contact work in seconds
channel        no       channel name (default ``phone``)
contact_type   no       reason for contacting (default ``general``)
segment        no       customer tier (default ``standard``)
priority       no       queue priority of the segment, smaller served first (ccsim's rule)
agent_id       served   the agent who answered (any text); needed for the staffing proxy
agent_group    no       the agent's team; without it teams are inferred from what agents serve
customer_id    no       the customer
============== ======== =================================================================

``passed_through`` rows (not service calls) are kept in the log but left out of the demand and
of every fit. Files are read and written by ``ccsim.calibrate.logs``
(the real "Anonymous Bank" data by ``ccsim.calibrate.bank``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypedDict

import numpy as np
import pandas as pd

from ccsim.config.errors import ConfigError
from ccsim.model.store import OUTCOMES as ENGINE_OUTCOMES

REQUIRED = ["arrival", "outcome", "wait_s"]
DEFAULTS = {"channel": "phone", "contact_type": "general", "segment": "standard"}
OPTIONAL = ["handle_s", "wrap_s", "priority", "agent_id", "agent_group", "customer_id"]
COLUMNS = [*REQUIRED, *DEFAULTS, *OPTIONAL]
OUTCOMES = set(ENGINE_OUTCOMES)  # a log's outcomes are the simulator's
NOT_DEMAND = {"passed_through"}  # kept in the log, left out of the demand and the fits
_NAME = re.compile(r"[^A-Za-z0-9_\-]+")


class LogError(ConfigError):
    """A call log that cannot be read: the file, the column or row, and what is wrong."""


class Facts(TypedDict, total=False):
    """What a log's documentation says but its rows do not."""

    head_start: dict[str, float]  # segment -> the head start its contacts get in the queue, s
    head_start_source: str  # where that was read


@dataclass
class CallLog:
    """A validated call log: ``frame`` holds the columns above (arrival as datetime64).

    ``sources`` names the files read; ``facts`` carries what the data's documentation says
    but the rows do not (e.g. ``head_start`` per segment, in seconds); ``notes`` what the
    reader dropped or changed, for the provenance comments of the scenario.
    """

    frame: pd.DataFrame
    sources: list[str] = field(default_factory=list)
    facts: Facts = field(default_factory=Facts)
    notes: list[str] = field(default_factory=list)

    @property
    def demand(self) -> pd.DataFrame:
        """The rows that count as demand (all but ``passed_through``)."""
        return self.frame[~self.frame["outcome"].isin(list(NOT_DEMAND))]

    @property
    def days(self) -> list[pd.Timestamp]:
        """The calendar days with at least one contact (days missing from the log are gaps)."""
        return sorted(pd.Series(self.frame["arrival"].dt.normalize().unique()))

    def between(self, first: str | None = None, last: str | None = None) -> CallLog:
        """The contacts that arrived on days ``first`` to ``last`` (inclusive, ``YYYY-MM-DD``)."""
        day = self.frame["arrival"].dt.normalize()
        keep = np.ones(len(day), dtype=bool)
        if first:
            keep &= day >= pd.Timestamp(first)
        if last:
            keep &= day <= pd.Timestamp(last)
        return CallLog(self.frame[keep].reset_index(drop=True), self.sources, self.facts, self.notes)

    def __len__(self) -> int:
        return len(self.frame)


def clean_name(value: object) -> str:
    """A name usable in a scenario (letters, digits, ``_`` and ``-``)."""
    text = _NAME.sub("_", str(value).strip()).strip("_")
    return text or "unnamed"


def validate(frame: pd.DataFrame, source: str = "log") -> pd.DataFrame:
    """Check and normalise a log table; raise ``LogError`` naming the column and a bad row."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        have = ", ".join(map(str, frame.columns[:12]))
        raise LogError([f"missing column(s) {', '.join(missing)} (the file has: {have})"], source)
    out = pd.DataFrame(index=frame.index)
    arrival = pd.to_datetime(frame["arrival"], errors="coerce")
    _no_bad(
        arrival.isna(), frame["arrival"], "arrival", "a date and time such as 2024-01-01 08:00:05", source
    )
    if getattr(arrival.dt, "tz", None) is not None:  # keep the local clock time
        arrival = arrival.dt.tz_localize(None)
    out["arrival"] = arrival.astype("datetime64[ns]")
    outcome = frame["outcome"].astype(str).str.strip().str.lower()
    _no_bad(~outcome.isin(list(OUTCOMES)), frame["outcome"], "outcome", "served, abandoned, ...", source)
    out["outcome"] = outcome
    for col in ["wait_s", "handle_s", "wrap_s"]:
        if col in frame.columns:
            vals = pd.to_numeric(frame[col], errors="coerce")
            bad = vals < 0
            if col == "wait_s":
                bad |= vals.isna() & outcome.isin(["served", "abandoned"])
            _no_bad(bad, frame[col], col, "seconds >= 0", source)
            out[col] = vals.astype(float)
    served = outcome == "served"
    if ("handle_s" not in out or out.loc[served, "handle_s"].isna().all()) and served.any():
        raise LogError(["column handle_s is needed for served contacts (talk time in seconds)"], source)
    for col, default in DEFAULTS.items():
        if col in frame.columns:
            text = frame[col].fillna(default).astype(str)
            names = {v: clean_name(v) for v in text.unique()}
            out[col] = text.map(names)
        else:
            out[col] = default
    if "priority" in frame.columns:
        prio = pd.to_numeric(frame["priority"], errors="coerce")
        _no_bad(prio.isna() | (prio < 0), frame["priority"], "priority", "a whole number >= 0", source)
        out["priority"] = prio.astype(int)
    for col in ["agent_id", "agent_group", "customer_id"]:
        if col in frame.columns:
            text = frame[col].astype("string").fillna("").str.strip()
            out[col] = text.replace({"nan": "", "None": "", "-1": ""}).astype(str)
    if "agent_group" in out:
        out["agent_group"] = [clean_name(g) if g else "" for g in out["agent_group"]]
    return out.sort_values("arrival", kind="stable").reset_index(drop=True)


def _no_bad(bad: pd.Series, raw: pd.Series, column: str, want: str, source: str) -> None:
    if bool(bad.any()):
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise LogError(
            [
                f"column {column}: {int(bad.sum())} row(s) are not {want}; first at data row {i + 1} "
                f"(got {raw.iloc[i]!r})"
            ],
            source,
        )
