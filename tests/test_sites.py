"""A centre on several sites: the pooling effect against Erlang C, a site closing at night,
local-first routing, common random numbers, per-site KPIs and costs, and config errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import ROOT

import ccsim
from ccsim.analytic import erlang_c
from ccsim.config.errors import ConfigError
from ccsim.model.store import OUTCOMES
from ccsim.optimize.problem import build_problem
from ccsim.optimize.shifts import shifts_for
from ccsim.optimize.staffing import analytic_start, optimize_staffing

BASE = """
[scenario]
duration = "{duration}"
warmup = "1h"
interval = "1h"
replications = {reps}
seed = 5

[channels.phone]
kind = "voice"
service_level = {{ within = "20s", target = 0.8, definition = "answered" }}

[segments.standard]

[contact_types.service]
handle = {{ dist = "exponential", mean = "4min" }}

[[demand]]
channel = "phone"
contact_type = "service"
segment = "standard"
rate = "{rate}/h"

[agents.north_team]
skills = ["service"]
channels = ["phone"]
count = {agents}

[agents.south_team]
skills = ["service"]
channels = ["phone"]
count = {agents}

[sites.north]
groups = ["north_team"]

[sites.south]
groups = ["south_team"]
{south}
[routing]
sites = "{mode}"
site_overflow_delay = "{delay}"
"""


def scenario(tmp_path, name="s", mode="virtual_queue", delay="0s", agents=5, rate=120, duration="8h",
             reps=10, south=""):  # fmt: skip
    path = tmp_path / f"{name}.toml"
    path.write_text(
        BASE.format(
            mode=mode, delay=delay, agents=agents, rate=rate, duration=duration, reps=reps, south=south
        )
    )
    return ccsim.load(path)


def sl_erlang_c(c: int, a: float, aht: float, t: float) -> float:
    """P(wait <= t) in M/M/c with offered load a and mean handle time aht."""
    return 1.0 - erlang_c(c, a) * math.exp(-(c - a) * t / aht)


def site_kpi(results, kpi: str, site: str) -> tuple[float, float]:
    return results.kpi(kpi, "site", site)


@pytest.mark.slow
def test_pooling_two_sites_into_one_virtual_queue_raises_the_service_level(tmp_path):
    """Two symmetric M/M/5 sites (a = 4 Erlangs each) against one M/M/10 (a = 8): the service
    level of each matches Erlang C within its confidence interval, and pooling raises it."""
    separate = ccsim.simulate(scenario(tmp_path, "separate", mode="local_first", delay="24h"))
    pooled = ccsim.simulate(scenario(tmp_path, "pooled", mode="virtual_queue"))
    expect_separate = sl_erlang_c(5, 4.0, 240.0, 20.0)  # about 0.49
    expect_pooled = sl_erlang_c(10, 8.0, 240.0, 20.0)  # about 0.65
    for site in ("north", "south"):
        sl, ci = site_kpi(separate, "service_level", site)
        assert abs(sl - expect_separate) < ci + 0.01, (site, sl, ci, expect_separate)
    sl, ci = pooled.kpi("service_level")
    assert abs(sl - expect_pooled) < ci + 0.01, (sl, ci, expect_pooled)
    sep, sep_ci = separate.kpi("service_level")
    assert sl - sep > 0.1 and sl - sep > ci + sep_ci
    # separate sites: nobody answers the other site's contacts
    contacts = ccsim.simulate(
        scenario(tmp_path, "sep1", mode="local_first", delay="24h", reps=1), contacts=True
    )
    c = contacts.contacts[contacts.contacts["outcome"] == "served"]
    assert (c["site"].astype(str) + "_team" == c["agent_group"].astype(str)).all()


def test_pooling_effect_direction_quick(tmp_path):
    """The pooling effect in a short run: one virtual queue answers more within 20 s than two
    sites that never help each other, with the same agents and the same customers."""
    separate = ccsim.simulate(scenario(tmp_path, "a", mode="local_first", delay="24h", reps=4, duration="4h"))
    pooled = ccsim.simulate(scenario(tmp_path, "b", mode="virtual_queue", reps=4, duration="4h"))
    assert pooled.kpi("service_level")[0] > separate.kpi("service_level")[0] + 0.05
    assert separate.kpi("offered") == pooled.kpi("offered")


def test_a_site_closing_at_night_shifts_its_contacts_to_the_other(tmp_path):
    """South is open 08:00-20:00: at night every contact is offered to north (its offered load
    doubles), by day each site gets about half; south's agents work only by day."""
    closing = 'hours = "08:00-20:00"\n'
    sc = scenario(tmp_path, "night", mode="local_first", delay="30s", duration="24h", reps=3, south=closing)
    res = ccsim.simulate(sc, contacts=True)
    c = res.contacts
    hour = (c["arrival_s"] // 3600).astype(int)
    night = (hour < 8) | (hour >= 20)
    north = c["site"].astype(str) == "north"
    assert north[night].all()  # every night contact goes to north
    assert abs(north[~night].mean() - 0.5) < 0.03  # by day about half
    # north's offered load rises by south's demand in the closed hours, against always open
    always = ccsim.simulate(
        scenario(tmp_path, "day", mode="local_first", delay="30s", duration="24h", reps=3)
    )
    rise = site_kpi(res, "offered", "north")[0] - site_kpi(always, "offered", "north")[0]
    expected = 120 * 12 / 2  # half of 120/h for the 12 closed hours
    assert abs(rise - expected) < 4 * math.sqrt(expected)
    assert res.kpi("offered") == always.kpi("offered")  # the same customers
    south_hours = res.agents[res.agents["agent_group"] == "south_team"].groupby("interval")["agents"].mean()
    # closed: no agent, but those on a call at 20:00 finish it
    assert south_hours.iloc[:8].eq(0).all() and south_hours.iloc[21:].eq(0).all() and south_hours.iloc[20] < 1
    assert south_hours.iloc[8:20].eq(5).all()


def test_local_first_prefers_the_home_site(tmp_path):
    """With a site overflow delay most contacts are answered at their home site; with one
    virtual queue about half are answered by the other site."""
    local = ccsim.simulate(
        scenario(tmp_path, "l", mode="local_first", delay="60s", reps=2, duration="4h"), contacts=True
    )
    pooled = ccsim.simulate(
        scenario(tmp_path, "v", mode="virtual_queue", reps=2, duration="4h"), contacts=True
    )

    def at_home(res):
        c = res.contacts[res.contacts["outcome"] == "served"]
        return float((c["site"].astype(str) + "_team" == c["agent_group"].astype(str)).mean())

    # local first: only contacts waiting over 60 s (about a third in M/M/5 at 80%) may go away
    assert at_home(local) > 0.75
    assert 0.4 < at_home(pooled) < 0.6


def test_common_random_numbers_across_site_routing(tmp_path):
    """Two scenarios differing only in site routing see the same customers and homes."""
    a = ccsim.simulate(
        scenario(tmp_path, "a", mode="local_first", delay="30s", reps=1, duration="2h"), contacts=True
    )
    b = ccsim.simulate(scenario(tmp_path, "b", mode="virtual_queue", reps=1, duration="2h"), contacts=True)
    for col in ("arrival_s", "contact_type", "site"):
        assert (a.contacts[col].to_numpy() == b.contacts[col].to_numpy()).all()
    assert not (a.contacts["wait_s"].to_numpy() == b.contacts["wait_s"].to_numpy()).all()


def test_site_kpis_conserve_contacts_and_price_each_site(tmp_path):
    """Every arrival is offered to one site and ends in one outcome; each site's cost is its
    paid hours at its cost per hour."""
    sc = scenario(tmp_path, "k", reps=2, duration="2h").with_overrides(
        {"sites.north.cost_per_hour": 40.0, "sites.south.cost_per_hour": 20.0, "costs.shrinkage": 0.0}
    )
    res = ccsim.simulate(sc)
    rows = res.per_replication[res.per_replication["group_by"] == "site"]
    total = res.per_replication[res.per_replication["group_by"] == "all"]
    assert rows.groupby("replication")["offered"].sum().to_numpy().tolist() == total["offered"].tolist()
    assert (rows["offered"] == rows[list(OUTCOMES)].sum(axis=1)).all()
    north = rows[rows["group"] == "north"]
    assert np.allclose(north["paid_hours"], 5 * 2.0)  # 5 agents for the 2 measured hours
    assert np.allclose(north["staffing_cost"], 5 * 2.0 * 40.0)
    assert np.allclose(rows[rows["group"] == "south"]["staffing_cost"], 5 * 2.0 * 20.0)
    assert rows["occupancy"].between(0, 1).all() and rows["asa_s"].notna().all()


def test_offset_puts_a_site_and_its_shifts_in_local_time(tmp_path):
    """South is one hour behind: its hours '07:00-19:00' local are 08:00-20:00 on the
    scenario's clock, and so are its shift's starts."""
    south = 'hours = "07:00-19:00"\noffset = "-1h"\n'
    sc = scenario(tmp_path, "off", mode="local_first", duration="24h", reps=1, south=south)
    step = sc.plan.groups[1].staffing
    assert step.at(3600 + 7.5 * 3600) == 0 and step.at(3600 + 8.5 * 3600) == 5
    assert step.at(3600 + 19.5 * 3600) == 5 and step.at(3600 + 20.5 * 3600) == 0
    text = (tmp_path / "off.toml").read_text().replace("count = 5\n\n[sites", "count = 5\n\n[sites", 1)
    text = text.replace(
        '[agents.south_team]\nskills = ["service"]\nchannels = ["phone"]\ncount = 5',
        '[agents.south_team]\nskills = ["service"]\nchannels = ["phone"]\n'
        'shifts = [{ start = "07:00", length = "4h", count = 3 }]',
    )
    (tmp_path / "off2.toml").write_text(text)
    shifted = ccsim.load(tmp_path / "off2.toml").plan.groups[1].staffing
    assert shifted.at(3600 + 8.5 * 3600) == 3 and shifted.at(3600 + 7.5 * 3600) == 0
    assert shifted.at(3600 + 11.5 * 3600) == 3 and shifted.at(3600 + 12.5 * 3600) == 0


def test_without_sites_nothing_changes(tmp_path):
    """Without [sites] the plan has no sites and the tables no site rows or columns."""
    res = ccsim.simulate(ccsim.load(ROOT / "configs" / "multiskill.toml"), replications=1, contacts=True)
    assert res.scenario.plan.sites is None
    assert "site" not in set(res.per_replication["group_by"])
    assert "site" not in res.contacts.columns and "staffing_cost" not in res.per_replication.columns


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            {"sites.north.groups": ["north_tem"]},
            "sites.north.groups[0]: unknown agent group 'north_tem' (did you mean 'north_team'?)",
        ),
        (
            {"sites.south.groups": ["north_team"]},
            "sites.south.groups[0]: agent group 'north_team' is already at site 'north'",
        ),
        ({"sites.north.offset": "1"}, "sites.north.offset"),
        ({"sites.north.offset": "25h"}, "sites.north.offset"),
        ({"sites.north.hours": "8-20"}, "sites.north.hours"),
        ({"demand.0.site": "nort"}, "demand[0].site: unknown site 'nort' (did you mean 'north'?)"),
        ({"routing.site_overflow_delay": "30"}, "routing.site_overflow_delay"),
        ({"routing.sites": "local"}, "routing.sites"),
        ({"sites.north.shares": 1.0}, "sites.north.shares"),
    ],
)
def test_config_errors_name_the_path(tmp_path, override, message):
    sc = scenario(tmp_path, reps=1, duration="1h")
    with pytest.raises(ConfigError) as err:
        sc.with_overrides(override)
    assert message in str(err.value), str(err.value)


def test_group_outside_every_site_and_site_keys_without_sites(tmp_path):
    text = BASE.format(mode="local_first", delay="0s", agents=2, rate=10, duration="1h", reps=1, south="")
    (tmp_path / "a.toml").write_text(
        text.replace(
            'groups = ["south_team"]', 'groups = ["north_team", "south_team"]\n[sites.x]\ngroups = []'
        )
    )
    with pytest.raises(ConfigError, match=r"sites\.x\.groups"):
        ccsim.load(tmp_path / "a.toml")
    (tmp_path / "b.toml").write_text(text.replace('[sites.south]\ngroups = ["south_team"]', ""))
    with pytest.raises(ConfigError, match=r"agents\.south_team: not at any site"):
        ccsim.load(tmp_path / "b.toml")
    head = text.split("[sites.north]")[0]
    (tmp_path / "c.toml").write_text(head + '[routing]\nsite_overflow_delay = "30s"\n')
    with pytest.raises(
        ConfigError, match=r"routing\.site_overflow_delay: applies to a centre on several sites"
    ):
        ccsim.load(tmp_path / "c.toml")


def test_example_config_two_sites():
    res = ccsim.simulate(ccsim.load(ROOT / "configs" / "two_sites.toml"), replications=2)
    sites = res.summary[res.summary["group_by"] == "site"]
    assert list(sites["group"]) == ["berlin", "lisbon"]
    assert sites["staffing_cost"].gt(0).all() and sites["service_level"].notna().all()


def test_the_optimiser_plans_nobody_at_a_closed_site():
    """Berlin is open 08:00-20:00 and Lisbon until 22:00 (scenario time): the analytic start
    and every plan of the search put no Berlin agent after 20:00, where they could not work,
    and Lisbon's agents carry the evening."""
    sc = ccsim.load(ROOT / "configs" / "two_sites.toml")
    pilot = ccsim.simulate(sc, replications=2, contacts=False, progress=False)
    problem = build_problem(sc, pilot)
    evening = [k for k in range(problem.n_periods) if sc.plan.clock.label(k) >= "20:00"]
    assert evening and all(problem.staffable("phone", k) == ["lisbon_team"] for k in evening)
    assert problem.closed("berlin_team")[evening].all() and not problem.closed("lisbon_team").any()
    start = analytic_start(problem)
    assert start["berlin_team"][evening].sum() == 0 and start["lisbon_team"][evening].min() > 0
    everywhere = {"berlin_team": [15] * problem.n_periods, "lisbon_team": [10] * problem.n_periods}
    for start_plan in (None, everywhere):  # the analytic start, and a start with agents everywhere
        plan = optimize_staffing(sc, replications=4, max_simulations=6, verify=False, require_feasible=False,
                                 start=start_plan)  # fmt: skip
        assert plan.staffing["berlin_team"].iloc[evening].sum() == 0
        assert plan.staffing["lisbon_team"].iloc[evening].min() > 0


def test_a_period_no_staffed_site_covers_is_left_alone_not_a_failure():
    """Lisbon closing at 20:00 local (21:00 here) leaves 21:00-22:00 to nobody: the search says
    so and leaves those periods alone instead of spending its budget on them."""
    sc = ccsim.load(ROOT / "configs" / "two_sites.toml").with_overrides({"sites.lisbon.hours": "07:00-20:00"})
    said: list[str] = []
    plan = optimize_staffing(sc, replications=4, max_simulations=8, verify=False, require_feasible=False,
                             progress=said.append)  # fmt: skip
    assert "left alone: phone 21:00, phone 21:30 (no staffed group's site is open then)" in said
    late = [k for k in range(len(plan.staffing)) if sc.plan.clock.label(k) >= "21:00"]
    assert plan.staffing[["berlin_team", "lisbon_team"]].iloc[late].to_numpy().sum() == 0


def test_a_site_open_part_of_a_period_counts_its_open_share():
    """Berlin closing at 20:15: the 20:00 half-hour is half open; its agents may be planned."""
    sc = ccsim.load(ROOT / "configs" / "two_sites.toml").with_overrides({"sites.berlin.hours": "08:00-20:15"})
    pilot = ccsim.simulate(sc, replications=2, contacts=False, progress=False)
    problem = build_problem(sc, pilot)
    k = next(k for k in range(problem.n_periods) if sc.plan.clock.label(k) == "20:00")
    assert problem.site_open["berlin_team"][k] == pytest.approx(0.5)
    assert problem.site_open["berlin_team"][k + 1] == 0.0
    assert "berlin_team" in problem.staffable("phone", k)
    assert "berlin_team" not in problem.staffable("phone", k + 1)


def test_shifts_for_a_site_with_an_offset_are_in_its_local_time():
    """Lisbon's clock is an hour behind the scenario's: the shifts chosen cover the plan's
    periods in Lisbon's time, so the agents the shifted scenario simulates are the coverage."""
    sc = ccsim.load(ROOT / "configs" / "two_sites.toml")
    plan = optimize_staffing(sc, replications=4, max_simulations=6, verify=False, require_feasible=False)
    shifts = shifts_for(plan)
    simulated = ccsim.simulate(shifts.scenario, replications=1, contacts=False, progress=False).agents
    for group in ("berlin_team", "lisbon_team"):
        cover = shifts.coverage[shifts.coverage["group"] == group]["on_duty"].to_numpy()
        agents = simulated[simulated["agent_group"] == group]["agents"].to_numpy()
        site = "berlin" if group == "berlin_team" else "lisbon"
        is_open = sc.plan.sites.open_at(sc.plan.clock.warmup + np.arange(len(agents)) * 1800.0 + 900.0)
        both_open = is_open[list(sc.plan.sites.names).index(site)]
        assert np.array_equal(agents[both_open], cover[: len(agents)][both_open]), group
    lisbon = shifts.shifts[shifts.shifts["group"] == "lisbon_team"]
    assert set(lisbon["start"]) <= {"07:00", "14:00"}  # the configured starts, Lisbon's time
