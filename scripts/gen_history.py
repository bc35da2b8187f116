#!/usr/bin/env python3
"""Fill a history with N generated builds of M targets each, fast, for benchmarks (bench_history.py).

The history is opened (created, migrated) by buildprof itself; the rows are then written in bulk by
the database's fastest path (SQLite: executemany in large transactions; PostgreSQL: COPY), build
after build as `record` would, so the tables are laid out as a real history's are. The builds look
real: one label, four CI hosts, commits an hour or so apart with several UTC offsets, 90% on main;
target names like `engine_render_shadow_maps`, CPU times drawn per target (log-normal) with 3% noise
from build to build and a few lasting steps (regressions and fixes). Seeded: the same arguments give
the same history.

    python scripts/gen_history.py --db /tmp/bench.sqlite --builds 10000 --targets 2000
    python scripts/gen_history.py --db postgresql://user:pw@localhost/bench --builds 10000 --targets 2000
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from buildprof.history import open_history  # noqa: E402
from buildprof.history.schema import builds, names  # noqa: E402
from buildprof.history.text import name_key  # noqa: E402

LABEL = "clang19-release"
HOSTS = ("ci-1", "ci-2", "ci-3", "ci-4")
OFFSETS = ("+00:00", "-08:00", "+01:00", "+05:30")
WORDS = (
    "core",
    "engine",
    "render",
    "shadow",
    "maps",
    "text",
    "layout",
    "codec",
    "audio",
    "mixer",
    "net",
    "socket",
    "http",
    "json",
    "parse",
    "storage",
    "index",
    "query",
    "plan",
    "cache",
    "pool",
    "thread",
    "sched",
    "time",
    "zone",
    "crypto",
    "hash",
    "random",
    "stats",
    "graph",
    "node",
    "edge",
    "scene",
    "mesh",
    "physics",
    "collide",
    "solver",
    "ui",
    "widget",
    "input",
    "event",
    "log",
    "trace",
    "metrics",
    "flags",
)
COLUMNS = "name_id, build_id, position, steps, cpu_ms, weighted_ms, trace_ms"
CHUNK = 250  # builds per transaction


def target_names(count: int, rng: np.random.Generator) -> list[str]:
    """`count` distinct names of the shape `engine_render_shadow_maps` (a number added when needed)."""
    found: dict[str, None] = {}
    while len(found) < count:
        parts = rng.choice(WORDS, size=int(rng.integers(2, 5)), replace=False)
        name = "_".join(parts)
        found[name if name not in found else f"{name}_{len(found)}"] = None
    return list(found)


def build_rows(count: int, first_epoch: float, rng: np.random.Generator) -> list[dict]:
    """The `builds` rows: commit, time, host, totals (filled in from the targets later)."""
    rows = []
    epoch = first_epoch
    for n in range(count):
        epoch += float(rng.integers(1800, 7200))
        offset = OFFSETS[n % len(OFFSETS)]
        hours = (1 if offset[0] == "+" else -1) * (int(offset[1:3]) + int(offset[4:]) / 60)
        local = time.gmtime(epoch + hours * 3600)
        sha = f"{int(rng.integers(0, 2**63)):016x}{n:024x}"
        rows.append(
            {
                "commit_sha": sha,
                "commit_parents": json.dumps([]),
                "branch": "main" if rng.random() < 0.9 else f"feature-{n % 37}",
                "commit_time": time.strftime("%Y-%m-%dT%H:%M:%S", local) + offset,
                "commit_epoch": epoch,
                "subject": f"Change {n}: {' '.join(rng.choice(WORDS, 4))}",
                "dirty": False,
                "shallow": False,
                "repository": "/src/project",
                "commit_source": "git",
                "label": LABEL,
                "host": HOSTS[n % len(HOSTS)],
                "cores": 16,
                "system": "Linux-6.1.0-x86_64",
                "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(epoch + 1800)),
                "recorded_epoch": epoch + 1800,
                "generator": "buildprof 0.1.0 (gen_history.py)",
                "build_dir": "/src/project/build",
                "log_build": 0,
            }
        )
    return rows


def cost_matrix(n_builds: int, n_targets: int, rng: np.random.Generator) -> np.ndarray:
    """CPU ms per (build, target): a per-target base, 3% noise, and ~1% of targets stepping up or down."""
    base = rng.lognormal(mean=8.0, sigma=1.3, size=n_targets)  # median ~3 s, some minutes
    level = np.ones((n_builds, n_targets))
    for target in rng.choice(n_targets, size=max(1, n_targets // 100), replace=False):
        start = int(rng.integers(1, n_builds))
        level[start:, target] *= rng.choice([0.7, 1.25, 1.5])
    noise = rng.normal(1.0, 0.03, size=(n_builds, n_targets))
    return np.round(base * level * noise)


def generate(url: str, n_builds: int, n_targets: int, seed: int) -> None:
    """Add `n_builds` builds of `n_targets` targets to the history at `url`."""
    rng = np.random.default_rng(seed)
    names_list = target_names(n_targets, rng)
    costs = cost_matrix(n_builds, n_targets, rng)
    steps = rng.integers(1, 40, size=n_targets)
    rows = build_rows(n_builds, 1.7e9, rng)
    for row, cpu in zip(rows, costs, strict=True):
        row.update(wall_ms=float(cpu.sum() / 12), cpu_ms=float(cpu.sum()), steps=int(steps.sum()))
    with open_history(url) as history:
        engine = history.engine
        table = names["target"]
        with engine.begin() as conn:
            known = {
                bytes(k): i
                for k, i in conn.execute(table.select().with_only_columns(table.c.key, table.c.id))
            }
            fresh = [{"key": name_key(n), "name": n} for n in names_list if name_key(n) not in known]
            if fresh:
                conn.execute(table.insert(), fresh)
            ids = {
                bytes(k): i
                for k, i in conn.execute(table.select().with_only_columns(table.c.key, table.c.id))
            }
        name_ids = np.array([ids[name_key(n)] for n in names_list])
        started = time.perf_counter()
        for first in range(0, n_builds, CHUNK):
            with engine.begin() as conn:
                if conn.dialect.name == "sqlite":  # keep the tables' pages in memory: 1 GB of cache
                    conn.exec_driver_sql("PRAGMA cache_size = -1000000")
                build_ids = [
                    int(conn.execute(builds.insert().values(**row)).inserted_primary_key[0])
                    for row in rows[first : first + CHUNK]
                ]
                cost_rows = list(_cost_rows(build_ids, costs[first : first + CHUNK], name_ids, steps))
                _bulk_insert(conn, cost_rows)
            done = min(first + CHUNK, n_builds)
            rate = done * n_targets / (time.perf_counter() - started)
            print(f"\r{done}/{n_builds} builds, {rate:,.0f} target rows/s", end="", file=sys.stderr)
        print(file=sys.stderr)


def _cost_rows(build_ids: list[int], costs: np.ndarray, name_ids: np.ndarray, steps: np.ndarray):
    """(name_id, build_id, position, steps, cpu_ms, weighted_ms, trace_ms) per target of each build,
    build after build, positions by CPU time as BuildCosts orders them."""
    for build_id, cpu in zip(build_ids, costs, strict=True):
        order = np.argsort(-cpu, kind="stable")
        position = np.empty_like(order)
        position[order] = np.arange(len(order))
        weighted = np.round(cpu / 7.3, 3)
        trace = np.round(cpu * 0.94, 3)
        yield from zip(
            name_ids.tolist(),
            [build_id] * len(cpu),
            position.tolist(),
            steps.tolist(),
            cpu.tolist(),
            weighted.tolist(),
            trace.tolist(),
            strict=True,
        )


def _bulk_insert(conn, rows: list[tuple]) -> None:
    """Insert target cost rows by the driver's fastest path, inside the caller's transaction."""
    raw = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY target_costs ({COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        raw.executemany(f"INSERT INTO target_costs ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def main() -> int:
    """Parse the arguments, fill the history, say how long it took."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="history path or URL (created if missing)")
    parser.add_argument("--builds", type=int, default=10_000)
    parser.add_argument("--targets", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    generate(args.db, args.builds, args.targets, args.seed)
    print(f"{args.builds} builds x {args.targets} targets in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
