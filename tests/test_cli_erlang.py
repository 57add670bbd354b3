"""``ccsim erlang``: the analytic calculator on the command line."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from ccsim import analytic
from ccsim.cli import erlang

runner = CliRunner(env={"COLUMNS": "120"})
app = typer.Typer()


@app.callback()
def _root() -> None:
    """A bare app holding only the erlang command (the real one needs the other commands)."""


erlang.register(app)

BASE = ["erlang", "--rate", "19.5/min", "--handle", "5min"]


def run(*args: str) -> str:
    result = runner.invoke(app, [*BASE, *args])
    assert result.exit_code == 0, result.output
    return result.output


def pct(p: float) -> str:
    return f"{100 * p:.2f}%"


def test_erlang_a_at_given_agents() -> None:
    out = run("--patience", "3min", "--agents", "100")
    m = analytic.erlang_a(19.5 / 60, 300.0, 100, 180.0, within=20.0)
    assert "Erlang A (M/M/n+M)" in out
    assert "97.5 Erlangs" in out
    assert "service level (offered, within 20s)" in out
    for text in (pct(m.service_level), f"{m.asa:.1f}s", pct(m.p_wait), pct(m.p_abandon), pct(m.occupancy)):
        assert text in out
    assert pct(m.service_level) == "85.50%"


def test_erlang_c_for_a_target() -> None:
    out = run("--target", "0.8")
    n = analytic.agents_for_service_level(19.5 / 60, 300.0, 20.0, 0.8)
    m = analytic.erlang_c_metrics(19.5 / 60, 300.0, n, 20.0)
    assert "Erlang C (M/M/n)" in out
    assert f"{n} (target 80.00% within 20s)" in out
    assert pct(m.service_level) in out and f"{m.asa:.1f}s" in out
    assert n == 106


def test_target_is_the_default_and_takes_definition_and_cap() -> None:
    assert "agents needed" in run()
    out = run("--patience", "3min", "--target", "80%", "--definition", "answered", "--within", "30s")
    n = analytic.agents_for_service_level(19.5 / 60, 300.0, 30.0, 0.8, 180.0, "answered")
    assert f"{n} (target 80.00% within 30s)" in out
    assert "service level (answered, within 30s)" in out
    out = run("--patience", "3min", "--target", "0.8", "--abandon-cap", "0.01")
    n = analytic.agents_for_service_level(19.5 / 60, 300.0, 20.0, 0.8, 180.0, abandon_cap=0.01)
    assert f"{n} (target 80.00% within 20s, abandon <= 1.00%)" in out


def test_unstable_erlang_c_is_shown_not_raised() -> None:
    out = run("--agents", "97")
    assert "inf (unstable" in out and "0.00%" in out


def test_lines_prices_trunks_with_erlang_b() -> None:
    out = run("--lines", "110")
    assert "Erlang B" in out and "Erlang C" not in out
    assert pct(analytic.erlang_b(110, 97.5)) in out
    line = next(row for row in out.splitlines() if "lines for 1% blocking" in row)
    assert str(analytic.lines_for_blocking(97.5, 0.01)) in line
    both = run("--agents", "100", "--lines", "120")
    assert "Erlang C (M/M/n)" in both and pct(analytic.erlang_b(120, 97.5)) in both


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate", "19.5/mn"], "error: --rate: unknown time unit 'mn'"),
        (["--handle", "five minutes"], "error: --handle: malformed duration"),
        (["--handle", "300"], "error: --handle: a duration needs a unit: write '300s', '300min' or '300h'"),
        (["--rate", "40"], "error: --rate: a rate needs a unit: write '40/h' or '40/min'"),
        (["--handle", "0s"], "error: --handle: must be > 0"),
        (["--patience", "-3min"], "error: --patience: must be > 0"),
        (["--agents", "ten"], "error: --agents: expected a whole number"),
        (["--agents", "0"], "error: --agents: must be >= 1"),
        (["--target", "1.5"], "error: --target: must be between 0 and 1"),
        (["--agents", "100", "--target", "0.8"], "error: --agents, --target: give one"),
        (["--definition", "quick"], "'quick' is not one of 'offered'"),
        (["--lines", "-2"], "error: --lines: must be >= 1"),
        (["--patience", "3min", "--target", "0.8", "--abandon-cap", "0"], "error: --abandon-cap:"),
    ],
)
def test_bad_input_exits_2_without_traceback(args: list[str], message: str) -> None:
    result = runner.invoke(app, [*BASE, *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_registered_on_the_real_app() -> None:
    from ccsim.cli import app as real_app

    result = runner.invoke(real_app, [*BASE, "--patience", "3min", "--agents", "100"])
    assert result.exit_code == 0, result.output
    assert "85.50%" in result.output
    bad = runner.invoke(real_app, ["erlang", "--rate", "19.5/mn", "--handle", "5min"])
    assert bad.exit_code == 2 and bad.stderr.startswith("error: --rate: ")
