"""The simulator against what is known: closed forms, Little's law, conservation, invariants.

Statistical criterion (docs/explanation/validation.md)
-------------------------------------------
Each replication of a scenario gives one value of a KPI (``results.per_replication``); the
replications are independent (one child seed each) and every value is a ratio over thousands
of contacts, so by the central limit theorem their mean is close to normal. The test builds a
two-sided **99.9% Student-t confidence interval** from those values,

    half_width = t(0.9995, R - 1) * s / sqrt(R),

and asserts ``|simulated mean - exact| <= half_width``. With a correct engine a single
comparison fails with probability 0.1% for a random seed; the file makes about 50 comparisons,
so a fresh seed would give a false alarm at most about 5% of the time (the seeds are fixed, so
the outcome is deterministic run to run). A 95% interval would give false alarms in most runs of
the file; a wider, hand-picked factor would hide real bias. To make sure no comparison passes
merely because its interval is wide, every one also asserts that its half-width is below a
stated share of the exact value (``max_rel``): the precision is part of the test.

Systematic errors the interval does not cover are made negligible by design: each replication
starts empty and discards a warm-up of at least ten mean handle times; the measured time is
hundreds to thousands of handle times long, so the end effects (no arrivals after the end;
with FCFS a wait does not even depend on later arrivals) are O(relaxation / duration); the
KPIs are ratios over >= 1,000 contacts per replication, so their ratio bias is O(1 / contacts).

The long, tight runs are marked ``slow``; the quick cases run in every ``pytest`` call.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import t as student_t

import ccsim
from ccsim import analytic

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
LEVEL = 0.999  # two-sided confidence level of every comparison with a closed form
OUTCOMES = ["served", "abandoned", "blocked", "closed", "unfinished"]
FIGURES: dict[str, list[str]] = {}  # simulated vs exact, printed (pytest -s) for validation.md


# --------------------------------------------------------------------------- helpers


def ci(values: np.ndarray) -> tuple[float, float]:
    """Mean and 99.9% Student-t half-width of independent per-replication values."""
    v = np.asarray(values, dtype=float)
    assert np.isfinite(v).all(), "a replication produced no value for this KPI"
    r = len(v)
    assert r >= 10, "too few replications for a t interval"
    return float(v.mean()), float(student_t.ppf(0.5 + LEVEL / 2, r - 1) * v.std(ddof=1) / math.sqrt(r))


def per_rep(results: ccsim.Results, kpi: str, by: str = "all", group: str = "all") -> np.ndarray:
    """One value of ``kpi`` per replication, from ``results.per_replication``."""
    pr = results.per_replication
    rows = pr[(pr["group_by"] == by) & (pr["group"] == group)].sort_values("replication")
    assert len(rows) == results.replications
    return rows[kpi].to_numpy(dtype=float)


def check_kpi(
    results: ccsim.Results,
    kpi: str,
    exact: float,
    max_rel: float,
    by: str = "all",
    group: str = "all",
    figures: list[str] | None = None,
) -> None:
    """Assert the simulated KPI matches ``exact`` within its 99.9% interval (see module doc)."""
    values = per_rep(results, kpi, by, group)
    mean, hw = ci(values)
    # the published summary agrees with the per-replication values it is built from
    summary_mean, summary_hw95 = results.kpi(kpi, by, group)
    assert summary_mean == pytest.approx(mean, rel=1e-12, abs=1e-12)
    r = len(values)
    assert hw == pytest.approx(
        summary_hw95 * student_t.ppf(0.5 + LEVEL / 2, r - 1) / student_t.ppf(0.975, r - 1), rel=1e-9
    )
    _compare(f"{kpi} [{by}={group}]", mean, hw, exact, max_rel, figures)


def _compare(
    label: str, mean: float, hw: float, exact: float, max_rel: float, figures: list[str] | None
) -> None:
    line = f"{label}: simulated {mean:.6g} +- {hw:.3g} (99.9%), exact {exact:.6g}"
    if figures is not None:
        figures.append(line)
    print(line)
    assert hw <= max_rel * abs(exact), f"interval too wide to be a test: {line}"
    assert abs(mean - exact) <= hw, f"outside the 99.9% interval: {line}"


def voice_queue(
    *,
    rate: str,
    handle: str | dict[str, Any],
    agents: int,
    patience: str | None = None,
    within: str = "20s",
    definition: str = "offered",
    lines: int | None = None,
    duration: str = "8h",
    warmup: str = "1h",
) -> dict[str, Any]:
    """One voice channel, one segment, one contact type, one agent group: M/G/n(+M)(/lines)."""
    channel: dict[str, Any] = {
        "kind": "voice",
        "service_level": {"within": within, "target": 0.8, "definition": definition},
    }
    if lines is not None:
        channel["lines"] = lines
    segment: dict[str, Any] = {"priority": 1}
    if patience is not None:
        segment["patience"] = {"dist": "exponential", "mean": patience}
    handle_dist = {"dist": "exponential", "mean": handle} if isinstance(handle, str) else handle
    return {
        "scenario": {"name": "validation", "duration": duration, "warmup": warmup,
                     "interval": duration, "replications": 1, "seed": 1},
        "channels": {"phone": channel},
        "segments": {"standard": segment},
        "contact_types": {"general": {"handle": handle_dist}},
        "demand": [{"channel": "phone", "contact_type": "general", "segment": "standard", "rate": rate}],
        "agents": {"pool": {"count": agents, "skills": ["general"], "channels": ["phone"]}},
    }  # fmt: skip


def p_wait_per_rep(results: ccsim.Results) -> np.ndarray:
    """Share of served contacts that waited at all (wait_s > 0), per replication."""
    c = results.contacts
    assert c is not None
    served = c[c["outcome"] == "served"]
    share = (served["wait_s"] > 0).groupby(served["replication"]).mean()
    assert len(share) == results.replications
    return share.to_numpy(dtype=float)


# --------------------------------------------------------------------------- 1. Erlang C


ERLANG_C_CASES = [
    # agents, rate, handle, replications, measured time per replication, max_rel of the ASA
    pytest.param(5, "0.875/min", "4min", 40, "8d", 0.10, id="n5-a3.5"),
    pytest.param(20, "3.4/min", "5min", 40, "25d", 0.05, id="n20-a17", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("agents", "rate", "handle", "reps", "duration", "asa_rel"), ERLANG_C_CASES)
def test_erlang_c(agents: int, rate: str, handle: str, reps: int, duration: str, asa_rel: float) -> None:
    """M/M/n without abandonment: P(wait > 0) = C(n, a), SL(20 s, 'answered') and ASA.

    P(wait > 0) is the share of served contacts whose ``wait_s`` is positive (taken from the
    contacts table, per replication); the service level uses the 'answered' definition, which
    without abandonment is the same as every other definition.
    """
    raw = voice_queue(rate=rate, handle=handle, agents=agents, definition="answered", duration=duration)
    scn = ccsim.from_dict(raw)
    res = ccsim.simulate(scn, replications=reps, seed=11)
    lam, h = scn.demand[0].rate, scn.contact_types["general"].handle.mean
    assert lam is not None
    exact = analytic.erlang_c_metrics(lam, h, agents, within=20.0, definition="answered")
    assert res.sl_definitions["phone"] == "answered within 20s / answered"
    figs = FIGURES.setdefault(f"Erlang C n={agents}", [])
    _compare("P(wait>0)", *ci(p_wait_per_rep(res)), exact.p_wait, 0.04, figs)
    check_kpi(res, "service_level", exact.service_level, 0.03, figures=figs)
    check_kpi(res, "asa_s", exact.asa, asa_rel, figures=figs)
    assert res.kpi("abandoned")[0] == 0 and res.kpi("unfinished")[0] == 0


# --------------------------------------------------------------------------- 2. Erlang A


@pytest.mark.slow
def test_erlang_a_design_case() -> None:
    """The benchmark's case (configs/erlang_a.toml), M/M/100+M: 19.5 calls/min, handle 5 min, patience 3 min.

    P(abandon) is ``abandon_rate`` (abandoned / (answered + abandoned)), ASA the mean wait of
    answered contacts, the service level 'offered' (answered within 20 s / (answered +
    abandoned)), the mean wait is over answered and abandoned contacts alike.
    """
    scn = ccsim.load(CONFIGS / "erlang_a.toml").with_overrides(
        {"scenario.duration": "4d", "scenario.interval": "1d"}
    )
    res = ccsim.simulate(scn, replications=40, seed=5, contacts=False)
    exact = analytic.erlang_a(19.5 / 60, 300.0, 100, 180.0, within=20.0, definition="offered")
    figs = FIGURES.setdefault("Erlang A n=100", [])
    check_kpi(res, "abandon_rate", exact.p_abandon, 0.04, figures=figs)
    check_kpi(res, "asa_s", exact.asa, 0.04, figures=figs)
    check_kpi(res, "service_level", exact.service_level, 0.01, figures=figs)
    check_kpi(res, "mean_wait_s", exact.mean_wait, 0.04, figures=figs)


SL_DEFINITIONS = ["offered", "answered", "offered_excl_short", "answered_or_abandoned"]
SMALL_A = {"rate": 1 / 60, "handle": 240.0, "agents": 5, "patience": 120.0}


def four_definitions_dict(replications: int = 40, duration: str = "2d") -> dict[str, Any]:
    """Four independent M/M/5+M queues, one per channel, each reporting one SL definition.

    The definition does not change what happens, only how it is counted; one channel per
    definition checks all four in one run (each channel has its own agents and demand).
    """
    base = voice_queue(rate="1/min", handle="4min", agents=5, patience="2min", duration=duration)
    raw = {k: v for k, v in base.items() if k not in ("channels", "demand", "agents")}
    raw["scenario"] = {**base["scenario"], "replications": replications}
    raw["channels"], raw["demand"], raw["agents"] = {}, [], {}
    for d in SL_DEFINITIONS:
        raw["channels"][d] = {
            "kind": "voice",
            "service_level": {"within": "20s", "target": 0.8, "definition": d, "short_abandon": "5s"},
        }
        raw["demand"].append(_demand(d, "1/min"))
        raw["agents"][f"pool_{d}"] = {"count": 5, "skills": ["general"], "channels": [d]}
    return raw


@pytest.fixture(scope="module")
def small_erlang_a() -> ccsim.Results:
    return ccsim.simulate(ccsim.from_dict(four_definitions_dict()), seed=3)


@pytest.mark.parametrize("definition", SL_DEFINITIONS)
def test_erlang_a_small_case(small_erlang_a: ccsim.Results, definition: str) -> None:
    """M/M/5+M (1 call/min, handle 4 min, patience 2 min): every SL definition, abandonment, ASA.

    The exact service level under each definition comes from ``QueueMetrics.service_level_for``
    (threshold 20 s, short abandons under 5 s for 'offered_excl_short').
    """
    exact = analytic.erlang_a(**SMALL_A, within=20.0, short_abandon=5.0)
    res = small_erlang_a
    figs = FIGURES.setdefault(f"Erlang A n=5 [{definition}]", [])
    check_kpi(res, "service_level", exact.service_level_for(definition), 0.03, "channel", definition, figs)
    check_kpi(res, "abandon_rate", exact.p_abandon, 0.06, "channel", definition, figs)
    check_kpi(res, "asa_s", exact.asa, 0.08, "channel", definition, figs)
    check_kpi(res, "mean_wait_s", exact.mean_wait, 0.08, "channel", definition, figs)


# --------------------------------------------------------------------------- 3. Erlang B


LOGNORMAL_5MIN = {"dist": "lognormal", "mean": "5min", "cv": 1.5}


@pytest.mark.parametrize(
    ("handle", "reps", "duration", "max_rel"),
    [
        pytest.param("5min", 30, "3d", 0.07, id="exponential-quick"),
        pytest.param("5min", 40, "10d", 0.035, id="exponential-tight", marks=pytest.mark.slow),
        # Erlang B is insensitive to the handle-time law: a lognormal with cv 1.5 gives the same
        pytest.param(LOGNORMAL_5MIN, 40, "10d", 0.035, id="lognormal-tight", marks=pytest.mark.slow),
    ],
)
def test_erlang_b(handle: str | dict[str, Any], reps: int, duration: str, max_rel: float) -> None:
    """Loss system M/G/n/n: 10 lines, 10 agents, 8 Erlangs offered; blocking = B(10, 8).

    ``block_rate`` = blocked / (offered - closed). With as many agents as lines a contact that
    gets a line always finds a free agent, so nobody queues. Blocking depends on the handle time
    only through its mean (Erlang B insensitivity), so a lognormal handle time gives the same.
    """
    raw = voice_queue(rate="1.6/min", handle=handle, agents=10, lines=10, duration=duration)
    res = ccsim.simulate(ccsim.from_dict(raw), replications=reps, seed=7)
    label = "Erlang B lines=10 " + ("exponential" if isinstance(handle, str) else "lognormal cv 1.5")
    exact = analytic.erlang_b(10, 1.6 * 5)
    check_kpi(res, "block_rate", exact, max_rel, figures=FIGURES.setdefault(label, []))
    c = res.contacts
    assert c is not None
    assert (c.loc[c["outcome"] == "served", "wait_s"] == 0).all(), "a contact queued in a loss system"


def test_erlang_b_agents_beyond_lines_idle() -> None:
    """With more agents than lines the lines alone decide: with common random numbers the
    outcome and wait of every contact are exactly those with agents = lines."""
    raw = voice_queue(rate="1.6/min", handle="5min", agents=10, lines=10, duration="1d")
    scn = ccsim.from_dict(raw)
    a = ccsim.simulate(scn, replications=3, seed=7)
    b = ccsim.simulate(scn.with_overrides({"agents.pool.count": 13}), replications=3, seed=7)
    assert a.contacts is not None and b.contacts is not None
    assert (a.contacts["outcome"] == "blocked").sum() > 100
    for col in ["arrival_s", "outcome", "wait_s", "handle_s"]:
        pd.testing.assert_series_equal(a.contacts[col], b.contacts[col], check_exact=True)


# --------------------------------------------------------------------------- 4. priorities


def cobham_dict(duration: str) -> dict[str, Any]:
    """M/M/3, 2.1 Erlangs, 40% VIP (priority 0) and 60% standard (priority 1), same handle."""
    raw = voice_queue(rate="0.42/min", handle="5min", agents=3, duration=duration)
    raw["segments"] = {"vip": {"priority": 0}, "standard": {"priority": 1}}
    raw["demand"][0]["segment"] = {"vip": 0.4, "standard": 0.6}
    return raw


@pytest.mark.parametrize(
    ("reps", "duration", "max_rel"),
    [
        pytest.param(30, "15d", 0.15, id="quick"),
        pytest.param(40, "60d", 0.04, id="tight", marks=pytest.mark.slow),
    ],
)
def test_priority_cobham(reps: int, duration: str, max_rel: float) -> None:
    """Non-preemptive priority M/M/n (Cobham 1954): mean wait of each class.

    ``W_k = W_0 / ((1 - s_{k-1})(1 - s_k))`` with ``W_0 = C(n, a) h / n``. The classes share
    one channel, one contact type and one exponential handle time; nobody abandons, so
    ``mean_wait_s`` is the mean wait of the class. The overall mean wait must still be the
    Erlang C one (a work-conserving discipline does not change the total queue).
    """
    res = ccsim.simulate(ccsim.from_dict(cobham_dict(duration)), replications=reps, seed=13, contacts=False)
    lam, h, n = 0.42 / 60, 300.0, 3
    w_vip, w_std = analytic.priority_waits([0.4 * lam, 0.6 * lam], h, n)
    figs = FIGURES.setdefault(f"Cobham {duration}", [])
    check_kpi(res, "mean_wait_s", w_vip, max_rel * 0.6, "segment", "vip", figs)
    check_kpi(res, "mean_wait_s", w_std, max_rel, "segment", "standard", figs)
    check_kpi(res, "mean_wait_s", analytic.erlang_c_metrics(lam, h, n).asa, max_rel, figures=figs)


# --------------------------------------------------------------------------- 5. Little's law


def time_average_in_state(starts: np.ndarray, ends: np.ndarray, t_end: float) -> float:
    """Time-average over [0, t_end] of the number of open spans, by an event sweep."""
    s, e = np.clip(starts, 0.0, t_end), np.clip(ends, 0.0, t_end)
    times = np.concatenate([s, e, [0.0, t_end]])
    steps = np.concatenate([np.ones(len(s)), -np.ones(len(e)), [0.0, 0.0]])
    order = np.argsort(times, kind="stable")
    times, level = times[order], np.cumsum(steps[order])
    return float(np.sum(level[:-1] * np.diff(times)) / t_end)


def test_littles_law(small_erlang_a: ccsim.Results) -> None:
    """L = lambda W, both sides from the simulation, for the queue and for the agents.

    Queue: L is the time-average number waiting over the measured window, swept from the
    contacts' wait spans [arrival, arrival + wait] clipped to the window; lambda W is (arrivals
    in the window / window) x (their mean wait). Service: L is the mean number of busy agents
    from the ``agents`` table (busy time / window); lambda W is (answered / window) x AHT from
    the contacts table. Per replication the two sides differ only by boundary terms (waits of
    warm-up arrivals that reach into the window, the part of late waits cut at its end), which
    are equal in expectation in steady state; so the paired difference must have mean zero
    within its 99.9% interval, and both sides must match the exact Erlang A value.
    """
    res = small_erlang_a
    contacts, agents = res.contacts, res.agents
    assert contacts is not None
    t_end = float(res.scenario.scenario.duration)
    exact = analytic.erlang_a(**SMALL_A)
    figs = FIGURES.setdefault("Little's law (M/M/5+M)", [])
    for channel in SL_DEFINITIONS[:2]:
        lq, lam_w, busy, lam_h = [], [], [], []
        for r in range(res.replications):
            c = contacts[(contacts["replication"] == r) & (contacts["channel"] == channel)]
            waited = c[c["outcome"].isin(["served", "abandoned"])]
            lq.append(
                time_average_in_state(
                    waited["arrival_s"].to_numpy(), (waited["arrival_s"] + waited["wait_s"]).to_numpy(), t_end
                )
            )
            lam_w.append(len(c) / t_end * waited["wait_s"].sum() / len(c))
            a = agents[(agents["replication"] == r) & (agents["agent_group"] == f"pool_{channel}")]
            busy.append(a["busy_s"].sum() / t_end)
            served = c[c["outcome"] == "served"]
            lam_h.append(len(served) / t_end * (served["handle_s"] + served["wrap_s"]).mean())
        for name, left, right, exact_value in [
            ("queue", np.array(lq), np.array(lam_w), exact.mean_queue),
            ("busy agents", np.array(busy), np.array(lam_h), exact.load * (1 - exact.p_abandon)),
        ]:
            mean_d, hw_d = ci(left - right)
            assert abs(mean_d) <= max(hw_d, 1e-12), f"{name}: L - lambda W = {mean_d} +- {hw_d}"
            assert np.all(np.abs(left - right) <= 0.05 * right), f"{name}: boundary terms too large"
            _compare(f"{channel}: {name} L (time average)", *ci(left), exact_value, 0.1, figs)
            _compare(f"{channel}: {name} lambda W", *ci(right), exact_value, 0.1, figs)


# --------------------------------------------------------------------------- 6. conservation


def _base(duration: str = "6h", warmup: str = "30min", start: str = "08:00") -> dict[str, Any]:
    return {"name": "conservation", "duration": duration, "warmup": warmup, "interval": "30min",
            "start": start, "replications": 2, "seed": 17}  # fmt: skip


def _demand(channel: str, rate: str, ctype: Any = "general", segment: Any = "standard") -> dict[str, Any]:
    return {"channel": channel, "contact_type": ctype, "segment": segment, "rate": rate}


EXP4 = {"dist": "exponential", "mean": "4min"}
PATIENT = {"standard": {"patience": {"dist": "exponential", "mean": "2min"}}}


def scenario_lines() -> dict[str, Any]:
    return {
        "scenario": _base(),
        "channels": {"phone": {"kind": "voice", "lines": 6, "service_level": {"within": "20s"}}},
        "segments": PATIENT,
        "contact_types": {"general": {"handle": EXP4, "wrap_up": {"dist": "constant", "value": "20s"}}},
        "demand": [_demand("phone", "1.5/min")],
        "agents": {"pool": {"count": 4, "skills": ["general"], "channels": ["phone"]}},
    }


def scenario_hours() -> dict[str, Any]:
    return {
        "scenario": _base("12h", start="07:00"),
        "channels": {
            "phone": {"kind": "voice", "hours": "08:00-18:00", "service_level": {"within": "20s"}},
            "chat": {"kind": "chat", "hours": ["08:00-12:00", "13:00-20:00"], "concurrency": 2},
            "email": {"kind": "email", "hours": "09:00-17:00", "service_level": {"within": "4h"}},
        },
        "segments": PATIENT,
        "contact_types": {"general": {"handle": EXP4}},
        "demand": [_demand("phone", "1/min"), _demand("chat", "0.5/min"), _demand("email", "0.3/min")],
        "agents": {"pool": {"count": 6, "skills": ["general"], "channels": ["phone", "chat", "email"]}},
    }


def scenario_chat() -> dict[str, Any]:
    return {
        "scenario": _base(),
        "channels": {"chat": {"kind": "chat", "concurrency": 3, "concurrency_stretch": 0.25,
                              "service_level": {"within": "60s"}}},
        "segments": PATIENT,
        "contact_types": {"general": {"handle": {"dist": "lognormal", "mean": "8min", "cv": 0.8}}},
        "demand": [_demand("chat", "1.2/min")],
        "agents": {"pool": {"count": 3, "skills": ["general"], "channels": ["chat"]}},
    }  # fmt: skip


def scenario_email() -> dict[str, Any]:
    return {
        "scenario": _base(),
        "channels": {"email": {"kind": "email",
                               "service_level": {"within": "1h", "definition": "answered"}}},
        "segments": {"standard": {}},
        "contact_types": {"general": {"handle": {"dist": "gamma", "mean": "6min", "cv": 0.7}}},
        "demand": [_demand("email", "0.6/min")],
        "agents": {"pool": {"count": 3, "skills": ["general"], "channels": ["email"]}},
    }  # fmt: skip


def scenario_staffing() -> dict[str, Any]:
    return {
        "scenario": _base(),
        "channels": {"phone": {"kind": "voice", "service_level": {"within": "20s"}},
                     "chat": {"kind": "chat", "concurrency": 2}},
        "segments": PATIENT,
        "contact_types": {"general": {"handle": EXP4}},
        "demand": [_demand("phone", "1.5/min"), _demand("chat", "0.5/min")],
        "agents": {"pool": {"staffing": [4, 6, 2, 0, 5, 8, 3, 7, 1, 6, 4, 9],
                            "skills": ["general"], "channels": ["phone", "chat"]}},
    }  # fmt: skip


def scenario_shifts() -> dict[str, Any]:
    return {
        "scenario": _base("10h"),
        "channels": {"phone": {"kind": "voice", "service_level": {"within": "20s"}}},
        "segments": PATIENT,
        "contact_types": {"general": {"handle": EXP4}},
        "demand": [_demand("phone", "1/min")],
        "agents": {"pool": {"skills": ["general"], "channels": ["phone"], "shifts": [
            {"start": "08:00", "length": "4h", "count": 3},
            {"start": "10:30", "length": "6h", "count": 2},
            {"start": "12:00", "length": "5h", "count": 1}]}},
    }  # fmt: skip


def scenario_overflow() -> dict[str, Any]:
    return {
        "scenario": _base(),
        "channels": {"phone": {"kind": "voice", "service_level": {"within": "30s"}}},
        "segments": {"vip": {"priority": 0, "patience": {"dist": "exponential", "mean": "5min"}},
                     "standard": {"priority": 1, "patience": {"dist": "gamma", "mean": "3min", "cv": 1.2}}},
        "contact_types": {
            "sales": {"handle": EXP4, "groups": ["sales", "service"], "overflow_delay": "30s"},
            "service": {"handle": {"dist": "erlang", "mean": "5min", "k": 2}},
        },
        "demand": [_demand("phone", "1.2/min", {"sales": 0.5, "service": 0.5},
                           {"vip": 0.2, "standard": 0.8})],
        "agents": {"sales": {"count": 2, "skills": ["sales"], "channels": ["phone"]},
                   "service": {"count": 4, "skills": ["service", "sales"], "channels": ["phone"]}},
    }  # fmt: skip


def scenario_quickstart() -> dict[str, Any]:
    return ccsim.load(CONFIGS / "quickstart.toml").with_overrides({"scenario.replications": 2}).raw


def scenario_multiskill() -> dict[str, Any]:
    return ccsim.load(CONFIGS / "multiskill.toml").with_overrides({"scenario.replications": 2}).raw


CONSERVATION: dict[str, tuple[Callable[[], dict[str, Any]], set[str]]] = {
    # builder, outcomes that must occur (with drain = true)
    "lines": (scenario_lines, {"served", "abandoned", "blocked"}),
    "hours": (scenario_hours, {"served", "closed"}),
    "chat": (scenario_chat, {"served", "abandoned"}),
    "email": (scenario_email, {"served"}),
    "staffing": (scenario_staffing, {"served", "abandoned"}),
    "shifts": (scenario_shifts, {"served", "abandoned"}),
    "overflow": (scenario_overflow, {"served", "abandoned"}),
    "quickstart": (scenario_quickstart, {"served", "abandoned"}),
    "multiskill": (scenario_multiskill, {"served"}),
}


def check_conservation(res: ccsim.Results) -> pd.Series:
    """Every arrival ends in exactly one outcome, and every table counts it the same way."""
    c = res.contacts
    assert c is not None
    outcomes = list(c["outcome"].cat.categories)  # the documented five, and any added later
    assert set(OUTCOMES) <= set(outcomes)
    assert c["outcome"].notna().all()
    # contacts table vs intervals table, per replication and outcome
    from_contacts = c.groupby(["replication", "outcome"], observed=False).size().unstack(fill_value=0)
    iv = res.intervals
    from_intervals = iv.groupby("replication")[["offered", *outcomes]].sum()
    for o in outcomes:
        assert (from_contacts[o].to_numpy() == from_intervals[o].to_numpy()).all(), o
    assert (from_intervals[outcomes].sum(axis=1) == from_intervals["offered"]).all()
    assert (c.groupby("replication").size().to_numpy() == from_intervals["offered"].to_numpy()).all()
    # every row of the intervals table balances, and the per-replication KPIs and summary too
    assert (iv[outcomes].sum(axis=1) == iv["offered"]).all()
    pr = res.per_replication[res.per_replication["group_by"] != "agent_group"]
    assert np.allclose(pr[outcomes].sum(axis=1), pr["offered"])
    s = res.summary[res.summary["group_by"] != "agent_group"]
    assert np.allclose(s[outcomes].sum(axis=1), s["offered"])
    # the record of each contact fits its outcome
    served, waited = c["outcome"] == "served", c["outcome"].isin(["served", "abandoned"])
    assert (c.loc[waited, "wait_s"] >= 0).all()
    assert c.loc[c["outcome"].isin(["blocked", "closed"]), "wait_s"].isna().all()
    assert (c.loc[served, "agent_id"] >= 0).all() and (c.loc[served, "handle_s"] >= 0).all()
    assert (c.loc[served, "agent_group"] != "").all()
    assert (c.loc[~served & (c["outcome"] != "unfinished"), "agent_id"] == -1).all()
    return c["outcome"].value_counts()


@pytest.mark.parametrize("drain", [True, False], ids=["drain", "no-drain"])
@pytest.mark.parametrize("name", list(CONSERVATION))
def test_conservation(name: str, drain: bool) -> None:
    """offered = served + abandoned + blocked + closed + unfinished, in every table and group.

    With ``drain = true`` every contact is finished after the measured time, so none is
    'unfinished'; with ``drain = false`` the run stops at the end of the measured time and the
    contacts still waiting or in service there are 'unfinished' (some always are here).
    """
    build, expected = CONSERVATION[name]
    raw = build()
    raw["scenario"] = {**raw["scenario"], "drain": drain}
    res = ccsim.simulate(ccsim.from_dict(raw, base_dir=CONFIGS))
    counts = check_conservation(res)
    for o in expected:
        assert counts[o] > 0, f"scenario {name!r} should produce outcome {o!r}"
    if drain:
        assert counts["unfinished"] == 0
    else:
        assert counts["unfinished"] > 0


# --------------------------------------------------------------------------- 7. properties


@st.composite
def small_centres(draw: st.DrawFn) -> dict[str, Any]:
    """A small random centre: voice, chat (concurrency 1-3) and e-mail, changing staffing."""
    conc = draw(st.integers(1, 3))
    stretch = draw(st.sampled_from([0.0, 0.3]))
    handle = draw(st.sampled_from([
        {"dist": "exponential", "mean": "4min"},
        {"dist": "lognormal", "mean": "5min", "cv": 1.5},
        {"dist": "constant", "value": "3min"},
        {"dist": "uniform", "low": "1min", "high": "7min"},
    ]))  # fmt: skip
    staffing = draw(st.lists(st.integers(0, 5), min_size=6, max_size=6))
    patience = draw(st.sampled_from([None, "30s", "3min"]))
    segment: dict[str, Any] = {}
    if patience is not None:
        segment["patience"] = {"dist": "exponential", "mean": patience}
    wrap = draw(st.sampled_from([None, {"dist": "constant", "value": "15s"}]))
    ctype: dict[str, Any] = {"handle": handle} if wrap is None else {"handle": handle, "wrap_up": wrap}
    lines = draw(st.sampled_from([None, 4]))
    voice: dict[str, Any] = {"kind": "voice", "service_level": {"within": "20s"}}
    if lines:
        voice["lines"] = lines
    return {
        "scenario": {"name": "property", "duration": "3h", "warmup": "15min", "interval": "30min",
                     "replications": 1, "seed": draw(st.integers(0, 2**32 - 1)),
                     "drain": draw(st.booleans())},
        "channels": {"phone": voice,
                     "chat": {"kind": "chat", "concurrency": conc, "concurrency_stretch": stretch},
                     "email": {"kind": "email"}},
        "segments": {"standard": segment},
        "contact_types": {"general": ctype},
        "demand": [_demand("phone", f"{draw(st.floats(0.2, 1.5)):.3f}/min"),
                   _demand("chat", f"{draw(st.floats(0.1, 1.0)):.3f}/min"),
                   _demand("email", "0.2/min")],
        "agents": {"flex": {"staffing": staffing, "skills": ["general"],
                            "channels": ["phone", "chat", "email"]},
                   "chat_team": {"count": draw(st.integers(0, 2)), "skills": ["general"],
                                 "channels": ["chat"]}},
    }  # fmt: skip


def max_agent_load(c: pd.DataFrame, concurrency: dict[str, int]) -> float:
    """Largest capacity share any agent holds at any time: sum of 1/concurrency of its contacts.

    Sweep over start and end events of each agent's contacts (start = arrival + wait, end =
    start + handle + wrap); an end and a start at the same instant are an agent moving from one
    contact to the next, so ends are taken first (with a 1 microsecond tolerance for rounding).
    """
    held = c[c["agent_id"] >= 0]
    if held.empty:
        return 0.0
    start = (held["arrival_s"] + held["wait_s"]).to_numpy()
    end = start + held["handle_s"].to_numpy() + held["wrap_s"].to_numpy()
    weight = 1.0 / held["channel"].map(concurrency).to_numpy(dtype=float)
    agent = held["agent_id"].to_numpy()
    times = np.concatenate([start, end - 1e-6])
    steps = np.concatenate([weight, -weight])
    who = np.concatenate([agent, agent])
    order = np.lexsort((times, who))
    who, steps = who[order], steps[order]
    worst = 0.0
    for a in np.unique(who):
        worst = max(worst, float(np.max(np.cumsum(steps[who == a]))))
    return worst


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=small_centres())
def test_property_waits_and_concurrency(raw: dict[str, Any]) -> None:
    """Any small centre: waits are never negative, and no agent ever holds more than its
    channel's concurrency (voice and e-mail one contact, chat up to ``concurrency``, never a
    call and a chat at once), whatever the staffing changes, patience, lines or drain."""
    res = ccsim.simulate(ccsim.from_dict(raw))
    c = res.contacts
    assert c is not None
    waits = c["wait_s"].dropna()
    assert (waits >= 0).all()
    assert (c.loc[c["outcome"] == "served", "wait_s"].notna()).all()
    conc = {name: ch.concurrency for name, ch in res.scenario.channels.items()}
    assert max_agent_load(c, conc) <= 1.0 + 1e-9
    check_conservation(res)


@st.composite
def fcfs_queues(draw: st.DrawFn) -> dict[str, Any]:
    handle = draw(st.sampled_from([
        {"dist": "exponential", "mean": "4min"},
        {"dist": "lognormal", "mean": "4min", "cv": 2.0},
        {"dist": "constant", "value": "4min"},
        {"dist": "uniform", "low": "0.5min", "high": "6min"},
    ]))  # fmt: skip
    agents = draw(st.integers(1, 6))
    load = draw(st.floats(0.5, 1.3))  # per agent; above 1 the queue grows all day
    raw = voice_queue(
        rate=f"{load * agents / 4:.4f}/min",
        handle=handle,
        agents=agents,
        definition="answered",
        duration="4h",
        warmup="0s",
    )
    if draw(st.booleans()):
        raw["contact_types"]["general"]["wrap_up"] = {"dist": "uniform", "low": "0s", "high": "1min"}
    raw["scenario"]["seed"] = draw(st.integers(0, 2**32 - 1))
    raw["scenario"]["replications"] = 2
    return raw


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=fcfs_queues())
def test_property_one_more_agent_never_hurts(raw: dict[str, Any]) -> None:
    """With common random numbers, one more agent never lowers the service level.

    Exact claim tested: one voice channel, one segment (so FCFS), one agent group of identical
    agents, no patience, no lines, handle and wrap-up times drawn per contact (any law). Then,
    replication by replication and contact by contact, the wait with n + 1 agents is at most the
    wait with n (Kiefer-Wolfowitz: the sorted vector of agents' remaining work is monotone in
    its input, and an extra agent is a coordinate that starts at 0 instead of infinity); hence
    the service level (share answered within 20 s) never falls. Nothing weaker than this is
    true in general: with abandonment, a contact that now gets answered instead of abandoning
    occupies an agent and can push later contacts past the threshold; with priorities or
    several groups the order of service changes, so per-path monotonicity can fail
    legitimately and only the expected values are monotone.
    """
    scn = ccsim.from_dict(raw)
    n = scn.agents["pool"].count
    assert n is not None
    few = ccsim.simulate(scn)
    more = ccsim.simulate(scn.with_overrides({"agents.pool.count": n + 1}))
    a, b = few.contacts, more.contacts
    assert a is not None and b is not None
    assert a["arrival_s"].equals(b["arrival_s"])
    assert (a["outcome"] == "served").all() and (b["outcome"] == "served").all()
    assert (b["wait_s"].to_numpy() <= a["wait_s"].to_numpy() + 1e-7).all()
    assert (per_rep(more, "service_level") >= per_rep(few, "service_level")).all()


# --------------------------------------------------------------------------- 8. reproducibility


def test_same_seed_same_tables() -> None:
    """Same scenario and seed: the contacts, intervals and agents tables are identical, bit for
    bit (NaN where NaN); the per-replication KPIs too."""
    scn = ccsim.load(CONFIGS / "quickstart.toml")
    a = ccsim.simulate(scn, replications=2, seed=99)
    b = ccsim.simulate(scn, replications=2, seed=99)
    assert a.contacts is not None and b.contacts is not None
    for x, y in [
        (a.contacts, b.contacts),
        (a.intervals, b.intervals),
        (a.agents, b.agents),
        (a.per_replication, b.per_replication),
    ]:
        pd.testing.assert_frame_equal(x, y, check_exact=True)
        assert (pd.util.hash_pandas_object(x, index=True) == pd.util.hash_pandas_object(y, index=True)).all()
    # a run with more replications starts with the same ones; the scenario's seed is the default
    c = ccsim.simulate(scn.with_overrides({"scenario.seed": 99}), replications=3)
    assert c.contacts is not None
    pd.testing.assert_frame_equal(
        c.contacts[c.contacts["replication"] < 2].reset_index(drop=True), a.contacts, check_exact=True
    )


def test_replications_and_seeds_differ() -> None:
    """Different replications (and different seeds) draw different contacts."""
    scn = ccsim.load(CONFIGS / "quickstart.toml")
    res = ccsim.simulate(scn, replications=2, seed=1)
    other = ccsim.simulate(scn, replications=1, seed=2)
    assert res.contacts is not None and other.contacts is not None
    r0 = res.contacts[res.contacts["replication"] == 0]["arrival_s"].to_numpy()
    r1 = res.contacts[res.contacts["replication"] == 1]["arrival_s"].to_numpy()
    s0 = other.contacts["arrival_s"].to_numpy()
    for x, y in [(r0, r1), (r0, s0)]:
        k = min(len(x), len(y))
        assert len(x) != len(y) or not np.array_equal(x, y)
        assert np.mean(x[:k] == y[:k]) < 0.01


def test_staffing_does_not_change_arrivals() -> None:
    """Common random numbers: changing agent counts leaves every arrival, its channel, type and
    segment unchanged, and the handle time of every contact answered in both runs at the same
    proficiency is the same (drawn per contact, not per agent)."""
    scn = ccsim.load(CONFIGS / "quickstart.toml")
    a = ccsim.simulate(scn, replications=2, seed=4)
    b = ccsim.simulate(
        scn.with_overrides({"agents.specialists.count": 9, "agents.generalists.shifts.0.count": 20}),
        replications=2,
        seed=4,
    )
    x, y = a.contacts, b.contacts
    assert x is not None and y is not None
    cols = ["replication", "contact_id", "channel", "contact_type", "segment", "arrival_s"]
    pd.testing.assert_frame_equal(x[cols], y[cols], check_exact=True)
    assert not x["wait_s"].equals(y["wait_s"])  # the staffing did change what happened
    same = (x["outcome"] == "served") & (y["outcome"] == "served") & (x["agent_group"] == y["agent_group"])
    same &= x["channel"] != "chat"  # chat handle times stretch with the chats held
    assert same.sum() > 1000
    assert np.array_equal(x.loc[same, "handle_s"].to_numpy(), y.loc[same, "handle_s"].to_numpy())


# --------------------------------------------------------------------------- closing, options


def test_queued_calls_are_not_held_overnight() -> None:
    """A phone line open 08:00-09:00 with enough agents: nobody who got in may wait overnight
    (calls waiting at closing are still answered; only new arrivals are turned away)."""
    raw = voice_queue(rate="1/min", handle="5min", agents=6, duration="4h", warmup="0s")
    raw["scenario"]["start"] = "07:00"
    raw["channels"]["phone"]["hours"] = "08:00-09:00"
    res = ccsim.simulate(ccsim.from_dict(raw), replications=5, seed=1)
    c = res.contacts
    assert c is not None
    assert c.loc[c["outcome"] == "served", "wait_s"].max() < 3600


def test_unimplemented_routing_options_are_refused() -> None:
    """A routing option the model does not implement is an error, never silently ignored."""
    raw = voice_queue(rate="2/min", handle="4min", agents=12, duration="4h")
    raw["routing"] = {"agent_selection": "random"}
    with pytest.raises(ccsim.ConfigError, match=r"routing\.agent_selection: unknown key"):
        ccsim.from_dict(raw)
