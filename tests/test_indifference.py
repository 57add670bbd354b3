"""The indifference amount is written with its unit: an amount in the scenario's currency
("300 EUR") or a share of the cheapest total cost ("1%"). A bare number, which could mean
either, is refused on the command line with exit code 2 and a message naming the option, the
value and both forms; in Python a number is an amount."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT
from typer.testing import CliRunner

import ccsim
from ccsim.cli import app
from ccsim.config.errors import ConfigError
from ccsim.optimize import frontier
from ccsim.optimize.indifference import Indifference, parse_indifference

CONFIG = ROOT / "configs" / "priced_line.toml"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("300 EUR", Indifference(amount=300.0)),
        ("300EUR", Indifference(amount=300.0)),
        (" 12.5 eur ", Indifference(amount=12.5)),
        ("1%", Indifference(share=0.01)),
        ("0.5 %", Indifference(share=0.005)),
        ("0%", Indifference()),
        (25.0, Indifference(amount=25.0)),  # a Python number is an amount
        (7, Indifference(amount=7.0)),
    ],
)
def test_an_amount_with_the_currency_or_a_share_is_accepted(text: float | str, expected: Indifference):
    assert parse_indifference(text, "EUR") == expected


def test_the_amount_of_a_share_and_of_an_amount() -> None:
    assert parse_indifference("1%", "EUR").of(-2000.0) == pytest.approx(20.0)
    assert parse_indifference("300 EUR", "EUR").of(2000.0) == 300.0


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1", "a number without its unit"),
        ("0.01", "a number without its unit"),
        ("300 USD", "the scenario's amounts are in EUR"),
        ("-5 EUR", "finite and >= 0"),
        ("100%", "below 100%"),
        ("-1%", "at least 0%"),
        ("lots", "write an amount"),
        ("nan EUR", "write an amount"),
    ],
)
def test_a_number_without_its_unit_or_another_currency_is_refused(text: str, says: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_indifference(text, "EUR", "--indifference")
    message = str(err.value)
    assert says in message and "--indifference" in message and repr(text) in message


def test_the_python_api_refuses_a_bare_number_in_text_before_simulating() -> None:
    scenario = ccsim.load(CONFIG)
    with pytest.raises(ConfigError, match="indifference '1': a number without its unit"):
        frontier(scenario, indifference="1", choices={}, workers=1)


@pytest.mark.parametrize("command", ["frontier", "sensitivity"])
def test_the_commands_refuse_a_bare_indifference_with_exit_code_2(command: str) -> None:
    res = CliRunner().invoke(app, [command, str(CONFIG), "--indifference", "1", "--workers", "1"])
    assert res.exit_code == 2, res.output
    assert "--indifference '1': a number without its unit" in res.output
    assert "300 EUR" in res.output and "1%" in res.output  # both accepted forms, in its currency
    assert "Traceback" not in res.output


def test_the_refusal_prints_no_traceback_from_the_shell() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ccsim", "frontier", str(CONFIG), "--indifference", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "a number without its unit" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
