/*
 * buildprof._tracescan: read a clang -ftime-trace JSON document straight into columns.
 *
 * An optional accelerator for buildprof/ingest/trace_batch.py. Decoding a trace into one Python
 * object per event (msgspec) and pulling the fields back out costs more than the rest of buildprof's
 * work per trace; this module scans the bytes once and fills plain arrays instead. Python strings
 * are made per DISTINCT event name or detail, and kept for the process (see "distinct strings"):
 * the same headers and templates recur in every translation unit, so most strings of a trace are
 * already there and come back as the same str objects, whose hashes Python has already computed.
 *
 *   flatten(data: bytes) -> tuple | None
 *
 * It handles exactly the plain shape clang writes: a top-level object with a "traceEvents" array of
 * objects whose name/ph are strings, ts/dur integers, id an integer or null, args an object or null
 * with detail/name strings (or null) and count an integer (or null); "beginningOfTime" an integer or
 * null. Keys may come in any order, and every other key's value is skipped (and validated). Anything
 * else (a float time, a non-string detail, a repeated key, invalid JSON or UTF-8, trailing bytes, an
 * empty event list, nesting deeper than MAX_DEPTH, ...) returns None: the caller then decodes the
 * trace with msgspec, which gives the right result or the right error. So the JSON accepted here is
 * strict (RFC 8259 and strict UTF-8, like msgspec's own checks), never looser.
 *
 * The tuple, one entry per element of traceEvents in file order where it says "per event":
 *   names        list[str]   the distinct event names ("" for an event without one)
 *   name_index   bytes, int32 per event: into names
 *   phase        bytes, int8 per event: 1 X, 2 b, 3 e, 4 M, 0 anything else (as trace_events.PHASES)
 *   ts, dur      bytes, int64 per event (0 when absent)
 *   id           bytes, int64 per event (NO_ID when absent or null)
 *   strings      list[str]   the distinct args.detail and args.name values ("" stands for absent
 *                            or null: the msgspec path reads those as "" too)
 *   detail       bytes, int32 per event: into strings
 *   arg_name     bytes, int32 per event: into strings, NO_ARGS when args is absent or null
 *   count        bytes, int64 per event: args.count, 0 when absent or null
 *   beginning    int | None  beginningOfTime
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define MAX_DEPTH 64    /* nesting allowed in skipped values (msgspec allows more: we bail) */
#define NO_ID INT64_MIN /* "id" absent or null; an id of this value makes the trace bail */
#define NO_ARGS (-2)    /* arg_name of an event without args */

/* ---------------------------------------------------------------- the scanner */

typedef struct {
    const unsigned char *p, *end;
    unsigned char *scratch; /* decoded escaped strings; never larger than the raw string */
    Py_ssize_t scratch_cap;
} Scanner;

typedef struct {
    const unsigned char *bytes; /* decoded UTF-8: into the input, or into the scratch buffer (then */
    Py_ssize_t len;             /* only valid until the next escaped string is decoded) */
} Str;

enum { PLAIN, QUOTE, BACKSLASH, CONTROL, HIGH };
static unsigned char byte_class[256];

static void init_byte_class(void)
{
    for (int c = 0; c < 256; c++)
        byte_class[c] = c < 0x20 ? CONTROL : c >= 0x80 ? HIGH : PLAIN;
    byte_class['"'] = QUOTE;
    byte_class['\\'] = BACKSLASH;
}

static void skip_ws(Scanner *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

/* The next byte after whitespace, or -1 at the end. */
static int peek(Scanner *s)
{
    skip_ws(s);
    return s->p < s->end ? *s->p : -1;
}

static int expect(Scanner *s, unsigned char c)
{
    if (peek(s) != c)
        return -1;
    s->p++;
    return 0;
}

/* Length of the valid UTF-8 sequence at p (as Python's strict decoder sees it), 0 if invalid. */
static int utf8_length(const unsigned char *p, const unsigned char *end)
{
    Py_ssize_t left = end - p;
    unsigned char c = p[0];
#define CONT(i) (left > (i) && (p[i] & 0xC0) == 0x80)
    if (c >= 0xC2 && c <= 0xDF)
        return CONT(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!CONT(1) || !CONT(2))
            return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F)) /* overlong, surrogate */
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!CONT(1) || !CONT(2) || !CONT(3))
            return 0;
        if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F)) /* overlong, > U+10FFFF */
            return 0;
        return 4;
    }
#undef CONT
    return 0;
}

/* The value of 4 hex digits at p (the caller checked there are 4 bytes), -1 if not hex. */
static long hex4(const unsigned char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* The code point of the escape at p ("\\u..." or "\\u...\\u..." for a surrogate pair), and its
 * length in *used; -1 if malformed or a lone surrogate. */
static long unicode_escape(const unsigned char *p, const unsigned char *end, int *used)
{
    if (end - p < 6)
        return -1;
    long hi = hex4(p + 2);
    if (hi < 0 || (hi >= 0xDC00 && hi <= 0xDFFF))
        return -1;
    *used = 6;
    if (hi < 0xD800 || hi > 0xDBFF)
        return hi;
    if (end - p < 12 || p[6] != '\\' || p[7] != 'u')
        return -1;
    long lo = hex4(p + 8);
    if (lo < 0xDC00 || lo > 0xDFFF)
        return -1;
    *used = 12;
    return 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
}

static unsigned char *put_utf8(unsigned char *o, long cp)
{
    if (cp < 0x80) {
        *o++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *o++ = (unsigned char)(0xC0 | (cp >> 6));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (unsigned char)(0xE0 | (cp >> 12));
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (unsigned char)(0xF0 | (cp >> 18));
        *o++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* Decode the (already validated) escaped string raw[0..len) into the scratch buffer. */
static int unescape(Scanner *s, const unsigned char *raw, Py_ssize_t len, Str *out)
{
    if (s->scratch_cap < len) {
        Py_ssize_t cap = len < 256 ? 256 : len;
        unsigned char *grown = PyMem_Realloc(s->scratch, (size_t)cap);
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        s->scratch = grown;
        s->scratch_cap = cap;
    }
    const unsigned char *p = raw, *end = raw + len;
    unsigned char *o = s->scratch;
    while (p < end) {
        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }
        int used = 2;
        switch (p[1]) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': o = put_utf8(o, unicode_escape(p, end, &used)); break;
        default: *o++ = p[1]; break; /* '"', '\\', '/' */
        }
        p += used;
    }
    out->bytes = s->scratch;
    out->len = o - s->scratch;
    return 0;
}

/* With GCC or Clang on a little-endian machine, the first flagged byte of a word is found with one
 * instruction; elsewhere the byte loop after the word loop finds it. */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FIRST_FLAGGED_BYTE(flags) ((size_t)__builtin_ctzll(flags) >> 3)
#endif

/* Whether any of the 8 bytes in w is a quote, a backslash, below 0x20 or above 0x7F. Bytes are
 * tested in parallel (SWAR): a flag can be wrong only in a byte above a truly special one. */
static uint64_t has_special_byte(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
    uint64_t zero_quote = (quote - ones) & ~quote, zero_backslash = (backslash - ones) & ~backslash;
    uint64_t control = (w - ones * 0x20) & ~w;
    return (zero_quote | zero_backslash | control | w) & highs;
}

/* Scan a string whose opening quote is at s->p, checking escapes, control bytes and UTF-8. With
 * `out`, also give its decoded bytes. */
static int scan_string(Scanner *s, Str *out)
{
    const unsigned char *p = s->p + 1, *end = s->end, *start = p;
    int escaped = 0;
    for (;;) {
        uint64_t word, special;
        while (end - p >= 8) { /* 8 plain bytes at a time */
            memcpy(&word, p, 8);
            if ((special = has_special_byte(word)) != 0) {
#ifdef FIRST_FLAGGED_BYTE
                p += FIRST_FLAGGED_BYTE(special); /* straight to it */
#endif
                break;
            }
            p += 8;
        }
        while (p < end && byte_class[*p] == PLAIN)
            p++;
        if (p >= end)
            return -1;
        switch (byte_class[*p]) {
        case QUOTE:
            s->p = p + 1;
            if (out == NULL)
                return 0;
            if (escaped)
                return unescape(s, start, p - start, out);
            out->bytes = start;
            out->len = p - start;
            return 0;
        case BACKSLASH: {
            escaped = 1;
            if (end - p < 2)
                return -1;
            if (p[1] == 'u') {
                int used;
                if (unicode_escape(p, end, &used) < 0)
                    return -1;
                p += used;
            } else if (p[1] != '\0' && strchr("\"\\/bfnrt", p[1]) != NULL) {
                p += 2;
            } else {
                return -1;
            }
            break;
        }
        case HIGH: {
            int n = utf8_length(p, end);
            if (n == 0)
                return -1;
            p += n;
            break;
        }
        default: /* CONTROL */
            return -1;
        }
    }
}

/* Scan a number; *is_int says whether it is an integer that fits int64 (then in *value). */
static int scan_number(Scanner *s, int *is_int, int64_t *value)
{
    const unsigned char *p = s->p, *end = s->end;
    int negative = p < end && *p == '-';
    p += negative;
    if (p >= end || *p < '0' || *p > '9')
        return -1;
    uint64_t magnitude = 0;
    int fits = 1;
    if (*p == '0') {
        p++;
    } else {
        for (; p < end && *p >= '0' && *p <= '9'; p++) {
            if (magnitude > (UINT64_MAX - 9) / 10) /* far beyond int64 already */
                fits = 0;
            else
                magnitude = magnitude * 10 + (unsigned)(*p - '0');
        }
    }
    int integer = 1;
    if (p < end && *p == '.') {
        integer = 0;
        if (++p >= end || *p < '0' || *p > '9')
            return -1;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        integer = 0;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return -1;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    s->p = p;
    *is_int = 0;
    if (integer && fits && magnitude <= (uint64_t)INT64_MAX + negative) {
        *is_int = 1;
        *value = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
    }
    return 0;
}

static int scan_literal(Scanner *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return -1;
    s->p += n;
    return 0;
}

/* An integer that fits int64 (in *value: returns 0), or with `nullable` null (returns 1); -1 for
 * anything else, a float or a larger number included. */
static int scan_int(Scanner *s, int nullable, int64_t *value)
{
    int c = peek(s), is_int;
    if (nullable && c == 'n')
        return scan_literal(s, "null") < 0 ? -1 : 1;
    if (c != '-' && (c < '0' || c > '9'))
        return -1;
    if (scan_number(s, &is_int, value) < 0 || !is_int)
        return -1;
    return 0;
}

/* Key of an object member (decoded into `key` unless NULL): the scanner is before the key's quote,
 * and after its colon on return. */
static int scan_key(Scanner *s, Str *key)
{
    if (peek(s) != '"' || scan_string(s, key) < 0)
        return -1;
    return expect(s, ':');
}

/* After an opening bracket: 1 if a member follows, 0 if the bracket closes at once. Objects and
 * arrays are read as `for (more = first_member(..); more == 1; more = next_member(..))`. */
static int first_member(Scanner *s, unsigned char close)
{
    if (peek(s) != close)
        return 1;
    s->p++;
    return 0;
}

/* After a member: 1 if another member follows (comma), 0 at the closing bracket, -1 otherwise. */
static int next_member(Scanner *s, unsigned char close)
{
    int c = peek(s);
    if (c != ',' && c != close)
        return -1;
    s->p++;
    return c == ',';
}

/* Skip any JSON value, validating it. */
static int skip_value(Scanner *s, int depth)
{
    int c = peek(s), is_int, more;
    int64_t ignored;
    switch (c) {
    case '"':
        return scan_string(s, NULL);
    case '{':
    case '[': {
        unsigned char close = c == '{' ? '}' : ']';
        if (depth >= MAX_DEPTH)
            return -1;
        s->p++;
        for (more = first_member(s, close); more == 1; more = next_member(s, close)) {
            if ((c == '{' && scan_key(s, NULL) < 0) || skip_value(s, depth + 1) < 0)
                return -1;
        }
        return more;
    }
    case 't':
        return scan_literal(s, "true");
    case 'f':
        return scan_literal(s, "false");
    case 'n':
        return scan_literal(s, "null");
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return scan_number(s, &is_int, &ignored);
        return -1;
    }
}

/* ---------------------------------------------------------------- keys */

enum { K_OTHER, K_NAME, K_PH, K_TS, K_DUR, K_ID, K_ARGS, K_DETAIL, K_COUNT, K_EVENTS, K_BEGINNING };

#define KEY_IS(k, literal) \
    ((k)->len == sizeof(literal) - 1 && memcmp((k)->bytes, literal, sizeof(literal) - 1) == 0)

/* The meaning of a (decoded) key, whatever object it is in. */
static int key_code(const Str *k)
{
    switch (k->len) {
    case 2:
        return KEY_IS(k, "ph") ? K_PH : KEY_IS(k, "ts") ? K_TS : KEY_IS(k, "id") ? K_ID : K_OTHER;
    case 3:
        return KEY_IS(k, "dur") ? K_DUR : K_OTHER;
    case 4:
        return KEY_IS(k, "name") ? K_NAME : KEY_IS(k, "args") ? K_ARGS : K_OTHER;
    case 5:
        return KEY_IS(k, "count") ? K_COUNT : K_OTHER;
    case 6:
        return KEY_IS(k, "detail") ? K_DETAIL : K_OTHER;
    case 11:
        return KEY_IS(k, "traceEvents") ? K_EVENTS : K_OTHER;
    case 15:
        return KEY_IS(k, "beginningOfTime") ? K_BEGINNING : K_OTHER;
    default:
        return K_OTHER;
    }
}

/* ---------------------------------------------------------------- distinct strings */

/* Every distinct string this process has read (up to CACHE_LIMIT entries or CACHE_BYTES bytes, then
 * afresh), with its str object, in an open-addressing table. A slot holds the upper 32 bits of the
 * hash and the entry's position + 1 (0: empty), so probing reads 8 bytes per slot and compares the
 * bytes only when those 32 bits match. Each flatten() call numbers the strings it meets in
 * first-seen order: an entry remembers the call that last numbered it and its number there. */
#define CACHE_LIMIT (1 << 20)
#define CACHE_BYTES ((size_t)64 << 20)

typedef struct {
    PyObject *text;             /* owned */
    const unsigned char *bytes; /* the str's own UTF-8 */
    Py_ssize_t len;
    uint64_t hash;
    uint64_t call;  /* the flatten() call that numbered it last */
    int32_t number; /* its number in that call */
} Entry;

typedef struct {
    uint64_t *slots;
    size_t mask;
    Entry *entries;
    size_t count, capacity, bytes;
} Cache;

static Cache name_cache, string_cache; /* event names; details and args.name values */
static uint64_t calls;                 /* flatten() calls so far: the current call's number */

/* One call's numbering of the strings of one cache. */
typedef struct {
    Cache *cache;
    PyObject *list; /* the call's distinct strings, by number */
    int32_t empty;  /* the number of "" in this call, -1 until needed */
} Numbering;

/* A 64-bit hash of n bytes, 8 at a time (multiply and shift). */
static uint64_t hash_bytes(const unsigned char *p, Py_ssize_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15u ^ (uint64_t)n, w;
    for (; n >= 8; p += 8, n -= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDu;
        h ^= h >> 29;
    }
    w = 0;
    memcpy(&w, p, (size_t)n);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53u;
    return h ^ (h >> 32);
}

static void cache_clear(Cache *c)
{
    for (size_t i = 0; i < c->count; i++)
        Py_DECREF(c->entries[i].text);
    PyMem_Free(c->slots);
    PyMem_Free(c->entries);
    memset(c, 0, sizeof *c);
}

static void cache_place(uint64_t *slots, size_t mask, uint64_t hash, size_t position)
{
    size_t j = hash & mask;
    while (slots[j] != 0)
        j = (j + 1) & mask;
    slots[j] = (hash & 0xFFFFFFFF00000000u) | (uint64_t)(position + 1);
}

/* Room for one more entry: the entries array and, at half load, twice the slots. */
static int cache_reserve(Cache *c)
{
    if (c->count == c->capacity) {
        size_t capacity = c->capacity ? c->capacity * 2 : 1024;
        Entry *grown = PyMem_Realloc(c->entries, capacity * sizeof(Entry));
        if (grown == NULL)
            return -1;
        c->entries = grown;
        c->capacity = capacity;
    }
    if (c->slots != NULL && (c->count + 1) * 2 <= c->mask)
        return 0;
    size_t mask = c->slots ? c->mask * 2 + 1 : 2047;
    uint64_t *slots = PyMem_Calloc(mask + 1, sizeof(uint64_t));
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < c->count; i++)
        cache_place(slots, mask, c->entries[i].hash, i);
    PyMem_Free(c->slots);
    c->slots = slots;
    c->mask = mask;
    return 0;
}

/* The entry of a string, added (with a new str object) when the process meets it first. */
static Entry *cache_find(Cache *c, const Str *str)
{
    uint64_t h = hash_bytes(str->bytes, str->len);
    if (c->slots != NULL) {
        for (size_t j = h & c->mask; c->slots[j] != 0; j = (j + 1) & c->mask) {
            uint64_t slot = c->slots[j];
            Entry *e = &c->entries[(slot & 0xFFFFFFFFu) - 1];
            if ((slot ^ h) >> 32 == 0 && e->len == str->len &&
                memcmp(e->bytes, str->bytes, (size_t)str->len) == 0)
                return e;
        }
    }
    if (cache_reserve(c) < 0) {
        PyErr_NoMemory();
        return NULL;
    }
    PyObject *text = PyUnicode_DecodeUTF8((const char *)str->bytes, str->len, "strict");
    if (text == NULL)
        return NULL;
    const unsigned char *bytes = (const unsigned char *)PyUnicode_AsUTF8AndSize(text, NULL);
    if (bytes == NULL) {
        Py_DECREF(text);
        return NULL;
    }
    Entry *e = &c->entries[c->count];
    *e = (Entry){text, bytes, str->len, h, 0, -1};
    cache_place(c->slots, c->mask, h, c->count++);
    c->bytes += (size_t)str->len;
    return e;
}

/* The number of a string in this call, adding it to the call's list when first met. */
static int intern(Numbering *nb, const Str *str, int32_t *number)
{
    Entry *e = cache_find(nb->cache, str);
    if (e == NULL)
        return -1;
    if (e->call != calls) {
        Py_ssize_t n = PyList_GET_SIZE(nb->list);
        if (n >= INT32_MAX || PyList_Append(nb->list, e->text) < 0)
            return -1;
        e->call = calls;
        e->number = (int32_t)n;
    }
    *number = e->number;
    return 0;
}

/* The number of "" in this call: what an absent or null string reads as. */
static int intern_empty(Numbering *nb, int32_t *number)
{
    if (nb->empty < 0) {
        Str empty = {(const unsigned char *)"", 0};
        if (intern(nb, &empty, &nb->empty) < 0)
            return -1;
    }
    *number = nb->empty;
    return 0;
}

/* ---------------------------------------------------------------- the columns */

typedef struct {
    Py_ssize_t n, cap;
    int32_t *name, *detail, *arg_name;
    int8_t *phase;
    int64_t *ts, *dur, *id, *count;
} Columns;

#define EACH_COLUMN(X) X(name) X(detail) X(arg_name) X(phase) X(ts) X(dur) X(id) X(count)

static void columns_free(Columns *c)
{
#define FREE(col) PyMem_Free(c->col);
    EACH_COLUMN(FREE)
#undef FREE
}

/* Room for one more event in every column. */
static int columns_reserve(Columns *c)
{
    if (c->n < c->cap)
        return 0;
    Py_ssize_t cap = c->cap ? c->cap * 2 : 1024;
    if ((size_t)cap > PY_SSIZE_T_MAX / sizeof(int64_t)) {
        PyErr_NoMemory();
        return -1;
    }
#define GROW(col)                                                                  \
    {                                                                              \
        void *grown = PyMem_Realloc(c->col, (size_t)cap * sizeof(*c->col));        \
        if (grown == NULL) {                                                       \
            PyErr_NoMemory();                                                      \
            return -1;                                                             \
        }                                                                          \
        c->col = grown;                                                            \
    }
    EACH_COLUMN(GROW)
#undef GROW
    c->cap = cap;
    return 0;
}

/* ---------------------------------------------------------------- the document */

typedef struct {
    Scanner s;
    Numbering names, strings;
    Columns cols;
} Parse;

static int phase_code(const Str *ph)
{
    if (ph->len != 1)
        return 0;
    switch (ph->bytes[0]) {
    case 'X': return 1;
    case 'b': return 2;
    case 'e': return 3;
    case 'M': return 4;
    default: return 0;
    }
}

/* A string value, numbered; with `nullable`, null reads as "". */
static int scan_interned(Parse *ps, Numbering *nb, int nullable, int32_t *number)
{
    Str str;
    int c = peek(&ps->s);
    if (nullable && c == 'n')
        return scan_literal(&ps->s, "null") < 0 ? -1 : intern_empty(nb, number);
    if (c != '"' || scan_string(&ps->s, &str) < 0)
        return -1;
    return intern(nb, &str, number);
}

/* The "args" of event i: an object, or null (as if absent). */
static int scan_args(Parse *ps, Py_ssize_t i)
{
    Scanner *s = &ps->s;
    Columns *c = &ps->cols;
    Str key;
    unsigned seen = 0, bit;
    int more, rc;
    if (peek(s) == 'n')
        return scan_literal(s, "null");
    if (expect(s, '{') < 0)
        return -1;
    for (more = first_member(s, '}'); more == 1; more = next_member(s, '}')) {
        if (scan_key(s, &key) < 0)
            return -1;
        switch (key_code(&key)) {
        case K_DETAIL:
            bit = 1, rc = scan_interned(ps, &ps->strings, 1, &c->detail[i]);
            break;
        case K_NAME:
            bit = 2, rc = scan_interned(ps, &ps->strings, 1, &c->arg_name[i]);
            break;
        case K_COUNT: /* null leaves 0 */
            bit = 4, rc = scan_int(s, 1, &c->count[i]) < 0 ? -1 : 0;
            break;
        default:
            bit = 0, rc = skip_value(s, 3);
        }
        if (rc < 0 || (seen & bit))
            return -1; /* or a repeated key: msgspec keeps the last one; leave that to it */
        seen |= bit;
    }
    if (more == 0 && !(seen & 2))
        return intern_empty(&ps->strings, &c->arg_name[i]); /* args without a name: "" */
    return more;
}

/* One element of traceEvents, appended to the columns. */
static int scan_event(Parse *ps)
{
    Scanner *s = &ps->s;
    Columns *c = &ps->cols;
    Str key, str;
    unsigned seen = 0, bit;
    int more, rc;
    if (expect(s, '{') < 0 || columns_reserve(c) < 0)
        return -1;
    Py_ssize_t i = c->n++;
    c->name[i] = c->detail[i] = -1;
    c->arg_name[i] = NO_ARGS;
    c->phase[i] = 0;
    c->ts[i] = c->dur[i] = c->count[i] = 0;
    c->id[i] = NO_ID;
    for (more = first_member(s, '}'); more == 1; more = next_member(s, '}')) {
        if (scan_key(s, &key) < 0)
            return -1;
        switch (key_code(&key)) {
        case K_NAME:
            bit = 1, rc = scan_interned(ps, &ps->names, 0, &c->name[i]);
            break;
        case K_PH:
            bit = 2, rc = peek(s) == '"' ? scan_string(s, &str) : -1;
            if (rc == 0)
                c->phase[i] = (int8_t)phase_code(&str);
            break;
        case K_TS:
            bit = 4, rc = scan_int(s, 0, &c->ts[i]);
            break;
        case K_DUR:
            bit = 8, rc = scan_int(s, 0, &c->dur[i]);
            break;
        case K_ID:
            bit = 16, rc = scan_int(s, 1, &c->id[i]);
            if (rc == 0 && c->id[i] == NO_ID)
                rc = -1; /* a real id equal to the sentinel */
            else if (rc == 1)
                c->id[i] = NO_ID, rc = 0;
            break;
        case K_ARGS:
            bit = 32, rc = scan_args(ps, i);
            break;
        default:
            bit = 0, rc = skip_value(s, 2);
        }
        if (rc < 0 || (seen & bit))
            return -1;
        seen |= bit;
    }
    if (more < 0)
        return -1;
    if (c->name[i] < 0 && intern_empty(&ps->names, &c->name[i]) < 0) /* msgspec's default "" */
        return -1;
    if (c->detail[i] < 0 && intern_empty(&ps->strings, &c->detail[i]) < 0)
        return -1;
    return 0;
}

static int scan_document(Parse *ps, PyObject **beginning)
{
    Scanner *s = &ps->s;
    Str key;
    int events = 0, more, rc;
    if (expect(s, '{') < 0)
        return -1;
    for (more = first_member(s, '}'); more == 1; more = next_member(s, '}')) {
        if (scan_key(s, &key) < 0)
            return -1;
        switch (key_code(&key)) {
        case K_EVENTS:
            if (events++ || expect(s, '[') < 0 || first_member(s, ']') == 0)
                return -1; /* repeated, not an array, or empty (msgspec says why) */
            for (rc = 1; rc == 1; rc = next_member(s, ']')) {
                if (scan_event(ps) < 0)
                    return -1;
            }
            if (rc < 0)
                return -1;
            break;
        case K_BEGINNING: {
            int64_t value = 0;
            rc = *beginning != NULL ? -1 : scan_int(s, 1, &value);
            if (rc < 0)
                return -1; /* repeated, or not an integer */
            *beginning = rc == 1 ? Py_NewRef(Py_None) : PyLong_FromLongLong(value);
            if (*beginning == NULL)
                return -1;
            break;
        }
        default:
            if (skip_value(s, 1) < 0)
                return -1;
        }
    }
    if (more < 0 || !events)
        return -1;
    skip_ws(s);
    return s->p == s->end ? 0 : -1; /* trailing bytes */
}

/* ---------------------------------------------------------------- the module */

static PyObject *column_bytes(const void *data, Py_ssize_t n, size_t size)
{
    return PyBytes_FromStringAndSize(n ? (const char *)data : "", n * (Py_ssize_t)size);
}

/* The result tuple (see the top of the file); NULL with an exception if memory runs out. */
static PyObject *result_tuple(Parse *ps, PyObject *beginning)
{
    Columns *c = &ps->cols;
    Py_ssize_t n = c->n;
    PyObject *items[] = {
        Py_NewRef(ps->names.list),   column_bytes(c->name, n, 4),   column_bytes(c->phase, n, 1),
        column_bytes(c->ts, n, 8),   column_bytes(c->dur, n, 8),    column_bytes(c->id, n, 8),
        Py_NewRef(ps->strings.list), column_bytes(c->detail, n, 4), column_bytes(c->arg_name, n, 4),
        column_bytes(c->count, n, 8), Py_NewRef(beginning ? beginning : Py_None),
    };
    const Py_ssize_t size = (Py_ssize_t)(sizeof items / sizeof items[0]);
    int complete = 1;
    for (Py_ssize_t k = 0; k < size; k++)
        complete &= items[k] != NULL;
    PyObject *result = complete ? PyTuple_New(size) : NULL;
    for (Py_ssize_t k = 0; k < size; k++) {
        if (result != NULL)
            PyTuple_SET_ITEM(result, k, items[k]); /* steals the reference */
        else
            Py_XDECREF(items[k]);
    }
    return result;
}

static int busy; /* flatten() is not reentrant (its caches are process-wide) */

static PyObject *flatten(PyObject *module, PyObject *data)
{
    (void)module;
    if (!PyBytes_Check(data)) {
        PyErr_SetString(PyExc_TypeError, "flatten() takes bytes");
        return NULL;
    }
    if (busy)
        Py_RETURN_NONE; /* only if a finalizer run by an allocation called it again: use msgspec */
    busy = 1;
    calls++;
    if (name_cache.count > CACHE_LIMIT || name_cache.bytes > CACHE_BYTES)
        cache_clear(&name_cache);
    if (string_cache.count > CACHE_LIMIT || string_cache.bytes > CACHE_BYTES)
        cache_clear(&string_cache);
    Parse ps;
    memset(&ps, 0, sizeof ps);
    ps.s.p = (const unsigned char *)PyBytes_AS_STRING(data);
    ps.s.end = ps.s.p + PyBytes_GET_SIZE(data);
    ps.names = (Numbering){&name_cache, PyList_New(0), -1};
    ps.strings = (Numbering){&string_cache, PyList_New(0), -1};
    PyObject *beginning = NULL, *result = NULL;
    if (ps.names.list != NULL && ps.strings.list != NULL) {
        if (scan_document(&ps, &beginning) == 0)
            result = result_tuple(&ps, beginning);
        else if (!PyErr_Occurred())
            result = Py_NewRef(Py_None);
    }
    Py_XDECREF(beginning);
    Py_XDECREF(ps.names.list);
    Py_XDECREF(ps.strings.list);
    columns_free(&ps.cols);
    PyMem_Free(ps.s.scratch);
    busy = 0;
    return result;
}

static PyMethodDef methods[] = {
    {"flatten", flatten, METH_O,
     "flatten(data: bytes) -> tuple | None\n\n"
     "The columns of a clang -ftime-trace document (see the module source), or None when it is\n"
     "not the plain shape this scanner handles exactly."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "buildprof._tracescan",
    .m_doc = "Optional accelerator: a clang -ftime-trace document's events as columns.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__tracescan(void)
{
    init_byte_class();
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL)
        return NULL;
    PyObject *no_id = PyLong_FromLongLong(NO_ID);
    int failed = PyModule_AddObjectRef(m, "NO_ID", no_id) < 0 ||
                 PyModule_AddIntConstant(m, "NO_ARGS", NO_ARGS) < 0;
    Py_XDECREF(no_id);
    if (failed)
        Py_CLEAR(m);
    return m;
}
