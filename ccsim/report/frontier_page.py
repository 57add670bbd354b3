"""The frontier page: how much service is too much, at a glance.

``build_frontier`` lays out a ``FrontierResult`` (``ccsim.optimize.frontier``) with the report's
skeleton (``ccsim.report.parts.Page``): the answer first (the cheapest service level under a
low, central and high customer value), then the cost curve, what each extra point of service
level costs and saves, the risk of missing the target, and every point in a table.
``ccsim frontier`` writes it as ``frontier.html``; ``render_frontier_folder`` rebuilds it from
a folder that command wrote (``ccsim report DIR`` does that).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from ccsim.optimize.answer import band_sentences, band_text
from ccsim.optimize.frontiers import FrontierResult, load_frontier
from ccsim.report.money import frontier_figure, marginal_figure, risk_figure
from ccsim.report.parts import Page, card, esc, pct, plotly_bundle, top_bar

FRONTIER_NAME = "frontier.html"
CASES = (
    ("low", "low customer value"),
    ("central", "central customer value"),
    ("high", "high customer value"),
)


def _money(v: float, currency: str) -> str:
    return "–" if not math.isfinite(v) else f"{v:,.0f} {currency}".strip()


def answer_cards(result: FrontierResult) -> str:
    """One card per customer-value case: the band of service levels (achieved) of the best
    service choice, its cheapest point and how sure the band is."""
    opt = result.optimum
    cards = []
    for case, title in CASES:
        rows = opt[(opt["value_case"] == case) & opt["best_choice"]]
        if not len(rows):
            continue
        r = rows.iloc[0]
        facts = [
            (
                "cheapest point",
                f"target {pct(float(r['target']), 0)}, achieved {pct(float(r['service_level']))}",
            ),
            ("its total cost", _money(float(r["total_cost"]), result.currency)),
            ("band costs at most", f"{_money(float(r['band_spread']), result.currency)} more"),
            ("resolved", "yes" if bool(r["resolved"]) else f"no ({int(r['replications'])} replications)"),
        ]
        if len(opt["choice"].unique()) > 1:
            facts.insert(0, ("service choice", esc(str(r["choice"]))))
        st = ("met" if bool(r["resolved"]) else "close") if case == "central" else ""
        aim = f"service level to aim for ({result.measure})"
        cards.append(card(title, band_text(r), "", st, esc(aim), "", facts))
    edge = ""
    if opt["at_edge"].any():
        edge = (
            '<div class="note">A band reaches the lowest or highest target tried: it may extend beyond. '
            "Widen the targets (<code>--targets</code> or <code>[frontier]</code>) to be sure.</div>"
        )
    return f'<div class="cards">{"".join(cards)}</div>{edge}'


def _answer(result: FrontierResult) -> str:
    """The central band of the best choice in plain words."""
    opt = result.optimum
    best = opt[(opt["value_case"] == "central") & opt["best_choice"]]
    if not len(best):
        return ""
    return f'<p class="answer"><b>{esc(" ".join(band_sentences(best.iloc[0], result)))}</b></p>'


def _reading(result: FrontierResult) -> str:
    """A sentence on the marginal cost next to the central answer, where the points are in order."""
    opt = result.optimum
    best = opt[(opt["value_case"] == "central") & opt["best_choice"]]
    if not len(best):
        return ""
    b = best.iloc[0]
    m = result.marginal[result.marginal["choice"] == b["choice"]]
    below = m[m["to_service_level"] <= b["service_level"] + 1e-12]
    above = m[m["from_service_level"] >= b["service_level"] - 1e-12]
    parts = [f"The cheapest point by its mean is the target {pct(float(b['target']), 0)}."]
    cur = result.currency
    noisy = False
    for rows, side in ((below.tail(1), "up to"), (above.head(1), "beyond")):
        if not len(rows):
            continue
        r = rows.iloc[0]
        cost, saved = float(r["service_cost_per_point"]), -float(r["lost_value_per_point"])
        if not (cost > 0 and saved > 0):  # neighbours out of order: the difference is noise
            noisy = True
            continue
        if side == "up to":
            parts.append(
                f"Up to it, a point of service level costs {_money(cost, cur)} in service and saves "
                f"{_money(saved, cur)} in lost value."
            )
        else:
            inside = "band_high" in b and float(r["to_service_level"]) <= float(b["band_high"]) + 1e-9
            verdict = (
                "inside the band the two balance within the indifference amount"
                if inside
                else "more service than that is too much at this customer value"
                if cost > saved
                else "the next point still pays, within the noise of the points"
            )
            parts.append(
                f"Beyond it, a point costs {_money(cost, cur)} and saves {_money(saved, cur)}: {verdict}."
            )
    if noisy:
        parts.append(
            "Next to it, cost and lost value do not move in order from one point to the next: their "
            "differences there are within the simulation noise (more replications sharpen them)."
        )
    return f"<p>{' '.join(parts)}</p>"


def points_table(result: FrontierResult) -> str:
    """Every point: target, service level achieved, money, risk."""
    cur = result.currency
    head = [
        "choice",
        "target",
        "SL achieved",
        "service cost",
        "lost value",
        "total cost",
        "vs cheapest (paired)",
        "in band",
        "total, low–high value",
        "P(interval meets)",
        "P(day meets)",
        "agent hours",
    ]
    best = result.optimum[result.optimum["value_case"] == "central"].set_index("choice")["target"]
    body = []
    for r in result.points.itertuples(index=False):
        mark = " ◀" if best.get(r.choice) == r.target else ""
        cells = [
            esc(str(r.choice)),
            pct(float(r.target), 0) + ("" if bool(r.feasible) else "*"),
            f"{pct(float(r.service_level))} ± {pct(float(r.service_level_ci95))}",
            _money(float(r.service_cost), cur),
            _money(float(r.lost_value), cur),
            f"{_money(float(r.total_cost), cur)} ± {float(r.total_cost_ci95):,.0f}{mark}",
            "–" if mark else f"{float(r.vs_best):+,.0f} ± {float(r.vs_best_ci95):,.0f}",
            "■" if bool(r.in_band) else "",
            f"{float(r.total_cost_low):,.0f}–{float(r.total_cost_high):,.0f}",
            pct(float(r.p_interval), 0),
            pct(float(r.p_day), 0),
            f"{float(r.agent_hours):,.1f}",
        ]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    return (
        f'<table class="data"><tr>{th}</tr>{"".join(body)}</table>'
        f'<p class="how">{esc(cur)} {esc(result.period)} (mean ± 95% half-width over the replications). '
        "vs cheapest: the difference of total cost to the cheapest point, replication by replication on "
        f"common random numbers, with its simultaneous {result.confidence:.0%} half-width; ■: in the band, "
        "not shown to cost more than the indifference amount above the cheapest. Service cost = "
        "staffing + telephony + partner + "
        "self-service + callbacks; total = service cost + lost value; low–high: the total with the "
        "customer value at its low and high end (<code>value.uncertainty</code>); ◀ the cheapest at the "
        "central value; *: no plan met every target within the simulation budget (the closest is "
        "shown).</p>"
    )


def _untitled(fig: go.Figure) -> go.Figure:
    """The page gives each figure its title (h3) and a how-to-read line: drop the figure's own."""
    return fig.update_layout(title_text="")


def _header(name: str, facts: dict[str, Any]) -> str:
    rendered = f"{dt.datetime.now():%Y-%m-%d %H:%M}"
    items = [("rendered", rendered), *((k, facts.get(k)) for k in ("seed", "config"))]
    return top_bar(f"Frontier: {name}", items)


def build_frontier(
    result: FrontierResult, name: str, facts: dict[str, Any] | None = None, plotly_js: str | None = None
) -> str:
    """The frontier page as HTML text; ``facts`` (command, config, seed, ...) go to the details."""
    facts = dict(facts or {})
    channels = ", ".join(result.channels)
    page = Page()
    page.section("answer", "How much service is too much")
    page.add(
        f'<p class="how">For each service-level target on {esc(channels)}, the least-cost staffing that '
        "meets it was found and simulated on the same replications of an independent seed; its total "
        "cost adds the service cost and the value of the customers lost (abandoned, blocked, "
        "unresolved, churned). The band holds the service levels achieved whose total cost is not shown "
        f"to be more than the indifference amount above the cheapest ({result.confidence:.0%}, paired "
        "comparisons); the "
        "band depends on what a customer is worth, hence three cases.</p>"
    )
    page.add(_answer(result) + answer_cards(result) + _reading(result))
    page.section("curve", "Cost against service level")
    page.figure(
        "fig-frontier",
        "Total cost along the frontier",
        "Each point is a target, placed at the service level its staffing achieved, with the 95% "
        "interval of its service level and total cost (the simulation's uncertainty). Service cost "
        "rises with service, lost value falls; the shaded area around the total runs from low to high "
        "customer value (the value assumption); the green band holds the service levels that cannot "
        "be told apart from the cheapest, marked.",
        lambda: _untitled(frontier_figure(result)),
    )
    page.figure(
        "fig-marginal",
        "What one more point of service level costs and saves",
        "Between neighbouring points: the service cost of one more point of service level against "
        "the lost value it saves. Where the cost line rises above the saving, more service is too much.",
        lambda: _untitled(marginal_figure(result)),
    )
    page.figure(
        "fig-risk",
        "The risk of missing the target",
        "The probability that an interval, and a whole day, meets its target with the plan of each "
        "target: a target met on average can still be missed on many days.",
        lambda: _untitled(risk_figure(result)),
    )
    page.section("points", "Every point")
    page.add(points_table(result))
    page.section("run", "Run details", _details(result, facts))
    return page.html(f"Frontier: {name} · ccsim report", _header(name, facts), plotly_bundle(plotly_js))


def _details(result: FrontierResult, facts: dict[str, Any]) -> str:
    rows = [(k, v) for k, v in facts.items() if v not in (None, "")]
    rows += [("channels whose target varies", ", ".join(result.channels)), ("currency", result.currency)]
    dl = "".join(f"<li><b>{esc(k)}</b>: {esc(v)}</li>" for k, v in rows)
    return (
        f"<ul>{dl}</ul><p>The folder holds frontier.csv (every point), optimum.csv (the cheapest point "
        "and the band per choice and value case), marginal.csv, samples.parquet (every point's "
        "replications) and optimum_staffing.csv (the staffing of the central optimum).</p>"
    )


def write_page(html_text: str, path: str | Path, default_name: str) -> Path:
    """Write a page to ``path``: an .html file, or a folder that gets ``default_name``."""
    out = Path(path)
    if out.is_dir() or not out.suffix:
        out = out / default_name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html_text, encoding="utf-8")
    return out


def render_frontier(
    result: FrontierResult, path: str | Path, name: str, facts: dict[str, Any] | None = None
) -> Path:
    """Write the frontier page to ``path`` (an .html file, or a folder to hold frontier.html)."""
    return write_page(build_frontier(result, name, facts), path, FRONTIER_NAME)


def render_frontier_folder(folder: str | Path, path: str | Path | None = None) -> Path:
    """Rebuild the frontier page of a folder written by ``ccsim frontier``."""
    src = Path(folder)
    facts = json.loads((src / "frontier.json").read_text(encoding="utf-8"))
    result = load_frontier(src)
    name = str(facts.get("name") or src.name)
    shown = {k: v for k, v in facts.items() if k not in ("channels", "currency", "name")}
    return render_frontier(result, Path(path) if path is not None else src / FRONTIER_NAME, name, shown)


def is_frontier_folder(folder: str | Path) -> bool:
    return (Path(folder) / "frontier.json").exists() and (Path(folder) / "frontier.csv").exists()


__all__ = ["build_frontier", "is_frontier_folder", "render_frontier", "render_frontier_folder"]
