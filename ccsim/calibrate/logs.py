"""The call-log format that ``ccsim calibrate`` and ``ccsim backtest`` read, and its readers.

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
of every fit. The real "Anonymous Bank" data has its own reader in ``ccsim.calibrate.bank``;
``read_log`` recognises its header and uses it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


@dataclass
class CallLog:
    """A validated call log: ``frame`` holds the columns above (arrival as datetime64).

    ``sources`` names the files read; ``facts`` carries what the data's documentation says
    but the rows do not (e.g. ``head_start`` per segment, in seconds); ``notes`` what the
    reader dropped or changed, for the provenance comments of the scenario.
    """

    frame: pd.DataFrame
    sources: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
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


def read_log(paths: str | Path | Sequence[str | Path], format: str = "auto") -> CallLog:
    """Read one or more log files (ccsim CSV or Parquet, or the Anonymous Bank text files).

    ``format`` is ``"auto"`` (by the file's header), ``"ccsim"`` or ``"anonymous_bank"``.
    """
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    if not items:
        raise LogError(["no log file given"])
    logs = []
    for item in items:
        p = Path(item)
        if not p.exists():
            raise LogError([f"file not found: {p}"])
        if p.is_dir():
            raise LogError([f"{p} is a folder; give a call-log file (CSV, Parquet or the bank's .txt)"])
        kind = format if format != "auto" else sniff(p)
        if kind == "anonymous_bank":
            from ccsim.calibrate.bank import read_anonymous_bank

            logs.append(read_anonymous_bank(p))
        elif kind == "ccsim":
            logs.append(_read_ccsim(p))
        else:
            raise LogError([f"unknown log format {kind!r}: use auto, ccsim or anonymous_bank"])
    return combine(logs)


def sniff(path: Path) -> str:
    if path.suffix.lower() == ".parquet":
        return "ccsim"
    with path.open("rb") as fh:
        head = fh.readline(4096).decode("utf-8", errors="replace")
    return "anonymous_bank" if head.startswith("vru+line") else "ccsim"


def _read_ccsim(path: Path) -> CallLog:
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype={"agent_id": "string", "customer_id": "string"})
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise LogError([f"cannot read the log: {exc}"], str(path)) from None
    return CallLog(validate(frame, str(path)), [path.name])


def combine(logs: Sequence[CallLog]) -> CallLog:
    """One log of several (e.g. two months)."""
    if len(logs) == 1:
        return logs[0]
    frame = pd.concat([lg.frame for lg in logs], ignore_index=True)
    frame = frame.sort_values("arrival", kind="stable").reset_index(drop=True)
    facts: dict[str, Any] = {}
    for lg in logs:
        facts.update(lg.facts)
    return CallLog(
        frame,
        [s for lg in logs for s in lg.sources],
        facts,
        [n for lg in logs for n in lg.notes],
    )


def to_log(results: Any, replication: int = 0, start_date: str = "2024-01-01") -> CallLog:
    """The contacts of one replication of a ccsim run as a call log (a known truth to calibrate).

    The measured time starts at ``scenario.start`` on ``start_date`` (2024-01-01 is a Monday).
    """
    c = results.contacts
    if c is None:
        raise ValueError("the run kept no contacts table; simulate with contacts=True")
    c = c[c["replication"] == replication]
    sc = results.scenario.scenario
    origin = pd.Timestamp(start_date) + pd.to_timedelta(sc.start, unit="s")
    served = c["outcome"].astype(str) == "served"
    agent = c["agent_id"].astype(int)
    frame = pd.DataFrame(
        {
            "arrival": origin + pd.to_timedelta(c["arrival_s"].to_numpy(), unit="s"),
            "outcome": c["outcome"].astype(str).to_numpy(),
            "wait_s": c["wait_s"].to_numpy(dtype=float),
            "handle_s": c["handle_s"].to_numpy(dtype=float),
            "wrap_s": c["wrap_s"].to_numpy(dtype=float),
            "channel": c["channel"].astype(str).to_numpy(),
            "contact_type": c["contact_type"].astype(str).to_numpy(),
            "segment": c["segment"].astype(str).to_numpy(),
            "priority": [results.scenario.segments[s].priority for s in c["segment"].astype(str)],
            "agent_id": np.where(served & (agent >= 0), agent.astype(str), ""),
            "agent_group": np.where(served, c["agent_group"].astype(str), ""),
            "customer_id": c["customer_id"].astype(str).to_numpy(),
        }
    )
    return CallLog(validate(frame, "simulated"), [f"ccsim run of {results.scenario.name!r}"])


def write_log(log: CallLog, path: str | Path) -> Path:
    """Write a log as CSV or Parquet (by the file's suffix)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.suffix.lower() == ".parquet":
        log.frame.to_parquet(p, index=False)
    else:
        log.frame.to_csv(p, index=False, date_format="%Y-%m-%d %H:%M:%S.%f")
    return p
