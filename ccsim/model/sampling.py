"""Draw one replication's contacts: arrival times, types, segments, handle and patience times.

Randomness follows docs/explanation/architecture.md ("The random streams"): one
``SeedSequence(seed)``, one child per replication, and inside it one named stream per source
(``arrivals/0``, ``mix/0``, ``handle/billing/phone``, ``patience/vip``, ``busyness``, ...).
Everything is drawn up front with numpy, so a change of staffing or routing never changes what
the customers do: compared scenarios share their random numbers.
"""

from __future__ import annotations

import itertools
import zlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from ccsim.model.plan import Plan
from ccsim.model.timeline import Floats, Ints, Step

# a column of numbers (its dtype is the column's)
Array = NDArray[np.number[npt.NBitBase] | np.bool_]


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The named random stream of a replication."""
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(replication, key))))


def step_values(step: Step, t: npt.ArrayLike) -> Floats:
    k = np.searchsorted(step.times, t, side="right") - 1
    return step.values[np.maximum(k, 0)]


@dataclass
class ContactArrays:
    """Columns of the contacts of one replication, sorted by arrival time."""

    arrival: Floats  # simulated time, s
    stream: Ints  # demand stream index
    channel: Ints
    ctype: Ints
    segment: Ints
    handle: Floats  # base handle time (proficiency 1, one chat held), s
    wrap: Floats  # s
    patience: Floats  # s (inf: never abandons)
    closed: NDArray[np.bool_]  # arrived while its channel was closed
    busyness: Floats  # factor per day (index 0 = first measured day)
    self_service: NDArray[np.int8]  # 1: resolved by self-service, 2: failed, reaches an agent later

    def __len__(self) -> int:
        return len(self.arrival)


def _arrivals(
    plan: Plan, rate: Step, factors: Floats, rng: np.random.Generator, t0: float, t1: float
) -> Floats:
    clock = plan.clock
    cuts = np.unique(np.concatenate([clock.cut_points(), rate.times[rate.times < clock.end], [t0, t1]]))
    cuts = cuts[(cuts >= t0) & (cuts <= t1)]
    a, b = cuts[:-1], cuts[1:]
    lam = step_values(rate, a)
    day = np.maximum(clock.day_of(a), 0)
    lam = lam * factors[np.minimum(day, len(factors) - 1)]
    counts = rng.poisson(lam * (b - a))
    starts = np.repeat(a, counts)
    widths = np.repeat(b - a, counts)
    return np.sort(starts + rng.random(counts.sum()) * widths)


def _choose(rng: np.random.Generator, options: list[int], shares: list[float], n: int) -> Ints:
    if len(options) == 1:
        return np.full(n, options[0], dtype=np.int32)
    return np.asarray(options, dtype=np.int32)[rng.choice(len(options), size=n, p=shares)]


def busyness_factors(plan: Plan, seed: int, replication: int) -> Floats:
    """One demand factor per day of the run (index 0 = the first measured day)."""
    n_days = max(int(plan.clock.day_of(plan.clock.end - 1e-9)) + 1, 1)
    if plan.busyness is None:
        return np.ones(n_days)
    return np.asarray(plan.busyness.sample(stream(seed, replication, "busyness"), n_days), dtype=float)


def blocks(plan: Plan) -> list[tuple[float, float]]:
    """The run's arrival time cut at each midnight: contacts are drawn and simulated a day
    at a time, so memory does not grow with the length of the run."""
    clock = plan.clock
    edges = [t for t in clock.cut_points() if 0 < t < clock.end and clock.time_of_day(t) < 1e-6]
    points = [0.0, *edges, clock.end]
    return list(itertools.pairwise(points))


def sample_contacts(
    plan: Plan,
    seed: int,
    replication: int,
    block: int = 0,
    window: tuple[float, float] | None = None,
    factors: Floats | None = None,
) -> ContactArrays:
    """The contacts arriving in ``window`` (default: the whole run), from the block's streams."""
    t0, t1 = window if window is not None else (0.0, plan.clock.end)
    if factors is None:
        factors = busyness_factors(plan, seed, replication)
    parts = []
    for s in plan.streams:
        t = _arrivals(plan, s.rate, factors, stream(seed, replication, f"arrivals/{s.index}/{block}"), t0, t1)
        mix = stream(seed, replication, f"mix/{s.index}/{block}")
        parts.append(
            (
                t,
                np.full(len(t), s.index, dtype=np.int32),
                np.full(len(t), s.channel, dtype=np.int32),
                _choose(mix, s.types, s.type_shares, len(t)),
                _choose(mix, s.segments, s.segment_shares, len(t)),
            )
        )
    if len(parts) == 1:  # one stream: already in time order
        arrival, stream_i, channel, ctype, segment = parts[0]
    else:
        arrival = np.concatenate([p[0] for p in parts])
        order = np.argsort(arrival, kind="stable")
        arrival = arrival[order]
        stream_i, channel, ctype, segment = (
            np.concatenate([p[j] for p in parts])[order] for j in range(1, 5)
        )
    n = len(arrival)
    handle = np.zeros(n)
    for (ti, ci), dist in plan.handle.items():
        mask = (ctype == ti) & (channel == ci)
        k = int(mask.sum())
        if k:
            name = f"handle/{plan.type_names[ti]}/{plan.channels[ci].name}/{block}"
            handle[mask] = dist.sample(stream(seed, replication, name), k)
    wrap = np.zeros(n)
    for ti, wdist in enumerate(plan.wrap):
        if wdist is not None:
            mask = ctype == ti
            wrap[mask] = wdist.sample(
                stream(seed, replication, f"wrap/{plan.type_names[ti]}/{block}"), int(mask.sum())
            )
    patience = _patience(plan, seed, replication, block, channel, segment, arrival)
    self_service = _self_service(plan, seed, replication, block, stream_i)
    closed = np.zeros(n, dtype=bool)
    for ci, ch in enumerate(plan.channels):
        mask = channel == ci
        closed[mask] = step_values(ch.open, arrival[mask]) < 0.5
    return ContactArrays(
        arrival=arrival,
        stream=stream_i,
        channel=channel,
        ctype=ctype,
        segment=segment,
        handle=np.maximum(handle, 0.0),
        wrap=np.maximum(wrap, 0.0),
        patience=patience,
        closed=closed,
        busyness=np.asarray(factors, dtype=float),
        self_service=self_service,
    )


def _patience(
    plan: Plan, seed: int, replication: int, block: int, channel: Ints, segment: Ints, arrival: Floats
) -> Floats:
    """Patience of a block's arrivals: the segment's (times its profile's factor at the arrival's
    time of day), or the channel's where it has its own; deferred contacts (e-mail) never abandon."""
    n = len(channel)
    patience = np.full(n, np.inf)
    for si, pdist in enumerate(plan.patience):
        if pdist is not None:
            mask = segment == si
            name = f"patience/{plan.segment_names[si]}/{block}"
            patience[mask] = pdist.sample(stream(seed, replication, name), int(mask.sum()))
            profile = plan.policies.patience_profile[si]
            if profile is not None:  # after the draws: a profile changes no other random number
                patience[mask] *= plan.clock.of_day(profile, arrival[mask])
    for ci, ch in enumerate(plan.channels):
        override = plan.policies.channel_patience[ci]
        if override is not None and ch.realtime:  # e.g. a walk-in desk: the channel's patience
            mask = channel == ci
            name = f"patience/channel/{ch.name}/{block}"
            patience[mask] = override.sample(stream(seed, replication, name), int(mask.sum()))
        if not ch.realtime:  # deferred contacts (e-mail) never abandon
            patience[channel == ci] = np.inf
    return patience


def _self_service(plan: Plan, seed: int, replication: int, block: int, stream_i: Ints) -> NDArray[np.int8]:
    """Per arrival: 1 resolved by self-service, 2 self-service failed (it reaches an agent
    later), 0 neither."""
    n = len(stream_i)
    self_service = np.zeros(n, dtype=np.int8)  # 1: resolved by self-service, 2: it failed
    for si, spec in enumerate(plan.policies.self_service):
        if spec is not None:
            mask = stream_i == si
            k = int(mask.sum())
            u = stream(seed, replication, f"self_service/{si}/{block}").random((2, k))
            code = np.where(u[0] < spec.share, np.where(u[1] < spec.fail, 2, 1), 0)
            self_service[mask] = code
    return self_service
