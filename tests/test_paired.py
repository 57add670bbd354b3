"""ccsim.compare: the paired difference of a KPI over the replications two runs share."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import base_raw
from scipy import stats

import ccsim


@pytest.fixture(scope="module")
def runs() -> tuple[ccsim.Results, ccsim.Results, ccsim.Results]:
    base = ccsim.from_dict(base_raw(**{"scenario.duration": "1h"}))
    more = base.with_overrides({"agents.pool.count": 11})
    return (
        ccsim.simulate(base, replications=4, seed=5),
        ccsim.simulate(more, replications=4, seed=5),
        ccsim.simulate(more, replications=[2, 3, 4, 5], seed=5),
    )


def _phone(res: ccsim.Results) -> np.ndarray:
    rows = res.per_replication
    rows = rows[(rows["group_by"] == "channel") & (rows["group"] == "phone")]
    return rows.set_index("replication")["service_level"]


def test_paired_difference_and_its_half_width(runs) -> None:
    a, b, _ = runs
    p = ccsim.compare(a, b, "service_level", by="channel", group="phone")
    gain = _phone(b) - _phone(a)
    assert p.mean == pytest.approx(gain.mean())
    assert p.ci95 == pytest.approx(stats.t.ppf(0.975, 3) * gain.std(ddof=1) / 2)
    assert p.replications == 4 and p.common_random_numbers
    assert p.mean > 0 and p.significant
    assert "over 4 common replications, seed 5" in repr(p)


def test_only_common_replications_are_paired(runs) -> None:
    a, _, c = runs
    p = ccsim.compare(a, c, "asa_s")
    assert p.differences.index.tolist() == [2, 3]


def test_money_kpis_and_mistakes(runs) -> None:
    a, b, _ = runs
    assert ccsim.compare(a, b, "staffing").mean == pytest.approx(0.0)  # no prices: zero cost
    with pytest.raises(KeyError, match="no KPI 'service_levle'"):
        ccsim.compare(a, b, "service_levle")
    with pytest.raises(ValueError, match="give the group"):
        ccsim.compare(a, b, "service_level", by="channel")
