"""The "Customer journeys" section of the page: KPI cards and the figures of
``ccsim.report.journeys`` that apply to the run, with the words that explain them.

``add_section`` adds nothing for a run without journey policies, so such a run's page is the
same as before the journey model.
"""

from __future__ import annotations

import math

import pandas as pd

from ccsim.report.data import ReportData
from ccsim.report.journeys import (
    JOURNEY_COUNTS,
    JOURNEY_OUTCOMES,
    announcement_bias,
    callbacks_and_promises,
    escalation_routes,
    escalations,
    origins_from_intervals,
    repeats_and_fcr,
    tiers_from_intervals,
    uses_journeys,
    who_answered,
)
from ccsim.report.parts import Page, card, ci_text, esc, number, pct, secs, summary_row
from ccsim.report.reaction_cards import reacting, reaction_cards

__all__ = ["add_section", "journey_cards"]


def journey_cards(data: ReportData) -> str:
    """KPI cards where they apply: first-contact resolution, the personal share of each segment
    with personal agents, promises kept, the partner share."""
    iv = data.intervals
    total = {c: float(iv[c].sum()) for c in JOURNEY_COUNTS if c in iv.columns}
    reps = max(data.replications, 1)
    r = summary_row(data.summary, "all", "all")
    cards = [
        *_fcr_card(r, total, reps),
        *_personal_cards(data),
        *_promise_card(data, r, total, reps),
        *_chase_card(data, total, reps),
        *_partner_card(r, total, reps),
        *reaction_cards(data, r),
    ]
    return '<div class="cards">' + "".join(cards) + "</div>" if cards else ""


def _fcr_card(r: pd.Series | None, total: dict[str, float], reps: int) -> list[str]:
    """First-contact resolution, where contacts repeat or issues stay unresolved."""
    fcr = number(r, "fcr")
    if number(r, "first_contacts") == 0 or not (
        total.get("repeats", 0) > 0 or (math.isfinite(fcr) and fcr < 1)
    ):
        return []
    facts = [
        ("contacts per resolved issue", f"{number(r, 'contacts_per_resolved'):.2f}"),
        ("repeats per replication", f"{total.get('repeats', 0) / reps:,.1f}"),
        ("retrials per replication", f"{total.get('retrials', 0) / reps:,.1f}"),
        ("escalated", pct(number(r, "escalation_rate"))),
    ]
    title, how = "all channels · first-contact resolution", "answered first contacts that resolved the issue"
    return [card(title, pct(fcr), ci_text(number(r, "fcr_ci95")), "", how, "", facts)]


def _personal_cards(data: ReportData) -> list[str]:
    """The personal share of each segment whose contacts personal agents or deputies answered."""
    by_segment = data.intervals.groupby("segment", observed=True)[
        ["served_personal", "served_deputy", "served_pool"]
    ].sum()
    cards = []
    for seg, counts in by_segment.iterrows():
        own = counts["served_personal"] + counts["served_deputy"]
        if own <= 0:
            continue
        rs = summary_row(data.summary, "segment", str(seg))
        centre = own + counts["served_pool"]
        cards.append(
            card(
                f"{seg} · personal share",
                pct(number(rs, "personal_share")),
                ci_text(number(rs, "personal_share_ci95")),
                "",
                "answered by their personal agent, of those answered in the centre",
                "",
                [
                    ("by the deputy", pct(counts["served_deputy"] / centre)),
                    ("by the pool", pct(counts["served_pool"] / centre)),
                    (
                        "ASA personal or deputy",
                        secs(number(rs, "asa_personal_s"), number(rs, "asa_personal_s_ci95")),
                    ),
                ],
            )
        )
    return cards


def _promise_card(data: ReportData, r: pd.Series | None, total: dict[str, float], reps: int) -> list[str]:
    """Promises kept (callbacks and e-mail acknowledgements), overall and per channel."""
    if total.get("promised", 0) <= 0:
        return []
    rows = [("promises per replication", f"{total['promised'] / reps:,.1f}")]
    for c in data.channels:
        rc = summary_row(data.summary, "channel", c.name)
        if math.isfinite(number(rc, "promise_kept_rate")):
            rows.append((f"kept on {c.name}", pct(number(rc, "promise_kept_rate"))))
    if total.get("late_answered", 0) > 0:  # the lateness distribution of those answered late
        iv = data.intervals
        rows.append(("answered late per replication", f"{total['late_answered'] / reps:,.1f}"))
        for hours in (1, 4, 24):
            rows.append(
                (f"… more than {hours} h late", f"{float(iv[f'late_over_{hours}h'].sum()) / reps:,.1f}")
            )
        rows.append(("mean lateness", secs(number(r, "mean_lateness_s"))))
    return [
        card(
            "all channels · promises kept",
            pct(number(r, "promise_kept_rate")),
            ci_text(number(r, "promise_kept_rate_ci95")),
            "",
            "callbacks made and e-mails answered by the time promised",
            "",
            rows,
        )
    ]


def _chase_card(data: ReportData, total: dict[str, float], reps: int) -> list[str]:
    """Customers who chased an unanswered contact: how many, on which channel, the agent time."""
    if total.get("chases", 0) <= 0:
        return []
    iv = data.intervals
    by_channel = iv.groupby("channel", observed=True)["chases"].sum() / reps
    rows = [(f"on {c}", f"{n:,.1f}") for c, n in by_channel.items() if n > 0]
    rows.append(("agent hours they take", f"{float(iv['chase_work_s'].sum()) / reps / 3600:,.1f}"))
    rows.append(("contacts closed by their chase", f"{total.get('chased', 0) / reps:,.1f}"))
    return [
        card(
            "chases per replication",
            f"{total['chases'] / reps:,.1f}",
            "",
            "",
            "customers still waiting who contacted the centre again",
            "",
            rows,
        )
    ]


def _partner_card(r: pd.Series | None, total: dict[str, float], reps: int) -> list[str]:
    """The share outsourcing partners answered, where they answered any."""
    if total.get("served_partner", 0) <= 0:
        return []
    return [
        card(
            "all channels · partner share",
            pct(number(r, "partner_share")),
            ci_text(number(r, "partner_share_ci95")),
            "",
            "answered contacts handled by outsourcing partners",
            "",
            [("answered by partners", f"{total['served_partner'] / reps:,.1f}")],
        )
    ]


def add_section(page: Page, data: ReportData) -> None:
    """The "Customer journeys" section, with the figures that apply; nothing without journeys."""
    iv = data.intervals
    if not uses_journeys(iv) and not reacting(data):
        return
    total = {c: float(iv[c].sum()) for c in [*JOURNEY_COUNTS, "served", "resolved"] if c in iv.columns}
    page.section("journeys", "Customer journeys")
    page.add(
        '<p class="how">What happens around a contact besides waiting: who answered it, callbacks '
        "and the promises made, repeat contacts and retrials, escalation to the next support "
        "level. Counts are per replication; whiskers are 95% confidence intervals across "
        "replications.</p>"
    )
    page.add(journey_cards(data))
    if total.get("served_personal", 0) + total.get("served_deputy", 0) + total.get("served_partner", 0) > 0:
        _tiers_figure(page, data)
    if total.get("callback", 0) + total.get("voicemail", 0) + total.get("promised", 0) > 0:
        page.figure(
            "fig-callbacks",
            "Callbacks and promises kept",
            "Left: callers per replication who left the queue for a callback, who left a "
            "voicemail while the channel was closed, and callbacks that reached the customer "
            "(offers declined are not counted: those callers stay in the queue). Right: the share of "
            "promises kept, a callback made or an e-mail answered by the time promised.",
            lambda: callbacks_and_promises(data.per_replication, data.origins),
        )
    _repeats_figure(page, data, total)
    if total.get("escalated", 0) > 0:
        routes = escalation_routes(data.manifest.get("config") or {})
        page.figure(
            "fig-escalations",
            "Escalations",
            "Contacts escalated to the next support level per contact type and their share of its "
            "answered contacts; right, the service level the escalated contacts get at the next "
            "level on each channel (hover for the ASA).",
            lambda: escalations(data.per_replication, iv, routes),
        )
    if total.get("announced", 0) > 0:
        _announcement_figure(page, data)
    _other_outcomes(page, data, total)


def _tiers_figure(page: Page, data: ReportData) -> None:
    """Who answered: personal agent, deputy, pool or partner (exact with the contacts table)."""
    exact = data.tiers is not None
    tiers = data.tiers if data.tiers is not None else tiers_from_intervals(data.intervals)
    page.figure(
        "fig-tiers",
        "Who answered",
        "Per channel and segment: the share of answered contacts taken by the customer's "
        "personal agent, the deputy (after the personal agent's wait ran out), any agent of "
        "the pool, or an outsourcing partner; right, how long each of them kept the customer "
        "waiting (ASA). "
        + (
            ""
            if exact
            else "Without the contacts table the intervals tell only personal-or-deputy "
            "waits from the rest, so those are paired up. "
        )
        + "A low personal share with a short ASA means the personal agents are busy and "
        "customers are moved on quickly; a high ASA for personal agents means customers wait "
        "for their own agent.",
        lambda: who_answered(tiers),
    )


def _repeats_figure(page: Page, data: ReportData, total: dict[str, float]) -> None:
    """Where contacts came from and first-contact resolution, where the centre makes some of
    its own workload (retrials, repeats, unresolved issues, contacts created)."""
    origins = data.origins if data.origins is not None else origins_from_intervals(data.intervals)
    unresolved = total.get("served", 0) - total.get("resolved", 0) - total.get("escalated", 0)
    created = bool((~origins["origin"].isin(["arrival", "new_or_created"])).any())  # e.g. fallback
    if not (total.get("retrials", 0) + total.get("repeats", 0) > 0 or unresolved > 0 or created):
        return
    page.figure(
        "fig-repeats",
        "Repeat contacts and first-contact resolution",
        "Left: each channel's contacts by how they came about: new ones, retrials after "
        "abandoning or a busy signal, repeats of unresolved issues, callbacks, escalations. "
        "The more of the bar is not new, the more of the workload the centre makes itself. "
        "Middle: the share of answered first contacts that resolved the issue (FCR). Right: contacts "
        "answered per issue resolved (1 is every issue resolved in one contact).",
        lambda: repeats_and_fcr(origins, data.per_replication),
    )


def _announcement_figure(page: Page, data: ReportData) -> None:
    """How far the wait announcement was off, and (with the contacts table) its calibration."""
    page.figure(
        "fig-announcement",
        "The wait announcement",
        "How far the announced wait was off for answered contacts that heard one: above zero, "
        "customers waited longer than announced. "
        + (
            "Right: the actual wait against the announced one; on the dashed line the "
            "announcement was right, the band holds 80% of the customers."
            if data.calibration is not None and len(data.calibration)
            else ""
        ),
        lambda: announcement_bias(data.per_replication, data.calibration),
    )


def _other_outcomes(page: Page, data: ReportData, total: dict[str, float]) -> None:
    """A note on contacts that ended neither served nor abandoned, pointing to the outcomes."""
    gone = [(o, total[o] / max(data.replications, 1)) for o in JOURNEY_OUTCOMES if total.get(o, 0) > 0]
    if gone:
        listed = ", ".join(f"{o.replace('_', ' ')} {v:,.1f}" for o, v in gone)
        page.add(
            f'<p class="how">Contacts that ended without being served or abandoning ({esc(listed)} '
            'per replication) are in <a href="#outcomes">Outcomes</a>: the flow diagram and the '
            "table there show them per channel.</p>"
        )
