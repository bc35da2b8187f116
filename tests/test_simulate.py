"""The simulator of ninja 1.11's scheduler and the what-if transforms (analysis/simulate.py):
graphs with known answers. The real builds are in tests/test_schedule_real.py."""

from __future__ import annotations

import random

import numpy as np
import pytest
from graph_helpers import make_graph

from buildprof.analysis.critical_path import path_times
from buildprof.analysis.simulate import (
    match_edges,
    ready_order,
    remove_cost,
    simulate,
    simulated_build,
    speed_up,
)
from buildprof.analysis.step_graph import edge_deps, needed_edges


def cc(out, *ins, order=(), pool=None):
    return ("cc", [out], list(ins), [], list(order), pool)


def run(graph, durations, jobs, wanted=None):
    wanted = np.ones(graph.edges, dtype=bool) if wanted is None else np.asarray(wanted)
    return simulate(graph, np.array(durations, dtype=float), wanted, jobs)


def spans(schedule, edges):
    return [(schedule.start_ms[e], schedule.end_ms[e]) for e in edges]


def test_j1_runs_everything_in_edge_order_and_takes_the_sum():
    graph = make_graph([cc("b.o", "b.cc"), cc("a.o", "a.cc"), cc("c.o", "c.cc")])
    schedule = run(graph, [5, 7, 11], jobs=1)
    assert schedule.wall_ms == schedule.cpu_ms == 23
    assert spans(schedule, [0, 1, 2]) == [(0, 5), (5, 12), (12, 23)]  # ids, not names or lengths
    assert schedule.lane.tolist() == [0, 0, 0]


def test_ready_ties_start_the_lowest_edge_id_first():
    # all three ready at once; -j2: edges 0 and 1 first, edge 2 in the first slot freed
    graph = make_graph([cc("x", "s"), cc("y", "s"), cc("z", "s")])
    schedule = run(graph, [30, 10, 1], jobs=2)
    assert spans(schedule, [0, 1, 2]) == [(0, 30), (0, 10), (10, 11)]
    assert schedule.lane.tolist() == [0, 1, 1]
    assert schedule.wall_ms == 30


def test_a_newly_ready_edge_with_a_lower_id_overtakes_waiting_ones():
    graph = make_graph([cc("a", "s"), cc("late", "a"), cc("b", "s"), cc("c", "s")])
    schedule = run(graph, [10, 1, 20, 5], jobs=1)
    # a runs first; then "late" (id 1, ready at 10) goes before b and c (ids 2, 3, ready since 0)
    assert spans(schedule, [0, 1, 2, 3]) == [(0, 10), (10, 11), (11, 31), (31, 36)]


def test_unlimited_jobs_is_the_critical_path_and_j1_the_sum_on_random_graphs():
    for seed in range(60):
        rnd = random.Random(seed)
        n = rnd.randint(2, 40)
        graph = make_graph(
            [cc(f"o{i}", "src", *[f"o{j}" for j in range(i) if rnd.random() < 0.15]) for i in range(n)]
        )
        durations = np.array([rnd.randint(0, 50) for _ in range(n)], dtype=float)
        longest = path_times(graph, durations, needed_edges(graph)).length_ms
        assert run(graph, durations, 0).wall_ms == longest
        assert run(graph, durations, 1).wall_ms == durations.sum()
        jobs = rnd.randint(2, 5)
        schedule = run(graph, durations, jobs)
        # any list schedule: no shorter than the path or the work per slot, at most their sum
        assert max(longest, durations.sum() / jobs) <= schedule.wall_ms <= longest + durations.sum() / jobs
        deps = edge_deps(graph)
        assert (schedule.start_ms[deps.dst] >= schedule.end_ms[deps.src]).all()
        for lane in range(jobs):
            on_lane = np.flatnonzero(schedule.lane == lane)
            order = on_lane[np.argsort(schedule.start_ms[on_lane], kind="stable")]
            assert (schedule.start_ms[order][1:] >= schedule.end_ms[order][:-1]).all()
        assert set(schedule.lane.tolist()) <= set(range(jobs))


def test_a_pool_of_depth_one_serialises_its_edges_and_console_is_depth_one():
    graph = make_graph(
        [cc("l1", "s", pool="link"), cc("l2", "s", pool="link"), cc("l3", "s", pool="console"), cc("o", "s")],
        pools=[("link", 1)],
    )
    schedule = run(graph, [10, 10, 4, 3], jobs=8)
    assert spans(schedule, [0, 1, 2, 3]) == [(0, 10), (10, 20), (0, 4), (0, 3)]
    assert schedule.wall_ms == 20


def test_pool_room_is_taken_when_an_edge_becomes_ready_not_when_it_starts():
    """ninja 1.11 counts a pool edge from when it enters the ready set (Pool::EdgeScheduled): z
    (id 2, ready at 0) holds the pool's one place while it waits for a -j slot, so y (id 1, ready
    at 10) waits for z although its id is lower."""
    graph = make_graph([cc("x", "s"), cc("y", "x", pool="p"), cc("z", "s2", pool="p")], pools=[("p", 1)])
    schedule = run(graph, [10, 5, 5], jobs=1)
    assert spans(schedule, [0, 1, 2]) == [(0, 10), (15, 20), (10, 15)]


def test_a_rebuilt_phony_edge_takes_no_time_but_waits_for_a_free_slot():
    graph = make_graph(
        [
            cc("a", "s"),
            cc("c", "s"),
            cc("b", "p"),
            cc("d", "s"),
            ("phony", ["p"], ["a"], [], []),
        ]
    )
    schedule = run(graph, [10, 20, 5, 20, 0], jobs=2)
    # at 10 the ready set holds d (id 3) and the phony p (id 4): d takes the free slot; p is picked
    # when c ends at 20, and b runs right after it
    assert spans(schedule, [0, 1, 3, 4, 2]) == [(0, 10), (0, 20), (10, 30), (20, 20), (20, 25)]
    assert schedule.lane[4] == -1 and not schedule.simulated[4]
    assert schedule.cpu_ms == 55 and schedule.wall_ms == 30


def test_edges_not_wanted_are_done_and_order_only_waits_pass_through_them():
    # gen.h is regenerated; obj is up to date but orders after gen.h; the link reads obj: it waits
    graph = make_graph(
        [cc("gen.h", "gen.py"), cc("obj", "x.cc", order=["gen.h"]), cc("app", "obj"), cc("u", "s")]
    )
    schedule = run(graph, [10, 99, 2, 50], jobs=4, wanted=[True, False, True, False])
    assert spans(schedule, [0, 2]) == [(0, 10), (10, 12)]
    assert (schedule.start_ms[1], schedule.end_ms[1]) == (10, 10)  # done, at no cost, when gen.h is
    assert np.isnan(schedule.start_ms[3])  # not in the plan
    assert schedule.wall_ms == 12 and schedule.cpu_ms == 12
    assert schedule.simulated.tolist() == [True, False, True, False]


def test_simulated_build_record_and_error():
    graph = make_graph([cc("a", "s"), cc("b", "s")])
    record = simulated_build(run(graph, [30, 10], jobs=2), measured_wall_ms=40)
    assert (record.predicted_wall_ms, record.cpu_ms, record.steps, record.error) == (30, 40, 2, -0.25)
    assert simulated_build(run(graph, [30, 10], jobs=2)).error is None


def test_jobs_must_not_be_negative():
    graph = make_graph([cc("a", "s")])
    with pytest.raises(ValueError):
        run(graph, [1], jobs=-1)


def test_match_edges_by_output_pattern_or_target():
    graph = make_graph(
        [
            ("gen", ["gen/a.h", "gen/a.cc"], ["a.def"], [], []),
            cc("lib/x.o", "x.cc"),
            cc("lib/libx.a", "lib/x.o"),
        ]
    )
    assert match_edges(graph, "*.cc").tolist() == [True, False, False]  # any output of the edge
    assert match_edges(graph, "lib/*").tolist() == [False, True, True]
    assert match_edges(graph, "*.O").tolist() == [False, False, False]  # case sensitive
    assert match_edges(graph, "core", edge_targets=["", "core", "x"]).tolist() == [False, True, False]


def test_speed_up_and_remove_cost_are_pure():
    durations = np.array([100.0, 40.0, 10.0])
    faster = speed_up(durations, np.array([True, False, True]), 4)
    assert faster.tolist() == [25.0, 40.0, 2.5] and durations.tolist() == [100.0, 40.0, 10.0]
    assert speed_up(durations, np.array([False, True, False]), 0.5).tolist() == [100.0, 80.0, 10.0]
    with pytest.raises(ValueError):
        speed_up(durations, np.ones(3, dtype=bool), 0)
    assert remove_cost(durations, {0: 30.0, 2: 25.0}).tolist() == [70.0, 40.0, 0.0]  # never below 0
    assert remove_cost(durations, np.array([30.0, 0.0, 4.0]), factor=2).tolist() == [85.0, 40.0, 8.0]
    assert remove_cost(durations, {}).tolist() == durations.tolist()


def test_what_if_on_a_graph_shortens_what_it_should():
    # two compiles feed a link; -j2: the longer compile then the link bound the build
    graph = make_graph(
        [cc("a.o", "a.cc"), cc("b.o", "b.cc"), ("link", ["app"], ["a.o", "b.o"], [], [], None)]
    )
    durations = np.array([60.0, 20.0, 5.0])
    wanted = np.ones(3, dtype=bool)
    assert simulate(graph, durations, wanted, 2).wall_ms == 65
    halved = speed_up(durations, match_edges(graph, "a.o"), 2)
    assert simulate(graph, halved, wanted, 2).wall_ms == 35
    assert simulate(graph, halved, wanted, 1).wall_ms == 55


def test_more_jobs_than_cores_share_the_cores():
    graph = make_graph([cc("a", "s"), cc("b", "s"), cc("c", "s"), cc("d", "a")])
    durations = [10, 10, 10, 6]
    # 3 commands on 2 cores: each at 2/3 speed, all done at 15; then d alone at full speed
    schedule = simulate(graph, np.array(durations, dtype=float), np.ones(4, dtype=bool), 3, cores=2)
    assert spans(schedule, [0, 1, 2, 3]) == [(0, 15), (0, 15), (0, 15), (15, 21)]
    assert schedule.cpu_ms == 36
    # jobs within the cores: the same as without a cap
    for jobs in (1, 2):
        capped = simulate(graph, np.array(durations, dtype=float), np.ones(4, dtype=bool), jobs, cores=2)
        assert capped.end_ms.tolist() == run(graph, durations, jobs).end_ms.tolist()
    # unlimited jobs on one core: the sum, with every command started at once
    one_core = simulate(graph, np.array(durations, dtype=float), np.ones(4, dtype=bool), 0, cores=1)
    assert one_core.wall_ms == pytest.approx(36) and (one_core.start_ms[:3] == 0).all()
    with pytest.raises(ValueError):
        simulate(graph, np.array(durations, dtype=float), np.ones(4, dtype=bool), 2, cores=0)


def test_ninja_1_12_order_starts_the_longest_chain_first():
    # -j1: 1.11 takes the lowest id; 1.12 the edge with the most steps on its chain to the targets
    graph = make_graph(
        [cc("lone", "s"), cc("a", "s"), cc("b", "a"), cc("c", "b"), cc("d", "s"), cc("e", "d")]
    )
    durations = [1, 1, 1, 1, 1, 1]
    first = run(graph, durations, 1).start_ms
    assert np.argsort(first, kind="stable").tolist() == [0, 1, 2, 3, 4, 5]
    newer = simulate(graph, np.ones(6), np.ones(6, dtype=bool), 1, order="1.12").start_ms
    # weights a 3, b 2, d 2, lone 1, c 1, e 1: a; then b (2, id 2) before d (2, id 4); then the
    # weight-1 edges by id: lone, c, e
    assert np.argsort(newer, kind="stable").tolist() == [1, 2, 4, 0, 3, 5]
    with pytest.raises(ValueError):
        simulate(graph, np.ones(6), np.ones(6, dtype=bool), 1, order="1.13")


def test_ninja_1_12_pools_release_by_priority_after_the_first_scheduling():
    # pool of depth 1: at the start both ready; 1.11 releases the lowest id, 1.12 the longer chain
    graph = make_graph([cc("x", "s", pool="p"), cc("y", "s", pool="p"), cc("z", "y")], pools=[("p", 1)])
    old = run(graph, [5, 5, 5], 4)
    assert spans(old, [0, 1, 2]) == [(0, 5), (5, 10), (10, 15)]
    new = simulate(graph, np.full(3, 5.0), np.ones(3, dtype=bool), 4, order="1.12")
    assert spans(new, [1, 0, 2]) == [(0, 5), (5, 10), (5, 10)]


def test_the_log_version_tells_the_ready_order():
    assert [ready_order(v) for v in (4, 5, 6, 7)] == ["1.11", "1.11", "1.12", "1.12"]


POOL_FIRST = [
    cc("x", pool="p"),
    cc("y", pool="p"),
    ("cat", ["zx"], ["x"], [], []),
    ("cat", ["zy"], ["y"], [], []),
]


def test_ninja_1_11_schedules_the_first_pool_edges_as_it_walks_from_the_targets():
    """`default zy zx`: ninja 1.11 reaches y first walking from the targets, so y takes the pool's
    one place although x has the lower id; 1.12 releases by priority (equal here), then id: x."""
    graph = make_graph(POOL_FIRST, defaults=["zy", "zx"], pools=[("p", 1)])
    durations = np.array([200.0, 200.0, 4.0, 4.0])
    old = simulate(graph, durations, np.ones(4, dtype=bool), 4)
    assert spans(old, [1, 3, 0, 2]) == [(0, 200), (200, 204), (200, 400), (400, 404)]
    new = simulate(graph, durations, np.ones(4, dtype=bool), 4, order="1.12")
    assert spans(new, [0, 2, 1, 3]) == [(0, 200), (200, 204), (200, 400), (400, 404)]
    # without defaults, ninja walks from the root nodes in edge order: zx, then zy
    graph = make_graph(POOL_FIRST, pools=[("p", 1)])
    assert simulate(graph, durations, np.ones(4, dtype=bool), 4).start_ms.tolist() == [0, 200, 200, 400]
