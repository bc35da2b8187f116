"""How often files changed in the source tree's history (git), as the header impact reads it."""

from typing import Annotated

from msgspec import field

from buildprof.model.records import Record, doc


class FileChurn(Record):
    """Commits per file over a window of the history; `note` says why there are none."""

    window: Annotated[str, doc('e.g. "since 2026-01-01" or "the last 500 commits"')]
    repository: Annotated[str | None, doc("the checkout's top folder; null without one")] = None
    commits: Annotated[int, doc("commits in the window (merges left out)")] = 0
    newest: Annotated[str | None, doc("commit time of the newest commit counted")] = None
    oldest: Annotated[str | None, doc("commit time of the oldest commit counted")] = None
    changes: Annotated[dict[str, int], doc("absolute path -> commits that changed it")] = field(
        default_factory=dict
    )
    note: Annotated[str | None, doc("why nothing was counted (no git, not a checkout)")] = None
