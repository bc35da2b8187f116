"""`buildprof why HEADER`: every way a header is included, who pays for it, what it includes."""

from __future__ import annotations

import pandas as pd

from buildprof.analysis.headers import (
    find_file,
    header_table,
    include_chains,
    included_by,
    includes_of,
    tus_paying_for,
)
from buildprof.analysis.trace_report import chain_record, ms
from buildprof.analysis.trace_set import TraceSet
from buildprof.errors import InputError
from buildprof.model.impact import RebuildImpact
from buildprof.model.trace_report import IncludedBy, IncludeRow, PayingTarget, PayingTu, WhySection


def why(
    ts: TraceSet, units: pd.DataFrame, query: str, top: int, rebuild: RebuildImpact | None = None
) -> WhySection:
    """Every way a file is included, who pays for it, and what it includes that is expensive.

    `query` is a full path, the end of one, or a unique file name; `units` the compile units of
    `ts` in the same order (for each TU's target). `rebuild`: what `.ninja_deps` says of the file;
    when no trace recorded it (every parse under clang's granularity), the section says so with
    zero trace numbers instead of an error.
    """
    if rebuild is not None and not find_file(ts, query):
        return _untraced(ts, rebuild)
    code = _the_file(ts, query)
    row = header_table(ts).loc[code]
    paying = tus_paying_for(ts, code)
    unit_of = units.reset_index(drop=True)
    tus = []
    for p in paying.head(top).itertuples():
        unit = unit_of.iloc[int(p.trace)]
        tus.append(
            PayingTu(
                trace=unit.trace,
                source=unit.source,
                target=unit.target,
                incl_ms=ms(p.incl_us),
                count=int(p.count),
            )
        )
    by_target = paying.assign(target=unit_of["target"].to_numpy()[paying["trace"].to_numpy()])
    targets = by_target.groupby("target").agg(tus=("trace", "size"), incl_us=("incl_us", "sum"))
    targets = targets.sort_values("incl_us", ascending=False, kind="stable").head(top)
    chains = include_chains(ts, code)
    return WhySection(
        file=ts.files[code],
        incl_ms=ms(row.incl_us),
        self_ms=ms(row.self_us),
        count=int(row["count"]),
        tus=int(row.tus),
        tus_total=ts.n_traces,
        direct=bool(row.direct),
        chains=[chain_record(c) for c in chains[:top]],
        chains_total=len(chains),
        included_by=[
            IncludedBy(file=r.includer, count=int(r.count), incl_ms=ms(r.incl_us))
            for r in included_by(ts, code).head(top).itertuples()
        ],
        paying_tus=tus,
        paying_targets=[
            PayingTarget(target=t, tus=int(r.tus), incl_ms=ms(r.incl_us)) for t, r in targets.iterrows()
        ],
        includes=[
            IncludeRow(file=r.file, count=int(r.count), incl_ms=ms(r.incl_us))
            for r in includes_of(ts, code).head(top).itertuples()
        ],
    )


def _untraced(ts: TraceSet, rebuild: RebuildImpact) -> WhySection:
    """The section of a header every TU parsed faster than clang's granularity: no trace numbers."""
    return WhySection(
        file=rebuild.file,
        incl_ms=0.0,
        self_ms=0.0,
        count=0,
        tus=0,
        tus_total=ts.n_traces,
        direct=False,
        chains=[],
        chains_total=0,
        included_by=[],
        paying_tus=[],
        paying_targets=[],
        includes=[],
    )


def _the_file(ts: TraceSet, query: str) -> int:
    """The code of the one file `query` names; InputError when none or several match."""
    codes = find_file(ts, query)
    if not codes:
        raise InputError(f"no included file matches {query!r} in the traces")
    if len(codes) > 1:
        exact = [c for c in codes if ts.files[c].rsplit("/", 1)[-1] == query.rsplit("/", 1)[-1]]
        codes = exact if len(exact) == 1 else codes
    if len(codes) > 1:
        names = ", ".join(ts.files[c] for c in codes[:5])
        more = f" and {len(codes) - 5} more" if len(codes) > 5 else ""
        raise InputError(f"{query!r} matches {len(codes)} files: {names}{more}; give more of the path")
    return codes[0]
