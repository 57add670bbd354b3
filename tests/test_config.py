"""Config loading, overrides and error messages (the TOML path, the rule and the value)."""

from __future__ import annotations

import pytest
from conftest import ROOT, base_raw

import ccsim
from ccsim.units import parse_clock, parse_duration, parse_rate


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("20s", 20), ("4.5min", 270), ("2h", 7200), ("1d", 86400), (30, 30), ("1.5 h", 5400), ("250ms", 0.25)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "per_s"),
    [("19.5/min", 0.325), ("1170/h", 0.325), ("8640/day", 0.1), ("3 per h", 3 / 3600), (2, 2)],
)
def test_rates(text, per_s):
    assert parse_rate(text) == pytest.approx(per_s)


def test_clock():
    assert parse_clock("08:30") == 8.5 * 3600
    with pytest.raises(ValueError, match="out of range"):
        parse_clock("25:00")


def test_minimal_scenario_of_the_design_loads():
    s = ccsim.load(ROOT / "configs" / "erlang_a.toml")
    assert s.agents["pool"].count == 100
    assert s.channels["phone"].kind == "voice"
    assert s.demand[0].rate == pytest.approx(19.5 / 60)
    assert s.segments["standard"].patience.mean == 180
    assert s.scenario.warmup == 3600


def test_with_overrides_returns_a_new_validated_scenario():
    s = ccsim.from_dict(base_raw())
    s2 = s.with_overrides({"agents.pool.count": 12, "demand.0.rate": "3/min"})
    assert s2.agents["pool"].count == 12 and s.agents["pool"].count == 9
    assert s2.demand[0].rate == pytest.approx(0.05)
    with pytest.raises(ccsim.ConfigError, match=r"agents\.pool\.count: must be >= 0 \(got -3\)"):
        s.with_overrides({"agents.pool.count": -3})


def problem(raw) -> str:
    with pytest.raises(ccsim.ConfigError) as info:
        ccsim.from_dict(raw)
    return str(info.value)


def test_unknown_key_with_suggestion():
    raw = base_raw()
    raw["agents"]["pool"]["skils"] = raw["agents"]["pool"].pop("skills")
    msg = problem(raw)
    assert "agents.pool.skils: unknown key (did you mean 'skills'?)" in msg


def test_wrong_type():
    assert "agents.pool.count" in problem(base_raw(**{"agents.pool.count": "many"}))


def test_negative_rate():
    msg = problem(base_raw(**{"demand.0.rate": "-2/min"}))
    assert "demand[0].rate: must be >= 0" in msg


def test_unknown_channel_in_demand_suggests_the_near_name():
    msg = problem(base_raw(**{"demand.0.channel": "phnoe"}))
    assert "demand[0].channel: unknown channel 'phnoe' (did you mean 'phone'?)" in msg


def test_unknown_type_and_segment():
    msg = problem(base_raw(**{"demand.0.contact_type": "genral", "demand.0.segment": "vip"}))
    assert "demand[0].contact_type: unknown contact type 'genral' (did you mean 'general'?)" in msg
    assert "demand[0].segment: unknown segment 'vip'" in msg


def test_skill_no_agent_has():
    raw = base_raw()
    raw["contact_types"]["general"]["skill"] = "generl"
    msg = problem(raw)
    assert (
        "contact_types.general: skill 'generl' is not held by any agent group (did you mean 'general'?)"
        in msg
    )


def test_malformed_duration():
    msg = problem(base_raw(**{"scenario.duration": "8 hrs x"}))
    assert "scenario.duration: malformed duration '8 hrs x'" in msg


def test_unknown_distribution():
    msg = problem(base_raw(**{"contact_types.general.handle": {"dist": "expo", "mean": "3min"}}))
    assert "contact_types.general.handle: 'dist' must be one of" in msg and "'expo'" in msg


def test_toml_syntax_error_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[scenario\nname = 1\n")
    with pytest.raises(ccsim.ConfigError, match=r"TOML syntax error.*line 1"):
        ccsim.load(bad)
    with pytest.raises(ccsim.ConfigError, match="file not found"):
        ccsim.load(tmp_path / "missing.toml")


def test_profile_list_must_cover_the_day():
    raw = base_raw()
    del raw["demand"][0]["rate"]
    raw["demand"][0]["rates"] = ["1/min", "2/min"]  # 1h of a 2h day
    assert "demand[0].rates: 2 values of 1800s cover 1h" in problem(raw)


def test_kind_rules():
    assert "lines only apply to voice" in problem(
        base_raw(**{"channels.phone": {"kind": "chat", "lines": 3}})
    )


def test_schema_is_json_schema():
    from ccsim.config import model_json_schema

    schema = model_json_schema()
    assert schema["title"] == "ccsim scenario"
    assert "scenario" in schema["properties"] and "agents" in schema["properties"]
