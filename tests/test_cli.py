"""The command line: run, validate, schema; user errors exit with code 2 and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
from conftest import ROOT
from typer.testing import CliRunner

from ccsim.cli import app

runner = CliRunner(env={"COLUMNS": "200"})


def test_run_writes_the_output_folder(tmp_path):
    out = tmp_path / "o"
    result = runner.invoke(
        app,
        [
            "run",
            str(ROOT / "configs" / "erlang_a.toml"),
            "--out",
            str(out),
            "-r",
            "2",
            "--set",
            "scenario.duration=1h",
            "--set",
            "agents.pool.count=102",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "service level" in result.output and "phone" in result.output
    for name in ("summary.csv", "intervals.parquet", "contacts.parquet", "agents.parquet", "manifest.json"):
        assert (out / name).exists(), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["replications"] == 2 and manifest["seed"] == 1
    assert manifest["config"]["agents"]["pool"]["count"] == 102
    assert {"ccsim", "simpy", "numpy"} <= manifest.keys()
    summary = pd.read_csv(out / "summary.csv")
    assert "answered within 20s" in summary["sl_definition"].dropna().iloc[0]
    contacts = pd.read_parquet(out / "contacts.parquet")
    assert {
        "replication",
        "contact_id",
        "channel",
        "contact_type",
        "segment",
        "arrival_s",
        "wait_s",
        "outcome",
        "handle_s",
        "agent_group",
        "agent_id",
    } <= set(contacts.columns)


def test_quiet_run_prints_nothing(tmp_path):
    result = runner.invoke(
        app,
        [
            "run",
            str(ROOT / "configs" / "erlang_a.toml"),
            "-q",
            "-o",
            str(tmp_path),
            "-r",
            "1",
            "--set",
            "scenario.duration=30min",
            "--no-contacts",
        ],
    )
    assert result.exit_code == 0 and result.output.strip() == ""
    assert not (tmp_path / "contacts.parquet").exists()


def test_validate_shows_load_and_erlang():
    result = runner.invoke(app, ["validate", str(ROOT / "configs" / "quickstart.toml")])
    assert result.exit_code == 0, result.output
    assert "is valid" in result.output and "Erlang" in result.output and "load (Erl)" in result.output


def test_schema_prints_json():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.output)["title"] == "ccsim scenario"


def test_bad_config_exit_code_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    text = (ROOT / "configs" / "erlang_a.toml").read_text().replace('channel = "phone"', 'channel = "phnoe"')
    bad.write_text(text)
    proc = subprocess.run([sys.executable, "-m", "ccsim", "run", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "demand[0].channel: unknown channel 'phnoe' (did you mean 'phone'?)" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_bad_set_and_missing_file():
    r1 = runner.invoke(app, ["run", str(ROOT / "configs" / "erlang_a.toml"), "--set", "agents.pool.count=-1"])
    assert r1.exit_code == 2 and "agents.pool.count: must be >= 0 (got -1)" in r1.output
    assert "erlang_a.toml with --set agents.pool.count=-1:" in r1.output  # not a value of the file
    r2 = runner.invoke(app, ["validate", "no/such/file.toml"])
    assert r2.exit_code == 2 and "file not found" in r2.output


def test_a_set_value_is_named_as_given_on_the_command_line():
    config = str(ROOT / "configs" / "quickstart.toml")
    sets = ["--set", "scenario.replications=2", "--set", "scenario.duration=8"]
    bare = runner.invoke(app, ["run", config, *sets])
    assert bare.exit_code == 2 and "scenario.duration: a duration needs a unit" in bare.output
    assert "with --set scenario.replications=2, --set scenario.duration=8:" in bare.output  # the source
    assert "(given with --set scenario.duration=8)" in bare.output  # the value at fault, of two
    typo = runner.invoke(app, ["run", config, "--set", "agents.specialist.count=18"])
    assert typo.exit_code == 2 and "did you mean 'specialists'?" in typo.output
    assert "with --set agents.specialist.count=18" in typo.output
    elsewhere = runner.invoke(app, ["run", config, "--set", "scenario.interval=7min"])
    assert elsewhere.exit_code == 2 and "demand[0].profile" in elsewhere.output  # a knock-on problem
    assert "configs/quickstart.toml with --set scenario.interval=7min:" in elsewhere.output


def _option_helps() -> dict[str, dict[str, str]]:
    """Each option's help text per command: {"--seed": {"run": "...", "frontier": "..."}}."""
    import typer.main

    group = typer.main.get_command(app)
    helps: dict[str, dict[str, str]] = {}
    for name, command in group.commands.items():
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and getattr(param, "help", None):
                    helps.setdefault(opt, {})[name] = param.help
    return helps


def test_an_option_shared_by_commands_says_the_same_everywhere():
    """Options several commands share are defined once (ccsim/cli/options.py): one help text.
    --out names what each command writes; --replications is per run, per candidate plan (at
    least 10 or 20 by default) or written into the calibrated scenario; --target is a share
    (erlang) or a channel's (optimize); --max-simulations a budget per search or per target."""
    varies = {"--out": None, "--replications": 4, "--target": 2, "--max-simulations": 2}
    helps = _option_helps()
    shared = {opt: per for opt, per in helps.items() if len(per) > 1}
    assert {"--seed", "--set", "--prices", "--workers", "--scheduler", "--quiet", "--targets"} <= set(shared)
    for opt, per in shared.items():
        if opt in varies:
            most = varies[opt]
            assert most is None or len(set(per.values())) <= most, (opt, per)
        else:
            assert len(set(per.values())) == 1, (opt, per)


def test_set_overrides_a_prices_file_and_a_bad_price_names_its_file(tmp_path):
    """One loader for every command: --set is applied after --prices (the most specific last);
    a wrong value in a prices file names the prices file, the path, the rule and the value."""
    from ccsim.cli.loader import load_scenario

    config = ROOT / "configs" / "priced_line.toml"
    prices = tmp_path / "prices.toml"
    prices.write_text("[costs]\nagent_cost_per_hour = 30.0\n")
    priced = load_scenario(config, prices=prices)
    assert priced.config.costs.agent_cost_per_hour == 30.0
    both = load_scenario(config, ["costs.agent_cost_per_hour=45"], prices)
    assert both.config.costs.agent_cost_per_hour == 45.0
    prices.write_text("[costs]\nagent_cost_per_hour = -3\n")
    for command in ("run", "optimize", "frontier", "sensitivity"):
        result = runner.invoke(
            app, [command, str(config), "--prices", str(prices), "-o", str(tmp_path / "x")]
        )
        assert result.exit_code == 2, (command, result.output)
        assert f"with prices {prices}: costs.agent_cost_per_hour: must be >= 0.0 (got -3)" in result.output
        assert "Traceback" not in result.output
