"""Between the records of buildprof.model.history and the history's rows, field for field.

Kept apart from the queries so that what is stored, and how it comes back equal, is in one place.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from buildprof.history.schema import MEASURES, TOTALS_FLOAT, TOTALS_INT
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

COST_TYPES = {"target": TargetCost, "header": HeaderCost, "template": TemplateCost}
NAME_FIELD = {"target": "name", "header": "path", "template": "name"}
TOTAL_FIELDS = (*(f"{n}_ms" for n in TOTALS_FLOAT), *TOTALS_INT)


def epoch_of(iso_time: str | None) -> float | None:
    """Seconds since 1970 UTC of an ISO 8601 time (a time without an offset is taken as UTC); None
    when absent or not ISO 8601: such builds sort after the dated ones."""
    if not iso_time:
        return None
    try:
        moment = datetime.fromisoformat(iso_time)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC).timestamp()
    return moment.timestamp()


def build_values(build: RecordedBuild) -> dict[str, Any]:
    """The `builds` row of a recorded build (without its id)."""
    commit, machine, costs = build.commit, build.machine, build.costs
    values: dict[str, Any] = {
        "commit_sha": commit.sha,
        "commit_parents": json.dumps(list(commit.parents), ensure_ascii=True),
        "branch": commit.branch,
        "commit_time": commit.commit_time,
        "commit_epoch": epoch_of(commit.commit_time),
        "subject": commit.subject,
        "dirty": commit.dirty,
        "shallow": commit.shallow,
        "repository": commit.repository,
        "commit_source": commit.source,
        "commit_note": commit.note,
        "label": build.label,
        "host": machine.host,
        "cores": machine.cores,
        "system": machine.system,
        "recorded_at": build.recorded_at,
        "recorded_epoch": epoch_of(build.recorded_at),
        "generator": build.generator,
        "build_dir": costs.build_dir,
        "log_build": costs.log_build,
    }
    for name in TOTAL_FIELDS:
        values[name] = getattr(costs.totals, name)
    return values


def build_of_row(row: Mapping[str, Any], costs: Mapping[str, Sequence[Any]] | None = None) -> RecordedBuild:
    """The recorded build of a `builds` row; its cost lists from `costs` (kind -> records), or empty
    when not given (a listing: the totals only)."""
    commit = CommitInfo(
        sha=row["commit_sha"],
        parents=tuple(json.loads(row["commit_parents"])),
        branch=row["branch"],
        commit_time=row["commit_time"],
        subject=row["subject"],
        dirty=_bool(row["dirty"]),
        shallow=_bool(row["shallow"]),
        repository=row["repository"],
        source=row["commit_source"],
        note=row["commit_note"],
    )
    totals = BuildTotals(**{name: row[name] for name in TOTAL_FIELDS})
    costs = costs or {}
    return RecordedBuild(
        id=int(row["id"]),
        commit=commit,
        label=row["label"],
        machine=MachineInfo(host=row["host"], cores=int(row["cores"]), system=row["system"]),
        recorded_at=row["recorded_at"],
        generator=row["generator"],
        costs=BuildCosts(
            build_dir=row["build_dir"],
            log_build=row["log_build"],
            totals=totals,
            targets=list(costs.get("target", ())),
            headers=list(costs.get("header", ())),
            templates=list(costs.get("template", ())),
        ),
    )


def _bool(value: Any) -> bool | None:
    """A stored boolean (SQLite gives 0 or 1) as a bool, None kept."""
    return None if value is None else bool(value)


def cost_items(costs: BuildCosts, kind: str) -> list:
    """A build's cost records of one kind (targets, headers or templates), in their order."""
    return {"target": costs.targets, "header": costs.headers, "template": costs.templates}[kind]


def cost_row(kind: str, item: Any, name_id: int, build_id: int, position: int) -> dict[str, Any]:
    """The cost row of one record (its name already stored as `name_id`)."""
    row = {"name_id": name_id, "build_id": build_id, "position": position}
    for column, _ in MEASURES[kind]:
        row[column] = getattr(item, column)
    return row


def cost_of_row(kind: str, name: str, row: Mapping[str, Any]) -> Any:
    """The record of one cost row, given its name."""
    fields = {column: row[column] for column, _ in MEASURES[kind]}
    return COST_TYPES[kind](**{NAME_FIELD[kind]: name}, **fields)
