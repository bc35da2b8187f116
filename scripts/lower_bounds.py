#!/usr/bin/env python3
"""Print the oldest release of every dependency that pyproject.toml allows, as pip requirements.

CI installs the newest releases for the main test run and these for a second run (.ci/run), so both
ends of every range are tested. Each dependency (runtime and every extra: `test`, `postgresql`) must
have a lower bound (`>=` or `==`): a dependency without one would let an untested release in, and is an
error here. A requirement with extras keeps them (`psycopg[binary]>=3.1.4` gives
`psycopg[binary]==3.1.4`); one listed in several extras is pinned once, and must have one bound.

    pip install $(python scripts/lower_bounds.py)
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.\-\[\]]+)\s*(.*)$")
_LOWER = re.compile(r"(?:>=|==)\s*([0-9][A-Za-z0-9.]*)")


def lower_bounds(pyproject: Path = PYPROJECT) -> list[str]:
    """`name==version` for the lowest version each dependency allows; ValueError if one has none."""
    project = tomllib.loads(pyproject.read_text())["project"]
    extras = project.get("optional-dependencies", {})
    requirements = [*project["dependencies"], *(r for group in extras.values() for r in group)]
    pins: dict[str, str] = {}  # lower-case name (extras dropped) -> pin
    for requirement in requirements:
        match = _REQUIREMENT.match(requirement)
        lower = _LOWER.search(match.group(2)) if match else None
        if match is None or lower is None:
            raise ValueError(f"{requirement!r} has no lower bound (>= or ==) in {pyproject}")
        pin = f"{match.group(1)}=={lower.group(1)}"
        name = match.group(1).split("[")[0].lower()
        if pins.setdefault(name, pin) != pin:
            raise ValueError(f"{name} has two different bounds in {pyproject}: {pins[name]}, {pin}")
    return list(pins.values())


def main() -> int:
    """Print the pins on one line; exit 1 with the reason when a bound is missing."""
    try:
        print(" ".join(lower_bounds()))
    except ValueError as exc:
        print(f"lower_bounds: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
