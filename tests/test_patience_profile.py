"""Patience by time of day: ``segments.NAME.patience_profile`` scales each arrival's patience by
its interval of the day, after the draws (common random numbers), and a wrong profile is refused."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import ccsim
from ccsim.config.errors import ConfigError
from ccsim.model.sampling import sample_contacts
from ccsim.scenario import from_dict

BASE = {
    "scenario": {"name": "profile", "duration": "1d", "interval": "1h", "replications": 4, "seed": 3},
    "channels": {"phone": {"kind": "voice", "service_level": {"within": "20s", "target": 0.8}}},
    "segments": {"standard": {"patience": {"dist": "exponential", "mean": "2min"}}},
    "contact_types": {"general": {"handle": {"dist": "exponential", "mean": "4min"}}},
    "demand": [{"channel": "phone", "contact_type": "general", "segment": "standard", "rate": "90/h"}],
    "agents": {"pool": {"count": 7, "skills": ["general"], "channels": ["phone"]}},
}
EVENING = [1.0] * 12 + [3.0] * 12  # callers wait three times as long from 12:00


def _with(profile: list[float] | None) -> dict:
    raw = copy.deepcopy(BASE)
    if profile is not None:
        raw["segments"]["standard"]["patience_profile"] = profile
    return raw


def test_profile_scales_each_arrivals_patience_with_the_same_draws() -> None:
    plain = sample_contacts(from_dict(_with(None)).plan, seed=3, replication=0)
    scaled = sample_contacts(from_dict(_with(EVENING)).plan, seed=3, replication=0)
    np.testing.assert_array_equal(plain.arrival, scaled.arrival)
    np.testing.assert_array_equal(plain.handle, scaled.handle)
    factor = np.where(plain.arrival >= 12 * 3600, 3.0, 1.0)
    np.testing.assert_allclose(scaled.patience, plain.patience * factor)


def test_profile_of_ones_changes_nothing() -> None:
    a = ccsim.simulate(from_dict(_with(None)), replications=2)
    b = ccsim.simulate(from_dict(_with([1.0] * 24)), replications=2)
    assert a.contacts["wait_s"].equals(b.contacts["wait_s"])
    assert a.contacts["outcome"].astype(str).equals(b.contacts["outcome"].astype(str))


def _abandoned(profile: list[float] | None) -> tuple[float, float]:
    c = ccsim.simulate(from_dict(_with(profile)), replications=4).contacts
    late = (c["arrival_s"] >= 12 * 3600).to_numpy()
    ab = (c["outcome"].astype(str) == "abandoned").to_numpy()
    return float(ab[~late].mean()), float(ab[late].mean())


def test_more_patient_hours_abandon_less() -> None:
    morning, evening = _abandoned(None)
    morning_p, evening_p = _abandoned(EVENING)
    assert morning_p == morning  # the same customers, and nothing changed before noon
    # tripling the mean patience from noon: about a third fewer abandon (0.114 -> 0.080)
    assert evening_p < 0.8 * evening, (evening, evening_p)


@pytest.mark.parametrize(
    ("profile", "patience", "message"),
    [
        ([1.0] * 23, True, "segments.standard.patience_profile: one factor per interval of the day"),
        ([1.0] * 24, False, "needs a patience"),
        ([1.0] * 23 + [0.0], True, "patience_profile"),
    ],
)
def test_wrong_profiles_are_refused(profile: list[float], patience: bool, message: str) -> None:
    raw = _with(profile)
    if not patience:
        del raw["segments"]["standard"]["patience"]
    with pytest.raises(ConfigError) as err:
        from_dict(raw)
    assert message in "\n".join(err.value.problems)
