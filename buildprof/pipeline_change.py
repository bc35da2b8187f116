"""From builds (folders or recorded ones) to the documents that judge a change: `compare` and `ci`.

`ci` records the build first (the history is written before the verdict is known), finds its
baseline (find_baseline: the merge-base's recorded build, else the nearest recorded ancestor, else
the latest earlier build of the branch by commit time), judges it against the noise of the label's
history (buildprof.analysis.regression) and writes the artifacts.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from buildprof.errors import InputError
from buildprof.model.ci import Baseline, CiDocument
from buildprof.model.compare import CompareDocument
from buildprof.model.history import BuildCosts, RecordedBuild
from buildprof.pipeline import ReportOptions, read_costs
from buildprof.pipeline_history import DEFAULT_LABEL, generator, recorded_build

NOISE_HISTORY = 30  # earlier builds the noise is measured on
ANCESTORS_SEARCHED = 200
BASE_BRANCH_VARIABLES = ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")


def build_side(ref: str, history, label: str | None) -> tuple[BuildCosts, str]:
    """The costs `ref` names: a build folder, or a recorded build (`#ID`, a commit prefix, either with
    `@LABEL`, or `@LABEL` alone for its latest build); and how to name it."""
    if Path(ref).is_dir():
        return read_costs(ref).costs, ref
    if history is None:
        raise InputError(f"{ref!r} is not a build folder (and no history was opened to look it up)")
    name, _, at_label = ref.partition("@")
    label = at_label or label
    if not name:
        latest = history.builds(label=label, limit=1)
        if not latest:
            raise InputError(f"no recorded build with label {label!r}", history.location)
        found = latest[0]
    else:
        found = history.find(name, label)
    build = history.load(found.id)
    sha = build.commit.sha[:10] if build.commit.sha else "no commit"
    return build.costs, f"#{build.id} ({sha}, {build.label})"


def compare_document(base_ref: str, head_ref: str, db: str | None = None, label: str | None = None):
    """`compare BASE HEAD`: what moved between two builds, each a folder or a recorded build."""
    from buildprof.analysis.compare import compare_builds

    needs_history = not (Path(base_ref).is_dir() and Path(head_ref).is_dir())
    history = _open(db) if needs_history else None
    try:
        base, base_name = build_side(base_ref, history, label)
        head, head_name = build_side(head_ref, history, label)
    finally:
        if history is not None:
            history.close()
    comparison = compare_builds(
        msgspec.structs.replace(base, build_dir=base_name), msgspec.structs.replace(head, build_dir=head_name)
    )
    return CompareDocument(generator=generator(), build_dir=head_name, comparison=comparison)


def _open(db: str | None):
    from buildprof.history import open_history

    return open_history(db)


def find_baseline(history, head: RecordedBuild, base_branch: str | None) -> tuple[RecordedBuild | None, str]:
    """The recorded build `head` is judged against, and the rule that chose it, in words."""
    from buildprof.git import ancestors, merge_base

    commit, label = head.commit, head.label
    if commit.repository and commit.sha:
        start, back = commit.sha, ""
        fork = merge_base(commit.repository, commit.sha, base_branch) if base_branch else None
        if fork and fork != commit.sha:  # a branch off base_branch: judged against where it forked
            found = history.by_commits([fork], label)
            if found:
                return found[0], f"the merge-base with {base_branch}, {fork[:10]}"
            start, back = fork, f" of the merge-base with {base_branch}"
        chain = ancestors(commit.repository, start, ANCESTORS_SEARCHED)
        found = [b for b in history.by_commits(chain, label) if b.id != head.id] if chain else []
        if found:
            steps = chain.index(found[0].commit.sha) + 1
            return found[0], f"the nearest recorded ancestor{back}, {found[0].commit.sha[:10]} ({steps} back)"
    when = commit.commit_time or head.recorded_at
    for branch in dict.fromkeys(b for b in (commit.branch, base_branch) if b):
        found_on = history.latest_before(when, branch, label)
        if found_on is not None:
            return found_on, f"the latest earlier recorded build of branch {branch} by commit time"
    latest = history.latest_before(when, None, label)
    if latest is not None:
        return latest, "the latest earlier recorded build of this label by commit time"
    return None, f"none: the history holds no earlier build with label {label!r}"


def noise_history(history, baseline: RecordedBuild, head_id: int | None) -> list[BuildCosts]:
    """The label's builds up to the baseline (on its branch when it has one), oldest first: the noise.
    The store lists them newest commit first (by time, whatever their UTC offsets)."""
    rows = history.builds(label=baseline.label, branch=baseline.commit.branch)
    ids = [r.id for r in rows]
    start = ids.index(baseline.id) if baseline.id in ids else 0
    earlier = [r for r in rows[start:] if r.id != head_id][:NOISE_HISTORY]
    return [history.load(r.id).costs for r in reversed(earlier)]


def base_branch_of(given: str | None) -> str | None:
    """--base-branch, else the target branch a CI system names for a pull/merge request."""
    return given or next((os.environ[n] for n in BASE_BRANCH_VARIABLES if os.environ.get(n)), None)


def ci_document(
    build_dir: str,
    out_dir: str,
    db: str | None = None,
    label: str = DEFAULT_LABEL,
    overrides=None,
    repo: str | None = None,
    replace: bool = False,
    budgets_text: str | None = None,
    base_branch: str | None = None,
    options: ReportOptions | None = None,
) -> CiDocument:
    """`ci`: record the build, judge it against its baseline; the artifacts are written by the caller."""
    from buildprof.analysis.compare import compare_builds
    from buildprof.analysis.regression import DEFAULT_BUDGETS, judge, parse_budgets
    from buildprof.pipeline_history import history_row

    try:
        budgets = parse_budgets(budgets_text or DEFAULT_BUDGETS)
    except ValueError as exc:
        raise InputError(f"--fail-on: {exc}") from None
    build, read = recorded_build(build_dir, label, overrides, repo, options)
    with _open(db) as history:
        build.id = history.record(build, replace=replace)  # first: the history holds every CI build
        baseline, rule = find_baseline(history, build, base_branch_of(base_branch))
        if baseline is not None:
            baseline = history.load(baseline.id)
            earlier = noise_history(history, baseline, build.id)
        location = history.location
    doc = CiDocument(
        generator=generator(),
        build_dir=build.costs.build_dir,
        skipped_inputs=read.skipped_inputs,
        history=location,
        status="no-baseline",
        build=history_row(build),
        commit_note=build.commit.note,
        baseline=Baseline(build=history_row(baseline) if baseline else None, rule=rule),
        budgets=budgets.text,
        ninja_log=read.ninja_log,
        trace_input=read.trace_input,
    )
    if baseline is not None:
        doc.verdict = judge(baseline.costs, build.costs, earlier, budgets)
        doc.comparison = compare_builds(baseline.costs, build.costs)
        doc.noise_builds = len(earlier)
        doc.status = doc.verdict.status
    return doc
