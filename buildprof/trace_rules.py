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


@lru_cache(maxsize=1 << 17)
def collapse_template_args(name: str) -> str:
    """Replace each top-level `<...>` with `<$>`: `vector<int>::push_back` -> `vector<$>::push_back`.

    Names containing `operator` are kept whole (`operator<` cannot be told from a bracket), and a name
    whose brackets do not balance is kept whole too, as ClangBuildAnalyzer does.
    """
    if "operator" in name or "<" not in name:
        return name
    # Jump from bracket to bracket with str.find instead of walking every character.
    out: list[str] = []
    find = name.find
    begin = 0
    while True:
        opening = find("<", begin)
        if opening < 0:
            out.append(name[begin:])
            return "".join(out)
        out.append(name[begin : opening + 1])
        out.append("$")
        depth, pos = 1, opening + 1
        if pos == len(name):
            return "".join(out)  # a "<" that ends the name opens nothing: kept, as before
        while depth:
            close = find(">", pos)
            if close < 0:
                return name  # unbalanced: kept whole
            nested = find("<", pos, close)
            if nested >= 0:
                depth, pos = depth + 1, nested + 1
            else:
                depth, pos = depth - 1, close + 1
        begin = pos - 1  # the closing ">" starts the next piece
