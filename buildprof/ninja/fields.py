"""Decode delimited fields of a byte buffer column-wise with numpy: numbers, hashes, repeated strings.

Used by the `.ninja_log` reader, whose million-line logs are too slow to split line by line in Python.
Every function takes the buffer as a uint8 array (or bytes) and the [lo, hi) offsets of one field per
row, and returns one value per row plus, where a field can be malformed, a validity mask. Numbers are
decoded eight characters at a time inside a uint64 (Lemire's SWAR method, as in simdjson); repeated
strings are told apart by fingerprints computed over their bytes, so each distinct one is decoded once.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.lib.stride_tricks import as_strided

_SEPARATOR_MAX = 10  # TAB (9) and newline (10) are the only bytes below 11 a text file should hold
_BLOCK = 1 << 22  # bytes searched for separators at a time
_CHUNK = 1 << 15  # rows fingerprinted at a time: bounds the memory of the gathered string bytes
_STRING_WIDTH = 256  # strings up to this long are fingerprinted; longer ones go through a dictionary
_HASH_DIGITS = 16  # a 64-bit number in hexadecimal
_MIX = tuple(  # odd 64-bit constants from splitmix64 and murmur3's finaliser
    np.uint64(c)
    for c in (
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0xFF51AFD7ED558CCD,
        0xC4CEB9FE1A85EC53,
    )
)
_INT64_MAX = np.uint64(2**63 - 1)
_ZEROS = np.uint64(0x3030303030303030)  # eight ASCII "0"
_SIXES = np.uint64(0x0606060606060606)
_HIGH_NIBBLES = np.uint64(0xF0F0F0F0F0F0F0F0)
# Eight ASCII digits in a little-endian word -> their value: pairs, then quads, then all eight.
_SWAR_STEPS = (
    (0x0F0F0F0F0F0F0F0F, 2561, 8),
    (0x00FF00FF00FF00FF, 6553601, 16),
    (0x0000FFFF0000FFFF, 42949672960001, 32),
)
_ONES = 0xFFFFFFFFFFFFFFFF
# _KEEP_LAST[k] keeps the last k characters of a little-endian uint64 word (its k high bytes),
# _KEEP_FIRST[k] its first k characters (its k low bytes).
_KEEP_LAST = np.array([0] + [(_ONES << (8 * (8 - k))) & _ONES for k in range(1, 9)], dtype=np.uint64)
_KEEP_FIRST = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)
_HEX_VALUE = np.full(256, 0xFF, dtype=np.uint8)  # 0-15 for a hexadecimal digit, 0xFF otherwise
for _i, _c in enumerate(b"0123456789abcdef"):
    _HEX_VALUE[_c] = _i
for _i, _c in enumerate(b"ABCDEF"):
    _HEX_VALUE[_c] = 10 + _i


def find_separators(raw: np.ndarray) -> np.ndarray:
    """Positions of every byte below 11: TAB and newline, and the control bytes of damaged lines.

    One pass finds both separators; it runs block by block so that the temporary mask stays small.
    """
    blocks = [np.flatnonzero(raw[a : a + _BLOCK] <= _SEPARATOR_MAX) + a for a in range(0, len(raw), _BLOCK)]
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.int64)


def gather(raw: np.ndarray, first: np.ndarray, width: int) -> np.ndarray:
    """Copy raw[first[i] : first[i] + width] into row i of a (n, width) matrix (zeros beyond raw)."""
    n_bytes = len(raw)
    if n_bytes < 4 * width:  # a tiny log: pad a copy rather than handle the edges
        padded = np.zeros(n_bytes + 2 * width, dtype=np.uint8)
        padded[width : width + n_bytes] = raw
        return _windows(padded, width)[first + width]
    out = _windows(raw, width)[np.clip(first, 0, n_bytes - width)]
    head = np.flatnonzero(first < 0)
    if head.size:
        edge = np.concatenate((np.zeros(width, dtype=np.uint8), raw[:width]))
        out[head] = _windows(edge, width)[first[head] + width]
    tail = np.flatnonzero(first > n_bytes - width)
    if tail.size:
        edge = np.concatenate((raw[n_bytes - width :], np.zeros(width, dtype=np.uint8)))
        out[tail] = _windows(edge, width)[first[tail] - (n_bytes - width)]
    return out


def _windows(buffer: np.ndarray, width: int) -> np.ndarray:
    """A read-only (n, width) view whose row i holds buffer[i:i+width]."""
    return as_strided(buffer, shape=(len(buffer) - width + 1, width), strides=(1, 1), writeable=False)


def _field_words(
    raw: np.ndarray, lo: np.ndarray, hi: np.ndarray, max_chars: int, table: np.ndarray | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
    """Yield, most significant first, the uint64 words holding each field raw[lo:hi] right-aligned.

    Only as many words as the longest field needs (at most max_chars / 8) are read, and each byte is
    mapped through `table` first if one is given. Each yielded word is little-endian (its first
    character in the low byte) with a mask of the bytes that belong to the field; the others belong
    to earlier fields and must be ignored (None when the word lies inside every field).
    """
    length = hi - lo
    n_words = max(1, (min(max_chars, int(length.max(initial=1))) + 7) // 8)
    matrix = gather(raw, hi - 8 * n_words, 8 * n_words)
    words = (matrix if table is None else table[matrix]).view("<u8")
    for j in range(n_words):
        inside = np.clip(length - 8 * (n_words - 1 - j), 0, 8)
        yield words[:, j], (None if inside.min(initial=8) == 8 else _KEEP_LAST[inside])


def parse_decimal(
    raw: np.ndarray, lo: np.ndarray, hi: np.ndarray, max_digits: int
) -> tuple[np.ndarray, np.ndarray]:
    """Parse the decimal fields raw[lo:hi] of every line at once; returns int64 values and validity.

    Eight digits are decoded at a time inside a uint64 (Lemire's SWAR method); a byte is a digit when
    its high nibble is 3 and stays 3 after adding 6 (which moves 0x3A-0x3F out).
    """
    length = hi - lo
    value = np.zeros(len(lo), dtype=np.uint64)
    bad = np.zeros(len(lo), dtype=np.uint64)
    scratch = np.empty(len(lo), dtype=np.uint64)
    for word, keep in _field_words(raw, lo, hi, max_digits):  # in place: fewer fresh pages
        w = np.array(word)
        if keep is not None:  # bytes of earlier fields read as leading zeros
            w &= keep
            np.invert(keep, out=keep)
            keep &= _ZEROS
            w |= keep
        np.bitwise_and(w, _HIGH_NIBBLES, out=scratch)
        scratch ^= _ZEROS
        bad |= scratch
        np.add(w, _SIXES, out=scratch)
        scratch &= _HIGH_NIBBLES
        scratch ^= _ZEROS
        bad |= scratch
        for mask, multiplier, shift in _SWAR_STEPS:
            w &= mask
            w *= multiplier
            w >>= shift
        value *= 100_000_000
        value += w
    ok = (bad == 0) & (length > 0) & (length <= max_digits)
    ok &= value <= _INT64_MAX
    value[~ok] = 0
    return value.astype(np.int64), ok


def parse_hex(raw: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parse the hexadecimal hash fields raw[lo:hi] into uint64; returns values and validity."""
    length = hi - lo
    value = np.zeros(len(lo), dtype=np.uint64)
    bad = np.zeros(len(lo), dtype=np.uint64)
    # Each byte becomes its value 0-15, or 0xFF when it is not a hexadecimal digit.
    for word, keep in _field_words(raw, lo, hi, _HASH_DIGITS, _HEX_VALUE):
        v = word if keep is None else word & keep
        bad |= v & _HIGH_NIBBLES
        v = ((v << 4) + (v >> 8)) & 0x00FF00FF00FF00FF  # pairs of nibbles, then quads, then eight
        v = ((v << 8) + (v >> 16)) & 0x0000FFFF0000FFFF
        v = ((v << 16) + (v >> 32)) & 0x00000000FFFFFFFF
        value = (value << 32) | v
    ok = (bad == 0) & (length > 0) & (length <= _HASH_DIGITS)
    value[~ok] = 0
    return value, ok


def factorize_slices(body: bytes, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes for the byte strings body[lo:hi] plus the distinct strings, decoded once."""
    codes, firsts = factorize_slice_rows(body, lo, hi)
    return codes, _decode(body, lo[firsts], hi[firsts])


def factorize_slice_rows(body: bytes, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes for the byte strings body[lo:hi], and the row of each code's first occurrence.

    Strings up to _STRING_WIDTH bytes are told apart by a 128-bit fingerprint computed over their bytes
    with numpy; should two different strings ever share the first half, the check on the second half
    notices and the exact dictionary method runs instead. Longer strings always use that method.
    """
    n = len(lo)
    raw = np.frombuffer(body, dtype=np.uint8)
    length = hi - lo
    short = np.flatnonzero(length <= _STRING_WIDTH)
    long_rows = np.flatnonzero(length > _STRING_WIDTH)
    import pandas as pd  # only here: reading a log needs numpy alone

    first_half, second_half = _fingerprints(raw, lo[short], length[short])
    codes_short, _ = pd.factorize(first_half)
    firsts = _first_occurrences(codes_short)
    if not np.array_equal(second_half, second_half[firsts][codes_short]):
        return _factorize_exact(body, lo, hi)
    if not long_rows.size:
        return codes_short.astype(np.int64, copy=False), firsts
    codes = np.empty(n, dtype=np.int64)
    codes[short] = codes_short
    codes_long, firsts_long = _factorize_exact(body, lo[long_rows], hi[long_rows])
    codes[long_rows] = codes_long + len(firsts)
    return codes, np.concatenate((short[firsts], long_rows[firsts_long]))


def _fingerprints(raw: np.ndarray, lo: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two independent 64-bit hashes of each byte string raw[lo:lo+length], chunk by chunk."""
    first = np.empty(len(lo), dtype=np.uint64)
    second = np.empty(len(lo), dtype=np.uint64)
    for a in range(0, len(lo), _CHUNK):
        b = min(a + _CHUNK, len(lo))
        size = length[a:b]
        n_words = max(1, (int(size.max(initial=0)) + 7) // 8)
        words = gather(raw, lo[a:b], 8 * n_words).view("<u8")
        h1 = size.astype(np.uint64) * _MIX[0]
        h2 = size.astype(np.uint64) * _MIX[1] + _MIX[2]
        for j in range(n_words):
            w = words[:, j] & _KEEP_FIRST[np.clip(size - 8 * j, 0, 8)]  # not the bytes after the string
            h1 = (h1 ^ w) * _MIX[3]
            h1 ^= h1 >> 29
            h2 = (h2 + w) * _MIX[4]
            h2 ^= h2 >> 31
        first[a:b] = h1
        second[a:b] = h2
    return first, second


def _first_occurrences(codes: np.ndarray) -> np.ndarray:
    """Row of the first occurrence of each code, for codes numbered in order of first appearance."""
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    seen_before = np.maximum.accumulate(np.concatenate(([-1], codes[:-1])))
    return np.flatnonzero(codes > seen_before)


def _factorize_exact(body: bytes, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and first-occurrence rows of body[lo:hi] through a Python dictionary of the bytes."""
    slices = [body[a:b] for a, b in zip(lo.tolist(), hi.tolist(), strict=True)]
    codes_of: dict[bytes, int] = {}
    codes = np.fromiter((codes_of.setdefault(s, len(codes_of)) for s in slices), np.int64, len(slices))
    return codes, _first_occurrences(codes)


def _decode(body: bytes, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The strings body[lo:hi] as an object array (decoded in one call: they hold no newline)."""
    names = np.empty(len(lo), dtype=object)
    for a in range(0, len(lo), 4 * _CHUNK):  # in chunks, so that the temporary copies stay small
        rows = zip(lo[a : a + 4 * _CHUNK].tolist(), hi[a : a + 4 * _CHUNK].tolist(), strict=True)
        joined = b"\n".join([body[first:last] for first, last in rows])
        names[a : a + 4 * _CHUNK] = joined.decode("utf-8", "surrogateescape").split("\n")
    return names
