"""The indifference amount: the cost difference below which two points of a frontier count as
the same money (``ccsim.optimize.band``), written with its unit.

A planner writes either an amount in the scenario's currency (``"300 EUR"``, the currency of
``[costs]``) or a share of the cheapest point's total cost (``"1%"``). A bare number such as
``"1"`` is refused: it could mean one currency unit or one percent, and the two give bands of
very different widths. In Python a number (``float`` or ``int``) is an amount in the scenario's
currency per replication; only text carries a unit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from numbers import Real

from ccsim.config.errors import ConfigError

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_SHARE = re.compile(rf"^\s*({_NUMBER})\s*%\s*$")
_AMOUNT = re.compile(rf"^\s*({_NUMBER})\s*(\S.*?)?\s*$")


@dataclass(frozen=True)
class Indifference:
    """An indifference as written: an ``amount`` (currency per replication) or a ``share`` of
    the cheapest point's total cost (the other one zero)."""

    amount: float = 0.0
    share: float = 0.0

    def of(self, cheapest: float) -> float:
        """The amount for a frontier whose cheapest point costs ``cheapest`` on average."""
        return self.amount + self.share * abs(cheapest)


def forms(currency: str) -> str:
    """The two accepted forms, for error messages and help texts."""
    return f"an amount in {currency} (e.g. 300 {currency}) or a share of the cheapest total cost (e.g. 1%)"


def parse_indifference(
    value: float | str | Indifference, currency: str, option: str = "indifference"
) -> Indifference:
    """``value`` read as an indifference (see the module docstring); ``currency`` the scenario's
    (``[costs].currency``). A ``ConfigError`` names ``option``, the value and both accepted forms
    when the text is a bare number, another currency, or not a finite amount >= 0 (a share below
    100%)."""
    if isinstance(value, Indifference):
        return value
    if isinstance(value, bool) or not isinstance(value, Real | str):  # (numpy's numbers are Real)
        raise ConfigError([f"{option} {value!r}: write {forms(currency)}"])
    if not isinstance(value, str):
        return Indifference(amount=_amount(float(value), value, currency, option))
    share = _SHARE.match(value)
    if share:
        v = float(share.group(1)) / 100.0
        if not (math.isfinite(v) and 0 <= v < 1):
            raise ConfigError([f"{option} {value!r}: a share must be at least 0% and below 100%"])
        return Indifference(share=v)
    amount = _AMOUNT.match(value)
    if amount is None:
        raise ConfigError([f"{option} {value!r}: write {forms(currency)}"])
    unit = amount.group(2)
    if unit is None:
        raise ConfigError([f"{option} {value!r}: a number without its unit; write {forms(currency)}"])
    if unit.casefold() != currency.casefold():
        raise ConfigError(
            [f"{option} {value!r}: the scenario's amounts are in {currency} (costs.currency); "
             f"write {forms(currency)}"]
        )  # fmt: skip
    return Indifference(amount=_amount(float(amount.group(1)), value, currency, option))


def _amount(v: float, value: object, currency: str, option: str) -> float:
    if not math.isfinite(v) or v < 0:
        raise ConfigError([f"{option} {value!r}: the amount must be finite and >= 0 {currency}"])
    return v
