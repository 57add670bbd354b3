"""The compiled forms of the customers' reactions: channel choice (``[choice]``) and the
communicated scope (``[scope_communication]``), by index, for ``choice.ChannelChoice`` and
``blocks.Blocks``."""

from __future__ import annotations

from dataclasses import dataclass

from ccsim.config.schema import ScenarioConfig


@dataclass(frozen=True)
class ChoicePlan:
    """``[choice]`` by index: the channels, and each (type, segment)'s utility of each."""

    channels: tuple[int, ...]  # channel indices customers choose among
    share: float  # share of a stream's first arrivals who choose
    wait_scale: float  # s of expected wait that cost one unit of utility
    utility: tuple[tuple[tuple[float, ...], ...], ...]  # [type][segment][k]: of channels[k]
    choosing_streams: tuple[bool, ...]  # per demand stream: its channel is one of ``channels``


@dataclass(frozen=True)
class ScopePlan:
    """``[scope_communication]`` by index: which contact types it thins, and by how much."""

    reduction: float
    out_of_scope: tuple[bool, ...]  # per contact type


def compile_choice(cfg: ScenarioConfig) -> ChoicePlan | None:
    choice = cfg.choice
    if choice is None:
        return None
    names = list(cfg.channels)
    utility = tuple(
        tuple(
            tuple(
                choice.preference.get(c, 0.0)
                + choice.contact_types.get(t, {}).get(c, 0.0)
                + choice.segments.get(s, {}).get(c, 0.0)
                for c in choice.channels
            )
            for s in cfg.segments
        )
        for t in cfg.contact_types
    )
    return ChoicePlan(
        channels=tuple(names.index(c) for c in choice.channels),
        share=choice.share,
        wait_scale=choice.wait_scale,
        utility=utility,
        choosing_streams=tuple(d.channel in choice.channels for d in cfg.demand),
    )


def compile_scope(cfg: ScenarioConfig) -> ScopePlan | None:
    scope = cfg.scope_communication
    if scope is None or scope.reduction == 0:
        return None
    return ScopePlan(scope.reduction, tuple(not t.in_scope for t in cfg.contact_types.values()))
