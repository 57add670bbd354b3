"""Reader of the "Anonymous Bank" call-centre data (Technion SEE lab, 1999) into a ``CallLog``.

The files are tab-separated, one call per row; their columns and quirks are described in
docs/howto/calibrate.md ("The Anonymous Bank files"). What the reader does with the quirks:

- ``PHANTOM`` rows (virtual calls) are dropped;
- a row whose priority field holds the priority and the type split by spaces (two in October)
  is repaired by moving the fields back into place;
- calls that ended in the VRU (``HANG`` without a queue start) never reached the agent stage and
  are dropped; the others arrive to the queueing system at ``vru_exit``;
- waits and service times come from the duration columns (clock times do not roll over at
  midnight): ``q_time`` is the wait, ``ser_time`` the handle time;
- ``AGENT`` rows without a server (``NO_SERVER``, a few seconds of "service") get the outcome
  ``passed_through``: they stay out of the demand and of every fit;
- priority 2 is the segment ``priority`` (served first, with a 1.5 min head start, recorded in
  ``facts``); 0 and 1 are the segment ``regular``;
- the bank's single telephone channel is called ``phone``; the type codes (PS, PE, IN, NE, NW,
  TT) are the contact types.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ccsim.calibrate.calllog import CallLog, LogError, validate

FIELDS = [
    "vru+line",
    "call_id",
    "customer_id",
    "priority",
    "type",
    "date",
    "vru_entry",
    "vru_exit",
    "vru_time",
    "q_start",
    "q_exit",
    "q_time",
    "outcome",
    "ser_start",
    "ser_exit",
    "ser_time",
    "server",
]
HEAD_START_S = 90.0  # "a priority customer gets a 1.5 min head start in the queue" (data README)
TYPES = {"PS", "PE", "IN", "NE", "NW", "TT"}


def _read_rows(path: Path) -> tuple[pd.DataFrame, int]:
    """The file as text columns; rows with the priority and type run together are repaired."""
    source = str(path)
    with path.open("rb") as fh:
        head = fh.readline().decode("latin-1")
    if not head.startswith("vru+line"):
        raise LogError(["not an Anonymous Bank file: the header must start with 'vru+line'"], source)
    if [h.strip() for h in head.split("\t")] != FIELDS:
        raise LogError([f"unexpected columns: {head.strip()}"], source)
    try:
        raw = pd.read_csv(path, sep="\t", dtype=str, encoding="latin-1", keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise LogError([f"cannot read the file: {exc}"], source) from None
    raw.columns = FIELDS
    short = (raw["server"] == "").to_numpy()
    for i in np.flatnonzero(short):
        pieces = str(raw.iat[i, 3]).split()
        if len(pieces) != 2:
            raise LogError([f"data row {i + 1}: 16 fields, expected 17"], source)
        raw.iloc[i, 5:] = raw.iloc[i, 4:-1].to_numpy()
        raw.iat[i, 3], raw.iat[i, 4] = pieces
    for col in ["priority", "type", "outcome", "server", "q_start"]:
        raw[col] = raw[col].str.strip()
    return raw, int(short.sum())


def _clock(values: pd.Series) -> np.ndarray:
    """'H:MM:SS' as seconds after midnight."""
    return pd.to_timedelta(values).dt.total_seconds().to_numpy(dtype=float)


def read_anonymous_bank(path: str | Path) -> CallLog:
    """Read one month of the Anonymous Bank data as a ``CallLog`` (see the module notes)."""
    p = Path(path)
    source = str(p)
    raw, repaired = _read_rows(p)
    n_rows = len(raw)
    phantom = raw["outcome"] == "PHANTOM"
    raw = raw[~phantom]
    queued = raw["q_start"] != "0:00:00"
    in_vru = (raw["outcome"] == "HANG") & ~queued
    raw = raw[~in_vru].copy()
    odd = ~raw["outcome"].isin(["AGENT", "HANG"])
    if odd.any():
        raise LogError([f"unknown outcome {raw.loc[odd, 'outcome'].iloc[0]!r}"], source)
    try:
        day = pd.to_datetime(raw["date"], format="%y%m%d")
        entry, leave = _clock(raw["vru_entry"]), _clock(raw["vru_exit"])
        q_time = raw["q_time"].astype(float).to_numpy()
        ser_time = raw["ser_time"].astype(float).to_numpy()
        priority = raw["priority"].astype(int).to_numpy()
    except (ValueError, TypeError) as exc:
        raise LogError([f"a field cannot be read: {exc}"], source) from None
    leave = np.where(leave < entry - 3600, leave + 86400, leave)  # the VRU stay crossed midnight
    arrival = day + pd.to_timedelta(leave, unit="s")
    agent = raw["outcome"].to_numpy() == "AGENT"
    server = raw["server"].to_numpy()
    no_server = agent & (server == "NO_SERVER")
    outcome = np.where(agent, "served", "abandoned")
    outcome = np.where(no_server, "passed_through", outcome)
    types = raw["type"].to_numpy()
    frame = pd.DataFrame(
        {
            "arrival": arrival.to_numpy(),
            "outcome": outcome,
            "wait_s": q_time,
            "handle_s": np.where(agent, ser_time, np.nan),
            "channel": "phone",
            "contact_type": types,
            "segment": np.where(priority == 2, "priority", "regular"),
            "priority": np.where(priority == 2, 0, 1),
            "agent_id": np.where(agent & ~no_server, server, ""),
            "customer_id": raw["customer_id"].to_numpy(),
        }
    )
    log = CallLog(validate(frame, source), [p.name])
    log.facts["head_start"] = {"priority": HEAD_START_S}
    log.facts["head_start_source"] = "the data's README: priority customers get a 1.5 min head start"
    unknown = sorted(set(types) - TYPES)
    log.notes.append(
        f"{p.name}: {n_rows:,} rows; dropped {int(phantom.sum()):,} PHANTOM and {int(in_vru.sum()):,} "
        f"that ended in the VRU; {int(no_server.sum()):,} AGENT rows without a server kept as "
        f"passed_through; {repaired} row(s) with priority and type run together repaired"
        + (f"; unknown type code(s) {', '.join(unknown)}" if unknown else "")
    )
    return log
