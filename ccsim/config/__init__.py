"""Scenario configuration: schema, loading, overrides and error messages."""

from ccsim.config.errors import ConfigError
from ccsim.config.loader import Scenario, from_dict, load
from ccsim.config.schema import ScenarioConfig, model_json_schema

__all__ = ["ConfigError", "Scenario", "ScenarioConfig", "from_dict", "load", "model_json_schema"]
