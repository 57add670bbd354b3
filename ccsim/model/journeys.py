"""The customer's journey: what happens around a contact besides waiting and being served.

A mixin of ``Centre``. On arrival: after-hours handling (lost, queue, voicemail, fallback),
calls that are not service calls, self-service, wait-time announcements (balking), callback
offers, e-mail acknowledgements with a promised response. At the end: first-contact
resolution, repeat contacts, escalation to the next support level; after abandoning or a busy
signal: retrials. Contacts created this way are linked to the one that led to them (``parent``)
and carry the customer and the attempt number, so a customer's journey can be followed.

Each contact decides with its own random numbers (``store.JOURNEY_COLUMNS``): a uniform per
decision, drawn up front for a block's arrivals; a contact created during the run draws its
handle time, patience, delay, channel and its own uniforms from a generator seeded by the key of
the contact that led to it and its origin. A contact therefore decides the same way in two
scenarios that differ in staffing or routing (common random numbers), whatever the order of
events.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ccsim.model.store import (
    BALKED,
    CALLBACK,
    CALLBACK_MADE,
    CLOSED,
    DECISIONS,
    DECLINED,
    DONE,
    ESCALATION,
    FALLBACK,
    MOVED,
    OUTCOMES,
    PASSED_THROUGH,
    REPEAT,
    RETRIAL,
    SELF_SERVED,
    SELF_SERVICE_FAIL,
    VOICEMAIL,
    VOICEMAIL_CALLBACK,
    WAITING,
)

LANE_NORMAL, LANE_CALLBACK, LANE_URGENT = 0, 1, 2
HANDLING = 100  # salt of a contact's own draws when it is answered (transfer, decline times)


class Journeys:
    """Mixin: journey policies, read from ``plan.config`` and kept per channel, segment, type."""

    def _init_journeys(self: Any) -> None:
        plan, cfg = self.plan, self.plan.config
        chans = list(cfg.channels.values())
        # the generator of contacts' own draws (_draws): one, repositioned for each contact
        self._bits = np.random.PCG64(0)
        self._gen = np.random.Generator(self._bits)
        self._inc = (_mix64(self.seed) << 64 | _mix64(self.replication)) | 1  # odd, per run
        self.after_hours = [ch.closed_policy for ch in chans]
        self.fallback = [
            plan.channel_index(ch.fallback_channel) if ch.fallback_channel else -1 for ch in chans
        ]
        self.non_service = [ch.non_service for ch in chans]
        self.announce = [ch.announcement for ch in chans]
        self.callback = [ch.callback for ch in chans]
        self.ack = [ch.acknowledgement for ch in chans]
        segs = list(cfg.segments.values())
        self.retrial = [s.retrial for s in segs]
        types = list(cfg.contact_types.values())
        self.resolution = [t.resolution for t in types]
        self.repeat = [t.repeat for t in types]
        self.escalation = [t.escalation for t in types]
        decline = cfg.routing.out_of_scope == "decline"
        self.decline = [t.decline if (decline and not t.in_scope) else None for t in types]
        self.type_priority = [t.priority for t in types]
        self.self_service = [d.self_service for d in cfg.demand]
        self.mean_work = {
            (c, t): plan.handle[(t, c)].mean + (plan.wrap[t].mean if plan.wrap[t] else 0.0)
            for c in range(len(chans))
            for t in range(len(types))
        }
        self.journeys_on = (
            any(x is not None for x in [*self.non_service, *self.announce, *self.callback, *self.ack])
            or any(p != "lost" and p != "queue" for p in self.after_hours)
            or any(x is not None for x in [*self.retrial, *self.repeat, *self.escalation, *self.decline])
            or any(r < 1.0 for r in self.resolution)
            or bool(cfg.partners)
            or any(x is not None for x in self.self_service)
            or any(s.personal is not None for s in segs)
        )

    # ------------------------------------------------------------------ helpers
    def _draws(self: Any, i: int, salt: int) -> np.random.Generator:
        """The random numbers of what contact ``i`` leads to: ``salt`` is the origin of the
        contact it creates (a contact creates at most one of each origin), or ``HANDLING``.

        One generator serves every contact: its state is set from the contact's key and the
        salt (a SplitMix64 hash of the two), which costs a microsecond where seeding a new
        generator costs ten. It is valid until the next call."""
        k = int(self.key[i])
        a = _mix64(k ^ ((salt * 0xD1B54A32D192ED03) & _MASK64))
        b = _mix64(a ^ k)
        self._bits.state = {
            "bit_generator": "PCG64",
            "state": {"state": (a << 64) | b, "inc": self._inc},
            "has_uint32": 0,
            "uinteger": 0,
        }
        return self._gen

    def _pick(self: Any, mix: dict[str, float] | None, default: int, rng: np.random.Generator) -> int:
        """A channel from ``mix`` (weights by channel name), or ``default`` if there is none."""
        if not mix:
            return default
        u = float(rng.random()) * sum(mix.values())
        names = list(mix)
        total = 0.0
        for name in names:
            total += mix[name]
            if u < total:
                return int(self.plan.channel_index(name))
        return int(self.plan.channel_index(names[-1]))  # u at the very top (rounding)

    def _create(
        self: Any,
        delay: float,
        i: int,
        channel: int,
        ctype: int,
        origin: int,
        rng: np.random.Generator | None = None,
        **values: Any,
    ) -> int:
        """A contact created by contact ``i``: it arrives after ``delay``. Its handle time,
        patience and decisions come from ``rng`` (``_draws(i, origin)`` unless given: a caller
        that drew the delay or channel from it passes it on)."""
        plan = self.plan
        now = self.env._now
        rng = rng if rng is not None else self._draws(i, origin)
        key = int(rng.bit_generator.random_raw()) >> 1  # a non-negative int64
        u = rng.random(len(DECISIONS)).tolist()
        seg = values.pop("segment", self.segment[i])
        handle = float(plan.handle[(ctype, channel)].sample(rng, 1)[0])
        wrap_d = plan.wrap[ctype]
        wrap = float(wrap_d.sample(rng, 1)[0]) if wrap_d is not None else 0.0
        patience = math.inf
        if plan.channels[channel].realtime and origin not in (CALLBACK_MADE, VOICEMAIL_CALLBACK):
            dist = self.channel_patience[channel] or plan.patience[seg]
            if dist is not None:
                patience = float(dist.sample(rng, 1)[0])
        arrival = now + delay
        row = {
            "arrival": arrival,
            "channel": channel,
            "ctype": ctype,
            "segment": seg,
            "base_handle": max(handle, 0.0),
            "base_wrap": max(wrap, 0.0),
            "patience": patience,
            "closed": int(plan.channels[channel].open.at(arrival) < 0.5),
            "qid": values.pop(
                "qid", self.qindex[(channel, ctype, self.route_segment(seg, True), LANE_NORMAL)]
            ),
            "customer": self.customer[i],
            "attempt": self.attempt[i] + 1,
            "parent": self.cid[i],
            "origin": origin,
            "identified": self.identified[i],
            "key": key,
            **{f"u_{d}": x for d, x in zip(DECISIONS, u, strict=True)},
        }
        row.update(values)
        j = self._new_contact(row)
        self._at(delay, self._arrive_created, j)
        return j

    # ------------------------------------------------------------------ on arrival
    def _arrival_policies(self: Any, i: int, c: int, now: float) -> bool:
        """Policies applied as a contact arrives; True if it ended or moved on."""
        if self.closed[i]:
            policy = self.after_hours[c]
            if policy == "lost":
                self._end_at_arrival(i, CLOSED)
                return True
            if policy == "voicemail":
                self._end_at_arrival(i, VOICEMAIL)
                opening = self._next_opening(c, now)
                cb = self.callback[c]
                promise = cb.promise if cb is not None else 3600.0
                j = self._create(
                    opening - now,
                    i,
                    c,
                    self.ctype[i],
                    VOICEMAIL_CALLBACK,
                    qid=self._callback_queue(i),
                    promised=opening + promise,
                    attempt=self.attempt[i],
                )
                if cb is not None and cb.mode == "by_promise":
                    self._at(opening - now + max(promise - cb.urgent_before, 0.0), self._urgent, j)
                return True
            if policy == "fallback":
                self._end_at_arrival(i, FALLBACK)
                self._create(0.0, i, self.fallback[c], self.ctype[i], MOVED, attempt=self.attempt[i])
                return True
        ns = self.non_service[c]
        if ns is not None and self.origin[i] == 0 and self.u_nonservice[i] < ns.share:
            if ns.handling == "telephony":
                self._end_at_arrival(i, PASSED_THROUGH)
                return True
            self.nonservice_flag[i] = True  # an agent answers and transfers it
        ss = self.self_service_code[i]
        if ss:
            self._end_at_arrival(i, SELF_SERVED)
            if ss == 2:  # self-service failed: the customer reaches an agent later
                spec = self.self_service[self.stream_of[i]]
                rng = self._draws(i, SELF_SERVICE_FAIL)
                delay = float(spec.delay.sample(rng, 1)[0])
                self._create(delay, i, c, self.ctype[i], SELF_SERVICE_FAIL, rng)
            return True
        return False

    def _next_opening(self: Any, c: int, now: float) -> float:
        step = self.plan.channels[c].open
        later = [t for t, v in step.changes() if t > now and v > 0.5]
        return later[0] if later else now

    def _callback_queue(self: Any, i: int) -> int:
        c, t = self.channel[i], self.ctype[i]
        return self.qindex[(c, t, self.route_segment(self.segment[i], True), LANE_CALLBACK)]

    def _queued_policies(self: Any, i: int, c: int, now: float) -> bool:
        """Policies for a contact that has to wait; True if it left (balked, took a callback)."""
        if self.origin[i] in (CALLBACK_MADE, VOICEMAIL_CALLBACK):
            return False  # the centre calls these back: nothing is announced or offered
        q = self.qlist[self.qid[i]]
        ann = self.announce[c]
        cb = self.callback[c]
        if ann is not None or (cb is not None and cb.offer_if_predicted_over is not None):
            predicted = self._predicted_wait(i, q)
            self.predicted[i] = predicted
            if ann is not None and predicted > ann.threshold and self.u_balk[i] < ann.balk:
                self._leave_queue(i, BALKED, now)
                self._gave_up(i, BALKED)
                return True
            if (
                cb is not None
                and cb.offer_if_predicted_over is not None
                and predicted > cb.offer_if_predicted_over
            ):
                self.callback_offered[i] = 1
                if self.u_callback_offer[i] < cb.accept:
                    self._take_callback(i, now)
                    return True
        if cb is not None and cb.offer_after is not None:
            self._at(cb.offer_after, self._offer_callback, i)
        return False

    def _acknowledge(self: Any, i: int, c: int, q: Any, now: float) -> None:
        """Deferred channels: the receipt's promised response time, fixed or from the backlog."""
        ack = self.ack[c]
        if ack.promise == "backlog":
            waiting = sum(qq.waiting for qq in q.same_channel)
            estimate = (waiting + 1) * self.mean_work[(c, self.ctype[i])] / max(self._able_present(q), 1)
            promise = max(ack.minimum, ack.factor * estimate)
        else:
            promise = float(ack.promise)
        self.promised[i] = now + promise

    def _predicted_wait(self: Any, i: int, q: Any) -> float:
        """Queue-length predictor: (contacts ahead + 1) x mean handle / agents able and present,
        where 'ahead' counts the contacts waiting on the channel with the same or a higher
        priority (they will be answered first)."""
        ahead = sum(qq.waiting for qq in q.ahead)
        return ahead * self.mean_work[(q.channel, q.ctype)] / max(self._able_present(q), 1)

    def _able_present(self: Any, q: Any) -> int:
        present = self.present
        return sum(present[g] for g in q.able)

    def _leave_queue(self: Any, i: int, outcome: int, now: float) -> None:
        """Contact ``i`` stops waiting (balks, abandons, takes a callback)."""
        if self.status[i] == WAITING and self.target[i] < 0:
            self.qlist[self.qid[i]].waiting -= 1
        self.status[i] = DONE
        self.served_by[i] = 0  # not served (it may have been waiting for its personal agent)
        self.outcome[i] = outcome
        self.wait[i] = now - self.arrival[i]
        self._leave_system(i)

    def _offer_callback(self: Any, i: int) -> None:
        if self.status[i] != WAITING:
            return
        cb = self.callback[self.channel[i]]
        self.callback_offered[i] = 1
        if self.u_callback_later[i] < cb.accept:
            self._take_callback(i, self.env._now)

    def _take_callback(self: Any, i: int, now: float) -> None:
        """The caller leaves the queue; a callback is created and queued."""
        cb = self.callback[self.channel[i]]
        self._leave_queue(i, CALLBACK, now)
        j = self._create(
            0.0,
            i,
            self.channel[i],
            self.ctype[i],
            CALLBACK_MADE,
            qid=self._callback_queue(i),
            promised=now + cb.promise,
            attempt=self.attempt[i],
        )
        if cb.mode == "by_promise":
            self._at(max(cb.promise - cb.urgent_before, 0.0), self._urgent, j)

    def _urgent(self: Any, j: int) -> None:
        """A callback near its promise moves to the urgent lane (before real-time contacts)."""
        if self.status[j] != WAITING:
            return
        old = self.qlist[self.qid[j]]
        old.items.remove(j)
        old.waiting -= 1
        c, t = self.channel[j], self.ctype[j]
        k = self.qindex[(c, t, self.route_segment(self.segment[j], True), LANE_URGENT)]
        self.qid[j] = k
        new = self.qlist[k]
        new.items.append(j)
        new.waiting += 1
        for g in {g for groups in new.ranks for g in groups}:
            self._dispatch_idle(g, self.env._now)

    # ------------------------------------------------------------------ after the contact
    def _service_ended(self: Any, i: int, resolution: float) -> None:
        """Resolution, escalation and repeat of a contact an agent (or partner) finished."""
        t = self.ctype[i]
        esc = self.escalation[t]
        if esc is not None and self.u_escalate[i] < esc.share:
            self.escalated[i] = 1
            self.resolved[i] = 0
            channel = self.plan.channel_index(esc.channel) if esc.channel else self.channel[i]
            self._create(0.0, i, channel, self.plan.type_index(esc.to), ESCALATION)
            return
        if self.u_resolve[i] < resolution:
            self.resolved[i] = 1
            return
        rep = self.repeat[t]
        if rep is not None and self.attempt[i] < rep.max_contacts:
            rng = self._draws(i, REPEAT)
            delay = float(rep.delay.sample(rng, 1)[0])
            self._create(delay, i, self._pick(rep.channels, self.channel[i], rng), t, REPEAT, rng)

    def _gave_up(self: Any, i: int, outcome: int) -> None:
        """Retrial after abandoning, a busy signal, or hanging up on a wait announcement."""
        spec = self.retrial[self.segment[i]]
        if spec is None or self.attempt[i] >= spec.max_attempts:
            return
        share = spec.share_of(OUTCOMES[outcome])
        if self.u_retry[i] < share:
            rng = self._draws(i, RETRIAL)
            delay = float(spec.delay.sample(rng, 1)[0])
            channel = self._pick(spec.channels, self.channel[i], rng)
            self._create(delay, i, channel, self.ctype[i], RETRIAL, rng)

    def _handle_time(self: Any, i: int, base: float) -> tuple[float, int]:
        """Talk time and final outcome of a contact an agent answers (declines, transfers)."""
        if self.nonservice_flag[i]:
            spec = self.non_service[self.channel[i]]
            self.base_wrap[i] = 0.0  # a transfer has no wrap-up
            return float(spec.time.sample(self._draws(i, HANDLING), 1)[0]), PASSED_THROUGH
        dec = self.decline[self.ctype[i]]
        if dec is not None:
            self.base_wrap[i] = 0.0
            return float(dec.sample(self._draws(i, HANDLING), 1)[0]), DECLINED
        return base, -1


_MASK64 = (1 << 64) - 1


def _mix64(x: int) -> int:
    """SplitMix64's finaliser: a well-mixed 64-bit integer from any integer."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)
