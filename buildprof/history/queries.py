"""The read queries of the history: listings, finding a build by commit or id, trends, baselines.

Builds are ordered by commit time, then by when they were recorded, then by id; builds whose commit
time is unknown come after the dated ones (a trend runs oldest first, a listing is the reverse).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, Select, and_, select

from buildprof.errors import InputError, StoreError
from buildprof.history.codec import build_of_row, epoch_of
from buildprof.history.schema import builds, costs, names
from buildprof.history.text import name_key
from buildprof.model.history import RecordedBuild, TrendPoint

TOTAL_METRICS = ("wall", "busy", "cpu", "compile", "link", "trace", "frontend", "backend", "parse")
NAMED_METRICS = {"target": "cpu_ms", "header": "incl_ms", "template": "incl_ms"}  # kind -> value column
_LISTED = [c for c in builds.c]  # every column of builds: a listing is cheap (no cost rows)
_HEX = re.compile(r"[0-9A-Fa-f]{4,}")
_CHUNK = 500
_ID_MAX = 2**31 - 1  # build ids are 32-bit on PostgreSQL: a longer number is no id


def _oldest_first(query: Select) -> Select:
    """The trend order: commit time, then recording time, then id; unknown times last."""
    return query.order_by(
        builds.c.commit_epoch.asc().nulls_last(), builds.c.recorded_epoch.asc().nulls_last(), builds.c.id
    )


def _newest_first(query: Select) -> Select:
    """The listing order: exactly the reverse of `_oldest_first`."""
    return query.order_by(
        builds.c.commit_epoch.desc().nulls_first(),
        builds.c.recorded_epoch.desc().nulls_first(),
        builds.c.id.desc(),
    )


def _where(query: Select, label: str | None, branch: str | None = None, host: str | None = None) -> Select:
    """`query` restricted to a label, branch and host (each only when given)."""
    if label is not None:
        query = query.where(builds.c.label == label)
    if branch is not None:
        query = query.where(builds.c.branch == branch)
    if host is not None:
        query = query.where(builds.c.host == host)
    return query


def _rows(conn: Connection, query: Select) -> list[RecordedBuild]:
    """The builds (totals only) a query over `builds` selects."""
    return [build_of_row(row) for row in conn.execute(query).mappings()]


def listing(
    conn: Connection, label: str | None, branch: str | None, host: str | None, limit: int | None
) -> list[RecordedBuild]:
    """The builds (totals only) of `label`, `branch`, `host` (None: any), newest first, at most `limit`."""
    query = _newest_first(_where(select(*_LISTED), label, branch, host))
    if limit is not None:
        query = query.limit(limit)
    return _rows(conn, query)


def find(conn: Connection, ref: str, label: str | None, where: str) -> RecordedBuild:
    """The build `ref` names (History.find); a StoreError when none matches or several could."""
    ref = ref.strip()
    if ref.startswith("#") and ref[1:].isdigit():
        found = _with_id(conn, int(ref[1:]), label)
        if not found:
            raise StoreError(f"no recorded build matches {ref!r}", where)
        return found[0]
    by_id = _with_id(conn, int(ref), label) if ref.isdigit() else []
    matches = _commit_matches(conn, ref, label) if _HEX.fullmatch(ref) else []
    if not by_id and not matches:
        if not ref.isdigit() and not _HEX.fullmatch(ref):
            raise InputError(f"{ref!r} is neither a build id (#N) nor a commit id (4 or more hex digits)")
        scope = f" with label {label!r}" if label is not None else ""
        raise StoreError(f"no recorded build{scope} matches {ref!r}", where)
    if by_id and matches:
        raise StoreError(
            f"{ref!r} is both build #{ref} and the start of commit {matches[0].commit.sha}: "
            f"write #{ref} for the build, or more digits for the commit",
            where,
        )
    if by_id:
        return by_id[0]
    commits = sorted({b.commit.sha or "" for b in matches})
    if len(commits) > 1:
        shown = ", ".join(c[:12] for c in commits[:5]) + (", ..." if len(commits) > 5 else "")
        raise StoreError(f"{ref!r} is ambiguous: it starts commits {shown} (give more digits)", where)
    labels = sorted({b.label for b in matches})
    if len(labels) > 1:
        raise StoreError(
            f"commit {commits[0][:12]} has builds of labels {', '.join(map(repr, labels))}: give a label",
            where,
        )
    return matches[0]  # the newest recorded of that commit and label


def _with_id(conn: Connection, build_id: int, label: str | None) -> list[RecordedBuild]:
    """The build `build_id` (if of `label`), as a list of one or none."""
    if build_id > _ID_MAX:
        return []
    return _rows(conn, _where(select(*_LISTED).where(builds.c.id == build_id), label))


def _commit_matches(conn: Connection, prefix: str, label: str | None) -> list[RecordedBuild]:
    """The builds whose commit id starts with `prefix` (any case), newest recorded first."""
    query = _where(select(*_LISTED).where(builds.c.commit_sha.ilike(prefix + "%")), label)
    query = query.order_by(builds.c.recorded_epoch.desc().nulls_last(), builds.c.id.desc())
    low = prefix.lower()
    return [b for b in _rows(conn, query) if (b.commit.sha or "").lower().startswith(low)]


def series(conn: Connection, metric: str, label: str, host: str | None) -> list[TrendPoint]:
    """The trend of `metric` over the builds of `label` (History.series), oldest first."""
    kind, colon, name = metric.partition(":")
    if not colon and metric in TOTAL_METRICS:
        value: Any = builds.c[f"{metric}_ms"]
        query = select(*_point_columns(), value)
    elif colon and kind in NAMED_METRICS:
        named, table = names[kind], costs[kind]
        name_id = conn.execute(select(named.c.id).where(named.c.key == name_key(name))).scalar()
        value = table.c[NAMED_METRICS[kind]]
        joined = builds.outerjoin(table, and_(table.c.build_id == builds.c.id, table.c.name_id == name_id))
        query = select(*_point_columns(), value).select_from(joined)
    else:
        known = ", ".join([*TOTAL_METRICS, "target:NAME", "header:PATH", "template:NAME"])
        raise InputError(f"unknown metric {metric!r}: one of {known}")
    query = _oldest_first(_where(query, label, host=host))
    return [
        TrendPoint(
            build_id=int(r[0]),
            commit=r[1],
            commit_time=r[2],
            recorded_at=r[3],
            value=None if r[4] is None else float(r[4]),
        )
        for r in conn.execute(query)
    ]


def _point_columns() -> tuple:
    """The columns of a trend point but its value."""
    return builds.c.id, builds.c.commit_sha, builds.c.commit_time, builds.c.recorded_at


def latest_before(
    conn: Connection, commit_time: str, branch: str | None, label: str, host: str | None
) -> RecordedBuild | None:
    """The newest build of `label` (on `branch`, on `host`) with a commit older than `commit_time`."""
    epoch = epoch_of(commit_time)
    if epoch is None:
        raise InputError(f"not an ISO 8601 time: {commit_time!r}")
    query = _where(select(*_LISTED).where(builds.c.commit_epoch < epoch), label, branch, host)
    found = _rows(conn, _newest_first(query).limit(1))
    return found[0] if found else None


def by_commits(conn: Connection, shas: list[str], label: str, host: str | None) -> list[RecordedBuild]:
    """The builds of `label` (and `host`) of any commit in `shas`: in the order of `shas`, newest
    recorded first for one commit."""
    found: list[RecordedBuild] = []
    for start in range(0, len(shas), _CHUNK):
        query = _where(select(*_LISTED).where(builds.c.commit_sha.in_(shas[start : start + _CHUNK])), label)
        found += _rows(conn, _where(query, None, host=host))
    order = {sha: i for i, sha in reversed(list(enumerate(shas)))}
    found.sort(key=lambda b: -(b.id or 0))
    found.sort(key=lambda b: (order[b.commit.sha or ""], -(_recorded(b))))
    return found


def _recorded(build: RecordedBuild) -> float:
    """When a build was recorded, in seconds since 1970 (0 if unknown)."""
    return epoch_of(build.recorded_at) or 0.0
