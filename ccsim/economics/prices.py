"""A prices file: the money assumptions of a scenario kept in a file of their own.

Finance often owns the prices and customer values while planning owns the centre. A prices
file holds only ``[costs]``, ``[value]``, ``[experience]``, ``[frontier]``, ``[sensitivity]`` and, per agent
group, ``cost_per_hour`` and ``shrinkage``; ``with_prices`` puts them into a scenario (tables
given replace the scenario's own), which is then checked as usual.

>>> bank = ccsim.load("configs/retail_bank.toml")                    # doctest: +SKIP
>>> priced = with_prices(bank, "configs/prices/retail_bank.toml")    # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ccsim.config.errors import ConfigError, suggest, unknown_name
from ccsim.config.loader import read_toml

TABLES = ("costs", "value", "experience", "frontier", "sensitivity")
GROUP_KEYS = ("cost_per_hour", "shrinkage")


def price_overrides(raw: dict[str, Any], scenario: Any, source: str = "prices") -> dict[str, Any]:
    """The overrides (dotted path -> value) a prices file's content makes."""
    problems: list[str] = []
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in TABLES:
            out[key] = value
        elif key == "agents" and isinstance(value, dict):
            for group, keys in value.items():
                if group not in scenario.agents:
                    problems.append(unknown_name(f"agents.{group}", "agent group", group, scenario.agents))
                    continue
                for k, v in (keys or {}).items():
                    if k not in GROUP_KEYS:
                        problems.append(
                            f"agents.{group}.{k}: a prices file sets only {' and '.join(GROUP_KEYS)}"
                        )
                    else:
                        out[f"agents.{group}.{k}"] = v
        else:
            problems.append(
                f"{key}: not a prices table{suggest(key, [*TABLES, 'agents'])}; a prices file holds "
                f"{', '.join(TABLES)} and agents.NAME.cost_per_hour / shrinkage"
            )
    if problems:
        raise ConfigError(problems, source)
    return out


def with_prices(scenario: Any, path: str | Path) -> Any:
    """``scenario`` with the prices of the TOML file at ``path`` (see the module docstring)."""
    raw = read_toml(path)
    overrides = price_overrides(raw, scenario, str(path))
    try:
        return scenario.with_overrides(overrides)
    except ConfigError as exc:
        raise ConfigError(exc.problems, f"{scenario.source or 'scenario'} with prices {path}") from None


def has_prices(scenario: Any) -> bool:
    """True when anything in the scenario costs or is worth money: an agent's hour, telephony,
    self-service, callbacks, a partner's contacts, a customer's lifetime value or lost revenue.
    Without any, every money table is zero and outputs say "no prices set"."""
    cfg = scenario.config
    costs = cfg.costs
    self_service = (
        costs.self_service.values() if isinstance(costs.self_service, dict) else [costs.self_service]
    )
    value = cfg.value
    amounts = [
        costs.agent_cost_per_hour,
        costs.callback,
        *self_service,
        *(t.waiting + t.talking for t in costs.telephony.values()),
        *(g.cost_per_hour or 0.0 for g in cfg.agents.values()),
        *(p.price for p in (cfg.partners or {}).values()),
        *(s.lifetime_value + s.lost_per_contact for s in value.segments.values()),
        *(t.lost_per_contact for t in value.contact_types.values()),
    ]
    return any(a > 0 for a in amounts)
