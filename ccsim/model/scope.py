"""Communicating the scope (``[scope_communication]``): of a block's arrivals of contact types
outside the scope, a share ``reduction`` no longer contacts the centre.

Each arrival draws one uniform from the block's own stream (``scope/BLOCK``) after everything
else about it is drawn, and the arrivals it removes are taken out of the block's columns: the
arrivals that remain are the same contacts, with the same times and random numbers, as without
the lever (common random numbers), and a larger reduction removes a superset of the contacts a
smaller one removes.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from ccsim.model.choiceplan import ScopePlan
from ccsim.model.sampling import ContactArrays, stream

PER_DAY = ("busyness",)  # fields of ``ContactArrays`` that are not per contact


def still_contacting(
    scope: ScopePlan, seed: int, replication: int, block: int, c: ContactArrays
) -> NDArray[np.bool_]:
    """Which of the block's arrivals still contact the centre."""
    u = stream(seed, replication, f"scope/{block}").random(len(c))
    out_of_scope = np.asarray(scope.out_of_scope, dtype=bool)[c.ctype]
    keep: NDArray[np.bool_] = ~(out_of_scope & (u < scope.reduction))
    return keep


def thin(
    c: ContactArrays, derived: dict[str, npt.ArrayLike], keep: NDArray[np.bool_]
) -> tuple[ContactArrays, dict[str, npt.ArrayLike]]:
    """The arrivals (and their derived columns) that ``keep`` keeps."""
    fields = {f.name: getattr(c, f.name)[keep] for f in dataclasses.fields(c) if f.name not in PER_DAY}
    return dataclasses.replace(c, **fields), {k: np.asarray(v)[keep] for k, v in derived.items()}
