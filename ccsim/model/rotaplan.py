"""The compiled rota of an agent group: its absence, breaks and blocks, and its shifts (when it
has them), for ``rota.Rota`` to turn into each replication's agents on duty."""

from __future__ import annotations

from dataclasses import dataclass

from ccsim.config.rota import Absence, Block, Break
from ccsim.config.schema import AgentGroup


@dataclass(frozen=True)
class RotaPlan:
    """What makes a group's agents on duty differ from its rostered agents."""

    group: str  # the group's name: its random streams are named by it
    absence: Absence | None
    breaks: tuple[Break, ...]
    blocks: tuple[Block, ...]
    shifts: (
        tuple[tuple[float, float, int], ...] | None
    )  # (clock start, length, agents); None: count or staffing


def compile_rota(name: str, group: AgentGroup) -> RotaPlan | None:
    """The rota of ``[agents.NAME]``, or None when it has no absence, breaks or blocks."""
    if group.absence is None and not group.breaks and not group.blocks:
        return None
    shifts = tuple((s.start, s.length, s.count) for s in group.shifts) if group.shifts is not None else None
    return RotaPlan(
        group=name,
        absence=group.absence,
        breaks=tuple(group.breaks or ()),
        blocks=tuple(group.blocks or ()),
        shifts=shifts,
    )
