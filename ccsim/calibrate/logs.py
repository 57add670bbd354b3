"""Reading and writing call-log files (the format is described in ``ccsim.calibrate.calllog``).

``read_log`` reads ccsim's CSV or Parquet logs and, by their header, the real "Anonymous Bank"
text files (``ccsim.calibrate.bank``); ``to_log`` turns a ccsim run into a log, ``write_log``
writes one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ccsim.calibrate.bank import read_anonymous_bank
from ccsim.calibrate.calllog import CallLog as CallLog
from ccsim.calibrate.calllog import Facts
from ccsim.calibrate.calllog import LogError as LogError
from ccsim.calibrate.calllog import validate as validate
from ccsim.results import Results


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
    facts: Facts = {}
    for lg in logs:
        facts.update(lg.facts)
    return CallLog(
        frame,
        [s for lg in logs for s in lg.sources],
        facts,
        [n for lg in logs for n in lg.notes],
    )


def to_log(results: Results, replication: int = 0, start_date: str = "2024-01-01") -> CallLog:
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
