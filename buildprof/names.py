"""Names and paths the way ClangBuildAnalyzer treats them: header test, template-argument collapsing.

Both are reproduced exactly, so that buildprof's ClangBuildAnalyzer-compatible numbers match its own.
Results are memoised: the same headers and templates recur across every translation unit.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1 << 16)
def is_header(path: str) -> bool:
    """No extension (`<vector>`), or an extension starting with h or i (h, hpp, hxx, inc, ipp...)."""
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    if dot < 0:
        return True
    return dot + 1 < len(name) and name[dot + 1] in "hHiI"


def file_name(path: str) -> str:
    """The part after the last slash."""
    return path.rsplit("/", 1)[-1]


@lru_cache(maxsize=1 << 17)
def collapse_template_args(name: str) -> str:
    """Replace each top-level `<...>` with `<$>`: `vector<int>::push_back` -> `vector<$>::push_back`.

    Names containing `operator` are kept whole (`operator<` cannot be told from a bracket), and a name
    whose brackets do not balance is kept whole too, as ClangBuildAnalyzer does.
    """
    if "operator" in name:
        return name
    out: list[str] = []
    begin, end, length = 0, 0, len(name)
    while begin != length:
        found = name.find("<", begin)
        if found < 0:
            end = length
            break
        end = found + 1
        out.append(name[begin:end])
        out.append("$")
        begin = end
        depth = 1
        while begin != length:
            char = name[begin]
            if char == "<":
                depth += 1
            elif char == ">":
                depth -= 1
                if depth == 0:
                    break
            begin += 1
    if begin > end:
        return name
    out.append(name[begin:end])
    return "".join(out)
