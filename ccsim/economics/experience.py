"""What each contact's experience means for the customer: churn probability, contacts lost for
good, CSAT, CES and NPS, from the response functions of ``[value]`` and ``[experience]``.

The same functions serve two callers: the statistics of a run (``ExperienceCounts``, called by
``ccsim.reducers.Accumulator`` for every batch of finished contacts, so the sums exist without
the contacts table) and ``contact_experience`` (the per-contact columns, for drilling down).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ccsim.config.economics import _Score
from ccsim.config.schema import ScenarioConfig
from ccsim.model.store import (
    ABANDONED,
    BALKED,
    BLOCKED,
    CLOSED,
    DECLINED,
    OUTCOMES,
    SELF_SERVED,
    SERVED,
)

# additive columns appended to the intervals table (ccsim.metrics.COUNTS)
EXPERIENCE_COUNTS = [
    "talk_s",  # talk time of served contacts (telephony)
    "wait_total_s",  # waits of all contacts, whatever their outcome (telephony)
    "issues",  # arrivals that raise a new issue (origin 'arrival')
    "lost",  # expected contacts lost for good
    "churn_risk",  # expected customers lost through churn
    "rated",  # contacts with an experience score
    "csat_sum",
    "ces_sum",
    "promoters",
    "detractors",
]
EXPERIENCE_FLOATS = {
    "talk_s",
    "wait_total_s",
    "lost",
    "churn_risk",
    "csat_sum",
    "ces_sum",
    "promoters",
    "detractors",
}
LOST = (ABANDONED, BLOCKED, CLOSED, BALKED)
RATED = (SERVED, ABANDONED, BLOCKED, CLOSED, BALKED, SELF_SERVED, DECLINED)
_LOST_CODE = np.isin(np.arange(len(OUTCOMES)), LOST)  # by outcome code
_RATED_CODE = np.isin(np.arange(len(OUTCOMES)), RATED)


class ExperienceModel:
    """The response functions of a scenario, vectorised over contacts (segments by index)."""

    def __init__(self, config: ScenarioConfig):
        self.config = config
        self.segments = list(config.segments)
        value = config.value
        self.churn = [value.churn_of(s) for s in self.segments]
        retry = [config.segments[s].retrial for s in self.segments]
        self.retry_abandoned = np.array([r.abandoned if r else 0.0 for r in retry])
        self.retry_blocked = np.array([r.blocked if r else 0.0 for r in retry])
        self.retry_balked = np.array([r.share_of("balked") if r else 0.0 for r in retry])
        self.max_attempts = np.array([r.max_attempts if r else 1 for r in retry])
        self.experience = config.experience
        self.deferred = np.array([not ch.realtime for ch in config.channels.values()])

    def evaluate(
        self,
        channel: np.ndarray,
        segment: np.ndarray,
        outcome: np.ndarray,
        wait: np.ndarray,
        attempt: np.ndarray,
        resolved: np.ndarray,
        escalated: np.ndarray,
        broken: np.ndarray,
        early: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """Per contact: ``lost`` (expected lost for good), ``churn``, ``rated`` (0/1), ``csat``,
        ``ces``, ``promoter``, ``detractor`` (NaN where not rated). Channels and segments are
        given by their index in the scenario. ``early``: how long before its promised time a
        contact was answered (0 if it was not, or had no promise)."""
        e = self.scores(channel, segment, outcome, wait, attempt, resolved, escalated, broken, early)
        rated = e["rated"]
        for name in ("csat", "ces", "promoter", "detractor"):
            e[name] = np.where(rated, e[name], np.nan)
        return e

    def scores(
        self,
        channel: np.ndarray,
        segment: np.ndarray,
        outcome: np.ndarray,
        wait: np.ndarray,
        attempt: np.ndarray,
        resolved: np.ndarray,
        escalated: np.ndarray,
        broken: np.ndarray,
        early: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """As ``evaluate``, but the scores of contacts that are not rated are 0, not NaN (what
        the sums of ``ExperienceCounts`` need, without a pass to clear the NaNs)."""
        deferred = self.deferred[np.asarray(channel, dtype=np.int64)]
        any_deferred = bool(deferred.any())
        segment = np.asarray(segment, dtype=np.int64)
        outcome = np.asarray(outcome, dtype=np.int64)
        wait = np.asarray(wait, dtype=float)
        wait = np.where(np.isnan(wait), 0.0, wait)
        attempt = np.asarray(attempt, dtype=float)
        resolved = np.asarray(resolved).astype(bool)
        escalated = np.asarray(escalated).astype(bool)
        broken = np.asarray(broken).astype(bool)
        lost_any = _LOST_CODE[outcome]
        can_retry = attempt < self.max_attempts[segment]
        retry = np.where(
            outcome == ABANDONED,
            self.retry_abandoned[segment],
            np.where(
                outcome == BLOCKED,
                self.retry_blocked[segment],
                np.where(outcome == BALKED, self.retry_balked[segment], 0.0),
            ),
        )
        lost = np.where(lost_any, 1.0 - np.where(can_retry, retry, 0.0), 0.0)
        served = (outcome == SERVED) | (outcome == DECLINED)
        unresolved = served & ~resolved & ~escalated
        stay = np.ones(len(outcome))
        for k, churn in enumerate(self.churn):
            m = segment == k
            if not m.any():
                continue
            s = 1.0 - _by_channel_kind(churn.wait, churn.wait_deferred, wait[m], deferred[m], any_deferred)
            s *= np.where(lost_any[m], 1.0 - churn.lost, 1.0)
            s *= np.where(unresolved[m], 1.0 - churn.unresolved, 1.0)
            s *= np.where(attempt[m] > 1, 1.0 - churn.repeat, 1.0)
            s *= np.where(broken[m], 1.0 - churn.broken_promise, 1.0)
            stay[m] = s
        rated = _RATED_CODE[outcome]
        churn_p = np.where(rated, 1.0 - stay, 0.0)
        self_served = outcome == SELF_SERVED
        facts = (wait, deferred, lost_any, unresolved, attempt, escalated, broken, self_served, any_deferred)
        csat = _score(self.experience.csat, *facts)
        bonus = self.experience.csat.early_answer
        if bonus is not None and early is not None:  # beating the promise pleases
            spec = self.experience.csat
            csat = np.where(self_served, csat, np.clip(csat + bonus(early), spec.low, spec.high))
        csat = np.where(rated, csat, 0.0)
        ces = np.where(rated, _score(self.experience.ces, *facts), 0.0)
        nps = self.experience.nps
        return {
            "lost": lost,
            "churn": churn_p,
            "rated": rated,
            "csat": csat,
            "ces": ces,
            "promoter": np.where(rated, nps.promoter(csat), 0.0),
            "detractor": np.where(rated, nps.detractor(csat), 0.0),
        }


def _by_channel_kind(
    realtime: Callable[[np.ndarray], np.ndarray],
    deferred_curve: Callable[[np.ndarray], np.ndarray],
    wait: np.ndarray,
    deferred: np.ndarray,
    any_deferred: bool,
) -> np.ndarray:
    """The response to the wait: by the deferred curve for deferred channels, else real-time."""
    if not any_deferred:
        return realtime(wait)
    return np.where(deferred, deferred_curve(wait), realtime(wait))


def _score(
    spec: _Score,
    wait: np.ndarray,
    deferred: np.ndarray,
    lost: np.ndarray,
    unresolved: np.ndarray,
    attempt: np.ndarray,
    escalated: np.ndarray,
    broken: np.ndarray,
    self_served: np.ndarray,
    any_deferred: bool = True,
) -> np.ndarray:
    penalty = (
        _by_channel_kind(spec.wait, spec.wait_deferred, wait, deferred, any_deferred)
        + spec.lost * lost
        + spec.unresolved * unresolved
        + spec.repeat * np.maximum(attempt - 1, 0)
        + spec.escalated * escalated
        + spec.broken_promise * broken
    )
    score = np.where(self_served, spec.self_service, spec.base - penalty)
    return np.clip(score, spec.low, spec.high)


class ExperienceCounts:
    """The hook of ``ccsim.reducers.Accumulator``: adds the ``EXPERIENCE_COUNTS`` of a batch of
    finished, measured contacts through ``add(name, weights)``."""

    def __init__(self, config: ScenarioConfig):
        self.model = ExperienceModel(config)

    def __call__(self, b: dict[str, np.ndarray], add: Callable[[str, np.ndarray | None], None]) -> None:
        outcome, wait = b["outcome"], b["wait"]
        served = outcome == SERVED
        promised = ~np.isnan(b["promised"])
        kept = served & (b["arrival"] + np.nan_to_num(wait) <= b["promised"] + 1e-9)
        early = np.where(kept, b["promised"] - b["arrival"] - np.nan_to_num(wait), 0.0)
        e = self.model.scores(
            b["channel"],
            b["segment"],
            outcome,
            wait,
            b["attempt"],
            b["resolved"],
            b["escalated"],
            promised & ~kept,
            early,
        )
        add("talk_s", np.where(served, b["talk"], 0.0))
        add("wait_total_s", np.where(np.isnan(wait), 0.0, wait))
        add("issues", b["origin"] == 0)
        add("lost", e["lost"])
        add("churn_risk", e["churn"])
        add("rated", e["rated"])
        add("csat_sum", e["csat"])
        add("ces_sum", e["ces"])
        add("promoters", e["promoter"])
        add("detractors", e["detractor"])


def _early(contacts: pd.DataFrame) -> np.ndarray:
    """Per contact of the contacts table: how long before its promise it was answered (0 if not)."""
    kept = contacts["promise_kept"].astype("boolean").eq(True).fillna(False).to_numpy(dtype=bool)
    ahead = contacts["promised_s"].to_numpy(dtype=float) - contacts["wait_s"].to_numpy(dtype=float)
    return np.where(kept, np.nan_to_num(ahead), 0.0)


def contact_experience(results: Any) -> pd.DataFrame:
    """The contacts table with the experience of each contact: ``lost`` (expected lost for good),
    ``churn`` (probability the customer leaves because of it), ``csat``, ``ces``, ``promoter``,
    ``detractor`` (probabilities). Needs the contacts table (``simulate(..., contacts=True)``)."""
    contacts = results.contacts
    if contacts is None:
        raise ValueError("contact_experience needs the contacts table: simulate with contacts=True")
    config = results.scenario.config
    model = ExperienceModel(config)
    channel = pd.Categorical(contacts["channel"], categories=list(config.channels)).codes
    segment = pd.Categorical(contacts["segment"], categories=list(config.segments)).codes
    outcome = pd.Categorical(contacts["outcome"], categories=list(OUTCOMES)).codes
    e = model.evaluate(
        channel,
        segment,
        outcome,
        contacts["wait_s"].to_numpy(dtype=float),
        contacts["attempt"].to_numpy(),
        contacts["resolved"].to_numpy(),
        contacts["escalated"].to_numpy(),
        contacts["promise_kept"].astype("boolean").eq(False).fillna(False).to_numpy(dtype=bool),
        _early(contacts),
    )
    out = contacts.copy()
    for name in ("lost", "churn", "csat", "ces", "promoter", "detractor"):
        out[name] = e[name]
    return out
