"""The back-test's comparison: observed, simulated and Erlang-A measures per key, and their errors.

``measures`` counts, per key (hour of the day, weekday, day, segment or contact type), the offered
contacts per day, the service level (answered within the channel's threshold over answered plus
abandoned), the ASA and the abandonment rate (abandoned over answered plus abandoned).
``compare`` puts the observed ones beside the simulated ones (mean over replications and 95%
half-width) and ``with_baseline`` adds the Erlang-A baseline's (``_erlang`` columns).

``errors`` summarises how far each model is from the observations: per measure, the mean
absolute error and the bias (model minus observed) over the keys, weighted by the observed
contacts of each key, and the error of the whole period (the ``all`` row). By hour, hours with
less than one contact a day are left out of the weighted errors (noise on both sides).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ccsim.calibrate import arrivals as A
from ccsim.confidence import t_half_width

KEYS = ("hour", "weekday", "day", "segment", "contact_type")
METRICS = ["offered", "service_level", "asa_s", "abandon_rate"]
BASELINE = ["service_level", "asa_s", "abandon_rate"]  # what the Erlang-A baseline predicts
MODELS = {"sim": "ccsim", "erlang": "Erlang A"}
QUIET_HOUR = 1.0  # contacts a day below which an hour is left out of the weighted errors


def key_of(frame: pd.DataFrame, by: str) -> pd.Series:
    t = frame["arrival"]
    if by == "hour":
        return t.dt.hour
    if by == "weekday":
        return t.dt.weekday.map(dict(enumerate(A.WEEKDAYS)))
    if by == "day":
        return t.dt.strftime("%Y-%m-%d")
    return frame[by].astype(str)


def _days_per_key(frame: pd.DataFrame, by: str, days: list[pd.Timestamp]) -> dict[str | int, int]:
    """Calendar days per key (hours are numbers, other keys text)."""
    if by == "weekday":
        return pd.Series([A.WEEKDAYS[d.weekday()] for d in days]).value_counts().to_dict()
    if by == "day":
        return {f"{d:%Y-%m-%d}": 1 for d in days}
    return {k: len(days) for k in key_of(frame, by).unique()}


def measures(
    frame: pd.DataFrame, by: str, within: dict[str, float], days: list[pd.Timestamp]
) -> pd.DataFrame:
    """The four measures per key of a table with arrival, outcome, wait_s, channel (+ key columns)."""
    f = frame.assign(key=key_of(frame, by).to_numpy())
    served = (f["outcome"] == "served").to_numpy()
    aband = (f["outcome"] == "abandoned").to_numpy()
    limit = f["channel"].map(within).astype(float).to_numpy()
    wait = f["wait_s"].to_numpy(dtype=float)
    f = f.assign(
        _served=served,
        _aband=aband,
        _within=served & (wait <= limit + 1e-9),
        _wait=np.where(served, wait, 0.0),
    )
    g = f.groupby("key", sort=True)[["_served", "_aband", "_within", "_wait"]].sum()
    g["_n"] = f.groupby("key", sort=True).size()
    tot = g.sum()
    tot.name = "all"
    g = pd.concat([g, tot.to_frame().T])
    n_days = _days_per_key(f, by, days)
    n_days["all"] = len(days)
    handled = g["_served"] + g["_aband"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame(
            {
                "offered": g["_n"] / pd.Series(n_days).reindex(g.index).fillna(1).clip(lower=1),
                "service_level": g["_within"] / handled,
                "asa_s": g["_wait"] / g["_served"],
                "abandon_rate": g["_aband"] / handled,
            },
            index=g.index,
        )
    return out.astype(float)


def compare(
    observed: pd.DataFrame,
    simulated: pd.DataFrame,
    by: str,
    within: dict[str, float],
    days: list[pd.Timestamp],
) -> pd.DataFrame:
    """Observed against simulated (mean and 95% half-width over replications), one row per key."""
    keep = simulated["arrival"].dt.normalize().isin(days)
    sim = simulated[keep & ~simulated["outcome"].isin(["passed_through"])]
    obs = _norm(measures(observed, by, within, days))
    per_rep = [_norm(measures(part, by, within, days)) for _, part in sim.groupby("replication")]
    keys = {k for frame in [obs, *per_rep] for k in frame.index if k != "all"}
    index = [*sorted(keys, key=_order(by)), "all"]
    out = pd.DataFrame(index=pd.Index(index, dtype=object, name=by))
    for m in METRICS:
        stack = np.array([p[m].reindex(index).to_numpy(dtype=float) for p in per_rep])
        if m == "offered":
            stack = np.nan_to_num(stack)
        out[f"{m}_obs"] = obs[m].reindex(index).to_numpy()
        out[f"{m}_sim"] = [_mean(stack[:, j]) for j in range(len(index))]
        out[f"{m}_sim_ci"] = [t_half_width(stack[:, j]) for j in range(len(index))]
    out["offered_obs"] = out["offered_obs"].fillna(0.0)
    return out.reset_index()


def with_baseline(table: pd.DataFrame, baseline: pd.DataFrame, by: str) -> pd.DataFrame:
    """``table`` (from ``compare``) with the baseline's measures as ``{measure}_erlang`` columns,
    each after the simulated ones."""
    base = _norm(baseline)
    out = table.copy()
    for m in BASELINE:
        values = base[m].reindex(out[by].tolist()).to_numpy(dtype=float)
        out.insert(out.columns.get_loc(f"{m}_sim_ci") + 1, f"{m}_erlang", values)
    return out


def errors(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per model and measure: weighted MAE and bias over the keys, and the all-period error.

    Weights are the observed contacts per key; keys where either side is undefined are left
    out, and by hour so are hours with fewer than ``QUIET_HOUR`` contacts a day.
    """
    rows = table[table[by].astype(str) != "all"]
    if by == "hour":
        rows = rows[rows["offered_obs"] >= QUIET_HOUR]
    total = table[table[by].astype(str) == "all"]
    out = []
    for model, label in MODELS.items():
        for m in BASELINE:
            if f"{m}_{model}" not in table.columns:
                continue
            diff = (rows[f"{m}_{model}"] - rows[f"{m}_obs"]).to_numpy(dtype=float)
            w = rows["offered_obs"].to_numpy(dtype=float)
            ok = np.isfinite(diff) & (w > 0)
            mae = float(np.average(np.abs(diff[ok]), weights=w[ok])) if ok.any() else float("nan")
            bias = float(np.average(diff[ok], weights=w[ok])) if ok.any() else float("nan")
            whole = float((total[f"{m}_{model}"] - total[f"{m}_obs"]).iloc[0]) if len(total) else float("nan")
            out.append(
                {"model": label, "measure": m, "mae": mae, "bias": bias, "all": whole, "keys": int(ok.sum())}
            )
    return pd.DataFrame(out)


def _norm(frame: pd.DataFrame) -> pd.DataFrame:
    """Keys as plain Python values (hours as int), so that tables of several runs align."""
    frame = frame.copy()
    frame.index = [k if isinstance(k, str) else int(k) for k in frame.index]
    return frame


def _mean(v: np.ndarray) -> float:
    v = v[np.isfinite(v)]
    return float(v.mean()) if len(v) else float("nan")


def _order(by: str) -> Callable[[str], int] | None:
    """The sort key of a comparison's keys: weekdays from Monday; None: the keys' own order."""
    if by == "weekday":
        return lambda k: A.WEEKDAYS.index(k) if k in A.WEEKDAYS else 99
    return None


def format_table(table: pd.DataFrame, by: str) -> str:
    """A Markdown table: observed | simulated (± half-width) for each measure."""

    def pct(v: float) -> str:
        return "–" if not np.isfinite(v) else f"{100 * v:.1f}%"

    def sec(v: float) -> str:
        return "–" if not np.isfinite(v) else f"{v:.0f}s"

    def num(v: float) -> str:
        return "–" if not np.isfinite(v) else f"{v:,.0f}"

    fmt = {"offered": num, "service_level": pct, "asa_s": sec, "abandon_rate": pct}
    heads = {"offered": "offered/day", "service_level": "SL", "asa_s": "ASA", "abandon_rate": "abandoned"}
    erl = [m for m in METRICS if f"{m}_erlang" in table.columns]
    cols = [by] + [
        f"{heads[m]} {s}" for m in METRICS for s in ("obs", "sim", "Erlang A") if s != "Erlang A" or m in erl
    ]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in table.iterrows():
        cells = [
            f"{row[by]:02d}:00" if by == "hour" and isinstance(row[by], int | np.integer) else str(row[by])
        ]
        for m in METRICS:
            f = fmt[m]
            ci = row[f"{m}_sim_ci"]
            cells.append(f(row[f"{m}_obs"]))
            cells.append(f(row[f"{m}_sim"]) + (f" ± {f(ci).rstrip('s')}" if np.isfinite(ci) else ""))
            if m in erl:
                cells.append(f(row[f"{m}_erlang"]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
