"""The patience estimators chosen by held-out likelihood and the routing test, on logs simulated
by ccsim itself from known settings (``ccsim.calibrate.patience``)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from typer.testing import CliRunner

import ccsim
from ccsim.calibrate import patience as PT
from ccsim.calibrate import to_log, write_log
from ccsim.calibrate.scenario import Options, calibrate
from ccsim.cli import app
from ccsim.scenario import from_dict

BASE = {
    "scenario": {"name": "known", "duration": "14d", "interval": "1h", "replications": 1, "seed": 5},
    "channels": {"phone": {"kind": "voice", "service_level": {"within": "20s", "target": 0.8}}},
    "segments": {"standard": {"patience": {"dist": "exponential", "mean": "3min"}}},
    "contact_types": {"general": {"handle": {"dist": "exponential", "mean": "4min"}}},
    "demand": [{"channel": "phone", "contact_type": "general", "segment": "standard", "rate": "100/h"}],
    "agents": {"pool": {"count": 7, "skills": ["general"], "channels": ["phone"]}},
}


def _log(raw: dict):
    return to_log(ccsim.simulate(from_dict(raw), replications=1))


@pytest.fixture(scope="module")
def exponential_log():
    return _log(BASE)


def test_laws_recover_an_exponential_patience(exponential_log) -> None:
    d = PT.waits(exponential_log.demand)
    w, a = d["w"].to_numpy(), d["a"].to_numpy()
    expo = PT.fit_law("exponential", w, a)
    assert expo.mean == pytest.approx(180, rel=0.08)
    km = PT.fit_law("survival", w, a)  # the Kaplan-Meier curve as a piecewise-constant hazard
    for t in (30.0, 60.0, 120.0):
        assert math.exp(float(km.logsf(np.array([t]))[0])) == pytest.approx(math.exp(-t / 180), abs=0.02)
    choice = PT.choose(exponential_log.demand)
    assert choice.law_scores[choice.law.name] == max(choice.law_scores.values())
    # the held-out scores of the laws barely differ when the truth is exponential
    assert max(choice.law_scores.values()) - choice.law_scores["exponential"] < 0.01
    assert choice.law.mean == pytest.approx(180, rel=0.1)


def test_survival_spec_is_sampled_as_fitted(exponential_log) -> None:
    d = PT.waits(exponential_log.demand)
    law = PT.fit_law("survival", d["w"].to_numpy(), d["a"].to_numpy())
    spec = from_dict({**BASE, "segments": {"standard": {"patience": law.spec()}}}).segments["standard"]
    assert spec.patience.mean == pytest.approx(law.mean, rel=0.01)


def test_time_of_day_factors_are_recovered() -> None:
    raw = copy.deepcopy(BASE)
    raw["segments"]["standard"]["patience_profile"] = [1.0] * 12 + [2.0] * 12
    log = _log(raw)
    d = PT.waits(log.demand)
    w, a, h = d["w"].to_numpy(), d["a"].to_numpy(), d["hour"].to_numpy()
    law = PT.fit_law("exponential", w[h < 12], a[h < 12])
    f = PT.band_factors(law, w, a, h, 6)
    assert f[2] / f[1] == pytest.approx(2.0, rel=0.2)
    assert f[3] / f[0] == pytest.approx(2.0, rel=0.2)
    choice = PT.choose(log.demand, laws=("exponential",))
    assert choice.width > 0  # a profile predicts the held-out days better than none
    assert choice.band_scores[choice.width] > choice.band_scores[0]


def _two_segments(head_start: dict[str, str] | None) -> dict:
    raw = copy.deepcopy(BASE)
    raw["scenario"]["duration"] = "5d"
    pat = {"dist": "exponential", "mean": "5min"}
    raw["segments"] = {"gold": {"patience": pat}, "basic": {"patience": pat}}
    raw["demand"][0]["segment"] = {"gold": 0.3, "basic": 0.7}
    if head_start:
        raw["routing"] = {"priority": "head_start"}
        for seg, h in head_start.items():
            raw["segments"][seg]["head_start"] = h
    return raw


@pytest.mark.parametrize(
    ("head_start", "rule"),
    [({"gold": "1min"}, "head_start"), (None, "fcfs"), ({"basic": "1min"}, "reversed")],
)
def test_routing_test_tells_the_rule_from_the_waits(head_start, rule) -> None:
    log = _log(_two_segments(head_start))
    test = PT.routing_test(log.demand, "gold", 3600)
    assert test.rule == rule, test
    if rule == "reversed":  # gold waits longer than basic within the same hour
        assert test.difference > 10


def test_calibration_with_tested_routing_and_held_out_patience() -> None:
    log = _log(_two_segments({"basic": "1min"}))
    log.facts["head_start"] = {"gold": 90.0}  # documented, but the waits say otherwise
    cal = calibrate(log, Options(interval=3600, patience="held_out", routing="tested"))
    segs = cal.raw["segments"]
    assert segs["gold"]["priority"] == segs["basic"]["priority"]
    assert "head_start" not in segs["gold"] and segs["basic"]["head_start"].endswith("s")
    assert cal.raw["routing"]["priority"] == "head_start"
    assert "routing tested on the waits" in cal.to_toml()
    cal.scenario()  # it loads


def test_recent_fits_durations_on_the_latest_days(exponential_log) -> None:
    cal = calibrate(exponential_log, Options(interval=3600, recent=7 * 86_400))
    served = exponential_log.demand
    last = served[served["arrival"] >= served["arrival"].max().normalize() - np.timedelta64(6, "D")]
    assert cal.handle["general"].n == int((last["outcome"] == "served").sum())
    assert any("--recent" in line for line in cal.header)


@pytest.mark.parametrize(
    ("option", "value"), [("--patience-law", "kaplan"), ("--routing", "fifo"), ("--recent", "4")]
)
def test_bad_choice_options_exit_2(tmp_path, exponential_log, option, value) -> None:
    path = write_log(exponential_log, tmp_path / "log.csv")
    result = CliRunner().invoke(
        app, ["calibrate", str(path), "--out", str(tmp_path / "s.toml"), option, value]
    )
    assert result.exit_code == 2, result.output
    assert option in result.output
