#!/usr/bin/env python3
"""Time the history's queries on a large history (made by scripts/gen_history.py): a per-target trend,
the per-build listing, loading one build, recording and replacing one, and the database's size.

Each query runs once in a fresh connection pool ("first") and then `--repeat` times ("median"); each
line says how many rows it gave. Recording adds builds of `--targets` targets, named like the
history's own, and the script deletes them at the end, so the history is left as it was.

    python scripts/bench_history.py --db /tmp/bench.sqlite
    python scripts/bench_history.py --db postgresql://user:pw@localhost/bench
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from buildprof.history import open_history  # noqa: E402
from buildprof.history.engine import run_transaction  # noqa: E402
from buildprof.history.store import History, delete_build  # noqa: E402
from buildprof.model.history import RecordedBuild  # noqa: E402


def timed(work: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """(first time, median of `repeat` more, the first result), in seconds."""
    started = time.perf_counter()
    result = work()
    first = time.perf_counter() - started
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return first, statistics.median(times) if times else first, result


def size_of(history: History, url: str) -> int:
    """Bytes the history takes: the SQLite file and its WAL, or PostgreSQL's tables with indexes."""
    if history.backend == "sqlite":
        return sum(os.path.getsize(p) for p in (url, f"{url}-wal") if os.path.exists(p))
    with history.engine.connect() as conn:
        query = "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c WHERE c.relkind = 'r' "
        query += "AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
        return int(conn.exec_driver_sql(query).scalar() or 0)


def fresh_build(model: RecordedBuild, n: int) -> RecordedBuild:
    """A new build like `model` (same label, host and targets, values nudged), with its own commit."""
    import msgspec

    commit = msgspec.structs.replace(model.commit, sha=f"{n:08x}" + "be" * 16)
    targets = [msgspec.structs.replace(t, cpu_ms=t.cpu_ms + n) for t in model.costs.targets]
    costs = msgspec.structs.replace(model.costs, targets=targets)
    return msgspec.structs.replace(model, id=None, commit=commit, costs=costs)


def bench(url: str, repeat: int, records: int) -> list[tuple[str, int, float, float, str]]:
    """The rows of the report: (what, rows, first s, median s, note)."""
    lines = []
    with open_history(url) as history:
        newest = history.builds(limit=1)
        if not newest:
            sys.exit(f"bench_history: {url} holds no build: fill it with scripts/gen_history.py")
        label = newest[0].label
        model = history.load(newest[0].id or 0)
        target = model.costs.targets[len(model.costs.targets) // 2].name
        first, median, points = timed(lambda: history.series(f"target:{target}", label), repeat)
        lines.append((f"trend of one target (`target:{target}`)", len(points), first, median, ""))  # type: ignore[arg-type]
        first, median, points = timed(lambda: history.series("wall", label), repeat)
        lines.append(("trend of a total (`wall`)", len(points), first, median, ""))  # type: ignore[arg-type]
        first, median, rows = timed(lambda: history.builds(label=label, limit=50), repeat)
        lines.append(("listing, newest 50 builds", len(rows), first, median, ""))  # type: ignore[arg-type]
        first, median, rows = timed(lambda: history.builds(label=label), repeat)
        lines.append(("listing, every build", len(rows), first, median, ""))  # type: ignore[arg-type]
        first, median, loaded = timed(lambda: history.load(model.id or 0), repeat)
        lines.append(("load one build", len(loaded.costs.targets), first, median, ""))  # type: ignore[attr-defined]
        new_ids, times = [], []
        for n in range(records):
            build = fresh_build(model, n)
            started = time.perf_counter()
            new_ids.append(history.record(build))
            times.append(time.perf_counter() - started)
        n_targets = len(model.costs.targets)
        rate = (
            f"{1 / statistics.median(times):.1f} builds/s, {n_targets / statistics.median(times):,.0f} rows/s"
        )
        lines.append(("record one build", n_targets, times[0], statistics.median(times), rate))
        started = time.perf_counter()
        new_ids[-1] = history.record(fresh_build(model, records - 1), replace=True)
        lines.append(("record one build, replacing one", n_targets, time.perf_counter() - started, 0.0, ""))
        for build_id in new_ids:
            run_transaction(
                history.engine, history.location, lambda c, i=build_id: delete_build(c, i), write=True
            )
        lines.append(
            ("database size", len(history.builds()), 0.0, 0.0, f"{size_of(history, url) / 1e6:,.0f} MB")
        )
    return lines


def main() -> int:
    """Parse the arguments and print the machine and a Markdown table of the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a history filled by scripts/gen_history.py")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--records", type=int, default=10, help="builds recorded (then deleted)")
    args = parser.parse_args()
    print(
        f"{platform.node()}: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    print("| what | rows | first | median |  |\n| --- | ---: | ---: | ---: | --- |")
    for what, rows, first, median, note in bench(args.db, args.repeat, args.records):
        times = [f"{t * 1000:,.1f} ms" if t else "" for t in (first, median)]
        print(f"| {what} | {rows:,} | {times[0]} | {times[1]} | {note} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
