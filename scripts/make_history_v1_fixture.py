#!/usr/bin/env python3
"""Make fixtures/history/v1.sqlite: a history at schema version 1, for the test that upgrades one.

It records the six real abseil-cpp builds of ../shared/data/abseil-history (clang 19, one per commit,
oldest first) and one build whose names are hostile (non-UTF-8 file names, NUL, lone surrogates, a
5 kB template name, no commit), through History.record with only migration 1 applied. Beside it,
v1-builds.json.gz holds those builds as recorded (ids included): what the upgraded history must give
back. The database is compacted and left in rollback-journal mode, so it is one small file.

    python scripts/make_history_v1_fixture.py [--data ../shared/data/abseil-history] [--out fixtures/history]

The committed fixture was made at the commit that added migration 1 (b9c18bb); later code makes the
same file as long as `record` can still write a schema-1 history.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from buildprof.history import migrations, open_history  # noqa: E402
from buildprof.jsonio import encode_json  # noqa: E402
from buildprof.model.history import (  # noqa: E402
    BuildCosts,
    BuildTotals,
    CommitInfo,
    HeaderCost,
    MachineInfo,
    RecordedBuild,
    TargetCost,
    TemplateCost,
)
from buildprof.pipeline import ReportOptions, build_costs_of  # noqa: E402

LABEL = "clang19-relwithdebinfo"
MACHINE = MachineInfo(host="abseil-capture", cores=2, system="Linux-x86_64 (Debian 12)")
BUILD_DIR = "/src/abseil-cpp/build"  # where the captures were built (shared/data/README.md)
HOSTILE = [
    "/src/bad\udcff\udcfe/name.h",
    "\udcc3\udca9",
    "lone \ud800",
    "nul\x00inside",
    "\uffff" + '"marker"',
    "caf\u00e9 \U0001f600",
    "std::vector<" * 400 + "$" + ">" * 400,
]


def abseil_build(folder: Path, number: int, work: Path) -> RecordedBuild:
    """The recorded build of one commit folder (commit.json, ninja_log, traces.tar.zst)."""
    commit = json.loads((folder / "commit.json").read_text())
    build_dir = work / folder.name
    build_dir.mkdir()
    shutil.copyfile(folder / "ninja_log", build_dir / ".ninja_log")
    unpack = subprocess.run(
        f"zstd -dc '{folder / 'traces.tar.zst'}' | tar -xf - -C '{build_dir}'", shell=True, check=False
    )
    if unpack.returncode != 0:
        sys.exit(f"make_history_v1_fixture: cannot unpack {folder / 'traces.tar.zst'} (needs zstd and tar)")
    costs = build_costs_of(str(build_dir), ReportOptions(use_cache=False))
    costs.build_dir = BUILD_DIR
    return RecordedBuild(
        commit=CommitInfo(
            sha=commit["commit"],
            branch="master",
            commit_time=commit["commit_date"],
            subject=commit["subject"],
            dirty=False,
            repository="/src/abseil-cpp",
            source="given",
        ),
        label=LABEL,
        machine=MACHINE,
        recorded_at=f"2026-09-01T10:0{number}:00+00:00",
        generator="buildprof 0.1.0",
        costs=costs,
    )


def hostile_build() -> RecordedBuild:
    """A build without a commit whose every name is one a careless store would lose."""
    return RecordedBuild(
        commit=CommitInfo(subject=HOSTILE[0], note="not a checkout"),
        label=LABEL,
        machine=MACHINE,
        recorded_at="2026-09-01T11:00:00+00:00",
        generator="buildprof 0.1.0",
        costs=BuildCosts(
            build_dir=HOSTILE[0],
            totals=BuildTotals(tus=len(HOSTILE), trace_ms=12.5),
            targets=[
                TargetCost(name=n, steps=0, cpu_ms=0.0, weighted_ms=0.0, trace_ms=i)
                for i, n in enumerate(HOSTILE)
            ],
            headers=[
                HeaderCost(path=n, incl_ms=i + 0.5, self_ms=0.25, count=i, tus=1)
                for i, n in enumerate(HOSTILE)
            ],
            templates=[TemplateCost(name=n, incl_ms=i, count=1, tus=1) for i, n in enumerate(HOSTILE)],
        ),
    )


def make_fixture(data: Path, out: Path) -> tuple[Path, Path]:
    """Write `out`/v1.sqlite and `out`/v1-builds.json.gz; their paths."""
    folders = sorted(p for p in data.iterdir() if (p / "commit.json").is_file())
    if len(folders) != 6:
        sys.exit(f"make_history_v1_fixture: expected the six abseil builds in {data}, found {len(folders)}")
    out.mkdir(parents=True, exist_ok=True)
    database, expected = out / "v1.sqlite", out / "v1-builds.json.gz"
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        path.unlink(missing_ok=True)
    migrations.MIGRATIONS = migrations.MIGRATIONS[:1]  # the history as migration 1 made it
    recorded = []
    with tempfile.TemporaryDirectory() as work, open_history(str(database)) as history:
        builds = [abseil_build(folder, n, Path(work)) for n, folder in enumerate(folders, start=1)]
        for build in [*builds, hostile_build()]:
            build.id = history.record(build)
            recorded.append(build)
            print(
                f"#{build.id} {build.commit.sha or '(no commit)'}: {len(build.costs.targets)} targets, "
                f"{len(build.costs.headers)} headers, {len(build.costs.templates)} template sets"
            )
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    with sqlite3.connect(database, isolation_level=None) as conn:
        conn.execute("VACUUM")
    with gzip.GzipFile(expected, "wb", mtime=0) as stream:
        stream.write(encode_json(recorded, indent=1))
    return database, expected


def main() -> int:
    """Parse the arguments, make the fixture, print the sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "abseil-history")
    parser.add_argument("--out", type=Path, default=REPO / "fixtures" / "history")
    args = parser.parse_args()
    database, expected = make_fixture(args.data, args.out)
    for path in (database, expected):
        print(f"{path}: {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
