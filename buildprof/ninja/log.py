"""Read ninja's `.ninja_log` (versions 5-7) into numpy columns, vectorised, keeping every damaged line.

The log is `# ninja log vN` then one line per output: start_ms, end_ms, mtime, output, hash, separated
by TABs. Parsing works on the raw bytes with numpy (buildprof.ninja.fields): the separators are found in
one pass, then every field of every line is decoded column-wise, so a million-line log takes about half
a second. The mtimes and command hashes are checked but not kept: only the split into builds and the
grouping of a build's lines into steps read them, and NinjaLog.columns reads them again from the file
when asked (model.ninja.LogColumns, 0.03-0.05 s each a million lines; 16 MB less through a report's
analysis). The output paths stay byte ranges of the file until
someone asks for them (NinjaLog.paths): a report decodes only the paths of the build it analyses.
Each line that does not have that shape is reported by line number and left out, never guessed at;
ninja itself skips such lines silently.
"""

from __future__ import annotations

import mmap
from pathlib import Path

import numpy as np

from buildprof.errors import InputError
from buildprof.model.ninja import LogColumns, LogProblem, NinjaLog, OutputPaths
from buildprof.ninja.fields import factorize_slice_rows, find_separators, parse_decimal, parse_hex
from buildprof.ninja.log_file import parse_header, read_log_bytes

_TAB, _NEWLINE, _CR = 9, 10, 13
_TIME_DIGITS = 16  # start and end in ms: more digits than any build needs
_MTIME_DIGITS = 19  # mtime in ns since the epoch: as many digits as an int64 holds
_HASH_DIGITS = 16  # a command hash: a 64-bit number in hexadecimal
MAX_PROBLEMS = 10_000  # damaged lines described one by one; the others are only counted
_BLOCK_BYTES = 1 << 22  # lines are parsed about 30,000 at a time
_MIN_LINE = 10  # a valid line holds at least "0\t0\t0\ta\t0\n"
_READ_AGAIN = ("mtime", "cmdhash")  # columns read again from the file when asked (LogColumns)
_PARTS = ("line", "start_ms", "end_ms", "mtime", "cmdhash", "output_lo", "output_hi")
_FIELD_PROBLEMS = {
    "start": f"start time {{!r}} is not a whole number of ms (at most {_TIME_DIGITS} digits)",
    "end": f"end time {{!r}} is not a whole number of ms (at most {_TIME_DIGITS} digits)",
    "mtime": f"mtime {{!r}} is not a whole number (at most {_MTIME_DIGITS} digits, below 2**63)",
    "hash": "command hash {!r} is not a hexadecimal number of at most 16 digits",
    "output": "output path is empty",
    "order": "ends before it starts",
}


def read_ninja_log(path: str | Path) -> NinjaLog:
    """Read and parse the `.ninja_log` at `path`; raises InputError if it cannot be used at all."""
    return parse_ninja_log(read_log_bytes(path), str(Path(path)))


def parse_ninja_log(data: bytes | mmap.mmap, path: str = ".ninja_log") -> NinjaLog:
    """Parse the bytes of a `.ninja_log` (or a mapped one); damaged lines become LogProblems."""
    if not len(data) or (isinstance(data, bytes) and data.isspace()):
        raise InputError("the ninja log is empty (no build has finished a step yet)", path)
    header_end = data.find(b"\n")
    header = data[: header_end if header_end >= 0 else len(data)]
    version = parse_header(header, path)
    body_start = header_end + 1 if header_end >= 0 else len(data)
    columns, paths, problems, total, n_problems = _parse_body(data, body_start, first_line=2)
    return NinjaLog(path, version, columns, paths, problems, total, n_problems)


def _parse_body(
    data: bytes, offset: int, first_line: int
) -> tuple[dict[str, np.ndarray], OutputPaths, list[LogProblem], int, int]:
    """Parse the lines of data[offset:] block by block: the columns, the paths, the damaged lines.

    Blocks of about _BLOCK_BYTES end right after a newline; working on ~30,000 lines at a time keeps
    the temporary arrays small, so their memory is reused instead of being faulted in afresh. Each
    block's columns go straight into arrays sized for every line of the file (no concatenation).
    """
    capacity = (len(data) - offset) // _MIN_LINE + 1  # pages of the arrays never written stay unused
    joined = {name: np.empty(capacity, dtype=np.uint64 if name == "cmdhash" else np.int64) for name in _PARTS}
    for name in _READ_AGAIN:  # not kept: LogColumns reads them again when asked
        joined[name] = np.empty(0, dtype=joined[name].dtype)
    if capacity + first_line < 2**31:  # line numbers: 4 B a line (NinjaLog.entries gives them as int64)
        joined["line"] = np.empty(capacity, dtype=np.int32)
    problems: list[LogProblem] = []
    n_lines = n_bad = n_valid = 0
    start = offset
    while start < len(data):
        newline = data.find(b"\n", start + _BLOCK_BYTES)
        stop = len(data) if newline < 0 else newline + 1
        columns, block_problems, block_lines, block_bad = _parse_block(
            data, start, stop, first_line + n_lines, MAX_PROBLEMS - len(problems)
        )
        valid = len(columns["line"])
        for name, values in columns.items():
            if name not in _READ_AGAIN:
                joined[name][n_valid : n_valid + valid] = values
        n_valid += valid
        problems += block_problems
        n_lines += block_lines
        n_bad += block_bad
        start = stop
    joined = {name: values[:n_valid] for name, values in joined.items() if name not in _READ_AGAIN}
    paths = OutputPaths(data, joined.pop("output_lo"), joined.pop("output_hi"), factorize_slice_rows)
    loaders = {
        "mtime": lambda first=0, stop=None: _mtimes(data, paths.lo[first:stop]),
        "cmdhash": lambda first=0, stop=None: _hashes(data, paths.hi[first:stop]),
    }
    return LogColumns(joined, loaders), paths, problems, n_lines, n_bad


def _hashes(data: bytes, output_hi: np.ndarray) -> np.ndarray:
    """The command hash of every valid line, read again from the file: the field after the TAB that
    ends the output path, up to the line's end (a CR before it left out; these lines were valid: 1
    to 16 hexadecimal digits). Most hashes have 16 digits: tried first, checked by the parse and
    the newline after; the others are found byte by byte. A block of lines at a time."""
    raw = np.frombuffer(data, dtype=np.uint8)
    hashes = np.empty(len(output_hi), dtype=np.uint64)
    block, last = 1 << 16, len(raw) - 1
    for a in range(0, len(output_hi), block):
        start = output_hi[a : a + block] + 1
        end = np.minimum(start + _HASH_DIGITS, last)
        values, ok = parse_hex(raw, start, end)
        ok &= (raw[end] == _NEWLINE) | ((raw[end] == _CR) & (raw[np.minimum(end + 1, last)] == _NEWLINE))
        other = np.flatnonzero(~ok)
        if other.size:
            start, end = start[other], np.full(len(other), -1, dtype=np.int64)
            for ahead in range(1, _HASH_DIGITS + 2):  # the first CR or newline ends the field
                at = np.minimum(start + ahead, last)
                found = (end < 0) & ((raw[at] == _NEWLINE) | (raw[at] == _CR))
                end[found] = at[found]
            values[other] = parse_hex(raw, start, end)[0]
        hashes[a : a + len(values)] = values
    return hashes


def _mtimes(data: bytes, output_lo: np.ndarray) -> np.ndarray:
    """The mtime of every valid line, read again from the file: the field that ends at the TAB before
    the output path and starts after the TAB before it (these lines were valid: it holds 1 to
    _MTIME_DIGITS digits). Most mtimes have all of them (ns since the epoch): tried first, checked
    by the parse and the TAB before; the others are found byte by byte. A block of lines at a time."""
    raw = np.frombuffer(data, dtype=np.uint8)
    mtime = np.empty(len(output_lo), dtype=np.int64)
    block = 1 << 16
    for a in range(0, len(output_lo), block):
        end = output_lo[a : a + block] - 1
        start = np.maximum(end - _MTIME_DIGITS, 0)
        values, ok = parse_decimal(raw, start, end, _MTIME_DIGITS)
        ok &= raw[np.maximum(start - 1, 0)] == _TAB
        other = np.flatnonzero(~ok)
        if other.size:
            end, start = end[other], np.full(len(other), -1, dtype=np.int64)
            for back in range(1, _MTIME_DIGITS + 2):
                at = end - back
                tab = (start < 0) & (raw[np.maximum(at, 0)] == _TAB)
                start[tab] = at[tab] + 1
            values[other] = parse_decimal(raw, start, end, _MTIME_DIGITS)[0]
        mtime[a : a + len(values)] = values
    return mtime


def _parse_block(
    data: bytes, begin: int, stop: int, first_line: int, budget: int
) -> tuple[dict[str, np.ndarray], list[LogProblem], int, int]:
    """Columns of the valid lines of data[begin:stop], up to `budget` described problems, line counts.

    Positions inside are relative to `begin`; the output fields are returned as absolute offsets.
    """
    raw = np.frombuffer(data, dtype=np.uint8, count=stop - begin, offset=begin)
    n_bytes = len(raw)
    seps = find_separators(raw)
    kinds = raw[seps]
    is_newline = kinds == _NEWLINE
    newline_at = np.flatnonzero(is_newline)  # indexes into seps
    unterminated = n_bytes > 0 and (len(seps) == 0 or seps[-1] != n_bytes - 1 or not is_newline[-1])
    line_ends = seps[newline_at]
    if unterminated:
        line_ends = np.append(line_ends, n_bytes)
        newline_at = np.append(newline_at, len(seps))
    n_lines = len(line_ends)
    line_starts = np.zeros(n_lines, dtype=np.int64)
    line_starts[1:] = line_ends[:-1] + 1
    first_sep = np.zeros(n_lines, dtype=np.int64)  # index into seps of the line's first separator
    first_sep[1:] = newline_at[:-1] + 1
    n_seps = newline_at - first_sep
    # Bytes 0-8 other than TAB also land in seps; a line holding one is damaged.
    odd = np.flatnonzero(~is_newline & (kinds != _TAB))
    odd_bytes = np.bincount(np.searchsorted(line_ends, seps[odd]), minlength=n_lines)[:n_lines]
    shaped = (n_seps == 4) & (odd_bytes == 0)
    if unterminated:
        shaped[-1] = False

    idx = first_sep[shaped]
    tabs = [seps[idx + k] for k in range(4)]
    ends = line_ends[shaped]
    if len(ends):  # ninja reads a hash up to a CR as well: accept CRLF line ends
        ends = ends - (raw[np.maximum(ends - 1, 0)] == _CR)
    start_ms, ok_start = parse_decimal(raw, line_starts[shaped], tabs[0], _TIME_DIGITS)
    end_ms, ok_end = parse_decimal(raw, tabs[0] + 1, tabs[1], _TIME_DIGITS)
    mtime, ok_mtime = parse_decimal(raw, tabs[1] + 1, tabs[2], _MTIME_DIGITS)
    cmdhash, ok_hash = parse_hex(raw, tabs[3] + 1, ends)
    ok_output = tabs[3] > tabs[2] + 1
    ok_order = (end_ms >= start_ms) | ~(ok_start & ok_end)  # only said of two valid times
    ok = ok_start & ok_end & ok_mtime & ok_hash & ok_output & ok_order

    line_numbers = np.arange(n_lines, dtype=np.int64) + first_line
    columns = {
        "line": line_numbers[shaped][ok],
        "start_ms": start_ms[ok],
        "end_ms": end_ms[ok],
        "mtime": mtime[ok],
        "cmdhash": cmdhash[ok],
        "output_lo": (tabs[2] + 1)[ok] + begin,
        "output_hi": tabs[3][ok] + begin,
    }
    bad_shape, bad_fields = np.flatnonzero(~shaped), np.flatnonzero(shaped)[~ok]
    problems: list[LogProblem] = []
    if budget > 0 and (bad_shape.size or bad_fields.size):
        checks = {"start": ok_start, "end": ok_end, "mtime": ok_mtime, "hash": ok_hash}
        checks.update(output=ok_output, order=ok_order)
        problems = _describe_problems(
            data,
            line_starts + begin,
            line_ends + begin,
            line_numbers,
            n_seps,
            odd_bytes,
            bad_shape,
            bad_fields,
            {name: check[~ok] for name, check in checks.items()},
            unterminated,
            budget,
        )
    return columns, problems, n_lines, int(bad_shape.size + bad_fields.size)


def _describe_problems(
    data: bytes,
    line_starts: np.ndarray,
    line_ends: np.ndarray,
    line_numbers: np.ndarray,
    n_seps: np.ndarray,
    odd_bytes: np.ndarray,
    bad_shape: np.ndarray,
    bad_fields: np.ndarray,
    field_checks: dict[str, np.ndarray],
    unterminated: bool,
    budget: int,
) -> list[LogProblem]:
    """A LogProblem per damaged line (the first `budget` of them), saying what is wrong with it."""
    problems: list[LogProblem] = []
    last = len(line_ends) - 1
    cut = np.sort(np.concatenate((bad_shape, bad_fields)))[budget - 1 : budget]
    if cut.size:  # describing a million damaged lines would take longer than parsing them
        bad_fields = bad_fields[bad_fields <= cut[0]]
        bad_shape = bad_shape[bad_shape <= cut[0]]
    for row in bad_shape.tolist():
        text = data[line_starts[row] : line_ends[row]]
        fields = int(n_seps[row]) + 1
        if row == last and unterminated:
            reason = "incomplete last line (no newline at the end): the build was probably killed"
        elif not text.strip():
            reason = "empty line"
        elif odd_bytes[row]:
            reason = "holds control characters"
        elif fields > 5:
            reason = f"{fields} fields instead of 5: a killed build's partial line, the next one glued on"
        else:
            reason = f"{fields} fields instead of 5 (fields are separated by TABs)"
        problems.append(LogProblem(int(line_numbers[row]), reason, _preview(text)))
    for k, row in enumerate(bad_fields.tolist()):
        text = data[line_starts[row] : line_ends[row]]
        values = dict(zip(("start", "end", "mtime", "output", "hash"), text.split(b"\t"), strict=True))
        reasons = [
            _FIELD_PROBLEMS[name].format(values.get(name, b"").decode("utf-8", "replace")[:24])
            for name, ok in field_checks.items()
            if not ok[k]
        ]
        problems.append(LogProblem(int(line_numbers[row]), "; ".join(reasons), _preview(text)))
    problems.sort(key=lambda p: p.line)
    return problems


def _preview(text: bytes, limit: int = 80) -> str:
    """The start of a damaged line as printable text, TABs shown as \\t."""
    shown = text.decode("utf-8", "replace").replace("\t", "\\t")
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."
