"""The customer's journey: what happens around a contact besides waiting and being served.

A part of ``Centre``. On arrival: after-hours handling (lost, queue, voicemail, fallback), calls
that are not service calls, self-service, wait-time announcements (balking), callback offers
(the acknowledgements and chases of deferred channels are ``promises.Promises``). At the end:
first-contact resolution, repeat contacts, escalation to the next support level; after
abandoning or a busy signal: retrials. Contacts created this way are linked to the one that led
to them (``parent``) and carry the customer and the attempt number, so a customer's journey can
be followed.

Each contact decides with its own random numbers (``store.JOURNEY_COLUMNS``): a uniform per
decision, drawn up front for a block's arrivals; a contact created during the run draws its
handle time, patience, delay, channel and its own uniforms from a generator seeded by the key of
the contact that led to it and its origin. A contact therefore decides the same way in two
scenarios that differ in staffing or routing (common random numbers), whatever the order of
events.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable
from operator import attrgetter

import numpy as np

from ccsim.model.flow import Flow
from ccsim.model.keyed import KeyedGenerator
from ccsim.model.plan import Plan
from ccsim.model.queues import LANE_CALLBACK, LANE_NORMAL, LANE_URGENT, Queues
from ccsim.model.routing import Queue
from ccsim.model.scheduler import Scheduler
from ccsim.model.store import (
    ARRIVAL,
    BALKED,
    CALLBACK,
    CALLBACK_MADE,
    CLOSED,
    DECISIONS,
    DECLINED,
    DONE,
    ESCALATION,
    FALLBACK,
    FALLBACK_MADE,
    NOBODY,
    OUTCOMES,
    PASSED_THROUGH,
    REPEAT,
    RETRIAL,
    SELF_SERVED,
    SELF_SERVICE_FAIL,
    VOICEMAIL,
    VOICEMAIL_CALLBACK,
    WAITING,
    Contacts,
)
from ccsim.model.workforce import AgentPool

__all__ = ["LANE_CALLBACK", "LANE_NORMAL", "LANE_URGENT", "Journeys"]
_WAITING = attrgetter("waiting")  # a queue's waiting contacts
# Salts of a contact's own draws (``Journeys.draws``): the origins (``Origin``, 0-8) salt the draws
# of what a contact leads to; the decisions below have their own, one each, so that no two
# decisions of a contact share random numbers.
HANDLING = 100  # when it is answered (transfer, decline times)
CHASE_DECIDES = 101  # whether and where it chases (model/promises.py)
CHOICE = 102  # which channel it chooses (model/choice.py)
PREVENT = 111  # whether a proactive contact prevented it (model/proactive.py)


class Journeys:
    """The journey policies (``plan.policies``) and what they do to the contacts."""

    def __init__(
        self,
        plan: Plan,
        seed: int,
        replication: int,
        contacts: Contacts,
        queues: Queues,
        pool: AgentPool,
        sched: Scheduler,
        flow: Flow,
    ) -> None:
        self.plan = plan
        self.contacts = contacts
        self.queues = queues
        self.pool = pool
        self.sched = sched
        self.flow = flow
        pol = plan.policies
        # the generator of contacts' own draws (draws): one, repositioned for each contact
        self._keyed = KeyedGenerator(seed, replication)
        self._gen = self._keyed.gen
        self._at_key = self._keyed.at
        self.after_hours = pol.after_hours
        self.fallback = [plan.channel_index(f) if f else -1 for f in pol.fallback_channel]
        self.non_service = pol.non_service
        self.announce = pol.announcement
        self.callback = pol.callback
        self.ack = pol.acknowledgement
        self.retrial = pol.retrial
        self.resolution = pol.resolution
        self.repeat = pol.repeat
        self.escalation = pol.escalation
        self.decline = pol.decline
        self.self_service = pol.self_service
        self.channel_patience = pol.channel_patience
        nc, nt = len(plan.channels), len(plan.type_names)
        self.mean_work = {
            (c, t): plan.handle[(t, c)].mean + (w.mean if (w := plan.wrap[t]) else 0.0)
            for c in range(nc)
            for t in range(nt)
        }
        self.on = pol.journeys_on
        self._arrive_timer, self._offer_timer = flow.arrive_created, self.offer_callback  # made once
        # per channel: its opening hours as lists, for the contacts created during the run
        self._hours = [(ch.open.times.tolist(), ch.open.values.tolist()) for ch in plan.channels]
        self._opens_at = [[t for t, v in ch.open.changes() if v > 0.5] for ch in plan.channels]  # in order
        self._queue_of: dict[tuple[int, int, int], int] = {}  # see _queue_index
        self._profiled = any(p is not None for p in pol.patience_profile)  # see _patience_factor
        self._choices: dict[int, Choice] = {}  # per channel mix (by id): see pick
        self._bind_samplers(plan)
        self._escalate_to = [  # per type: the channel (-1: the same) and type it escalates to
            (plan.channel_index(e.channel) if e.channel else -1, plan.type_index(e.to)) if e else (-1, -1)
            for e in self.escalation
        ]

    def _bind_samplers(self, plan: Plan) -> None:
        """The draws of created contacts, bound to the one generator of ``draws``: handle time
        by (type, channel), wrap-up by type, patience by channel and segment (None: none, or not
        a real-time channel), repeat delay by type."""
        gen = self._gen
        self._handle_of = {k: d.sampler(gen) for k, d in plan.handle.items()}
        self._wrap_of = [d.sampler(gen) if d is not None else None for d in plan.wrap]
        self._patience_of = [
            [d.sampler(gen) if ch.realtime and (d := self.channel_patience[c] or p) is not None else None
             for p in plan.patience]
            for c, ch in enumerate(plan.channels)
        ]  # fmt: skip
        self._repeat_delay = [r.delay.sampler(gen) if r is not None else None for r in self.repeat]

    # ------------------------------------------------------------------ helpers
    def draws(self, i: int, salt: int) -> np.random.Generator:
        """The random numbers of what contact ``i`` leads to: ``salt`` is the origin of the
        contact it creates (a contact creates at most one of each origin), or ``HANDLING``.

        One generator serves every contact: its state is set from the contact's key and the
        salt (a SplitMix64 hash of the two), which costs a microsecond where seeding a new
        generator costs ten (``keyed``). It is valid until the next call."""
        return self._at_key(int(self.contacts.key[i]), salt)

    def pick(self, mix: dict[str, float] | None, default: int, rng: np.random.Generator) -> int:
        """A channel from ``mix`` (weights by channel name), or ``default`` if there is none."""
        if not mix:
            return default
        choice = self._choices.get(id(mix))
        if choice is None or choice[0] is not mix:
            choice = self._choices[id(mix)] = _cumulative(mix, self.plan.channel_index)
        _mix, channels, totals, weight = choice
        u = float(rng.random()) * weight
        for c, total in zip(channels, totals, strict=True):
            if u < total:
                return c
        return channels[-1]  # u at the very top (rounding)

    def create(
        self,
        delay: float,
        i: int,
        channel: int,
        ctype: int,
        origin: int,
        rng: np.random.Generator | None = None,
        **values: float,
    ) -> int:
        """A contact created by contact ``i``: it arrives after ``delay``. Its handle time,
        patience and decisions come from ``rng`` (``draws(i, origin)`` unless given: a caller
        that drew the delay or channel from it passes it on; either way the one generator that
        ``draws`` positions, to which the samplers are bound)."""
        ct = self.contacts
        rng = rng if rng is not None else self.draws(i, origin)
        key = int(rng.bit_generator.random_raw()) >> 1  # a non-negative int64
        u = rng.random(len(DECISIONS)).tolist()
        seg = ct.segment[i]
        handle = self._handle_of[(ctype, channel)]()
        draw = self._wrap_of[ctype]
        wrap = draw() if draw is not None else 0.0
        patience = math.inf
        arrival = self.sched.now + delay
        if origin != CALLBACK_MADE and origin != VOICEMAIL_CALLBACK:
            draw = self._patience_of[channel][seg]
            if draw is not None:  # a real-time channel, and the customer may abandon
                patience = draw()
                if self._profiled:
                    patience *= self._patience_factor(channel, seg, arrival)
        attempt = values.pop("attempt", ct.attempt[i] + 1)
        qid = values.pop("qid", -1)
        if qid < 0:  # its ordinary queue, at the site of the contact it came from
            qid = self.queues.at_site(self._queue_index(channel, ctype, seg), ct.qid[i])
        row = (  # in the order of store.CREATED_ROW
            arrival, channel, ctype, seg, max(handle, 0.0), max(wrap, 0.0), patience,
            self.closed_at(channel, arrival), ct.customer[i], attempt, ct.cid[i], origin,
            ct.identified[i], key, int(qid),
        )  # fmt: skip
        j = ct.new(row, u, values)  # values: what the creator sets besides (promised, ...)
        self.sched.after(delay, self._arrive_timer, j)
        return j

    def _queue_index(self, channel: int, ctype: int, segment: int) -> int:
        """The ordinary queue of a created contact (remembered per channel, type, segment)."""
        k = self._queue_of.get((channel, ctype, segment))
        if k is None:
            q = self.queues
            k = q.qindex[(channel, ctype, q.route_segment(segment, True), LANE_NORMAL)]
            self._queue_of[(channel, ctype, segment)] = k
        return k

    def _patience_factor(self, channel: int, seg: int, t: float) -> float:
        """The segment's patience-profile factor at arrival time ``t`` (1 without a profile or
        where the channel's own patience applies)."""
        profile = self.plan.policies.patience_profile[seg]
        if profile is None or self.channel_patience[channel] is not None:
            return 1.0
        return float(self.plan.clock.of_day(profile, t))

    def closed_at(self, c: int, t: float) -> int:
        """1 if channel ``c`` is closed at time ``t`` (``Step.at`` over lists: no numpy call)."""
        times, values = self._hours[c]
        return int(values[max(bisect_right(times, t) - 1, 0)] < 0.5)

    # ------------------------------------------------------------------ on arrival
    def arrival_policies(self, i: int, c: int, now: float) -> bool:
        """Policies applied as a contact arrives; True if it ended or moved on."""
        ct = self.contacts
        if ct.closed[i]:
            policy = self.after_hours[c]
            if policy == "lost":
                self.flow.end_at_arrival(i, CLOSED)
                return True
            if policy == "voicemail":
                self.flow.end_at_arrival(i, VOICEMAIL)
                opening = self.next_opening(c, now)
                cb = self.callback[c]
                promise = cb.promise if cb is not None else 3600.0
                j = self.create(
                    opening - now,
                    i,
                    c,
                    ct.ctype[i],
                    VOICEMAIL_CALLBACK,
                    qid=self._callback_queue(i),
                    promised=opening + promise,
                    attempt=ct.attempt[i],
                )
                if cb is not None and cb.mode == "by_promise":
                    self.sched.after(opening - now + max(promise - cb.urgent_before, 0.0), self.urgent, j)
                return True
            if policy == "fallback":
                self.flow.end_at_arrival(i, FALLBACK)
                self.create(0.0, i, self.fallback[c], ct.ctype[i], FALLBACK_MADE, attempt=ct.attempt[i])
                return True
        ns = self.non_service[c]
        if ns is not None and ct.origin[i] == ARRIVAL and ct.u_nonservice[i] < ns.share:
            if ns.handling == "telephony":
                self.flow.end_at_arrival(i, PASSED_THROUGH)
                return True
            ct.nonservice_flag[i] = True  # an agent answers and transfers it
        ss = ct.self_service_code[i]
        if ss:
            self.flow.end_at_arrival(i, SELF_SERVED)
            if ss == 2:  # self-service failed: the customer reaches an agent later
                spec = self.self_service[ct.stream_of[i]]
                assert spec is not None and spec.delay is not None  # validated: fail > 0 needs a delay
                rng = self.draws(i, SELF_SERVICE_FAIL)
                delay = spec.delay.draw(rng)
                self.create(delay, i, c, ct.ctype[i], SELF_SERVICE_FAIL, rng)
            return True
        return False

    def next_opening(self, c: int, now: float) -> float:
        """The next time after ``now`` that channel ``c`` opens (``now`` if it never does)."""
        openings = self._opens_at[c]
        k = bisect_right(openings, now)
        return openings[k] if k < len(openings) else now

    def _callback_queue(self, i: int) -> int:
        ct = self.contacts
        c, t = ct.channel[i], ct.ctype[i]
        k = self.queues.qindex[(c, t, self.queues.route_segment(ct.segment[i], True), LANE_CALLBACK)]
        return self.queues.at_site(k, ct.qid[i])

    def queued_policies(self, i: int, c: int, now: float) -> bool:
        """Policies for a contact that has to wait; True if it left (balked, took a callback)."""
        ct = self.contacts
        if ct.origin[i] in (CALLBACK_MADE, VOICEMAIL_CALLBACK):
            return False  # the centre calls these back: nothing is announced or offered
        q = self.queues.qlist[ct.qid[i]]
        ann = self.announce[c]
        cb = self.callback[c]
        if ann is not None or (cb is not None and cb.offer_if_predicted_over is not None):
            predicted = self._predicted_wait(i, q)
            ct.predicted[i] = predicted
            if ann is not None and predicted > ann.threshold and ct.u_balk[i] < ann.balk:
                self.leave_queue(i, BALKED, now)
                self.gave_up(i, BALKED)
                return True
            if (
                cb is not None
                and cb.offer_if_predicted_over is not None
                and predicted > cb.offer_if_predicted_over
            ):
                ct.callback_offered[i] = 1
                if ct.u_callback_offer[i] < cb.accept:
                    self._take_callback(i, now)
                    return True
        if cb is not None and cb.offer_after is not None:
            self.sched.after(cb.offer_after, self._offer_timer, i)
        return False

    def _predicted_wait(self, i: int, q: Queue) -> float:
        """Queue-length predictor: (contacts ahead + 1) x mean handle / agents able and present,
        where 'ahead' counts the contacts waiting on the channel with the same or a higher
        priority (they will be answered first)."""
        ahead = sum(map(_WAITING, q.ahead))
        return ahead * self.mean_work[(q.channel, q.ctype)] / max(self._able_present(q), 1)

    def _able_present(self, q: Queue) -> int:
        return self.pool.able_present(q.able)

    def leave_queue(self, i: int, outcome: int, now: float) -> None:
        """Contact ``i`` stops waiting (balks, abandons, takes a callback)."""
        ct = self.contacts
        if ct.status[i] == WAITING and ct.target[i] < 0:
            self.queues.qlist[ct.qid[i]].waiting -= 1
        ct.status[i] = DONE
        ct.served_by[i] = NOBODY  # not served (it may have been waiting for its personal agent)
        ct.outcome[i] = outcome
        ct.wait[i] = now - ct.arrival[i]
        self.flow.leave_system(i)

    def offer_callback(self, i: int) -> None:
        ct = self.contacts
        if ct.status[i] != WAITING:
            return
        cb = self.callback[ct.channel[i]]
        assert cb is not None  # the timer is set only on channels with callbacks
        ct.callback_offered[i] = 1
        if ct.u_callback_later[i] < cb.accept:
            self._take_callback(i, self.sched.now)

    def _take_callback(self, i: int, now: float) -> None:
        """The caller leaves the queue; a callback is created and queued."""
        ct = self.contacts
        cb = self.callback[ct.channel[i]]
        assert cb is not None  # only on channels with callbacks
        self.leave_queue(i, CALLBACK, now)
        j = self.create(
            0.0,
            i,
            ct.channel[i],
            ct.ctype[i],
            CALLBACK_MADE,
            qid=self._callback_queue(i),
            promised=now + cb.promise,
            attempt=ct.attempt[i],
        )
        if cb.mode == "by_promise":
            self.sched.after(max(cb.promise - cb.urgent_before, 0.0), self.urgent, j)

    def urgent(self, j: int) -> None:
        """A callback near its promise moves to the urgent lane (before real-time contacts)."""
        ct = self.contacts
        if ct.status[j] != WAITING:
            return
        old = self.queues.qlist[ct.qid[j]]
        old.items.remove(j)
        old.waiting -= 1
        c, t = ct.channel[j], ct.ctype[j]
        k = self.queues.qindex[(c, t, self.queues.route_segment(ct.segment[j], True), LANE_URGENT)]
        k = self.queues.at_site(k, ct.qid[j])
        ct.qid[j] = k
        new = self.queues.qlist[k]
        new.put(j)
        for g in {g for groups in new.ranks for g in groups}:
            self.flow.dispatch_idle(g, self.sched.now)

    # ------------------------------------------------------------------ after the contact
    def service_ended(self, i: int, resolution: float) -> None:
        """Resolution, escalation and repeat of a contact an agent (or partner) finished."""
        ct = self.contacts
        t = ct.ctype[i]
        esc = self.escalation[t]
        if esc is not None and ct.u_escalate[i] < esc.share:
            ct.escalated[i] = 1
            ct.resolved[i] = 0
            channel, to = self._escalate_to[t]
            self.create(0.0, i, channel if channel >= 0 else ct.channel[i], to, ESCALATION)
            return
        if ct.u_resolve[i] < resolution:
            ct.resolved[i] = 1
            return
        rep = self.repeat[t]
        if rep is not None and ct.attempt[i] < rep.max_contacts:
            rng = self.draws(i, REPEAT)
            draw = self._repeat_delay[t]
            assert draw is not None  # bound where repeat[t] is set
            delay = draw()
            self.create(delay, i, self.pick(rep.channels, ct.channel[i], rng), t, REPEAT, rng)

    def gave_up(self, i: int, outcome: int) -> None:
        """Retrial after abandoning, a busy signal, or hanging up on a wait announcement."""
        ct = self.contacts
        spec = self.retrial[ct.segment[i]]
        if spec is None or ct.attempt[i] >= spec.max_attempts:
            return
        share = spec.share_of(OUTCOMES[outcome])
        if ct.u_retry[i] < share:
            rng = self.draws(i, RETRIAL)
            delay = spec.delay.draw(rng)
            channel = self.pick(spec.channels, ct.channel[i], rng)
            self.create(delay, i, channel, ct.ctype[i], RETRIAL, rng)

    def handle_time(self, i: int, base: float) -> tuple[float, int]:
        """Talk time and final outcome of a contact an agent answers (declines, transfers)."""
        ct = self.contacts
        if ct.nonservice_flag[i]:
            spec = self.non_service[ct.channel[i]]
            assert spec is not None and spec.time is not None  # validated with handling = 'agent'
            ct.base_wrap[i] = 0.0  # a transfer has no wrap-up
            return spec.time.draw(self.draws(i, HANDLING)), PASSED_THROUGH
        dec = self.decline[ct.ctype[i]]
        if dec is not None:
            ct.base_wrap[i] = 0.0
            return dec.draw(self.draws(i, HANDLING)), DECLINED
        return base, -1


# a channel mix ready to draw from: the mix, its channels, the running sums of their weights
# (added in the mix's order, as the draw compares them) and the sum of the weights
Choice = tuple[dict[str, float], list[int], list[float], float]


def _cumulative(mix: dict[str, float], channel_index: Callable[[str], int]) -> Choice:
    totals, total = [], 0.0
    for name in mix:
        total += mix[name]
        totals.append(total)
    return mix, [int(channel_index(name)) for name in mix], totals, sum(mix.values())
