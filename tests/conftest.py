from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def base_raw(**overrides: Any) -> dict[str, Any]:
    """A small one-channel scenario as a dict (the parsed TOML), for tests to modify."""
    raw: dict[str, Any] = {
        "scenario": {"name": "test", "duration": "2h", "warmup": "15min", "replications": 2, "seed": 3},
        "channels": {"phone": {"kind": "voice", "service_level": {"within": "20s", "target": 0.8}}},
        "segments": {"standard": {"priority": 1, "patience": {"dist": "exponential", "mean": "3min"}}},
        "contact_types": {"general": {"handle": {"dist": "exponential", "mean": "4min"}}},
        "demand": [{"channel": "phone", "contact_type": "general", "segment": "standard", "rate": "2/min"}],
        "agents": {"pool": {"count": 9, "skills": ["general"], "channels": ["phone"]}},
    }
    for path, value in overrides.items():
        node = raw
        parts = path.split(".")
        for p in parts[:-1]:
            node = node[int(p)] if isinstance(node, list) else node[p]
        node[parts[-1]] = value
    return copy.deepcopy(raw)


@pytest.fixture
def raw() -> dict[str, Any]:
    return base_raw()
