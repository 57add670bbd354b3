"""Plausible mistakes in a scenario are refused at load, never run with a wrong answer: units
on every rate and duration, names that refer to other names, sizes and non-finite numbers."""

from __future__ import annotations

import math

import pytest
from conftest import ROOT, base_raw
from typer.testing import CliRunner

import ccsim
from ccsim.cli import app
from ccsim.config import limits
from ccsim.scenario import load

runner = CliRunner(env={"COLUMNS": "200"})


def problem(raw, base_dir=".") -> str:
    with pytest.raises(ccsim.ConfigError) as info:
        ccsim.from_dict(raw, base_dir=base_dir)
    return str(info.value)


# --------------------------------------------------------------------------- units


@pytest.mark.parametrize("value", [40, 40.0, "40"])
def test_a_rate_without_a_unit_is_refused(value):
    text = problem(base_raw(**{"demand.0.rate": value}))
    assert "demand[0].rate: a rate needs a unit: write '40/h' or '40/min'" in text


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("scenario.duration", 7200),
        ("scenario.warmup", "900"),
        ("channels.phone.service_level.within", 20),
        ("segments.standard.patience.mean", 180),
        ("contact_types.general.handle.mean", 240.0),
    ],
)
def test_a_duration_without_a_unit_is_refused(path, value):
    text = problem(base_raw(**{path: value}))
    n = f"{float(value):g}"
    assert f"a duration needs a unit: write '{n}s', '{n}min' or '{n}h'" in text
    assert path.split(".")[-1] in text


def test_rates_in_a_list_need_units_and_zero_needs_none():
    raw = base_raw()
    del raw["demand"][0]["rate"]
    raw["demand"][0]["rates"] = ["60/h", 0, 90, "2/min"]
    text = problem(raw)
    assert "demand[0].rates[2]: a rate needs a unit" in text
    assert "rates[1]" not in text and "rates[0]" not in text
    raw["demand"][0]["rates"] = ["60/h", 0, "90/h", "2/min"]
    assert ccsim.from_dict(raw).demand[0].rates[1] == 0


def test_plain_factors_stay_bare():
    raw = base_raw(**{"scenario.busyness": {"dist": "gamma", "mean": 1, "cv": 0.1}})
    raw["agents"]["pool"]["skills"] = {"general": 0.8}
    s = ccsim.from_dict(raw)
    assert s.scenario.busyness.mean == 1 and s.agents["pool"].proficiency == {"general": 0.8}


def test_set_needs_the_unit_too():
    s = ccsim.from_dict(base_raw())
    assert s.with_overrides({"scenario.duration": "1h"}).scenario.duration == 3600
    with pytest.raises(ccsim.ConfigError, match=r"demand\[0\]\.rate: a rate needs a unit"):
        s.with_overrides({"demand.0.rate": 40})


def test_cli_set_of_a_bare_rate_exits_2():
    result = runner.invoke(
        app, ["validate", str(ROOT / "configs" / "quickstart.toml"), "--set", "demand.1.rate=40"]
    )
    assert result.exit_code == 2, result.output
    assert "write '40/h' or '40/min'" in result.output and "Traceback" not in result.output


def test_empirical_values_take_a_unit_key():
    raw = base_raw(**{"contact_types.general.handle": {"dist": "empirical", "unit": "min", "values": [2, 4]}})
    assert ccsim.from_dict(raw).contact_types["general"].handle.mean == 180
    raw = base_raw(**{"contact_types.general.handle": {"dist": "empirical", "values": [120, 240]}})
    assert "values[0]: a duration needs a unit" in problem(raw)


def test_csv_rates_say_their_unit(tmp_path):
    (tmp_path / "plain.csv").write_text("calls\n" + "\n".join(["120"] * 4) + "\n")
    (tmp_path / "named.csv").write_text("calls_per_30min\n" + "\n".join(["60"] * 4) + "\n")
    raw = base_raw()
    del raw["demand"][0]["rate"]
    raw["demand"][0]["rates"] = {"file": "plain.csv"}
    assert "the unit of the rates in column 'calls' of 'plain.csv' is not said" in problem(raw, tmp_path)
    raw["demand"][0]["rates"] = {"file": "plain.csv", "unit": "/h"}
    assert ccsim.from_dict(raw, tmp_path).plan.streams[0].rate.at(4000) == pytest.approx(120 / 3600)
    raw["demand"][0]["rates"] = {"file": "named.csv"}
    assert ccsim.from_dict(raw, tmp_path).plan.streams[0].rate.at(4000) == pytest.approx(60 / 1800)
    raw["demand"][0]["rates"] = {"file": "named.csv", "unit": "/h"}
    assert "contradicts the column name" in problem(raw, tmp_path)


def test_csv_durations_say_their_unit(tmp_path):
    (tmp_path / "h.csv").write_text("talk\n100\n200\n")
    raw = base_raw(**{"contact_types.general.handle": {"dist": "empirical", "file": "h.csv"}})
    assert "the unit of column 'talk' of 'h.csv' is not said" in problem(raw, tmp_path)
    raw["contact_types"]["general"]["handle"]["unit"] = "min"
    assert ccsim.from_dict(raw, tmp_path).contact_types["general"].handle.mean == 9000


@pytest.mark.parametrize("path", sorted((ROOT / "configs").rglob("*.toml")), ids=lambda p: p.stem)
def test_example_files_write_their_units(path):
    """No example writes a bare number for a rate or a duration (sweeps and prices included)."""
    text = path.read_text()
    for key in ("rate", "duration", "warmup", "interval", "within", "mean", "length", "delay"):
        for line in text.splitlines():
            stripped = line.split("#")[0].strip()
            if stripped.startswith(f"{key} =") and "dist" not in stripped:
                value = stripped.split("=", 1)[1].strip()
                assert not value.replace(".", "").isdigit() or value == "0", f"{path.name}: {line}"


# --------------------------------------------------------------------------- names


def test_a_skill_no_contact_type_needs_is_refused_with_a_suggestion():
    raw = base_raw()
    raw["contact_types"]["billing"] = {"handle": {"dist": "exponential", "mean": "4min"}}
    raw["agents"]["team"] = {"count": 3, "skills": {"general": 1.0, "biling": 0.8}, "channels": ["phone"]}
    assert (
        "agents.team.skills.biling: no contact type needs skill 'biling'; did you mean 'billing'?"
        in problem(raw)
    )
    raw["agents"]["team"]["skills"] = ["general", "xyz"]
    assert (
        "agents.team.skills[1]: no contact type needs skill 'xyz'; skills needed: billing, general"
        in problem(raw)
    )


def test_a_frontier_choice_is_checked_at_load():
    raw = base_raw()
    raw["frontier"] = {"choices": {"more": {"agents.pol.count": 12}}}
    assert "frontier.choices.more: agents.pol: no such table in the config (did you mean 'pool'?)" in problem(
        raw
    )
    raw["frontier"] = {"choices": {"more": {"agents.pool.count": -1}}}
    assert "frontier.choices.more: agents.pool.count: must be >= 0" in problem(raw)
    raw["frontier"] = {"choices": {"more": {"agents.pool.count": 12}}}
    assert ccsim.from_dict(raw).config.frontier.choices["more"] == {"agents.pool.count": 12}


# --------------------------------------------------------------------------- sizes, non-finite numbers


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("scenario.duration", "1e308s", "at most 1,000 days"),
        ("scenario.duration", "1e308h", "must be a finite number"),
        ("scenario.warmup", "1e9s", "at most 1,000 days"),
        ("scenario.interval", "0.1s", f"at most {limits.MAX_INTERVALS:,} are allowed"),
        ("channels.phone.service_level.within", math.inf, "finite"),
        ("contact_types.general.handle.mean", "1e308s", "at most 1,000 days"),
        ("demand.0.rate", math.inf, "finite"),
        ("demand.0.rate", "1e9/h", f"at most {limits.MAX_CONTACTS:,} are allowed"),
        ("demand.0.contact_type", {"general": math.inf}, "finite"),
        ("demand.0.segment", {"standard": 1e308, "vip": 1e308}, "mix shares"),
        ("agents.pool.count", 10**12, f"at most {limits.MAX_AGENTS:,} are allowed"),
        ("segments.standard.patience.mean", math.nan, "finite"),
        ("contact_types.general.handle", {"dist": "lognormal", "mean": "4min", "cv": 1e308}, "<= 20"),
    ],
)
def test_sizes_and_non_finite_numbers_are_refused_at_load(path, value, message):
    raw = base_raw(**{path: value})
    raw["segments"]["vip"] = {"priority": 0}
    assert message in problem(raw)


def test_short_horizons_hours_without_arrivals_and_empty_groups_run():
    raw = base_raw(**{"scenario.duration": "30min", "scenario.warmup": 0, "demand.0.rate": 0})
    raw["agents"]["spare"] = {"count": 0, "skills": ["general"], "channels": ["phone"]}
    results = ccsim.simulate(ccsim.from_dict(raw), replications=1)
    assert results.intervals["offered"].sum() == 0


def test_the_bank_over_one_night_hour_runs(tmp_path):
    """A valid run whose hour has no answered contact (it crashed the report's percentiles).
    The calibrated config holds everything it needs: the call log itself is not read."""
    result = runner.invoke(
        app,
        ["run", str(ROOT / "configs" / "anonymous_bank.toml"), "--set", "scenario.duration=1h",
         "-r", "1", "--out", str(tmp_path / "o")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "report.html").exists()


def test_the_bank_config_loads_with_its_units():
    s = load(ROOT / "configs" / "anonymous_bank.toml")
    assert 100 < s.contact_types["PS"].handle.mean < 1000  # seconds, from unit = "s"


def test_a_sweep_of_bare_rates_is_refused_before_it_runs(tmp_path):
    from ccsim.experiments import sweep

    s = ccsim.load(ROOT / "configs" / "quickstart.toml")
    with pytest.raises(ccsim.ConfigError, match=r"factors\.demand\.1\.rate = 30: .*write '30/h' or '30/min'"):
        sweep(s, {"demand.1.rate": ["30/h", 30]}, replications=1, out=tmp_path / "o")
    with pytest.raises(
        ccsim.ConfigError, match=r"factors\.scenario\.warmup = 600: .*a duration needs a unit"
    ):
        sweep(s, {"scenario.warmup": {"low": 600, "high": 900, "num": 2}}, replications=1, out=tmp_path / "p")


def test_a_run_without_any_arrival_writes_its_report(tmp_path):
    sets = ["demand.0.volume=0", "demand.1.rate=0", "demand.2.rate=0", "scenario.duration=1h"]
    args = [x for s in sets for x in ("--set", s)]
    out = tmp_path / "o"
    result = runner.invoke(
        app, ["run", str(ROOT / "configs" / "quickstart.toml"), *args, "-r", "2", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (out / "report.html").exists()


def test_a_misspelt_definition_is_named_as_a_possible_culprit(tmp_path):
    # [channels.chatt] defined, 'chat' used: the hint must not only tell the user to copy the typo
    text = (ROOT / "configs" / "quickstart.toml").read_text().replace("[channels.chat]", "[channels.chatt]")
    (tmp_path / "typo.toml").write_text(text)
    with pytest.raises(ccsim.ConfigError) as info:
        ccsim.load(tmp_path / "typo.toml")
    message = str(info.value)
    assert "demand[1].channel: unknown channel 'chat' (did you mean 'chatt'?)" in message
    assert "or is 'chatt' misspelt where it is defined" in message
