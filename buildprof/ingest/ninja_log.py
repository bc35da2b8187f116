"""Read ninja's `.ninja_log` (versions 5-7) into a DataFrame, vectorised, keeping every damaged line.

The log is `# ninja log vN` then one line per output: start_ms, end_ms, mtime, output, hash, separated
by TABs. Parsing works on the raw bytes with numpy so that a million-line log takes about a second; each
line that does not have that shape is reported by line number and left out, never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import as_strided

from buildprof.errors import InputError
from buildprof.model import LOG_COLUMNS, LogProblem

SUPPORTED_VERSIONS = (5, 6, 7)
_HEADER = re.compile(rb"# ninja log v(\d+)\s*$")
_TAB, _NEWLINE = 9, 10
_INT_WIDTH = 20  # enough digits for an int64 nanosecond mtime
_HASH_WIDTH = 16  # a 64-bit hash in hex
_PAD = _INT_WIDTH
_POW10 = 10.0 ** np.arange(9, -1, -1)
_HEX_VALUE = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(b"0123456789abcdef"):
    _HEX_VALUE[_c] = _i
for _i, _c in enumerate(b"ABCDEF"):
    _HEX_VALUE[_c] = 10 + _i


@dataclass
class NinjaLog:
    """A parsed `.ninja_log`: its version, the valid lines in file order and the damaged ones."""

    path: str
    version: int
    entries: pd.DataFrame  # columns LOG_COLUMNS, one row per valid line, in file order
    problems: list[LogProblem] = field(default_factory=list)
    total_lines: int = 0  # lines after the header, valid or not


def read_ninja_log(path: str | Path) -> NinjaLog:
    """Read and parse the `.ninja_log` at `path`; raises InputError if it cannot be used at all."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path) from None
    return parse_ninja_log(data, str(path))


def parse_ninja_log(data: bytes, path: str = ".ninja_log") -> NinjaLog:
    """Parse the bytes of a `.ninja_log`; damaged lines become LogProblems, not exceptions."""
    if not data or data.isspace():
        raise InputError("the ninja log is empty (no build has finished a step yet)", path)
    header_end = data.find(b"\n")
    header = data[: header_end if header_end >= 0 else len(data)]
    version = _parse_header(header, path)
    body = data[header_end + 1 :] if header_end >= 0 else b""
    entries, problems, total = _parse_body(body, first_line=2)
    return NinjaLog(path=path, version=version, entries=entries, problems=problems, total_lines=total)


def _parse_header(header: bytes, path: str) -> int:
    match = _HEADER.match(header)
    if not match:
        shown = header[:40].decode("utf-8", "replace")
        raise InputError(f"not a ninja log: first line is {shown!r}, expected '# ninja log vN'", path, 1)
    version = int(match.group(1))
    if version not in SUPPORTED_VERSIONS:
        raise InputError(
            f"ninja log version {version} is not supported (buildprof reads v5, v6 and v7, "
            "written by ninja 1.10 to 1.13)",
            path,
            1,
        )
    return version


def _parse_body(body: bytes, first_line: int) -> tuple[pd.DataFrame, list[LogProblem], int]:
    """Split `body` into lines, validate their fields and build the entries DataFrame."""
    raw = np.frombuffer(body, dtype=np.uint8)
    n_bytes = len(raw)
    # One pass finds both separators: TAB (9) and newline (10) are the only bytes below 11 we expect.
    seps = np.flatnonzero(raw <= _NEWLINE)
    kinds = raw[seps]
    is_newline = kinds == _NEWLINE
    newline_at = np.flatnonzero(is_newline)  # indexes into seps
    unterminated = n_bytes > 0 and (len(seps) == 0 or seps[-1] != n_bytes - 1 or not is_newline[-1])
    line_ends = seps[newline_at]
    if unterminated:
        line_ends = np.append(line_ends, n_bytes)
        newline_at = np.append(newline_at, len(seps))
    n_lines = len(line_ends)
    line_starts = np.empty(n_lines, dtype=np.int64)
    if n_lines:
        line_starts[0] = 0
        line_starts[1:] = line_ends[:-1] + 1
    first_sep = np.empty(n_lines, dtype=np.int64)  # index into seps of the line's first separator
    if n_lines:
        first_sep[0] = 0
        first_sep[1:] = newline_at[:-1] + 1
    n_seps = newline_at - first_sep
    # Bytes 0-8 other than TAB also land in seps; a line holding one is damaged.
    odd_bytes = np.bincount(
        np.searchsorted(line_ends, seps[(kinds != _NEWLINE) & (kinds != _TAB)]), minlength=n_lines
    )[:n_lines]
    shaped = (n_seps == 4) & (odd_bytes == 0)
    if unterminated:
        shaped[-1] = False

    # Zero padding on both sides lets fixed-width windows start before the first or end after the
    # last byte; every position below is shifted by _PAD.
    padded = np.zeros(_PAD + n_bytes + _INT_WIDTH + 1, dtype=np.uint8)
    padded[_PAD : _PAD + n_bytes] = raw
    idx = first_sep[shaped]
    tabs = [seps[idx + k] for k in range(4)]
    starts, ends = line_starts[shaped], line_ends[shaped]
    start_ms, ok_start = _digits(padded, starts + _PAD, tabs[0] + _PAD)
    end_ms, ok_end = _digits(padded, tabs[0] + 1 + _PAD, tabs[1] + _PAD)
    mtime, ok_mtime = _digits(padded, tabs[1] + 1 + _PAD, tabs[2] + _PAD)
    cmdhash, ok_hash = _hex(padded, tabs[3] + 1 + _PAD, ends + _PAD)
    ok_output = tabs[3] > tabs[2] + 1
    ok_order = end_ms >= start_ms
    ok = ok_start & ok_end & ok_mtime & ok_hash & ok_output & ok_order

    line_numbers = np.arange(n_lines, dtype=np.int64) + first_line
    good_rows = np.flatnonzero(shaped)[ok]
    out_lo, out_hi = (tabs[2] + 1)[ok], tabs[3][ok]
    codes, names = _factorize_slices(body, out_lo, out_hi)
    entries = pd.DataFrame(
        {
            "line": line_numbers[good_rows],
            "start_ms": start_ms[ok],
            "end_ms": end_ms[ok],
            "mtime": mtime[ok],
            "output": pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object)),
            "cmdhash": cmdhash[ok],
        },
        columns=list(LOG_COLUMNS),
    )
    bad_shape = np.flatnonzero(~shaped)
    bad_fields = np.flatnonzero(shaped)[~ok]
    field_checks = {
        "start": ok_start[~ok],
        "end": ok_end[~ok],
        "mtime": ok_mtime[~ok],
        "hash": ok_hash[~ok],
        "output": ok_output[~ok],
        "order": ok_order[~ok],
    }
    problems = _describe_problems(
        body,
        line_starts,
        line_ends,
        line_numbers,
        n_seps,
        odd_bytes,
        bad_shape,
        bad_fields,
        field_checks,
        unterminated,
    )
    return entries, problems, n_lines


def _windows(padded: np.ndarray, width: int) -> np.ndarray:
    """A read-only (n, width) view whose row i holds padded[i:i+width], for gathering fields."""
    return as_strided(padded, shape=(len(padded) - width + 1, width), strides=(1, 1), writeable=False)


def _right_aligned(padded: np.ndarray, lo: np.ndarray, hi: np.ndarray, width: int):
    """Gather each field padded[lo:hi] right-aligned into a (n, width) uint8 matrix plus a mask."""
    length = hi - lo
    mat = _windows(padded, width)[hi - width]
    inside = np.arange(width) >= (width - length)[:, None]
    return mat, inside, length


def _digits(padded: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parse the decimal fields padded[lo:hi] of every line at once; returns values and validity."""
    mat, inside, length = _right_aligned(padded, lo, hi, _INT_WIDTH)
    digits = mat - ord("0")  # uint8 arithmetic wraps every non-digit above 9
    ok = (length > 0) & (length < _INT_WIDTH) & ((digits < 10) | ~inside).all(axis=1)
    digits[~inside] = 0
    digits[~ok] = 0
    # Two exact float64 dot products (each part has at most 10 digits), then one int64 combine.
    low = digits[:, -10:].astype(np.float64) @ _POW10
    high = digits[:, :-10].astype(np.float64) @ _POW10[-(_INT_WIDTH - 10) :]
    return high.astype(np.int64) * 10**10 + low.astype(np.int64), ok


def _hex(padded: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parse the hexadecimal hash fields padded[lo:hi] into uint64; returns values and validity."""
    mat, inside, length = _right_aligned(padded, lo, hi, _HASH_WIDTH)
    nibbles = _HEX_VALUE[mat]
    ok = (length > 0) & (length <= _HASH_WIDTH) & ((nibbles < 16) | ~inside).all(axis=1)
    nibbles[~inside] = 0
    nibbles[~ok] = 0
    packed = (nibbles[:, 0::2] << 4) | nibbles[:, 1::2]  # 8 bytes per row, most significant first
    values = np.ascontiguousarray(packed).view(">u8").ravel().astype(np.uint64)
    return values, ok


def _factorize_slices(body: bytes, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Turn the output fields into integer codes plus the distinct output paths (decoded once)."""
    slices = list(map(body.__getitem__, map(slice, lo.tolist(), hi.tolist())))
    distinct = dict.fromkeys(slices)
    for code, key in enumerate(distinct):
        distinct[key] = code
    codes = np.fromiter(map(distinct.__getitem__, slices), dtype=np.int64, count=len(slices))
    names = [raw.decode("utf-8", "surrogateescape") for raw in distinct]
    return codes, names


def _describe_problems(
    body: bytes,
    line_starts: np.ndarray,
    line_ends: np.ndarray,
    line_numbers: np.ndarray,
    n_seps: np.ndarray,
    odd_bytes: np.ndarray,
    bad_shape: np.ndarray,
    bad_fields: np.ndarray,
    field_checks: dict[str, np.ndarray],
    unterminated: bool,
) -> list[LogProblem]:
    """One LogProblem per damaged line, saying what is wrong with it (only damaged lines get here)."""
    problems: list[LogProblem] = []
    last = len(line_ends) - 1
    for row in bad_shape.tolist():
        text = body[line_starts[row] : line_ends[row]]
        fields = int(n_seps[row]) + 1
        if row == last and unterminated:
            reason = "incomplete last line (no newline at the end): the build was probably killed"
        elif not text.strip():
            reason = "empty line"
        elif odd_bytes[row]:
            reason = "holds control characters"
        elif fields >= 9:
            reason = (
                f"{fields} fields instead of 5: looks like a partial line glued to the next "
                "(a killed build followed by a new one)"
            )
        else:
            reason = f"{fields} tab-separated fields instead of 5"
        problems.append(LogProblem(int(line_numbers[row]), reason, _preview(text)))
    labels = {
        "start": "start time is not a whole number of ms",
        "end": "end time is not a whole number of ms",
        "mtime": "mtime is not a whole number",
        "hash": "command hash is not hexadecimal",
        "output": "output path is empty",
        "order": "ends before it starts",
    }
    for k, row in enumerate(bad_fields.tolist()):
        reasons = [labels[name] for name, ok in field_checks.items() if not ok[k]]
        text = body[line_starts[row] : line_ends[row]]
        problems.append(LogProblem(int(line_numbers[row]), "; ".join(reasons), _preview(text)))
    problems.sort(key=lambda p: p.line)
    return problems


def _preview(text: bytes, limit: int = 80) -> str:
    shown = text.decode("utf-8", "replace").replace("\t", "\\t")
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."
