"""The planner's report: each figure function against its data, and the page as a file."""

from __future__ import annotations

import html
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import ccsim
from ccsim.report import figures as F
from ccsim.report import render, render_folder
from ccsim.report.data import ReportData, backlog, from_folder, from_results, interval_labels, to_toml
from ccsim.report.page import build, status

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ["summary", "intervals", "waiting", "agents", "outcomes", "money", "run"]
JOURNEY_FIGURES = {"fig-tiers", "fig-callbacks", "fig-repeats", "fig-escalations", "fig-announcement"}
LIMIT = 10_000_000  # bytes: the ceiling for the examples


@pytest.fixture(scope="module")
def quick() -> Any:
    return ccsim.simulate(ccsim.load(ROOT / "configs" / "quickstart.toml"))


@pytest.fixture(scope="module")
def data(quick: Any) -> ReportData:
    return from_results(quick)


@pytest.fixture(scope="module")
def page(quick: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = render(quick, tmp_path_factory.mktemp("report") / "report.html")
    return path.read_text(encoding="utf-8")


def traces(fig: Any, meta: str) -> list[Any]:
    return [t for t in fig.data if getattr(t, "meta", None) == meta]


def one(fig: Any, meta: str) -> Any:
    found = traces(fig, meta)
    assert len(found) == 1, f"expected one trace tagged {meta!r}, found {len(found)}"
    return found[0]


def figure_specs(text: str) -> dict[str, dict[str, Any]]:
    """The figures of a page: id -> plotly JSON (data, layout)."""
    pattern = r'<script type="application/json" data-figure="([^"]+)">(.*?)</script>'
    return {m[0]: json.loads(m[1]) for m in re.findall(pattern, text, re.DOTALL)}


def per_channel_interval(intervals: pd.DataFrame, num: str, den: list[str]) -> pd.DataFrame:
    cols = list(dict.fromkeys([num, *den]))
    g = intervals.groupby(["replication", "interval", "channel"], observed=True)[cols].sum()
    g["ratio"] = g[num] / g[den].sum(axis=1).where(lambda s: s > 0)
    return g.reset_index()


# --------------------------------------------------------------------------- figures


def test_interval_labels_show_clock_time_and_day() -> None:
    assert interval_labels(8 * 3600, 1800, 3) == ["08:00", "08:30", "09:00"]
    assert interval_labels(23 * 3600, 3600, 3) == ["23:00", "d2 00:00", "d2 01:00"]


def test_service_level_figure_has_the_target_line_at_each_channels_target(data: ReportData) -> None:
    fig = F.service_level_by_interval(data.intervals, data.channels, data.labels)
    expected = per_channel_interval(data.intervals, "sl_numerator", ["sl_denominator"])
    for c in data.channels:
        assert c.target is not None
        target = one(fig, f"target:{c.name}")
        assert set(target.y) == {c.target}
        assert len(target.x) == data.n_intervals
        line = one(fig, f"service_level:{c.name}")
        mean = expected[expected["channel"] == c.name].groupby("interval")["ratio"].mean()
        np.testing.assert_allclose(np.asarray(line.y, dtype=float), mean.to_numpy(), equal_nan=True)
        assert list(line.x) == [data.labels[k] for k in mean.index]


def test_abandonment_line_is_abandoned_over_served_plus_abandoned(data: ReportData) -> None:
    fig = F.service_level_by_interval(data.intervals, data.channels, data.labels)
    expected = per_channel_interval(data.intervals, "abandoned", ["served", "abandoned"])
    line = one(fig, "abandon_rate:phone")
    mean = expected[expected["channel"] == "phone"].groupby("interval")["ratio"].mean()
    np.testing.assert_allclose(np.asarray(line.y, dtype=float), mean.to_numpy())


def test_offered_vs_staffed_bars_are_mean_offered_and_lines_the_workload(data: ReportData) -> None:
    assert data.workload is not None
    fig = F.offered_vs_staffed(data.intervals, data.workload, data.channels, data.labels)
    for c in data.channels:
        bars = one(fig, f"offered:{c.name}")
        offered = (
            data.intervals[data.intervals["channel"] == c.name]
            .groupby(["replication", "interval"])["offered"]
            .sum()
            .groupby("interval")
            .mean()
        )
        np.testing.assert_allclose(np.asarray(bars.y, dtype=float), offered.to_numpy())
        w = data.workload[data.workload["channel"] == c.name].sort_values("interval")
        np.testing.assert_allclose(np.asarray(one(fig, f"agents:{c.name}").y, dtype=float), w["agents"])
    required = one(fig, "required:phone")
    assert np.all(np.asarray(required.y, dtype=float) >= 1)
    assert not traces(fig, "required:email"), "no Erlang requirement for a deferred channel"


def test_occupancy_heatmap_z_is_the_agents_tables_occupancy(data: ReportData) -> None:
    fig = F.occupancy_heatmap(data.agents, data.labels)
    z = np.asarray(fig.data[0].z, dtype=float)
    expected = data.agents.pivot_table(
        index="agent_group", columns="interval", values="occupancy", aggfunc="mean", observed=True
    )
    assert list(fig.data[0].y) == [str(g) for g in expected.index]
    np.testing.assert_allclose(z, expected.to_numpy())
    assert fig.data[0].zmin == 0 and fig.data[0].zmax == 1


def test_outcome_flows_add_up_to_offered(data: ReportData) -> None:
    fig = F.outcomes_sankey(data.intervals)
    link = fig.data[0].link
    labels = list(fig.data[0].node.label)
    source, target, value = list(link.source), list(link.target), np.asarray(link.value, dtype=float)
    reps = data.replications
    offered = data.intervals.groupby("channel", observed=True)["offered"].sum() / reps
    for i, (channel, total) in enumerate(offered.items()):
        assert labels[i].startswith(str(channel))
        out = value[[k for k, s in enumerate(source) if s == i]].sum()
        assert out == pytest.approx(total)
    n_ch = len(offered)
    outcome_nodes = [
        j for j, lab in enumerate(labels) if j >= n_ch and not lab.startswith(("within", "after"))
    ]
    into_outcomes = value[[k for k, t in enumerate(target) if t in outcome_nodes]].sum()
    assert into_outcomes == pytest.approx(offered.sum())
    served = labels.index(next(lab for lab in labels if lab.startswith("served")))
    onward = value[[k for k, s in enumerate(source) if s == served]].sum()
    assert onward == pytest.approx(data.intervals["served"].sum() / reps)


def test_wait_ecdf_is_monotone_ends_at_one_and_marks_the_threshold(data: ReportData, quick: Any) -> None:
    assert data.waits is not None
    fig = F.wait_ecdf(data.waits, data.channels)
    for c in data.channels:
        threshold = one(fig, f"threshold:{c.name}")
        assert threshold.x[0] == threshold.x[1] and list(threshold.y) == [0, 1]
        curves = [t for t in fig.data if str(t.meta).startswith(f"ecdf:{c.name}:")]
        assert curves
        for t in curves:
            y, x = np.asarray(t.y, dtype=float), np.asarray(t.x, dtype=float)
            assert y[-1] == 1.0 and np.all(np.diff(y) >= 0) and np.all(np.diff(x) >= 0)
    # the threshold line sits at the channel's threshold in the axis' unit
    phone = one(fig, "threshold:phone")
    assert phone.x[0] == pytest.approx(20.0)  # 20 s, shown in seconds
    email = one(fig, "threshold:email")
    assert email.x[0] * 60 == pytest.approx(4 * 3600) or email.x[0] * 3600 == pytest.approx(4 * 3600)
    # the share read off the kept quantiles matches the contacts within the 0.5% grid
    c = quick.contacts
    waits = c[(c["outcome"] == "served") & (c["channel"] == "phone") & (c["segment"] == "vip")]["wait_s"]
    from ccsim.report.data import share_within

    assert share_within(data.waits, "phone", "vip", 20.0) == pytest.approx((waits <= 20).mean(), abs=0.006)


def test_wait_percentiles_are_those_of_answered_contacts(data: ReportData, quick: Any) -> None:
    assert data.percentiles is not None
    c = quick.contacts
    sel = c[(c["outcome"] == "served") & (c["channel"] == "phone") & (c["segment"] == "standard")]
    expected = sel.groupby("replication")["wait_s"].quantile(0.9).mean()
    fig = F.wait_percentiles(data.percentiles, data.channels)
    bar = one(fig, "p90:phone")
    assert bar.y[list(bar.x).index("standard")] == pytest.approx(expected)


def test_segments_compared_service_level_per_segment(data: ReportData) -> None:
    fig = F.segments_compared(data.intervals, data.channels)
    iv = data.intervals[(data.intervals["channel"] == "phone") & (data.intervals["segment"] == "vip")]
    g = iv.groupby("replication")[["sl_numerator", "sl_denominator"]].sum()
    bar = one(fig, "service_level:vip")
    expected = (g["sl_numerator"] / g["sl_denominator"]).mean()
    assert bar.y[list(bar.x).index("phone")] == pytest.approx(expected)
    target = one(fig, "target")
    assert dict(zip(target.x, target.y, strict=True)) == {c.name: c.target for c in data.channels}


def test_replication_spread_shows_every_replication(data: ReportData) -> None:
    fig = F.replication_spread(data.per_replication, data.channels)
    dots = one(fig, "replications:service_level")
    assert len(dots.y) == data.replications * len(data.channels)


def test_backlog_counts_contacts_waiting_at_each_interval_end() -> None:
    contacts = pd.DataFrame(
        {
            "replication": 0,
            "channel": "email",
            "segment": "standard",
            "arrival_s": [10.0, 20.0, 1500.0, 1700.0, 1790.0],
            "wait_s": [5.0, 2000.0, 3000.0, np.nan, 0.0],
            "outcome": ["served", "served", "served", "unfinished", "served"],
        }
    )
    frame = backlog(contacts, ["email"], 1800.0, 3)
    # at 1800 s: #2 (answered 2020), #3 (4500) and #4 (never) wait; at 3600: #3, #4; at 5400: #4
    assert frame["waiting"].tolist() == [3, 2, 1]


def test_backlog_figure_draws_each_deferred_channel(data: ReportData) -> None:
    assert data.backlog is not None
    fig = F.backlog_figure(data.backlog, data.channels, data.labels)
    line = one(fig, "waiting:email")
    expected = data.backlog.groupby("interval")["waiting"].mean()
    np.testing.assert_allclose(np.asarray(line.y, dtype=float), expected.to_numpy())
    assert (data.backlog["waiting"] >= 0).all()


def test_status_colours_met_missed_and_close() -> None:
    assert status(0.85, 0.02, 0.8) == "met"
    assert status(0.70, 0.02, 0.8) == "missed"
    assert status(0.81, 0.03, 0.8) == "close"
    assert status(0.02, 0.005, 0.05, higher_is_better=False) == "met"
    assert status(0.5, 0.1, None) == ""


@pytest.mark.parametrize("config", sorted((ROOT / "configs").glob("*.toml")), ids=lambda p: p.stem)
def test_config_as_toml_reads_back_the_same(config: Path) -> None:
    raw = tomllib.loads(config.read_text(encoding="utf-8"))
    assert tomllib.loads(to_toml(raw)) == raw


# --------------------------------------------------------------------------- page


def test_page_is_one_file_with_plotly_embedded_once(page: str) -> None:
    from plotly.offline import get_plotlyjs

    bundle = get_plotlyjs()
    assert page.count(bundle[:300]) == 1
    assert page.count("<script") == page.count("</script>")
    assert not re.search(r"<script[^>]*\bsrc=", page), "no external scripts"
    assert not re.search(r"<link[^>]*>", page), "no linked stylesheets"
    outside = page.replace(bundle, "")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", outside, re.IGNORECASE)
    assert not re.search(r"""url\(\s*["']?(?:https?:)?//""", outside, re.IGNORECASE)


def test_page_has_every_section_figure_and_the_config(page: str, quick: Any) -> None:
    for section in SECTIONS:
        assert f'<section id="{section}">' in page
        assert f'href="#{section}"' in page
    specs = figure_specs(page)
    assert set(specs) == {
        "fig-spread",
        "fig-offered",
        "fig-sl",
        "fig-backlog",
        "fig-ecdf",
        "fig-percentiles",
        "fig-segments",
        "fig-occupancy",
        "fig-outcomes",
        "fig-experience",
    }
    assert "No prices set" in page  # the quickstart has no prices: no empty cost charts
    for fig_id in specs:
        assert f'<div class="figure" id="{fig_id}" style="height:' in page
    text = html.unescape(page)
    assert "Quickstart: small multichannel centre" in text
    assert 'id="journeys"' not in page, "no journey section without journey policies"
    assert "<details><summary>" in page and '[channels.phone]\nkind = "voice"' in text
    for definition in quick.sl_definitions.values():
        assert definition in text
    assert "target within the CI" in text or "target met" in text or "target missed" in text


@pytest.mark.parametrize("name", ["quickstart", "multiskill"])
def test_report_of_the_examples_is_small_and_renders_from_the_folder(name: str, tmp_path: Path) -> None:
    results = ccsim.simulate(ccsim.load(ROOT / "configs" / f"{name}.toml"))
    folder = results.write(tmp_path / name, manifest={"started": "Mon 1 Jan 2024 09:00"})
    path = render_folder(folder)
    assert path == folder / "report.html"
    assert path.stat().st_size < LIMIT
    text = path.read_text(encoding="utf-8")
    assert "Mon 1 Jan 2024 09:00" in text
    direct = render(results, tmp_path / "direct.html").read_text(encoding="utf-8")
    assert set(figure_specs(text)) == set(figure_specs(direct))
    data = from_folder(folder)
    assert data.workload is not None and data.waits is not None
    assert [c.name for c in data.channels] == [c.name for c in from_results(results).channels]


def test_report_without_contacts_explains_what_is_missing(tmp_path: Path) -> None:
    results = ccsim.simulate(ccsim.load(ROOT / "configs" / "quickstart.toml"), replications=2, contacts=False)
    text = render(results, tmp_path).read_text(encoding="utf-8")
    specs = figure_specs(text)
    assert "fig-ecdf" not in specs and "fig-backlog" not in specs
    assert "fig-percentiles" in specs
    assert "--no-contacts" in text


def test_one_replication_and_no_service_level(tmp_path: Path, raw: dict[str, Any]) -> None:
    del raw["channels"]["phone"]["service_level"]
    results = ccsim.simulate(ccsim.from_dict(raw), replications=1)
    text = render(results, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "no SL target set" in text and "One replication" in text
    assert "fig-spread" not in figure_specs(text)


def test_the_module_is_callable_like_render(quick: Any, tmp_path: Path) -> None:
    import ccsim.report

    path = ccsim.report(quick, tmp_path / "r.html")  # type: ignore[operator]
    assert path.exists()


def test_report_command(tmp_path: Path, quick: Any) -> None:
    import typer

    from ccsim.cli import report

    app = typer.Typer()
    report.register(app)
    app.command("noop")(lambda: None)  # a second command keeps `report` a subcommand
    folder = quick.write(tmp_path / "run")
    result = CliRunner().invoke(app, ["report", str(folder), "--out", str(tmp_path / "x.html")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "x.html").exists() and "report written to" in result.output
    missing = CliRunner().invoke(app, ["report", str(tmp_path / "nothing")])
    assert missing.exit_code == 2
    assert "no such output folder" in missing.output


def test_docs_screenshot_is_small() -> None:
    png = ROOT / "docs" / "img" / "report-quickstart.png"
    assert png.exists(), "take it with CCSIM_UPDATE_DOCS_IMG=1 pytest tests/browser"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size < 500_000


# --------------------------------------------------------------------------- customer journeys


def journey_raw() -> dict[str, Any]:
    """A small two-channel centre with journey policies: VIPs with personal agents, a wait
    announcement and callbacks on the phone, acknowledged e-mails, retrials, first-contact
    resolution below 1 with repeats, and escalation to a second level."""
    return {
        "scenario": {
            "name": "Journeys: personal agents, callbacks, repeats",
            "start": "08:00",
            "duration": "3h",
            "warmup": "15min",
            "interval": "30min",
            "replications": 3,
            "seed": 7,
        },
        "channels": {
            "phone": {
                "kind": "voice",
                "service_level": {"within": "20s", "target": 0.8},
                "announcement": {"threshold": "1min", "balk": 0.2},
                "callback": {"offer_after": "90s", "accept": 0.5, "promise": "30min"},
            },
            "email": {
                "kind": "email",
                "service_level": {"within": "2h", "target": 0.9, "definition": "answered"},
                "acknowledgement": {"promise": "2h"},
            },
        },
        "segments": {
            "vip": {
                "priority": 0,
                "patience": {"dist": "exponential", "mean": "5min"},
                "personal": {"group": "advisers", "wait": "60s", "deputy_wait": "30s", "customers": 200},
            },
            "standard": {
                "priority": 1,
                "patience": {"dist": "exponential", "mean": "3min"},
                "retrial": {"abandoned": 0.5, "delay": {"dist": "exponential", "mean": "10min"}},
            },
        },
        "contact_types": {
            "general": {
                "handle": {"dist": "exponential", "mean": "4min"},
                "resolution": 0.8,
                "repeat": {"delay": {"dist": "exponential", "mean": "30min"}},
                "escalation": {"share": 0.1, "to": "second_level"},
            },
            "second_level": {"handle": {"dist": "exponential", "mean": "8min"}, "priority": 0},
        },
        "demand": [
            {
                "channel": "phone",
                "contact_type": "general",
                "segment": {"vip": 0.15, "standard": 0.85},
                "rate": "3/min",
            },
            {"channel": "email", "contact_type": "general", "segment": "standard", "rate": "20/h"},
        ],
        "agents": {
            "advisers": {"count": 4, "skills": ["general"], "channels": ["phone", "email"]},
            "pool": {"count": 10, "skills": ["general"], "channels": ["phone", "email"]},
            "experts": {"count": 3, "skills": ["second_level"], "channels": ["phone", "email"]},
        },
    }


@pytest.fixture(scope="module")
def journeys() -> Any:
    return ccsim.simulate(ccsim.from_dict(journey_raw()))


@pytest.fixture(scope="module")
def jdata(journeys: Any) -> ReportData:
    return from_results(journeys)


@pytest.fixture(scope="module")
def jpage(jdata: ReportData) -> str:
    return build(jdata, plotly_js="")


def per_rep_mean(frame: pd.DataFrame, num: pd.Series, den: pd.Series | None = None) -> float:
    """Mean across replications of a per-replication sum (or ratio of sums)."""
    n = num.groupby(frame["replication"]).sum()
    return float((n / den.groupby(frame["replication"]).sum()).mean() if den is not None else n.mean())


def test_journey_section_only_with_journey_policies(data: ReportData, jdata: ReportData) -> None:
    from ccsim.report.journeys import uses_journeys

    assert not uses_journeys(data.intervals)
    assert data.tiers is None and data.origins is None and data.calibration is None
    assert uses_journeys(jdata.intervals)
    assert jdata.tiers is not None and jdata.origins is not None and jdata.calibration is not None
    # a resolution below 1 alone (no repeats) is a journey policy too
    quiet = data.intervals.copy()
    assert not uses_journeys(quiet)
    quiet.loc[quiet.index[0], "resolved"] -= 1
    assert uses_journeys(quiet)


def test_who_answered_shares_and_asa_per_tier(jdata: ReportData, journeys: Any) -> None:
    from ccsim.report.journeys import tiers_from_intervals

    assert jdata.tiers is not None
    fig = F.who_answered(jdata.tiers)
    iv = jdata.intervals
    vip = iv[(iv["channel"] == "phone") & (iv["segment"] == "vip")]
    tiers = ["served_personal", "served_deputy", "served_pool", "served_partner"]
    per_rep = vip.groupby("replication")[tiers].sum()
    expected = (per_rep["served_personal"] / per_rep.sum(axis=1)).mean()
    bar = one(fig, "share:phone:personal")
    assert bar.y[list(bar.x).index("vip")] == pytest.approx(expected)
    # the shares of a segment stack up to 100%
    stacked = [t for t in fig.data if str(t.meta).startswith("share:phone:")]
    top = max(float(np.asarray(t.base)[0] + t.y[0]) for t in stacked)
    assert top == pytest.approx(1.0)
    # ASA of each tier from the contacts: the mean over replications of the tier's mean wait
    c = journeys.contacts
    answered = c[(c["channel"] == "phone") & (c["segment"] == "vip") & (c["outcome"] == "served")]
    mine = answered[answered["served_by"] == "personal"]
    asa = one(fig, "asa:phone:personal")
    expected_asa = mine.groupby("replication")["wait_s"].mean().mean()
    unit = 60.0 if "min" in fig.layout.yaxis2.title.text else 1.0
    assert asa.y[list(asa.x).index("vip")] * unit == pytest.approx(expected_asa)
    # from the intervals alone: the same shares, ASA of personal and deputy together
    fallback = F.who_answered(tiers_from_intervals(iv))
    assert one(fallback, "share:phone:personal").y[0] == pytest.approx(bar.y[0])
    both = one(fallback, "asa:phone:personal or deputy")
    waits = vip.groupby("replication")[["wait_personal_s", "served_personal", "served_deputy"]].sum()
    ratio = waits["wait_personal_s"] / (waits["served_personal"] + waits["served_deputy"])
    assert both.y[list(both.x).index("vip")] * unit == pytest.approx(ratio.mean())


def test_callbacks_and_promises_kept(jdata: ReportData, journeys: Any) -> None:
    fig = F.callbacks_and_promises(jdata.per_replication, jdata.origins)
    pr = jdata.per_replication
    phone = pr[(pr["group_by"] == "channel") & (pr["group"] == "phone")]
    accepted = one(fig, "callbacks:accepted a callback")
    assert list(accepted.x) == ["phone"]
    assert accepted.y[0] == pytest.approx(phone["callback"].mean())
    assert accepted.y[0] > 0
    c = journeys.contacts
    made = c[(c["origin"] == "callback") & (c["outcome"] == "served")]
    answered = one(fig, "callbacks:called back and answered")
    assert answered.y[0] == pytest.approx(len(made) / journeys.replications)
    kept = one(fig, "promise_kept_rate")
    assert set(kept.x) == {"phone", "email"}  # callbacks and e-mail acknowledgements
    for ch in kept.x:
        rows = pr[(pr["group_by"] == "channel") & (pr["group"] == ch)]
        assert kept.y[list(kept.x).index(ch)] == pytest.approx(rows["promise_kept_rate"].mean())
        assert 0 < kept.y[list(kept.x).index(ch)] <= 1
    # the kept share from the contacts' promise_kept flag
    promised = c[c["promise_kept"].notna() & (c["channel"] == "phone")]
    expected = promised.groupby("replication")["promise_kept"].mean().mean()
    assert kept.y[list(kept.x).index("phone")] == pytest.approx(expected)


def test_repeats_and_fcr(jdata: ReportData) -> None:
    from ccsim.report.journeys import origins_from_intervals

    assert jdata.origins is not None
    iv, reps = jdata.intervals, jdata.replications
    offered = iv.groupby("channel", observed=True)["offered"].sum() / reps
    for origins in (jdata.origins, origins_from_intervals(iv)):
        fig = F.repeats_and_fcr(origins, jdata.per_replication)
        bars = [t for t in fig.data if str(t.meta).startswith("origin:")]
        totals = np.sum([np.asarray(t.y, dtype=float) for t in bars], axis=0)
        np.testing.assert_allclose(totals, offered.reindex(list(bars[0].x)).to_numpy())
        repeats = one(fig, "origin:repeat")
        expected = iv.groupby("channel", observed=True)["repeats"].sum() / reps
        np.testing.assert_allclose(np.asarray(repeats.y, dtype=float), expected.reindex(list(repeats.x)))
    fcr = one(fig, "fcr")
    assert list(fcr.x) == ["all", "general"]  # second_level has no first contacts
    all_fcr = per_rep_mean(iv, iv["first_resolved"], iv["first_contacts"])
    assert fcr.y[0] == pytest.approx(all_fcr)
    assert 0.5 < fcr.y[0] < 0.95
    cpr = one(fig, "contacts_per_resolved")
    assert cpr.y[0] == pytest.approx(per_rep_mean(iv, iv["served"], iv["resolved"]))


def test_escalations_per_type(jdata: ReportData) -> None:
    from ccsim.report.journeys import escalation_routes

    routes = escalation_routes(jdata.manifest["config"])
    assert routes == {"general": "second_level"}
    fig = F.escalations(jdata.per_replication, jdata.intervals, routes)
    iv = jdata.intervals
    general = iv[iv["contact_type"] == "general"]
    count = one(fig, "escalated")
    assert list(count.x) == ["general → second_level"]
    assert count.y[0] == pytest.approx(general["escalated"].sum() / jdata.replications)
    rate = one(fig, "escalation_rate")
    assert rate.y[0] == pytest.approx(per_rep_mean(general, general["escalated"], general["served"]))
    assert 0.05 < rate.y[0] < 0.15
    second = iv[(iv["contact_type"] == "second_level") & (iv["channel"] == "phone")]
    sl = one(fig, "next_level:phone")
    expected = per_rep_mean(second, second["sl_numerator"], second["sl_denominator"])
    assert list(sl.x) == ["second_level"] and sl.y[0] == pytest.approx(expected)


def test_announcement_bias_is_actual_minus_announced(jdata: ReportData, journeys: Any) -> None:
    assert jdata.calibration is not None
    fig = F.announcement_bias(jdata.per_replication, jdata.calibration)
    iv = jdata.intervals
    phone = iv[iv["channel"] == "phone"]
    bias = one(fig, "bias")
    assert list(bias.x) == ["phone"]
    unit = 60.0 if "min" in fig.layout.yaxis.title.text else 1.0
    expected = per_rep_mean(phone, phone["announce_error_s"], phone["announced"])
    assert bias.y[0] * unit == pytest.approx(expected)
    # the bins hold every answered contact that heard a prediction, all replications pooled
    cal = jdata.calibration
    c = journeys.contacts
    heard = c[(c["outcome"] == "served") & c["predicted_wait_s"].notna()]
    assert cal["n"].sum() == len(heard) == phone["announced"].sum()
    pooled = (cal["n"] * (cal["actual_s"] - cal["predicted_s"])).sum() / cal["n"].sum()
    assert pooled == pytest.approx(phone["announce_error_s"].sum() / phone["announced"].sum(), rel=1e-4)
    assert (cal["actual_p10_s"] <= cal["actual_s"]).all() and (cal["actual_s"] <= cal["actual_p90_s"]).all()
    assert one(fig, "calibration:phone").x is not None
    # without the contacts table: the bias alone
    alone = F.announcement_bias(jdata.per_replication)
    assert not traces(alone, "calibration:phone") and one(alone, "bias").y[0] == pytest.approx(bias.y[0])


def test_journey_section_cards_and_figures(jpage: str, jdata: ReportData) -> None:
    assert '<section id="journeys">' in jpage and 'href="#journeys"' in jpage
    assert set(figure_specs(jpage)) >= JOURNEY_FIGURES
    text = html.unescape(jpage)
    journeys_part = text[text.index('<section id="journeys">') :]
    for title in ("first-contact resolution", "vip · personal share", "promises kept"):
        assert title in journeys_part
    assert "partner share" not in journeys_part  # no partner in this run
    fcr = jdata.summary.query("group_by == 'all'")["fcr"].iloc[0]
    assert f"{100 * fcr:.1f}%" in journeys_part
    assert "balked" in journeys_part and 'href="#outcomes"' in journeys_part


def test_outcomes_sankey_shows_the_journey_outcomes(jdata: ReportData) -> None:
    fig = F.outcomes_sankey(jdata.intervals)
    labels = list(fig.data[0].node.label)
    assert any(lab.startswith("callback ") for lab in labels)
    assert any(lab.startswith("balked ") for lab in labels)


def test_journey_report_from_the_folder_and_without_contacts(
    journeys: Any, jpage: str, tmp_path: Path
) -> None:
    folder = journeys.write(tmp_path / "run")
    data = from_folder(folder)
    assert data.tiers is not None and data.origins is not None and data.calibration is not None
    assert set(figure_specs(build(data, plotly_js=""))) == set(figure_specs(jpage))
    bare = ccsim.simulate(ccsim.from_dict(journey_raw()), replications=2, contacts=False)
    text = build(from_results(bare), plotly_js="")
    assert set(figure_specs(text)) >= JOURNEY_FIGURES
    assert "paired up" in text  # who answered: personal and deputy waits together
    specs = figure_specs(text)
    metas = {t.get("meta") for t in specs["fig-tiers"]["data"]}
    assert "asa:phone:personal or deputy" in metas
    assert not any(str(t.get("meta")).startswith("calibration:") for t in specs["fig-announcement"]["data"])
