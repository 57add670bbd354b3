"""Distribution specs: samples match the analytic mean and variance; files are read."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import base_raw
from pydantic import TypeAdapter, ValidationError

import ccsim
from ccsim.distributions import Distribution, Survival

SPECS = [
    {"dist": "exponential", "mean": "5min"},
    {"dist": "constant", "value": "30s"},
    {"dist": "uniform", "low": "20s", "high": "60s"},
    {"dist": "lognormal", "mean": "4min", "cv": 0.8},
    {"dist": "gamma", "mean": "6min", "cv": 1.3},
    {"dist": "erlang", "mean": "4min", "k": 3},
    {"dist": "empirical", "values": [10, 20, "1min", 45]},
]


@pytest.mark.parametrize("spec", SPECS, ids=[s["dist"] for s in SPECS])
def test_sample_moments_match(spec):
    dist = TypeAdapter(Distribution).validate_python(spec)
    x = dist.sample(np.random.default_rng(0), 400_000)
    assert (x >= 0).all()
    se = np.sqrt(dist.variance / len(x))
    assert abs(x.mean() - dist.mean) <= 5 * se + 1e-9
    if dist.variance > 0:
        assert x.var() == pytest.approx(dist.variance, rel=0.05)
    assert dist.scaled(2.0).mean == pytest.approx(2 * dist.mean)


DRAW_SPECS = [*SPECS, {"dist": "gamma", "mean": "1min", "cv": 0.5}]  # shape above 1 and below


@pytest.mark.parametrize("spec", DRAW_SPECS, ids=lambda s: s["dist"])
def test_draw_is_the_vectorised_sample_of_one(spec):
    """``draw`` and ``sampler(rng)()`` (the engine's scalar path) give the number
    ``sample(rng, 1)`` gives and leave the generator where it leaves it, bit for bit."""
    dist = TypeAdapter(Distribution).validate_python(spec)
    for seed in range(300):
        a, b = np.random.default_rng(seed), np.random.default_rng(seed)
        for _ in range(3):
            x = dist.draw(a)
            assert type(x) is float
            assert x == float(dist.sample(b, 1)[0])
        assert a.bit_generator.state == b.bit_generator.state
        c, d = np.random.default_rng(seed), np.random.default_rng(seed)
        sampler = dist.sampler(c)
        for _ in range(3):
            assert sampler() == dist.draw(d)
        assert c.bit_generator.state == d.bit_generator.state


def test_empirical_from_csv_and_profiles_from_csv(tmp_path):
    (tmp_path / "handle.csv").write_text("seconds\n100\n200\n300\n")
    (tmp_path / "rates.csv").write_text("calls_per_hour\n" + "\n".join(["120"] * 4) + "\n")
    (tmp_path / "staff.csv").write_text("agents\n3\n4\n5\n6\n")
    raw = base_raw()
    raw["contact_types"]["general"]["handle"] = {
        "dist": "empirical",
        "file": "handle.csv",
        "column": "seconds",
    }
    del raw["demand"][0]["rate"]
    raw["demand"][0]["rates"] = {"file": "rates.csv", "column": "calls_per_hour"}
    raw["agents"]["pool"] = {"staffing": {"file": "staff.csv"}, "skills": ["general"], "channels": ["phone"]}
    scenario = ccsim.from_dict(raw, base_dir=tmp_path)
    assert scenario.contact_types["general"].handle.mean == pytest.approx(200)
    assert scenario.plan.streams[0].rate.at(4000) == pytest.approx(120 / 3600)
    res = ccsim.simulate(scenario, replications=1)
    assert set(res.contacts.loc[res.contacts["outcome"] == "served", "handle_s"].round(6)) <= {100, 200, 300}
    assert res.agents.groupby("interval")["agents"].sum().round().tolist()[:1] == [3]


def test_bad_distribution_parameters():
    raw = base_raw(**{"contact_types.general.handle": {"dist": "uniform", "low": "2min", "high": "1min"}})
    with pytest.raises(ccsim.ConfigError, match="high must be >= low"):
        ccsim.from_dict(raw)
    raw = base_raw(**{"contact_types.general.handle": {"dist": "empirical", "file": "nope.csv"}})
    with pytest.raises(ccsim.ConfigError, match="file not found"):
        ccsim.from_dict(raw)


def test_survival_curve_is_sampled_with_its_shares_and_moments() -> None:
    d = Survival(dist="survival", at=["30s", "1min", "5min"], survival=[0.8, 0.7, 0.4])
    x = d.sample(np.random.default_rng(1), 400_000)
    for t, share in ((30, 0.8), (60, 0.7), (300, 0.4)):
        assert abs(float((x > t).mean()) - share) < 0.003
    tail = 0.4 * (0.4 / 0.7) ** (300 / 240)  # the last piece's hazard continues after 5 min
    assert abs(float((x > 600).mean()) - tail) < 0.003
    assert abs(x.mean() / d.mean - 1) < 0.01
    assert abs(x.var() / d.variance - 1) < 0.03
    assert d.scaled(2.0).mean == pytest.approx(2 * d.mean)


@pytest.mark.parametrize(
    ("at", "survival"),
    [(["30s", "20s"], [0.8, 0.7]), (["30s", "1min"], [0.8, 0.9]), (["30s"], [1.0]), (["30s"], [0.5, 0.4])],
)
def test_survival_curve_must_fall_with_increasing_times(at: list[str], survival: list[float]) -> None:
    with pytest.raises(ValidationError):
        Survival(dist="survival", at=at, survival=survival)
