"""The critical path, slack and drag (analysis/critical_path.py) and the step-to-edge join
(analysis/step_graph.py): graphs with known answers, and the real abseil and fixture builds."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
from graph_helpers import make_graph, make_steps

from buildprof.analysis.critical_path import critical_path, path_times
from buildprof.analysis.step_graph import (
    default_targets,
    edge_deps,
    join_steps,
    needed_edges,
    output_edge,
    root_nodes,
    topological_levels,
)
from buildprof.errors import InputError


def cc(out, *ins, order=()):
    return ("cc", [out], list(ins), [], list(order))


def times_of(graph, durations):
    """EdgeTimes of a build where edge e ran for durations[e] ms (None: did not run), steps back to back."""
    rows, clock = [], 0
    for edge, duration in enumerate(durations):
        if duration is not None:
            rows.append((graph.outputs_of(edge)[0], clock, clock + duration))
            clock += duration
    steps = make_steps(rows)
    return join_steps(graph, steps), steps


def test_chain_is_the_whole_path_without_slack_and_drag_equal_to_duration():
    graph = make_graph([cc("a.o", "a.cc"), cc("b", "a.o"), cc("c", "b")])
    times, steps = times_of(graph, [10, 20, 30])
    path = critical_path(graph, times, steps)
    assert [s.output for s in path.steps] == ["a.o", "b", "c"]
    assert [s.start_ms for s in path.steps] == [0, 10, 30]
    assert [s.slack_ms for s in path.steps] == [0, 0, 0]
    assert [s.drag_ms for s in path.steps] == [10, 20, 30]  # nothing runs beside them
    assert path.length_ms == path.ideal_wall_ms == 60
    assert path.wall_ms == 60 and path.path_share == 1.0


def test_diamond_slack_and_drag():
    # s(5) -> x(10) -> j(1), s -> y(4) -> j: the path is s, x, j (16); y has 6 ms of slack
    graph = make_graph([cc("s", "src"), cc("x", "s"), cc("y", "s"), cc("j", "x", "y")])
    times, steps = times_of(graph, [5, 10, 4, 1])
    path = critical_path(graph, times, steps)
    assert [s.output for s in path.steps] == ["s", "x", "j"]
    assert path.length_ms == 16
    by_output = {s.output: s for s in path.steps}
    assert by_output["x"].drag_ms == 6  # x free: the build waits for y instead (5 + 4 + 1 = 10)
    assert by_output["s"].drag_ms == 5 and by_output["j"].drag_ms == 1
    assert (path.most_slack[0].output, path.most_slack[0].slack_ms) == ("y", 6)
    assert {r.output: r.slack_ms for r in path.least_slack} == {"s": 0, "x": 0, "j": 0, "y": 6}


def test_order_only_inputs_delay_the_start():
    graph = make_graph([cc("gen.h", "gen.py"), cc("a.o", "a.cc", order=["gen.h"])])
    times, steps = times_of(graph, [40, 10])
    path = critical_path(graph, times, steps)
    assert [s.output for s in path.steps] == ["gen.h", "a.o"] and path.length_ms == 50


def test_steps_not_run_count_zero_and_phony_edges_are_free_and_left_out():
    graph = make_graph(
        [
            cc("a.o", "a.cc"),
            cc("b.o", "b.cc"),
            ("phony", ["objs"], ["a.o", "b.o"], [], []),
            ("link", ["app"], ["objs"], [], []),
        ]
    )
    times, steps = times_of(graph, [None, 7, None, 3])  # a.o up to date: cost 0
    assert times.ran.tolist() == [False, True, False, True]
    assert times.duration_ms.tolist() == [0, 7, 0, 3]
    path = critical_path(graph, times, steps)
    assert [s.output for s in path.steps] == ["b.o", "app"]  # the phony edge is walked, not listed
    assert path.length_ms == 10


def test_only_edges_the_defaults_need_count():
    graph = make_graph([cc("a", "src"), cc("slow_test", "a"), cc("b", "a")], defaults=["b"])
    times, steps = times_of(graph, [1, None, 2])
    assert times.needed.tolist() == [True, False, True] and times.ran_outside == 0
    assert critical_path(graph, times, steps).length_ms == 3
    # a build of other targets (`ninja slow_test b`): what ran counts, with what it waits for
    times, steps = times_of(graph, [1, 100, 2])
    assert times.needed.tolist() == [True, True, True] and times.ran_outside == 1
    assert critical_path(graph, times, steps).length_ms == 101
    # without a default, ninja builds the root nodes: outputs nothing reads
    graph = make_graph([cc("a", "src"), cc("slow_test", "a"), cc("b", "a")])
    assert [graph.paths[n] for n in default_targets(graph)] == ["slow_test", "b"]
    assert needed_edges(graph).all()


def test_root_nodes_follow_edge_order_and_ignore_read_outputs():
    graph = make_graph([("gen", ["x.h", "x.cc"], ["x.in"], [], []), cc("x.o", "x.cc"), cc("y.o", "y.cc")])
    assert [graph.paths[n] for n in root_nodes(graph)] == ["x.h", "x.o", "y.o"]


def test_join_maps_absolute_and_other_outputs_and_reports_unmatched():
    graph = make_graph(
        [
            ("gen", ["gen/op.h", "gen/op.cc", "/build/dir/gen/op.h"], ["op.def"], [], []),
            cc("a.o", "a.cc"),
        ]
    )
    assert output_edge(graph, "/build/dir/gen/op.h") == 0
    assert output_edge(graph, "/moved/elsewhere/gen/op.cc") == 0  # trailing parts of a moved folder
    assert output_edge(graph, "nothing.o") == -1
    steps = make_steps([("/elsewhere/op.cc.x", 0, 5), ("a.o", 5, 9), ("stale.o", 9, 10)])
    lines = pd.DataFrame(
        {
            "line": [2, 3, 4, 5],
            "start_ms": [0, 0, 5, 9],
            "end_ms": [5, 5, 9, 10],
            "mtime": [0, 0, 0, 0],
            "output": ["/elsewhere/op.cc.x", "gen/op.cc", "a.o", "stale.o"],
            "cmdhash": np.array([1, 1, 2, 3], dtype=np.uint64),
        }
    )
    times = join_steps(graph, steps, lines)
    assert times.edge_of_step.tolist() == [0, 1, -1]
    assert times.unmatched == ["stale.o"]
    assert times.duration_ms.tolist() == [5, 4] and times.wall_ms == 10
    assert join_steps(graph, steps).edge_of_step.tolist() == [-1, 1, -1]  # no lines: first output only


def test_a_cycle_is_an_input_error_naming_the_manifest():
    graph = make_graph([cc("a", "b"), cc("b", "a")], manifest="/x/build.ninja")
    with pytest.raises(InputError) as caught:
        topological_levels(graph, edge_deps(graph), np.ones(2, dtype=bool))
    assert caught.value.path == "/x/build.ninja"


def test_drag_is_what_the_ideal_build_loses_on_random_graphs():
    """ninjago's drag (duration capped by the least slack of parallel steps) equals recomputing
    the longest path with the step free, on random DAGs with positive durations."""
    for seed in range(150):
        rnd = random.Random(seed)
        n = rnd.randint(3, 14)
        statements = [
            cc(f"o{i}", *[f"o{j}" for j in range(i) if rnd.random() < 0.3], "src") for i in range(n)
        ]
        graph = make_graph(statements)
        durations = np.array([rnd.randint(1, 20) for _ in range(n)], dtype=float)
        mask = needed_edges(graph)
        result = path_times(graph, durations, mask)
        assert result.length_ms == max(result.earliest_finish)
        assert (result.slack[result.path] == 0).all()
        assert result.drag[np.setdiff1d(np.arange(n), result.path)].sum() == 0
        for edge in result.path:
            free = durations.copy()
            free[edge] = 0
            assert result.drag[edge] == result.length_ms - path_times(graph, free, mask).length_ms, seed


def test_validations_of_needed_edges_are_needed_too():
    graph = make_graph([cc("a", "src"), cc("lint", "src"), cc("b", "a"), cc("never", "src")], defaults=["b"])
    graph.validations = {0: [graph.node_of["lint"]]}
    assert needed_edges(graph).tolist() == [True, True, True, False]
