"""Scenario configuration: schema, reading, overrides and error messages (``ccsim.scenario``
compiles a validated config into the model's plan)."""

from ccsim.config.errors import ConfigError
from ccsim.config.loader import read_toml, validate
from ccsim.config.schema import ScenarioConfig, model_json_schema

__all__ = ["ConfigError", "ScenarioConfig", "model_json_schema", "read_toml", "validate"]
