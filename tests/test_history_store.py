"""The history store on SQLite and PostgreSQL: a recorded build comes back equal field by field, names
of any kind round-trip, duplicates are refused or replaced, and nothing half-written is ever kept.

Also the helpers the other history tests import: `store_url` (a fresh SQLite file or PostgreSQL schema),
`make_build` (a small build) and `capture_build` (a real build of fixtures/captures).

PostgreSQL cases need a server: `BUILDPROF_TEST_PG_URL=postgresql://user:password@host/db` (a role that
may create schemas in that database). Without it they are skipped, saying why, unless
`BUILDPROF_REQUIRE_PG=1` (CI), which makes them fail instead.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec
import pytest

from buildprof.errors import DuplicateBuildError, InputError, StoreError
from buildprof.history import open_history
from buildprof.history.text import MARK
from buildprof.model.history import (
    BuildCosts,
    BuildTotals,
    CommitInfo,
    HeaderCost,
    MachineInfo,
    RecordedBuild,
    TargetCost,
    TemplateCost,
)
from buildprof.pipeline import ReportOptions, build_costs_of

REPO = Path(__file__).resolve().parents[1]
PG_ENV, REQUIRE_PG_ENV = "BUILDPROF_TEST_PG_URL", "BUILDPROF_REQUIRE_PG"
BACKENDS = ["sqlite", "postgresql"]
HOSTILE = [
    "plain",
    "caf\u00e9 \U0001f600 \u05e9\u05dc\u05d5\u05dd",  # accents, emoji, right-to-left
    "/src/bad\udcff\udcfe/name.h",  # a non-UTF-8 file name read with surrogateescape
    "\udcc3\udca9",  # escaped bytes that would decode as UTF-8 "é": must not become "é"
    "lone \ud800 high surrogate",
    "nul\x00inside",
    MARK + '"looks escaped"',  # starts with the escape marker itself
    "back\\slash \\udcff and \\u0000",  # text that looks like an escape
    "\u202eoverride\u2066",
    "",
    "std::vector<" * 400 + "$" + ">" * 400,  # 5 kB: over PostgreSQL's btree entry limit
]


def pg_server_url() -> str:
    """The PostgreSQL server of the tests; skips (or, with BUILDPROF_REQUIRE_PG=1, fails) without one."""
    url = os.environ.get(PG_ENV)
    if not url:
        why = f"PostgreSQL tests need {PG_ENV}=postgresql://user:password@host/db"
        if os.environ.get(REQUIRE_PG_ENV) == "1":
            pytest.fail(f"{REQUIRE_PG_ENV}=1 but {PG_ENV} is not set ({why})")
        pytest.skip(why)
    return url


@contextmanager
def pg_schema_url() -> Iterator[str]:
    """A URL of a fresh, empty schema in the test server's database (dropped afterwards)."""
    from sqlalchemy import create_engine

    base = pg_server_url()
    schema = f"bp_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()


@contextmanager
def store_url(backend: str, folder: Path) -> Iterator[str]:
    """Where a fresh, empty history of `backend` is: an SQLite file in `folder`, or a PostgreSQL schema."""
    if backend == "postgresql":
        with pg_schema_url() as url:
            yield url
    else:
        yield str(folder / "history.sqlite")


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh history's location, once per backend."""
    with store_url(request.param, tmp_path) as location:
        yield location


def make_build(
    sha: str | None = "a" * 40,
    label: str = "default",
    host: str = "ci-1",
    commit_time: str | None = "2026-01-01T12:00:00+00:00",
    recorded_at: str = "2026-01-02T00:00:00+00:00",
    branch: str | None = "main",
    targets: dict[str, float] | None = None,
    wall_ms: float | None = 1000.0,
) -> RecordedBuild:
    """A small build: `targets` maps target names to CPU ms (two targets by default)."""
    targets = {"core": 700.0, "app": 300.5} if targets is None else targets
    return RecordedBuild(
        commit=CommitInfo(sha=sha, branch=branch, commit_time=commit_time, source="given"),
        label=label,
        machine=MachineInfo(host=host, cores=8, system="Linux-6.1.0-x86_64"),
        recorded_at=recorded_at,
        generator="buildprof 0.1.0",
        costs=BuildCosts(
            build_dir="/work/build",
            log_build=0,
            totals=BuildTotals(wall_ms=wall_ms, cpu_ms=sum(targets.values()), steps=len(targets)),
            targets=[TargetCost(name=n, steps=1, cpu_ms=ms, weighted_ms=ms / 2) for n, ms in targets.items()],
        ),
    )


def capture_build(name: str, sha: str, label: str = "clang", host: str = "ci-1") -> RecordedBuild:
    """A real build: the costs of fixtures/captures/`name` (its last build, its traces)."""
    costs = build_costs_of(str(REPO / "fixtures" / "captures" / name), ReportOptions(use_cache=False))
    return RecordedBuild(
        commit=CommitInfo(
            sha=sha,
            parents=("0" * 40,),
            branch="main",
            commit_time="2026-03-01T10:00:00-08:00",
            subject="a real capture",
            dirty=False,
            shallow=False,
            repository="/src/sample",
            source="git",
        ),
        label=label,
        machine=MachineInfo(host=host, cores=2, system="Linux-6.1.0-x86_64"),
        recorded_at="2026-03-01T18:30:00+00:00",
        generator="buildprof 0.1.0",
        costs=costs,
    )


def stored(build: RecordedBuild, build_id: int) -> RecordedBuild:
    """`build` as the history gives it back: the same, with its id."""
    return msgspec.structs.replace(build, id=build_id)


# ---- round trips


@pytest.mark.parametrize("capture", ["clang19-ninja1.11", "clang14-ninja1.13"])
def test_a_real_build_comes_back_equal_field_by_field(url: str, capture: str):
    build = capture_build(capture, "1" * 40)
    with open_history(url) as history:
        build_id = history.record(build)
        loaded = history.load(build_id)
    assert loaded.id == build_id
    assert loaded.commit == build.commit and loaded.machine == build.machine
    assert (loaded.label, loaded.recorded_at, loaded.generator) == (
        build.label,
        build.recorded_at,
        build.generator,
    )
    assert loaded.costs.totals == build.costs.totals
    assert loaded.costs.targets == build.costs.targets and len(loaded.costs.targets) == len(
        build.costs.targets
    )
    assert loaded.costs.headers == build.costs.headers and len(loaded.costs.headers) > 100
    assert loaded.costs.templates == build.costs.templates and len(loaded.costs.templates) == 500
    assert loaded == stored(build, build_id)


def test_every_kind_of_name_round_trips_exactly(url: str):
    build = make_build(targets={})
    build.label = "l\udcff"
    build.machine = MachineInfo(host="h\x00st", cores=1, system=HOSTILE[1])
    build.commit = msgspec.structs.replace(
        build.commit, subject=HOSTILE[2], branch=HOSTILE[6], parents=("\ud800",)
    )
    build.costs.build_dir = HOSTILE[2]
    build.costs.targets = [
        TargetCost(name=n, steps=i, cpu_ms=i + 0.25, weighted_ms=0.125) for i, n in enumerate(HOSTILE)
    ]
    build.costs.headers = [
        HeaderCost(path=n, incl_ms=i, self_ms=0.5, count=i, tus=1) for i, n in enumerate(HOSTILE)
    ]
    build.costs.templates = [TemplateCost(name=n, incl_ms=1.5, count=i, tus=2) for i, n in enumerate(HOSTILE)]
    with open_history(url) as history:
        build_id = history.record(build)
        loaded = history.load(build_id)
        assert [t.name for t in loaded.costs.targets] == HOSTILE
        assert loaded == stored(build, build_id)
        for i, name in enumerate(HOSTILE):
            points = history.series(f"header:{name}", label="l\udcff")
            assert [p.value for p in points] == [float(i)]


def test_plain_names_are_stored_readable_and_hostile_ones_escaped(tmp_path: Path):
    with open_history(str(tmp_path / "h.sqlite")) as history:
        history.record(make_build(targets={"absl_strings": 1.0, "bad\udcff": 2.0}))
    with sqlite3.connect(tmp_path / "h.sqlite") as conn:
        stored_names = sorted(n for (n,) in conn.execute("SELECT name FROM target_names"))
    assert stored_names == ["absl_strings", MARK + '"bad\\udcff"']


# ---- duplicates, replacing, refusing


def test_the_same_commit_label_and_host_is_refused_and_the_store_is_unchanged(url: str):
    with open_history(url) as history:
        first = history.record(make_build())
        with pytest.raises(DuplicateBuildError) as refused:
            history.record(make_build(targets={"other": 1.0}))
        assert refused.value.existing_id == first
        assert [b.id for b in history.builds()] == [first]
        assert history.load(first) == stored(make_build(), first)
        assert history.exists(make_build()) and not history.exists(make_build(label="other"))
        # another label, another host, or no commit at all: not duplicates
        ids = [history.record(make_build(label="asan")), history.record(make_build(host="ci-2"))]
        ids += [history.record(make_build(sha=None)), history.record(make_build(sha=None))]
        assert len(set(ids)) == 4 and len(history.builds()) == 5


def test_replace_deletes_the_old_build_in_the_same_transaction(url: str):
    with open_history(url) as history:
        old = history.record(make_build(targets={"core": 1.0, "gone": 2.0}))
        new = history.record(make_build(targets={"core": 3.0}), replace=True)
        assert new > old  # ids are never reused
        assert [b.id for b in history.builds()] == [new]
        assert [t.cpu_ms for t in history.load(new).costs.targets] == [3.0]
        with pytest.raises(StoreError):
            history.load(old)
        assert [p.value for p in history.series("target:gone", "default")] == [None]


def test_a_build_listing_a_name_twice_is_refused_before_anything_is_stored(url: str):
    build = make_build()
    build.costs.targets.append(build.costs.targets[0])
    with open_history(url) as history:
        with pytest.raises(InputError):
            history.record(build)
        assert history.builds() == []


def test_a_label_too_long_for_a_unique_key_is_refused(url: str):
    with open_history(url) as history:
        with pytest.raises(InputError):
            history.record(make_build(label="x" * 601))
        assert history.record(make_build(label="x" * 600)) > 0
