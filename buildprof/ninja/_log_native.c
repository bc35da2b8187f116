/* The last build of a `.ninja_log`, read from the end of the file (optional: without this module,
   or with BUILDPROF_NO_NATIVE=1, the whole log is read and split, which gives the same build).

   last_build(data, body_start, count_lines) -> None or (rows, start, end, mtime, cmdhash, lo, hi,
   first_offset, first_line, lines_read): the lines of the log's last build in file order, as
   bytearrays of int64 (cmdhash: uint64), lo/hi the byte range of each line's output path in data;
   first_offset where the build's first line starts; first_line its line number (the header is
   line 1) when count_lines is true, else 0; lines_read how many lines were looked at.

   Why reading from the end is enough (analysis/builds.py is the rule): within a ninja run end times
   never decrease, so the log falls into segments at every place where the end time goes back. Every
   such place after the recompacted block (if any) starts a build, and that block always ends at or
   before the end of the segment after the last segment holding no repeated output (builds.py's
   `not_runs` are looked for only up to the first repeated output, and its `_block_end` stays within
   the next segment). So when some line in the third segment from the end, or earlier, names an
   output that an earlier line names too, the block ends before the last segment starts, and the
   last build is exactly the last segment. The scan goes back line by line: the last segment, the one
   before, then earlier lines until one names an output that a later one (but not in the last two
   segments) names too. Within one build outputs do not repeat, so the evidence is a line of an
   earlier build naming an output of a later one: every line before the last two segments is looked
   up in a hash set, which keeps the output of one line in SAMPLE_EVERY (hashing every output of the
   third segment from the end would cost more than parsing its lines; the builds of a log rebuild
   many of the same outputs, so a sampled one soon turns up).

   None, and the caller reads the whole log, whenever that cannot be shown from the end: a line the
   log reader (ninja/log.py) would call damaged (any doubt: its checks are repeated here exactly), an
   unterminated last line, fewer than three segments, or no repeated output before the last two; and
   when the proof is not found in the last half of the log (its builds are few and large: reading the
   whole log then costs not much more, and a log of one build costs this scan at most that half).
*/
#define _GNU_SOURCE /* memrchr */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TIME_DIGITS 16
#define MTIME_DIGITS 19
#define HASH_DIGITS 16
#define SAMPLE_EVERY 16 /* of the lines before the last two segments, those whose outputs are kept */

typedef struct {
    int64_t start, end, mtime;
    uint64_t hash;
    int64_t lo, hi;
} Row;

typedef struct {
    Row *rows;
    Py_ssize_t size, capacity;
} Rows;

static int rows_push(Rows *rows, const Row *row) {
    if (rows->size == rows->capacity) {
        Py_ssize_t capacity = rows->capacity ? 2 * rows->capacity : 4096;
        Row *grown = realloc(rows->rows, (size_t)capacity * sizeof(Row));
        if (grown == NULL)
            return 0;
        rows->rows = grown;
        rows->capacity = capacity;
    }
    rows->rows[rows->size++] = *row;
    return 1;
}

static unsigned char digit_value[256]; /* 0-9 for an ASCII digit, 0x80 for any other byte */

/* A decimal field of 1..max_digits ASCII digits whose value fits an int64 (fields.parse_decimal). */
static int parse_decimal(const unsigned char *p, const unsigned char *stop, int max_digits, int64_t *out) {
    Py_ssize_t n = stop - p;
    uint64_t value = 0;
    unsigned bad = 0;
    if (n <= 0 || n > max_digits)
        return 0;
    for (; p < stop; p++) { /* no branch per digit: a non-digit sets 0x80 in `bad` */
        unsigned digit = digit_value[*p];
        bad |= digit;
        value = value * 10 + (digit & 15); /* 19 digits stay below 2**64 */
    }
    if (bad & 0x80 || value > (uint64_t)INT64_MAX)
        return 0;
    *out = (int64_t)value;
    return 1;
}

static unsigned char hex_value[256]; /* 0-15 for a hexadecimal digit, 0x80 for any other byte */

/* A hexadecimal field of 1..16 digits, either case (fields.parse_hex). */
static int parse_hex(const unsigned char *p, const unsigned char *stop, uint64_t *out) {
    Py_ssize_t n = stop - p;
    uint64_t value = 0;
    unsigned bad = 0;
    if (n <= 0 || n > HASH_DIGITS)
        return 0;
    for (; p < stop; p++) {
        unsigned digit = hex_value[*p];
        bad |= digit;
        value = (value << 4) | (digit & 15);
    }
    *out = value;
    return (bad & 0x80) == 0;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define LOW7 0x7F7F7F7F7F7F7F7FULL

static uint64_t load8(const unsigned char *p) {
    uint64_t word;
    memcpy(&word, p, 8);
    return word;
}

/* The positions of the four TABs of the line data[first:last]; 0 when it holds another number of
   TABs or a byte below 9 (a control byte of a damaged line). One pass, eight bytes at a time: a byte
   is below 10 when neither its high bit nor the carry out of its low seven bits plus 0x76 is set. */
static int find_tabs(const unsigned char *data, Py_ssize_t first, Py_ssize_t last, Py_ssize_t tabs[4]) {
    int n_tabs = 0;
    Py_ssize_t k = first;
    for (; k + 8 <= last; k += 8) {
        uint64_t word = load8(data + k);
        uint64_t below_ten = ~(((word & LOW7) + 0x76 * ONES) | word) & HIGHS;
        while (below_ten) {
            Py_ssize_t at = k + (__builtin_ctzll(below_ten) >> 3);
            if (data[at] != '\t' || n_tabs == 4)
                return 0;
            tabs[n_tabs++] = at;
            below_ten &= below_ten - 1;
        }
    }
    for (; k < last; k++) {
        if (data[k] < 10) {
            if (data[k] != '\t' || n_tabs == 4)
                return 0;
            tabs[n_tabs++] = k;
        }
    }
    return n_tabs == 4;
}

/* The line data[first:last] (its newline at `last`) as a row; 0 when the log reader would call it
   damaged: not exactly four TABs, a byte below 9, a field that is not a number, an empty output,
   an end before the start. A CR before the newline ends the hash, as ninja reads it. */
static int parse_line(const unsigned char *data, Py_ssize_t first, Py_ssize_t last, Row *row) {
    Py_ssize_t tabs[4];
    if (!find_tabs(data, first, last, tabs))
        return 0;
    Py_ssize_t hash_end = data[last - 1] == '\r' ? last - 1 : last;
    if (!parse_decimal(data + first, data + tabs[0], TIME_DIGITS, &row->start) ||
        !parse_decimal(data + tabs[0] + 1, data + tabs[1], TIME_DIGITS, &row->end) ||
        !parse_decimal(data + tabs[1] + 1, data + tabs[2], MTIME_DIGITS, &row->mtime) ||
        !parse_hex(data + tabs[3] + 1, data + hash_end, &row->hash) || tabs[3] <= tabs[2] + 1 ||
        row->end < row->start)
        return 0;
    row->lo = tabs[2] + 1;
    row->hi = tabs[3];
    return 1;
}

/* Output paths seen, by their bytes: open addressing; a probe reads the small array of 32-bit tags
   (0: empty) and looks at the slot's path only when the tag matches. */
typedef struct {
    int64_t lo, hi;
} Slot;

typedef struct {
    uint32_t *tags;
    Slot *slots;
    Py_ssize_t size, mask;
} PathSet;

static uint64_t path_hash(const unsigned char *p, Py_ssize_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n;
    Py_ssize_t k = 0;
    for (; k + 8 <= n; k += 8) {
        h = (h ^ load8(p + k)) * 0xFF51AFD7ED558CCDULL;
        h ^= h >> 32;
    }
    uint64_t tail = 0;
    memcpy(&tail, p + k, (size_t)(n - k));
    h = (h ^ tail) * 0xC4CEB9FE1A85EC53ULL;
    return h ^ (h >> 29);
}

static uint32_t tag_of(uint64_t h) { return (uint32_t)(h >> 32) | 1; }

static int set_init(PathSet *set, Py_ssize_t slots) {
    set->tags = calloc((size_t)slots, sizeof(uint32_t));
    set->slots = malloc((size_t)slots * sizeof(Slot));
    set->size = 0;
    set->mask = slots - 1;
    return set->tags != NULL && set->slots != NULL;
}

static void set_free(PathSet *set) {
    free(set->tags);
    free(set->slots);
}

static void set_put(PathSet *set, uint64_t h, Slot slot) {
    Py_ssize_t k = (Py_ssize_t)(h & (uint64_t)set->mask);
    while (set->tags[k])
        k = (k + 1) & set->mask;
    set->tags[k] = tag_of(h);
    set->slots[k] = slot;
    set->size++;
}

/* 1 when the path data[lo:hi] is in the set already; else 0, after adding it if `insert`; -1 out of
   memory. */
static int set_add(PathSet *set, const unsigned char *data, int64_t lo, int64_t hi, int insert) {
    uint64_t h = path_hash(data + lo, hi - lo);
    uint32_t tag = tag_of(h);
    for (Py_ssize_t k = (Py_ssize_t)(h & (uint64_t)set->mask); set->tags[k]; k = (k + 1) & set->mask) {
        const Slot *slot = &set->slots[k];
        if (set->tags[k] == tag && slot->hi - slot->lo == hi - lo &&
            memcmp(data + slot->lo, data + lo, (size_t)(hi - lo)) == 0)
            return 1;
    }
    if (!insert)
        return 0;
    if (2 * (set->size + 1) > set->mask + 1) { /* keep it at most half full */
        PathSet grown;
        if (!set_init(&grown, 2 * (set->mask + 1))) {
            set_free(&grown);
            return -1;
        }
        for (Py_ssize_t k = 0; k <= set->mask; k++) {
            if (set->tags[k]) {
                const Slot *slot = &set->slots[k];
                set_put(&grown, path_hash(data + slot->lo, slot->hi - slot->lo), *slot);
            }
        }
        set_free(set);
        *set = grown;
    }
    Slot slot = {lo, hi};
    set_put(set, h, slot);
    return 0;
}

enum { FOUND = 1, CANNOT_TELL = 0, NO_MEMORY = -1 };

/* Fill `last` with the last segment's rows (newest first); see the header comment. */
static int scan_back(const unsigned char *data, Py_ssize_t body_start, Py_ssize_t size, Rows *last,
                     Py_ssize_t *first_offset, Py_ssize_t *lines_read) {
    if (size <= body_start || data[size - 1] != '\n')
        return CANNOT_TELL; /* no line, or an unterminated last line: the reader reports it */
    PathSet seen;
    if (!set_init(&seen, 1 << 16)) {
        set_free(&seen);
        return NO_MEMORY;
    }
    int result = CANNOT_TELL, segment = 0;
    Py_ssize_t older = 0; /* lines read before the last two segments */
    int64_t later_end = INT64_MAX;
    Py_ssize_t newline = size - 1;
    Py_ssize_t give_up = size - (size - body_start) / 2; /* past half the log, reading it all is as cheap */
    while (newline >= body_start && newline >= give_up) {
        const unsigned char *before = memrchr(data + body_start, '\n', (size_t)(newline - body_start));
        Py_ssize_t first = before == NULL ? body_start : before - data + 1;
        Row row;
        ++*lines_read;
        if (first == newline || !parse_line(data, first, newline, &row))
            break; /* damaged (or empty): the log reader reports it */
        if (row.end > later_end && ++segment == 1)
            *first_offset = newline + 1; /* the line after this one starts the last segment */
        later_end = row.end;
        if (segment == 0) {
            if (!rows_push(last, &row)) {
                result = NO_MEMORY;
                break;
            }
        } else if (segment >= 2) {
            int sampled = older++ % SAMPLE_EVERY == 0;
            int repeated = segment > 2 || sampled ? set_add(&seen, data, row.lo, row.hi, sampled) : 0;
            if (repeated != 0) {
                result = repeated > 0 ? FOUND : NO_MEMORY;
                break;
            }
        }
        newline = first - 1;
    }
    set_free(&seen);
    return result;
}

static PyObject *int64_column(const Rows *rows, size_t offset) {
    PyObject *out = PyByteArray_FromStringAndSize(NULL, rows->size * (Py_ssize_t)sizeof(int64_t));
    if (out == NULL)
        return NULL;
    int64_t *values = (int64_t *)PyByteArray_AS_STRING(out);
    for (Py_ssize_t k = 0; k < rows->size; k++) /* newest first in `rows`: file order here */
        memcpy(&values[rows->size - 1 - k], (const char *)&rows->rows[k] + offset, sizeof(int64_t));
    return out;
}

static Py_ssize_t count_newlines(const unsigned char *data, Py_ssize_t stop) {
    Py_ssize_t count = 0, k = 0;
    for (; k + 8 <= stop; k += 8) { /* each byte equal to '\n' becomes 0x80, the others 0 */
        uint64_t word = load8(data + k) ^ (10 * ONES);
        count += __builtin_popcountll(~(((word & LOW7) + LOW7) | word | LOW7));
    }
    for (; k < stop; k++)
        count += data[k] == '\n';
    return count;
}

static PyObject *last_build(PyObject *self, PyObject *args) {
    Py_buffer buffer;
    Py_ssize_t body_start;
    int count_lines;
    if (!PyArg_ParseTuple(args, "y*np", &buffer, &body_start, &count_lines))
        return NULL;
    Rows rows = {NULL, 0, 0};
    Py_ssize_t first_offset = 0, lines_read = 0, first_line = 0;
    int result;
    Py_BEGIN_ALLOW_THREADS;
    result = scan_back(buffer.buf, body_start, buffer.len, &rows, &first_offset, &lines_read);
    if (result == FOUND && count_lines)
        first_line = count_newlines(buffer.buf, first_offset) + 1;
    Py_END_ALLOW_THREADS;
    PyBuffer_Release(&buffer);
    if (result != FOUND) {
        free(rows.rows);
        if (result == NO_MEMORY)
            return PyErr_NoMemory();
        Py_RETURN_NONE;
    }
    PyObject *columns[6] = {NULL};
    size_t offsets[6] = {offsetof(Row, start), offsetof(Row, end), offsetof(Row, mtime),
                         offsetof(Row, hash), offsetof(Row, lo), offsetof(Row, hi)};
    PyObject *out = NULL;
    for (int k = 0; k < 6; k++)
        if ((columns[k] = int64_column(&rows, offsets[k])) == NULL)
            goto done;
    out = Py_BuildValue("nOOOOOOnnn", rows.size, columns[0], columns[1], columns[2], columns[3], columns[4],
                        columns[5], first_offset, first_line, lines_read);
done:
    for (int k = 0; k < 6; k++)
        Py_XDECREF(columns[k]);
    free(rows.rows);
    return out;
}

static PyMethodDef methods[] = {
    {"last_build", last_build, METH_VARARGS,
     "last_build(data, body_start, count_lines) -> None or (rows, start, end, mtime, cmdhash, lo, hi, "
     "first_offset, first_line, lines_read): the log's last build read from its end (see the source)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_log_native",
                                    "The last build of a .ninja_log, read from its end.", -1, methods};

PyMODINIT_FUNC PyInit__log_native(void) {
    for (int c = 0; c < 256; c++) {
        digit_value[c] = c >= '0' && c <= '9' ? (unsigned char)(c - '0') : 0x80;
        hex_value[c] = c >= '0' && c <= '9'   ? (unsigned char)(c - '0')
                       : c >= 'a' && c <= 'f' ? (unsigned char)(c - 'a' + 10)
                       : c >= 'A' && c <= 'F' ? (unsigned char)(c - 'A' + 10)
                                              : 0x80;
    }
    return PyModule_Create(&module);
}
