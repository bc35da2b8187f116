#!/usr/bin/env python3
"""Measure the noise of real series, to choose and check the regression defaults (docs/regressions.md).

Reads every captured run of ``fixtures/series`` (and, when ``../shared/data/abseil-history`` is there,
the six real abseil builds), judges each build against the one before with the default budgets, and
prints per pair: the raw change of the CPU time, the speed factor, what is left of CPU, wall and
traced time once the speed factor is taken out, and the share of the top header or template set.
Then, over the pairs of identical code: the robust sd and the extremes that the defaults must cover.

    python scripts/capture_series_noise.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from capture_series import STEPS  # noqa: E402

from buildprof.analysis.regression import judge  # noqa: E402
from buildprof.model.history import BuildCosts  # noqa: E402
from buildprof.pipeline import ReportOptions, build_costs_of  # noqa: E402

SERIES = REPO / "fixtures" / "series"
ABSEIL = REPO.parent / "shared" / "data" / "abseil-history"
SAME_CODE = {step.name for step in STEPS if step.edit is None}


def _costs(folder: Path) -> BuildCosts:
    return build_costs_of(str(folder), ReportOptions(use_cache=False))


def runs(work: Path) -> list[tuple[str, list[str], list[BuildCosts]]]:
    """Every series: its name, its builds' names and costs."""
    found = []
    for run in sorted(p for p in SERIES.iterdir() if (p / "series.json").is_file()):
        names, costs = [], []
        for build in json.loads((run / "series.json").read_text())["builds"]:
            folder = work / run.name / build["name"]
            folder.mkdir(parents=True)
            with tarfile.open(run / build["archive"]) as tar:
                tar.extractall(folder, filter="data")
            names.append(build["name"])
            costs.append(_costs(folder))
        found.append((run.name, names, costs))
    if ABSEIL.is_dir() and shutil.which("zstd"):
        names, costs = [], []
        for build in sorted(ABSEIL.iterdir()):
            folder = work / "abseil" / build.name
            folder.mkdir(parents=True)
            shutil.copyfile(build / "ninja_log", folder / ".ninja_log")
            with subprocess.Popen(
                ["zstd", "-dc", str(build / "traces.tar.zst")], stdout=subprocess.PIPE
            ) as z:
                subprocess.run(["tar", "-xf", "-", "-C", str(folder)], stdin=z.stdout, check=True)
            names.append(build.name)
            costs.append(_costs(folder))
        found.append(("abseil", names, costs))
    return found


def _robust_sd(values: list[float]) -> float:
    array = np.asarray(values)
    return float(1.4826 * np.median(np.abs(array - np.median(array))))


def main() -> int:
    same: dict[str, list[float]] = {"raw cpu": [], "cpu": [], "wall": [], "trace": [], "share": []}
    changed_shares: list[tuple[float, str]] = []
    print(
        "| series | build | verdict | cpu as measured | speed | cpu beyond | wall beyond | top share | top |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory(prefix="buildprof-noise-") as tmp:
        for run, names, costs in runs(Path(tmp)):
            for i in range(1, len(costs)):
                base, head = costs[i - 1], costs[i]
                verdict = judge(base, head, costs[:i])
                factor = verdict.shape.speed_factor or 1.0
                beyond = {m: getattr(head.totals, f"{m}_ms") / (factor * getattr(base.totals, f"{m}_ms")) - 1
                          for m in ("cpu", "wall", "trace")}  # fmt: skip
                raw = head.totals.cpu_ms / base.totals.cpu_ms - 1
                share = verdict.shape.concentrated_share or 0.0
                top = verdict.shape.top
                top_name = (
                    f"{top.kind} {Path(top.name).name if top.kind == 'header' else top.name[:40]}"
                    if top
                    else ""
                )
                print(
                    f"| {run} | {names[i]} | {verdict.status} | {raw:+.1%} | {factor:.3f} "
                    f"| {beyond['cpu']:+.1%} | {beyond['wall']:+.1%} | {share:.1%} | {top_name} |"
                )
                if run != "abseil" and names[i] in SAME_CODE:
                    same["raw cpu"].append(raw)
                    same["share"].append(share)
                    for m in ("cpu", "wall", "trace"):
                        same[m].append(beyond[m])
                elif run != "abseil" and verdict.status == "regressed":
                    changed_shares.append((share, f"{run}/{names[i]}"))
    print(f"\nsame-code pairs of the sample series: {len(same['cpu'])}")
    for key, values in same.items():
        print(
            f"  {key:8}: robust sd {_robust_sd(values):.3f}, min {min(values):+.3f}, max {max(values):+.3f}, "
            f"max |x| {max(abs(v) for v in values):.3f}"
        )
    for share, name in sorted(changed_shares):
        print(f"  regression {name}: top share {share:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
