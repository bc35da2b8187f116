"""The history's read side on both backends: listings, finding a build, trends and baselines, in the
order of commit time (not of the text of the times, whose UTC offsets differ)."""

from __future__ import annotations

import pytest
from test_history_store import make_build, url  # noqa: F401 (url is a fixture)

from buildprof.errors import InputError, StoreError
from buildprof.history import open_history

# Three commits on main whose times, as text, sort the other way round from the times themselves.
C1 = ("1" * 40, "2026-01-01T23:00:00-08:00")  # 2026-01-02T07:00Z
C2 = ("2" * 40, "2026-01-02T09:00:00+01:00")  # 2026-01-02T08:00Z
C3 = ("3" * 40, "2026-01-02T09:30:00+00:00")  # 2026-01-02T09:30Z


@pytest.fixture()
def filled(url: str):  # noqa: F811
    """A history of five builds: three commits on main (C3 on two hosts), one on a branch, one without
    a commit; label "rel" (and one "asan")."""
    with open_history(url) as history:
        ids = {
            "c2": history.record(make_build(*C2[:1], "rel", commit_time=C2[1], targets={"core": 20.0})),
            "c1": history.record(
                make_build(*C1[:1], "rel", commit_time=C1[1], targets={"core": 10.0, "x": 1.0})
            ),
            "c3": history.record(
                make_build(*C3[:1], "rel", commit_time=C3[1], targets={"core": 30.0}, wall_ms=None)
            ),
            "c3b": history.record(
                make_build(*C3[:1], "rel", host="ci-2", commit_time=C3[1], recorded_at="2026-01-03T00:00:00Z")
            ),
            "nocommit": history.record(make_build(None, "rel", commit_time=None, branch=None)),
            "feature": history.record(
                make_build("4" * 40, "rel", branch="feature", commit_time="2026-01-02T08:30:00Z")
            ),
            "asan": history.record(make_build(*C1[:1], "asan", commit_time=C1[1])),
        }
        yield history, ids


def test_listing_is_newest_commit_first_and_filters(filled):
    history, ids = filled
    order = ["nocommit", "c3b", "c3", "feature", "c2", "c1"]
    assert [b.id for b in history.builds(label="rel")] == [ids[k] for k in order]
    assert [b.id for b in history.builds(label="rel", limit=2)] == [ids["nocommit"], ids["c3b"]]
    assert [b.id for b in history.builds(branch="feature")] == [ids["feature"]]
    assert [b.id for b in history.builds(label="rel", host="ci-2")] == [ids["c3b"]]
    assert len(history.builds()) == 7 and history.builds(label="none") == []
    listed = history.builds(label="rel", branch="main")[-1]
    assert listed.commit.sha == C1[0] and listed.costs.totals.cpu_ms == 11.0
    assert listed.costs.targets == []  # a listing carries totals only


def test_series_follow_commit_time_with_none_where_a_build_lacks_the_value(filled):
    history, ids = filled
    points = history.series("target:core", "rel", host="ci-1")
    assert [p.build_id for p in points] == [ids[k] for k in ("c1", "c2", "feature", "c3", "nocommit")]
    assert [p.value for p in points] == [10.0, 20.0, 700.0, 30.0, 700.0]
    assert points[0].commit == C1[0] and points[0].commit_time == C1[1]
    assert [p.value for p in history.series("target:x", "rel", host="ci-1")] == [1.0, None, None, None, None]
    assert [p.value for p in history.series("wall", "rel", host="ci-1")] == [
        1000.0,
        1000.0,
        1000.0,
        None,
        1000.0,
    ]
    assert [p.value for p in history.series("cpu", "asan")] == [1000.5]
    assert [p.value for p in history.series("header:none.h", "asan")] == [None]
    assert history.series("wall", "no such label") == []
    for wrong in ("walls", "target", "function:f", ""):
        with pytest.raises(InputError):
            history.series(wrong, "rel")


def test_find_takes_ids_and_commit_prefixes_and_refuses_ambiguity(filled):
    history, ids = filled
    assert history.find(f"#{ids['c1']}").id == ids["c1"]
    assert history.find("2222", label="rel").id == ids["c2"]
    assert history.find("2" * 40).id == ids["c2"]
    assert history.find("4444").commit.branch == "feature"
    assert history.find("3333", label="rel").id == ids["c3b"]  # two hosts: the newest recorded
    with pytest.raises(StoreError):
        history.find("1111")  # labels rel and asan: say which
    assert history.find("1111", label="asan").id == ids["asan"]
    with pytest.raises(StoreError):
        history.find("#999")
    with pytest.raises(StoreError):
        history.find("abcd")  # no such commit
    with pytest.raises(InputError):
        history.find("HEAD~1")


def test_find_refuses_a_prefix_of_two_commits_and_a_number_that_is_both(url: str):  # noqa: F811
    from buildprof.history.schema import builds

    with open_history(url) as history:
        first = history.record(make_build("abcd1" + "0" * 35, targets={}))
        history.record(make_build("abcd2" + "0" * 35))
        assert history.find("ABCD1").id == first
        with pytest.raises(StoreError):
            history.find("abcd")  # starts both commits
        with pytest.raises(InputError):
            history.find("abc")  # under 4 digits: not taken as a commit prefix
        number = history.record(make_build("1234" + "0" * 36))
        with history.engine.begin() as conn:  # make build #1234 exist too
            conn.execute(builds.update().where(builds.c.id == first).values(id=1234))
        with pytest.raises(StoreError):
            history.find("1234")  # build #1234, or commit 1234...?
        assert history.find("#1234").commit.sha == "abcd1" + "0" * 35
        assert history.find("12340").id == number


def test_latest_before_and_by_commits_give_baselines(filled):
    history, ids = filled
    before = history.latest_before("2026-01-02T09:00:00+00:00", "main", "rel")
    assert before is not None and before.id == ids["c2"]
    assert history.latest_before("2026-01-02T09:00:00+00:00", None, "rel").id == ids["feature"]
    assert history.latest_before("2026-01-02T09:31:00+00:00", "main", "rel", host="ci-2").id == ids["c3b"]
    assert history.latest_before("2020-01-01", "main", "rel") is None
    with pytest.raises(InputError):
        history.latest_before("yesterday", "main", "rel")
    found = history.by_commits([C3[0], "f" * 40, C1[0]], "rel")
    assert [b.id for b in found] == [ids["c3b"], ids["c3"], ids["c1"]]
    assert [b.id for b in history.by_commits([C3[0]], "rel", host="ci-1")] == [ids["c3"]]
    assert history.by_commits([], "rel") == []
