"""Ninja's manifest syntax below the statement level: logical lines, `$`-escapes, paths, canonical names.

Written after ninja's own lexer (src/lexer.in.cc) and src/util.cc's CanonicalizePath:

- `$` before a newline joins the next line, dropping its leading spaces (`$$` before a newline is a
  literal `$`, not a continuation); comment lines (`#` after optional spaces) never continue.
- In a path, `$ `, `$:` and `$$` are a space, a colon and a dollar; an unescaped space, `:` or `|` ends
  the path. In a value (`name = value`) spaces, `:` and `|` are plain text.
- `$name` (letters, digits, `_`, `-`) and `${name}` (also `.`) are variable references; any other
  `$x` is an error for ninja ("bad $-escape"): here it is reported and kept as written.

An evaluated string is a list of parts: `str` for text, a one-element tuple `(name,)` for a variable.
Rule, Scope and PendingEdge are the statements the graph reader (graph.py) keeps while it reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MAX_VALUE = 1 << 20  # characters of an expanded variable or path: more is damage (a value doubled
# again and again), and the rest is cut so that reading stays linear

Part = str | tuple[str]
EvalString = list[Part]

IDENT = re.compile(r"[A-Za-z0-9_.-]+")
_VALUE_TOKEN = re.compile(r"[^$]+|\$\$|\$ |\$:|\$\{([A-Za-z0-9_.-]+)\}|\$([A-Za-z0-9_-]+)|\$.?")
_PATH_TOKEN = re.compile(
    r"(?P<text>[^$ :|]+)|(?P<space> +)|(?P<colon>:)|(?P<pipe>\|[|@]?)"
    r"|\$(?P<escape>[$ :])|\$\{(?P<brace>[A-Za-z0-9_.-]+)\}|\$(?P<var>[A-Za-z0-9_-]+)|(?P<bad>\$.?)"
)
BAD_ESCAPE = "bad $-escape (literal $ must be written as $$)"
ODD_SPACES = "\t\x0b\x0c\r\x1c\x1d\x1e\x1f"  # str.split() splits on them, ninja never does
_RANK = {"|": 1, "||": 2, "|@": 3}


class Rule:
    """A `rule` statement: its name and its bindings, unexpanded (they are expanded per edge)."""

    __slots__ = ("bindings", "deps", "fixed", "index", "name", "pool_id", "variable_pool")

    def __init__(self, name: str, bindings: dict[str, EvalString] | None = None) -> None:
        self.name = name
        self.index = -1  # in the graph's rules, once an edge uses it
        self.bindings: dict[str, EvalString] = bindings or {}
        # its pool or deps names a variable, which an edge's bindings may set
        self.variable_pool = any(
            isinstance(part, tuple) for key in ("pool", "deps") for part in self.bindings.get(key, ())
        )
        # pool and deps when they name no variable (None: no such binding)
        self.fixed = {
            key: None if self.variable_pool or key not in self.bindings else "".join(self.bindings[key])
            for key in ("pool", "deps")
        }
        self.deps = bool(self.fixed["deps"])  # when it names no variable
        self.pool_id = None if self.fixed["pool"] else -1  # the pool's index once known (-1: none)


class Scope:
    """A file scope: variables (expanded when set) and the rules visible in it."""

    __slots__ = ("local_rules", "rules", "vars")

    def __init__(self, variables: dict[str, str], rules: dict[str, Rule]) -> None:
        self.vars = variables
        self.rules = rules
        self.local_rules: set[str] = set()

    def child(self) -> Scope:
        """The scope of a subninja: the parent's names, and its own from then on."""
        return Scope(dict(self.vars), dict(self.rules))


class PendingEdge:
    """A build statement whose bindings are being read: path groups as written, bindings expanded."""

    __slots__ = ("bindings", "final", "groups", "line", "rule")

    def __init__(self, groups: list, rule: Rule, line: str, final: bool) -> None:
        self.groups = groups  # outs, implicit outs, ins, implicit, order-only, validations
        self.rule = rule
        self.line = line  # "file:line" for messages
        self.final = final  # paths already final (no `$` on the line): strings, not EvalStrings
        self.bindings: dict[str, str] = {}


def logical_lines(text: str) -> tuple[list[str], list[int] | None]:
    """The lines of a manifest with `$`-newline continuations joined, as ninja's lexer reads them, and
    the file line number of each (None when no line was joined: line i is line i + 1). Blank and
    comment lines are kept: a blank line ends a block of bindings."""
    lines = text.split("\n")
    if "$\n" not in text:
        return lines, None
    joined: list[str] = []
    numbers: list[int] = []
    number, count = 0, len(lines)
    while number < count:
        line = lines[number]
        number += 1
        numbers.append(number)
        while line.endswith("$") and (len(line) - len(line.rstrip("$"))) % 2 and number < count:
            if line.lstrip(" ").startswith("#"):
                break
            line = line[:-1] + lines[number].lstrip(" ")
            number += 1
        joined.append(line)
    return joined, numbers


def parse_value(text: str, problems: list[str] | None = None) -> EvalString:
    """The parts of a value (the right-hand side of `name = value`): spaces, `:` and `|` are text."""
    if "$" not in text:
        return [text]
    parts: EvalString = []
    for match in _VALUE_TOKEN.finditer(text):
        token = match.group(0)
        if token[0] != "$":
            parts.append(token)
        elif match.lastindex:
            parts.append((match.group(match.lastindex),))
        elif token in ("$$", "$ ", "$:"):
            parts.append(token[1])
        else:
            if problems is not None:
                problems.append(BAD_ESCAPE)
            parts.append(token)
    return parts


def evaluate(parts: EvalString, lookup: Callable[[str], str | None]) -> str:
    """The text of an evaluated string; unknown variables are empty, as in ninja. Cut at MAX_VALUE."""
    if len(parts) == 1 and isinstance(parts[0], str):
        return parts[0][:MAX_VALUE]
    out: list[str] = []
    size = 0
    for part in parts:
        text = part if isinstance(part, str) else (lookup(part[0]) or "")
        out.append(text)
        size += len(text)
        if size >= MAX_VALUE:
            break
    return "".join(out)[:MAX_VALUE]


def split_path_list(text: str, problems: list[str]) -> list[EvalString | str]:
    """Tokenise the path part of a statement: a list of paths (each an EvalString) and the separators
    `:`, `|`, `||`, `|@` as plain strings, in order. Bad escapes are noted in `problems`."""
    items: list[EvalString | str] = []
    current: EvalString = []
    for match in _PATH_TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "text":
            current.append(match.group(0))
        elif kind == "escape":
            current.append(match.group("escape"))
        elif kind in ("brace", "var"):
            current.append((match.group(kind),))
        elif kind == "bad":
            problems.append(BAD_ESCAPE)
            current.append(match.group(0))
        else:
            if current:
                items.append(current)
                current = []
            if kind != "space":
                items.append(match.group(0))
    if current:
        items.append(current)
    return items


def canonicalize(path: str) -> str:
    """ninja's CanonicalizePath on POSIX: `.` components and repeated slashes dropped, `x/..` folded
    (a leading `..` kept), a trailing slash dropped, an empty result written `.`."""
    if "/." not in path and not path.startswith(".") and "//" not in path and not path.endswith("/"):
        return path
    absolute = path.startswith("/")
    parts: list[str] = []
    real = 0  # components that a later `..` may remove
    for component in path.split("/"):
        if component in ("", "."):
            continue
        if component == "..":
            if real:
                parts.pop()
                real -= 1
            else:
                parts.append("..")
            continue
        parts.append(component)
        real += 1
    joined = "/".join(parts)
    if absolute:
        return "/" + joined
    return joined or "."


def split_build_line(rest: str) -> tuple[list[list], str, bool] | str:
    """Split what follows `build` into six path groups (outputs, implicit outputs, inputs, implicit
    inputs, order-only inputs, validations), the rule name, and whether the paths are final (no `$`:
    canonical strings) or EvalStrings still to expand; a message when the line is malformed."""
    if "$" not in rest and rest.isascii() and not any(ch in rest for ch in ODD_SPACES):
        groups = _simple_groups(rest)
        if groups is not None:
            rule = groups.pop(2)
            if (
                "/." in rest
                or "//" in rest
                or " ." in rest
                or "/ " in rest
                or ":." in rest
                or "|." in rest
                or "/:" in rest
                or "/|" in rest
                or rest.endswith("/")
                or rest.startswith(".")
            ):
                groups = [[canonicalize(p) for p in group] for group in groups]
            return groups, rule, True
    problems: list[str] = []
    items = split_path_list(rest, problems)
    if problems:
        return problems[0]
    groups: list[list] = [[] for _ in range(6)]
    group, rule = 0, None
    for item in items:
        if isinstance(item, list):
            if rule is None and group == 2:
                first = item[0] if isinstance(item[0], str) else ""
                name = IDENT.match(first)
                if not name:
                    return "expected build command name"
                rule = name.group(0)
                remainder = [first[name.end() :], *item[1:]] if first[name.end() :] else item[1:]
                if remainder:
                    groups[2].append(remainder)
                continue
            groups[group].append(item)
        elif item == ":" and group < 2:
            group = 2
        elif item == "|" and group == 0:
            group = 1
        elif group >= 2 and rule is not None and _RANK.get(item, 0) > group - 2:
            group = 2 + _RANK[item]
        else:
            return f"unexpected '{item}'"
    if not groups[0] and not groups[1]:
        return "expected path"
    if rule is None:
        return "expected ':' and a build command name"
    return groups, rule, False


def _simple_groups(rest: str) -> list | None:
    """[outs, implicit outs, rule, ins, implicit, order-only, validations] of a build line without
    `$` or tabs (the common case), split directly; None when it is not that simple."""
    head, colon, tail = rest.partition(":")
    if not colon or ":" in tail:
        return None
    outs, _, implicit_outs = head.partition("|")
    if "|" in implicit_outs:
        return None
    tail = tail.lstrip(" ")
    name = IDENT.match(tail)
    if not name:
        return None
    tail = tail[name.end() :]
    if "|" not in tail:
        return [outs.split(), implicit_outs.split(), name.group(0), tail.split(), [], [], []]
    tail, _, validations = tail.partition("|@")
    tail, _, order_only = tail.partition("||")
    tail, _, implicit = tail.partition("|")
    if "|" in implicit or "|" in order_only or "|" in validations:
        return None  # out of order: the slow path says what is wrong
    return [
        outs.split(),
        implicit_outs.split(),
        name.group(0),
        tail.split(),
        implicit.split(),
        order_only.split(),
        validations.split(),
    ]
