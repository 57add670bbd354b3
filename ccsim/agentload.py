"""The agents' load of one replication, from its ``wellbeing.LoadLog``: recovery pauses and the
distribution of the agents' rolling occupancy, per agent group x interval (additive
agent-seconds, so that the tables sum them as they sum staffed time).

Rolling occupancy is sampled every ``SAMPLE_S`` seconds of simulated time for every agent
present (on a pause included): the agent's busy time over the last ``window`` of its group, as a
share of the window (time before the agent joined counting as idle). Each sample stands for
``SAMPLE_S`` agent-seconds; ``above_85_s`` etc. are the agent-seconds whose rolling occupancy
was above 85%, 90% and 95%.
"""

from __future__ import annotations

import numpy as np

from ccsim.metrics import span_overlap
from ccsim.model.wellbeing import LoadLog

THRESHOLDS = (0.85, 0.90, 0.95)
LOAD = ["pause_s", "pauses", "sampled_s", *(f"above_{round(t * 100)}_s" for t in THRESHOLDS)]
SAMPLE_S = 60.0


def load_seconds(log: LoadLog, spans: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """(LOAD, agent groups, intervals): pause seconds, pauses started, sampled agent-seconds
    and those above each threshold."""
    n_groups, n_iv = len(log.window), len(edges) - 1
    out = np.zeros((len(LOAD), n_groups, n_iv))
    p = log.pauses
    for g in range(n_groups):
        pg = p[p["group"] == g]
        out[0, g] = span_overlap(pg["start"], pg["end"], np.ones(len(pg)), edges)
        out[1, g] = _per_interval(pg["start"], np.ones(len(pg)), edges)
    windows = log.window
    present = spans[windows[spans["group"]] > 0]
    agent, group, t = _grid(present, edges)
    occ = rolling_occupancy(log.busy, agent, t, windows[group])
    for g in range(n_groups):
        m = group == g
        out[2, g] = _per_interval(t[m], np.full(int(m.sum()), SAMPLE_S), edges)
        for k, thr in enumerate(THRESHOLDS):
            above = m & (occ > thr)
            out[3 + k, g] = _per_interval(t[above], np.full(int(above.sum()), SAMPLE_S), edges)
    return out


def _per_interval(t: np.ndarray, weights: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Sum of ``weights`` by the measured interval of ``t`` (outside: left out)."""
    k = np.searchsorted(edges, t, side="right") - 1
    keep = (k >= 0) & (k < len(edges) - 1) & (t < edges[-1])
    return np.bincount(k[keep], weights=weights[keep], minlength=len(edges) - 1)


def _grid(spans: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(agent, group, time) of the sample times (multiples of SAMPLE_S) at which each agent
    was present within the measured time."""
    lo = np.maximum(spans["start"], edges[0])
    hi = np.minimum(spans["end"], edges[-1])
    first = np.ceil(lo / SAMPLE_S)
    n = np.maximum(np.ceil(hi / SAMPLE_S) - first, 0).astype(np.int64)
    rows = np.repeat(np.arange(len(spans)), n)
    step = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    t = (first[rows] + step) * SAMPLE_S
    return spans["agent"][rows].astype(np.int64), spans["group"][rows].astype(np.int64), t


def rolling_occupancy(busy: np.ndarray, agent: np.ndarray, t: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Busy time of ``agent`` within ``[t - window, t]`` over ``window``, for each query, from
    the busy periods (``wellbeing.SPAN``) of all agents: one sorted pass, the agents apart by a
    time offset larger than any time."""
    if not len(t):
        return np.zeros(0)
    if not len(busy):
        return np.zeros(len(t))
    span = float(max(busy["end"].max(), t.max())) + float(window.max()) + 1.0
    key = busy["agent"].astype(float) * span + busy["start"]
    order = np.argsort(key, kind="stable")
    key = key[order]
    dur = (busy["end"] - busy["start"])[order]
    before = np.concatenate([[0.0], np.cumsum(dur)])  # busy time before each period (all agents)

    def cumulative(x: np.ndarray) -> np.ndarray:
        k = np.searchsorted(key, x, side="right") - 1
        inside = np.clip(x - key[np.maximum(k, 0)], 0.0, dur[np.maximum(k, 0)])
        return np.where(k >= 0, before[np.maximum(k, 0)] + inside, 0.0)

    q = agent.astype(float) * span + t
    return (cumulative(q) - cumulative(q - window)) / window
