#!/usr/bin/env python3
"""Generate the field tables of docs/formats.md and docs/report.schema.json from the document types.

The report documents are declared once, in buildprof/model/report.py and trace_report.py, each field
with its meaning; this writes every record's table between the `<!-- records -->` and
`<!-- end records -->` markers of docs/formats.md, and the JSON Schema of the documents. With
`--check` it writes nothing and exits 1 when either file is not what it would write (a test runs it).

    python scripts/gen_formats.py [--check]
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
from pathlib import Path

import msgspec
import msgspec.inspect as mi

REPO = Path(__file__).resolve().parents[1]
FORMATS = REPO / "docs" / "formats.md"
SCHEMA = REPO / "docs" / "report.schema.json"
START, END = "<!-- records -->", "<!-- end records -->"

sys.path.insert(0, str(REPO))
from buildprof.model.documents import ALL_DOCUMENTS as DOCUMENTS  # noqa: E402
from buildprof.model.documents import AnyDocument  # noqa: E402


def _plain(t: mi.Type) -> tuple[mi.Type, str]:
    """A type without its metadata, and the field's meaning from it ("" if none)."""
    if isinstance(t, mi.Metadata):
        return t.type, (t.extra_json_schema or {}).get("description", "")
    return t, ""


def _name(cls: type) -> str:
    """A record's name as the tables show it: `Listing[HeaderRow]` for a generic one."""
    text = repr(cls)
    return re.sub(r"[\w.]*\.", "", text) if "[" in text else cls.__name__


def _anchor(cls: type) -> str:
    return _name(cls).lower().replace("[", "").replace("]", "")


def _type_text(t: mi.Type, found: list[type]) -> str:
    """A field's JSON type in words, with links to the records it holds (added to `found`)."""
    t, _ = _plain(t)
    if isinstance(t, mi.StructType):
        if t.cls not in found:
            found.append(t.cls)
        return f"[{_name(t.cls)}](#{_anchor(t.cls)})"
    if isinstance(t, mi.ListType):
        return f"list of {_type_text(t.item_type, found)}"
    if isinstance(t, mi.UnionType):
        return " or ".join(_type_text(member, found) for member in t.types)
    if isinstance(t, mi.LiteralType):
        return " or ".join(f'`"{v}"`' for v in t.values)
    return {
        mi.IntType: "integer",
        mi.FloatType: "number",
        mi.StrType: "string",
        mi.BoolType: "boolean",
        mi.NoneType: "null",
    }.get(type(t), type(t).__name__)


def records_markdown() -> str:
    """Every record of every document, as one table each, documents first."""
    found: list[type] = list(DOCUMENTS)
    blocks = []
    at = 0
    while at < len(found):
        cls = found[at]
        at += 1
        info = mi.type_info(cls)
        summary = (cls.__doc__ or "").strip().split("\n")[0]
        rows = []
        if info.tag_field:
            rows.append(f'| `{info.tag_field}` | `"{info.tag}"` | which document this is |')
        for field in info.fields:
            _, meaning = _plain(field.type)
            meaning = meaning.replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
            rows.append(f"| `{field.encode_name}` | {_type_text(field.type, found)} | {meaning} |")
        blocks.append(
            f"### `{_name(cls)}`\n\n{summary}\n\n| field | type | meaning |\n| --- | --- | --- |\n"
            + "\n".join(rows)
        )
    return "\n\n".join(blocks)


def formats_text(current: str) -> str:
    """docs/formats.md with its records section regenerated."""
    head, rest = current.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n\n{records_markdown()}\n\n{END}{tail}"


def schema_text() -> str:
    """docs/report.schema.json: the JSON schema of every document, the same from every msgspec release
    (their order of `anyOf` alternatives differs: 0.18.6 lists `null` first, 0.22 last)."""
    return json.dumps(_ordered(msgspec.json.schema(AnyDocument)), indent=2, sort_keys=True) + "\n"


def _ordered(node):
    """The schema with every `anyOf` list sorted (their order means nothing) and every description
    dedented as inspect.cleandoc does (msgspec 0.18.6 keeps a docstring's indentation, later ones not)."""
    if isinstance(node, dict):
        return {
            key: sorted((_ordered(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
            if key == "anyOf"
            else inspect.cleandoc(value)
            if key == "description" and isinstance(value, str)
            else _ordered(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_ordered(v) for v in node]
    return node


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is not up to date")
    args = parser.parse_args()
    wanted = {FORMATS: formats_text(FORMATS.read_text()), SCHEMA: schema_text()}
    stale = [path for path, text in wanted.items() if not path.exists() or path.read_text() != text]
    if args.check:
        for path in stale:
            print(f"{path.relative_to(REPO)} is out of date: run scripts/gen_formats.py", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(wanted[path])
        print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
