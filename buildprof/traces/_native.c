/*
 * buildprof.traces._native: summarise a clang -ftime-trace JSON document straight from its bytes.
 *
 * The fast path of buildprof/traces/_summary.py; buildprof/traces/_reference.py is the readable Python
 * path that gives the same summaries (the fallback without a C compiler, and for every trace this
 * module declines). Decoding a trace into one Python object per event costs more than the rest of
 * buildprof's work per trace; this module scans the bytes once into plain arrays and summarises them.
 * Python strings are made per DISTINCT event name or detail, and kept for the process (see
 * "distinct strings"): the same headers and templates recur in every translation unit, so most
 * strings of a trace are already there and come back as the same str objects.
 *
 *   configure(nice_path, collapse_template_args, is_header, kinds, max_event_us) -> None
 *       the rules of buildprof.trace_rules (called on import, before summarize)
 *   summarize(data: bytes-like) -> tuple | None     (see "the summary" below)
 *
 * It handles exactly the plain shape clang writes: a top-level object with a "traceEvents" array of
 * objects whose name/ph are strings, ts/dur integers, id an integer or null, args an object or null
 * with detail/name strings (or null) and count an integer (or null); "beginningOfTime" an integer or
 * null. Keys may come in any order, and every other key's value is skipped (and validated). Anything
 * else (a float time, a non-string detail, a repeated key, invalid JSON or UTF-8, trailing bytes, an
 * empty event list, nesting deeper than MAX_DEPTH, ...) returns None: the caller then decodes the
 * trace with msgspec, which gives the right result, or fails and buildprof's own checks say why
 * (_summary.why_undecodable). So the JSON accepted here is strict (RFC 8259 and strict UTF-8, like
 * msgspec's own checks), never looser.
 *
 * The scan fills columns, one entry per element of traceEvents in file order: the event's name and
 * detail and args.name as numbers into the process's string caches ("" stands for absent or null:
 * the msgspec path reads those as "" too), its phase (1 X, 2 b, 3 e, 4 M, 0 anything else, as
 * _events.PHASES), ts and dur (0 when absent), id (NO_ID when absent or null) and args.count (0).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h> /* x86-64 always has it: scan_string reads 16 bytes at a time */
#endif

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
    if (s->p < s->end && *s->p > ' ') /* the usual case: no whitespace at all */
        return;
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
#if defined(__SSE2__) && defined(FIRST_FLAGGED_BYTE)
        while (end - p >= 16) { /* 16 at a time: a quote, a backslash, or signed below 0x20 (a */
            __m128i v = _mm_loadu_si128((const __m128i *)p); /* control byte, or one above 0x7F) */
            __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                                    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                                       _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
            unsigned mask = (unsigned)_mm_movemask_epi8(hit);
            if (mask != 0) {
                p += __builtin_ctz(mask);
                break;
            }
            p += 16;
        }
#endif
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
        const unsigned char *safe = end - p > 18 ? p + 18 : end; /* 18 digits always fit */
        for (; p < safe && (unsigned)(*p - '0') < 10; p++)
            magnitude = magnitude * 10 + (unsigned)(*p - '0');
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

/* The code of the next member's key (see key_code), the scanner then after its colon; -1 if there
 * is no key. The keys clang writes are matched in place: written plainly (ASCII, no escape), their
 * bytes are the key. Any other key, or one written with escapes, is scanned and decoded in full. */
static int scan_key_code(Scanner *s)
{
    if (peek(s) != '"')
        return -1;
    const unsigned char *p = s->p + 1;
    Py_ssize_t room = s->end - p;
#define KNOWN(literal, code)                                                                          \
    if (room >= (Py_ssize_t)sizeof(literal) && memcmp(p, literal "\"", sizeof(literal)) == 0) { \
        p += sizeof(literal);                                                                          \
        if (p < s->end && *p == ':') { /* clang writes no space before the colon */                   \
            s->p = p + 1;                                                                              \
            return (code);                                                                             \
        }                                                                                              \
        s->p = p;                                                                                      \
        return expect(s, ':') < 0 ? -1 : (code);                                                       \
    }
    switch (room > 0 ? *p : 0) {
    case 'a': KNOWN("args", K_ARGS); break;
    case 'b': KNOWN("beginningOfTime", K_BEGINNING); break;
    case 'c': KNOWN("cat", K_OTHER); KNOWN("count", K_COUNT); break;
    case 'd': KNOWN("dur", K_DUR); KNOWN("detail", K_DETAIL); break;
    case 'i': KNOWN("id", K_ID); break;
    case 'n': KNOWN("name", K_NAME); break;
    case 'p': KNOWN("ph", K_PH); KNOWN("pid", K_OTHER); break;
    case 't': KNOWN("ts", K_TS); KNOWN("tid", K_OTHER); KNOWN("traceEvents", K_EVENTS); break;
    default: break;
    }
#undef KNOWN
    Str key;
    if (scan_key(s, &key) < 0)
        return -1;
    return key_code(&key);
}

/* ---------------------------------------------------------------- distinct strings */

/* Every distinct string this process has read (up to CACHE_LIMIT entries or CACHE_BYTES bytes, then
 * afresh), with its str object, in an open-addressing table. A slot holds the upper 32 bits of the
 * hash and the entry's position + 1 (0: empty), so probing reads 8 bytes per slot and compares the
 * bytes only when those 32 bits match. A string is numbered by its position in the cache. */
#define CACHE_LIMIT (1 << 20) /* positions in the cache fit in int32_t */
enum { KIND_UNKNOWN = -128 };
#define CACHE_BYTES ((size_t)64 << 20)

typedef struct {
    PyObject *text;             /* owned */
    const unsigned char *bytes; /* the str's own UTF-8 */
    Py_ssize_t len;
    uint64_t hash;
    /* What summarize() derives from a string, once per process (see "the summary"): */
    int8_t kind;       /* an event name's kind (KIND_UNKNOWN until asked) */
    int8_t header;     /* a normalised path: is_header(), -1 until asked */
    int32_t nice;      /* position of nice_path(text) in the same cache, -1 until asked */
    int32_t set;       /* position of collapse_template_args(text), -1 until asked */
    int32_t active;    /* a template set: its instantiations on the nesting path being walked */
    uint64_t mark[2];  /* the summarize() call that numbered it last, as a file / a template or */
    int32_t mark_no[2]; /* event name, and its numbers there */
} Entry;

typedef struct {
    uint64_t *slots;
    size_t mask;
    Entry *entries;
    size_t count, capacity, bytes;
} Cache;

static Cache name_cache, string_cache; /* event names; details and args.name values */
static uint64_t calls;                 /* summarize() calls so far: the current call's number */

/* One call's numbering of the strings of one cache: their positions in it. */
typedef struct {
    Cache *cache;
    int32_t empty; /* the number of "" in this call, -1 until needed */
} Numbering;

/* A 64-bit hash of n bytes, 8 at a time (multiply and shift). The last bytes are read with loads of
 * a fixed size, overlapping bytes already hashed (a copy of the n % 8 left into a zeroed word was a
 * byte loop and a stalled load of what it had just stored); only the bytes themselves are read. */
static uint64_t hash_bytes(const unsigned char *p, Py_ssize_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15u ^ (uint64_t)n, w;
    const unsigned char *start = p;
    Py_ssize_t left = n;
    for (; left >= 8; p += 8, left -= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDu;
        h ^= h >> 29;
    }
    if (left == 0) {
        w = 0;
    } else if (n >= 8) { /* the last 8 bytes */
        memcpy(&w, start + n - 8, 8);
    } else if (n >= 4) { /* the first 4 and the last 4 (overlapping) */
        uint32_t lo, hi;
        memcpy(&lo, start, 4);
        memcpy(&hi, start + n - 4, 4);
        w = ((uint64_t)hi << 32) | lo;
    } else { /* 1 to 3 bytes: the first, the middle and the last */
        w = (uint64_t)start[0] | ((uint64_t)start[n / 2] << 8) | ((uint64_t)start[n - 1] << 16);
    }
    h = (h ^ w) * 0xC4CEB9FE1A85EC53u;
    return h ^ (h >> 32);
}

static void cache_clear(Cache *c)
{
    for (size_t i = 0; i < c->count; i++) {
        Py_DECREF(c->entries[i].text);
    }
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

/* Whether n bytes at a and b are equal: 8 at a time, the last ones with loads of a fixed size (no
 * call: most names and details are short, and libc's memcmp was a call per lookup). */
static inline int same_bytes(const unsigned char *a, const unsigned char *b, Py_ssize_t n)
{
    uint64_t x, y;
    if (n >= 8) {
        Py_ssize_t i = 0;
        for (; i + 8 <= n; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y)
                return 0;
        }
        if (i == n)
            return 1;
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t u, v, w, z;
        memcpy(&u, a, 4);
        memcpy(&v, b, 4);
        memcpy(&w, a + n - 4, 4);
        memcpy(&z, b + n - 4, 4);
        return u == v && w == z;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (a[i] != b[i])
            return 0;
    }
    return 1;
}

/* The entry of a string, added (with a new str object) when the process meets it first. */
static Entry *cache_find_hashed(Cache *c, const Str *str, uint64_t h)
{
    if (c->slots != NULL) {
        for (size_t j = h & c->mask; c->slots[j] != 0; j = (j + 1) & c->mask) {
            uint64_t slot = c->slots[j];
            Entry *e = &c->entries[(slot & 0xFFFFFFFFu) - 1];
            if ((slot ^ h) >> 32 == 0 && e->len == str->len &&
                same_bytes(e->bytes, str->bytes, str->len))
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
    *e = (Entry){text, bytes, str->len, h, KIND_UNKNOWN, -1, -1, -1, 0, {0, 0}, {0, 0}};
    cache_place(c->slots, c->mask, h, c->count++);
    c->bytes += (size_t)str->len;
    return e;
}

static Entry *cache_find(Cache *c, const Str *str)
{
    return cache_find_hashed(c, str, hash_bytes(str->bytes, str->len));
}

/* The number of a string: its position in the cache (added when first met). */
static int intern(Numbering *nb, const Str *str, int32_t *number)
{
    Entry *e = cache_find(nb->cache, str);
    if (e == NULL)
        return -1;
    *number = (int32_t)(e - nb->cache->entries);
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

/* A string of the `strings` cache scanned but not looked up yet: its table slot is being fetched
 * into the processor's cache meanwhile (the table is larger than it: a lookup right away waited for
 * memory). Looked up in the order scanned, so the cache numbers strings as if looked up at once. */
typedef struct {
    Str str;       /* bytes of the input (never of the scratch buffer, reused) */
    uint64_t hash;
    int detail;    /* the column: detail, else arg_name */
    Py_ssize_t i;  /* the event */
} Pending;

#define PENDING 4 /* strings in flight: a few events of scanning between a slot's fetch and its use */

typedef struct {
    Scanner s;
    Numbering names, strings;
    Columns cols;
    const unsigned char *input; /* the document's first byte */
    Pending pending[PENDING];
    int pending_first, pending_count;
} Parse;

/* Look up the oldest pending string and set its number. */
static int resolve_oldest(Parse *ps)
{
    Pending *p = &ps->pending[ps->pending_first];
    Entry *e = cache_find_hashed(ps->strings.cache, &p->str, p->hash);
    if (e == NULL)
        return -1;
    int32_t number = (int32_t)(e - ps->strings.cache->entries);
    if (p->detail)
        ps->cols.detail[p->i] = number;
    else
        ps->cols.arg_name[p->i] = number;
    ps->pending_first = (ps->pending_first + 1) % PENDING;
    ps->pending_count--;
    return 0;
}

/* Look up every pending string (before a string of the same cache is looked up at once). */
static int resolve_pending(Parse *ps)
{
    while (ps->pending_count > 0) {
        if (resolve_oldest(ps) < 0)
            return -1;
    }
    return 0;
}

/* Number a string of the `strings` cache for column `detail` (else arg_name) of event i: later, its
 * slot fetched now (see Pending), unless it was decoded into the scratch buffer. */
static int intern_later(Parse *ps, const Str *str, int detail, Py_ssize_t i)
{
    Cache *c = ps->strings.cache;
    uintptr_t at = (uintptr_t)str->bytes;
    if (at < (uintptr_t)ps->input || at > (uintptr_t)ps->s.end) { /* escaped: in the scratch buffer */
        int32_t number;
        if (resolve_pending(ps) < 0 || intern(&ps->strings, str, &number) < 0)
            return -1;
        if (detail)
            ps->cols.detail[i] = number;
        else
            ps->cols.arg_name[i] = number;
        return 0;
    }
    if (ps->pending_count == PENDING && resolve_oldest(ps) < 0)
        return -1;
    uint64_t h = hash_bytes(str->bytes, str->len);
    if (c->slots != NULL)
        __builtin_prefetch(&c->slots[h & c->mask]);
    Pending *p = &ps->pending[(ps->pending_first + ps->pending_count++) % PENDING];
    *p = (Pending){*str, h, detail, i};
    return 0;
}

/* The number of "" in the `strings` cache (after the pending strings: the cache's order). */
static int strings_empty(Parse *ps, int32_t *number)
{
    if (ps->strings.empty < 0 && resolve_pending(ps) < 0)
        return -1;
    return intern_empty(&ps->strings, number);
}

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

/* A string value (null reads as "") of the `strings` cache for column `detail` (else arg_name) of
 * event i, numbered later (see Pending): the column holds PENDING_NUMBER meanwhile. */
#define PENDING_NUMBER (-3)
static int scan_string_later(Parse *ps, int detail, Py_ssize_t i)
{
    Str str;
    int c = peek(&ps->s);
    int32_t *column = detail ? ps->cols.detail : ps->cols.arg_name;
    if (c == 'n')
        return scan_literal(&ps->s, "null") < 0 ? -1 : strings_empty(ps, &column[i]);
    if (c != '"' || scan_string(&ps->s, &str) < 0)
        return -1;
    column[i] = PENDING_NUMBER;
    return intern_later(ps, &str, detail, i);
}

static int name_kind(int32_t pos); /* the kind of an event name (see "the summary") */

/* The "args" of event i: an object, or null (as if absent). Its detail is numbered only if
 * `want_detail`: the summary reads the details of the kinds ClangBuildAnalyzer knows only (a third
 * of clang's events are of other kinds: passes, parsing of declarations...); it is checked all the
 * same, and reads as "". */
static int scan_args(Parse *ps, Py_ssize_t i, int want_detail)
{
    Scanner *s = &ps->s;
    Columns *c = &ps->cols;
    unsigned seen = 0, bit;
    int more, rc;
    if (peek(s) == 'n')
        return scan_literal(s, "null");
    if (expect(s, '{') < 0)
        return -1;
    for (more = first_member(s, '}'); more == 1; more = next_member(s, '}')) {
        switch (scan_key_code(s)) {
        case -1:
            return -1;
        case K_DETAIL:
            if (want_detail)
                bit = 1, rc = scan_string_later(ps, 1, i);
            else /* a string or null, as scan_interned wants it */
                bit = 1, rc = peek(s) == 'n'   ? scan_literal(s, "null")
                              : peek(s) == '"' ? scan_string(s, NULL)
                                               : -1;
            break;
        case K_NAME:
            bit = 2, rc = scan_string_later(ps, 0, i);
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
        return strings_empty(ps, &c->arg_name[i]); /* args without a name: "" */
    return more;
}

/* One element of traceEvents, appended to the columns. */
static int scan_event(Parse *ps)
{
    Scanner *s = &ps->s;
    Columns *c = &ps->cols;
    Str str;
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
        switch (scan_key_code(s)) {
        case -1:
            return -1;
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
        case K_ARGS: /* clang writes the name first: then only a known kind's detail is numbered */
            bit = 32, rc = scan_args(ps, i, !(seen & 1) || name_kind(c->name[i]) > 0);
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
    if (c->detail[i] == -1 && strings_empty(ps, &c->detail[i]) < 0)
        return -1;
    return 0;
}

static int scan_document(Parse *ps, PyObject **beginning)
{
    Scanner *s = &ps->s;
    int events = 0, more, rc;
    if (expect(s, '{') < 0)
        return -1;
    for (more = first_member(s, '}'); more == 1; more = next_member(s, '}')) {
        switch (scan_key_code(s)) {
        case -1:
            return -1;
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
    if (s->p != s->end)
        return -1; /* trailing bytes */
    return resolve_pending(ps);
}

/* ---------------------------------------------------------------- results */

static PyObject *column_bytes(const void *data, Py_ssize_t n, size_t size)
{
    return PyBytes_FromStringAndSize(n ? (const char *)data : "", n * (Py_ssize_t)size);
}

/* Append a new reference to a list, consuming it (NULL: an error already set). */
static int append_new(PyObject *list, PyObject *item)
{
    if (item == NULL)
        return -1;
    int rc = PyList_Append(list, item);
    Py_DECREF(item);
    return rc;
}

/* A tuple of n new references, which it takes over: when `ok` and none is NULL; else it releases
 * them and gives NULL (with the exception of whatever failed, or of PyTuple_New). */
static PyObject *tuple_of(PyObject **items, Py_ssize_t n, int ok)
{
    for (Py_ssize_t k = 0; k < n; k++)
        ok = ok && items[k] != NULL;
    PyObject *result = ok ? PyTuple_New(n) : NULL;
    for (Py_ssize_t k = 0; k < n; k++) {
        if (result != NULL)
            PyTuple_SET_ITEM(result, k, items[k]); /* steals the reference */
        else
            Py_XDECREF(items[k]);
    }
    return result;
}

/* ---------------------------------------------------------------- the summary */

/* summarize(data) -> (events, process, beginning, breakdown, total_us, frontend_us,
 * backend_us, cba_rejected, source, cba_frontends, cba_backends, files, templates, functions, columns),
 * the fields of a model.TraceSummary (functions as (name, file, count, us) tuples; an empty breakdown
 * means no timed event), or None when declined. It does in C what _reference.summarize_batch and
 * _known do with numpy, for one trace it accepts; the numpy path stays the reference (the tests
 * compare the two on every real trace, on random nestings and on fuzzed traces). The rules, as there:
 *   - a "b" event lasts until the "e" right after it with the same name and id (clang writes them
 *     back to back; any other arrangement is declined: the numpy path pairs those);
 *   - timed events: "X" (but "Total ..." ones) and paired "b"; none at all gives an empty breakdown;
 *   - nesting by time containment: by start, longer first, later in the file first; an event's
 *     parent is the latest one before it in that order that ends no earlier (a stack finds it);
 *   - the breakdown nests all timed events; ClangBuildAnalyzer's kinds are nested among themselves.
 * A trace with a damaged event is declined: _reference counts those and leaves them out. That is an
 * "X" event ("Total ..." ones included) or a paired "b" whose start or duration is negative or
 * beyond max_event_us (trace_rules.MAX_EVENT_US, a week, given to configure()), a b/e
 * pair that ends before it begins, or a "Total ..." event with a negative count. The durations' sum
 * must also stay below 2**52, so that every sum is exact in a double as well, which is how numpy's
 * bincount adds them. Strings are derived with the Python functions given to configure()
 * (nice_path, collapse_template_args, is_header), once per distinct string in the process. */

enum {
    KIND_TOTAL = -1, KIND_OTHER = 0, COMPILER, FRONTEND, BACKEND, SOURCE, PARSE_TEMPLATE, PARSE_CLASS,
    INST_CLASS, INST_FUNCTION, OPT_MODULE, OPT_FUNCTION, KIND_COUNT
};
/* The settings of configure(), from buildprof.trace_rules: the event name of each kind above (in that
 * order, from COMPILER), and the longest time an event may have. */
static char *kind_names[KIND_COUNT];
static Py_ssize_t kind_lengths[KIND_COUNT];
static int64_t max_event_us;
/* 0 <= v <= max_event_us, in one comparison (a negative v is a huge unsigned one) */
#define IN_RANGE(v) ((uint64_t)(v) <= (uint64_t)max_event_us)
#define SUM_LIMIT ((int64_t)1 << 52)
#define IS_INST(k) ((k) == INST_CLASS || (k) == INST_FUNCTION)
#define IS_NAMED(k) ((k) == COMPILER || (k) == FRONTEND || (k) == BACKEND || (k) == OPT_MODULE)

static PyObject *nice_path_fn, *collapse_fn, *is_header_fn; /* set by configure() */

static int name_kind(int32_t pos)
{
    Entry *e = &name_cache.entries[pos];
    if (e->kind == KIND_UNKNOWN) {
        int kind = e->len >= 6 && memcmp(e->bytes, "Total ", 6) == 0 ? KIND_TOTAL : KIND_OTHER;
        for (int k = 1; k < KIND_COUNT && kind == KIND_OTHER; k++) {
            if (e->len == kind_lengths[k] && memcmp(e->bytes, kind_names[k], (size_t)e->len) == 0)
                kind = k;
        }
        e->kind = (int8_t)kind;
    }
    return e->kind;
}

/* The cache position of fn(the string at pos), which must be a str. */
static int derive(int32_t pos, PyObject *fn, int32_t *out)
{
    PyObject *value = PyObject_CallOneArg(fn, string_cache.entries[pos].text);
    if (value == NULL)
        return -1;
    Py_ssize_t len = 0;
    const char *utf8 = PyUnicode_Check(value) ? PyUnicode_AsUTF8AndSize(value, &len) : NULL;
    if (utf8 == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "a function given to configure() returned a non-str");
        Py_DECREF(value);
        return -1;
    }
    Str str = {(const unsigned char *)utf8, len};
    Entry *e = cache_find(&string_cache, &str); /* may move the entries: keep positions only */
    Py_DECREF(value);
    if (e == NULL)
        return -1;
    *out = (int32_t)(e - string_cache.entries);
    return 0;
}

static int nice_of(int32_t pos, int32_t *out)
{
    if (string_cache.entries[pos].nice < 0) {
        int32_t nice = pos; /* nice_path("") is "" */
        if (string_cache.entries[pos].len > 0 && derive(pos, nice_path_fn, &nice) < 0)
            return -1;
        string_cache.entries[pos].nice = nice;
    }
    *out = string_cache.entries[pos].nice;
    return 0;
}

static int set_of(int32_t pos, int32_t *out)
{
    if (string_cache.entries[pos].set < 0) {
        int32_t set;
        if (derive(pos, collapse_fn, &set) < 0)
            return -1;
        string_cache.entries[pos].set = set;
    }
    *out = string_cache.entries[pos].set;
    return 0;
}

/* is_header() of the path at pos: 1 or 0, -1 with an exception. */
static int header_of(int32_t pos)
{
    if (string_cache.entries[pos].header < 0) {
        PyObject *value = PyObject_CallOneArg(is_header_fn, string_cache.entries[pos].text);
        int truth = value == NULL ? -1 : PyObject_IsTrue(value);
        Py_XDECREF(value);
        if (truth < 0)
            return -1;
        string_cache.entries[pos].header = (int8_t)truth;
    }
    return string_cache.entries[pos].header;
}

/* The number of a string in this call's numbering `which` (first seen, first numbered). */
static int32_t number_of(Entry *e, int which, int32_t *count)
{
    if (e->mark[which] != calls) {
        e->mark[which] = calls;
        e->mark_no[which] = (*count)++;
    }
    return e->mark_no[which];
}

/* number_of() for the string at `pos`, whose text is appended to `list` when first numbered;
 * -1 with an exception if the list cannot grow. */
static int32_t listed_number(int32_t pos, int which, int32_t *count, PyObject *list)
{
    int32_t known = *count, number = number_of(&string_cache.entries[pos], which, count);
    if (*count > known && append_new(list, Py_NewRef(string_cache.entries[pos].text)) < 0)
        return -1;
    return number;
}

typedef struct {
    int64_t start, dur;
    int32_t t;
} SortKey;

/* By start, longer first, later in the file first. */
static inline int before(const SortKey *x, const SortKey *y)
{
    if (x->start != y->start)
        return x->start < y->start;
    if (x->dur != y->dur)
        return x->dur > y->dur;
    return x->t > y->t;
}

/* Sort keys with `before` (a total order: t is unique): runs of 16 by insertion, then merged bottom
 * up. Several times faster than qsort, whose comparisons are calls through a pointer. */
static int sort_keys(SortKey *keys, Py_ssize_t m)
{
    enum { RUN = 16 };
    for (Py_ssize_t lo = 0; lo < m; lo += RUN) {
        Py_ssize_t hi = lo + RUN < m ? lo + RUN : m;
        for (Py_ssize_t i = lo + 1; i < hi; i++) {
            SortKey x = keys[i];
            Py_ssize_t j = i;
            for (; j > lo && before(&x, &keys[j - 1]); j--)
                keys[j] = keys[j - 1];
            keys[j] = x;
        }
    }
    if (m <= RUN)
        return 0;
    SortKey *spare = PyMem_Malloc((size_t)m * sizeof *spare), *from = keys, *to = spare;
    if (spare == NULL)
        return -1;
    for (Py_ssize_t width = RUN; width < m; width *= 2) {
        for (Py_ssize_t lo = 0; lo < m; lo += 2 * width) {
            Py_ssize_t mid = lo + width < m ? lo + width : m, hi = lo + 2 * width < m ? lo + 2 * width : m;
            Py_ssize_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                to[k++] = before(&from[j], &from[i]) ? from[j++] : from[i++];
            while (i < mid)
                to[k++] = from[i++];
            while (j < hi)
                to[k++] = from[j++];
        }
        SortKey *swap = from;
        from = to, to = swap;
    }
    if (from != keys)
        memcpy(keys, from, (size_t)m * sizeof *keys);
    PyMem_Free(spare);
    return 0;
}

/* Per timed event t, in file order. "Known": of a kind ClangBuildAnalyzer knows (kind > 0). */
typedef struct {
    Py_ssize_t m;
    int32_t *event;                /* its index among all the trace's events */
    int8_t *kind;
    int64_t *start, *dur, *end;
    int32_t *order;                /* t by start: parents before children */
    int32_t *parent;               /* the enclosing timed event, or -1 */
    int64_t *own;                  /* self time: duration minus the children's */
    int32_t *kparent;              /* known: the enclosing known event, or -1 */
    int32_t *owner, *src_up, *inst_up; /* known: nearest strict ancestor named / Source / instantiation */
    int32_t *detail;               /* known: its detail's position (nice path for Source, OptModule) */
    int32_t *set;                  /* instantiations: the template set's position */
    uint8_t *recursive;            /* instantiations: nested in one of the same set */
    uint8_t *named;                /* known: what ClangBuildAnalyzer's FindPath stops at */
    int32_t *row;                  /* Source: its row (rows in nesting order) */
    int64_t *nested;               /* known: durations of the Source / instantiation events it holds */
} Timed;

#define TIMED_ARRAYS(X)                                                                            \
    X(event) X(kind) X(start) X(dur) X(end) X(order) X(parent) X(own) X(kparent) X(owner) X(src_up) \
    X(inst_up) X(detail) X(set) X(recursive) X(named) X(row) X(nested)

static void timed_free(Timed *tm)
{
#define FREE_T(a) PyMem_Free(tm->a);
    TIMED_ARRAYS(FREE_T)
#undef FREE_T
}

static int timed_alloc(Timed *tm, Py_ssize_t m)
{
    size_t size = (size_t)(m ? m : 1);
    int failed = 0;
#define ALLOC_T(a) failed |= (tm->a = PyMem_Calloc(size, sizeof *tm->a)) == NULL;
    TIMED_ARRAYS(ALLOC_T)
#undef ALLOC_T
    tm->m = m;
    if (failed)
        PyErr_NoMemory();
    return failed ? -1 : 0;
}

/* Pair the b/e events, keep the timed ones, check their times: 1 accepted, 0 declined, -1 error. */
static int select_timed(Columns *c, Timed *tm)
{
    Py_ssize_t n = c->n, m = 0;
    if (n >= INT32_MAX)
        return 0;
    int64_t *dur = PyMem_Malloc((size_t)(n ? n : 1) * sizeof *dur);
    if (dur == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    int accepted = 1;
    for (Py_ssize_t i = 0; i < n && accepted; i++) {
        dur[i] = c->dur[i];
        if (c->phase[i] == 2) {
            Py_ssize_t e = i + 1;
            accepted = e < n && c->phase[e] == 3 && c->name[e] == c->name[i] && c->id[e] == c->id[i];
            /* in range, and not reversed (the difference cannot overflow once ts[i] is in range) */
            accepted = accepted && IN_RANGE(c->ts[i]) && c->ts[e] >= c->ts[i] &&
                       c->ts[e] - c->ts[i] <= max_event_us;
            if (accepted) {
                dur[i] = c->ts[e] - c->ts[i];
                dur[e] = -1;
                m++;
                i++;
            }
        } else if (c->phase[i] == 3) {
            accepted = 0; /* an "e" that does not follow its "b" */
        } else if (c->phase[i] == 1) {
            accepted = IN_RANGE(c->ts[i]) && IN_RANGE(c->dur[i]);
            if (name_kind(c->name[i]) != KIND_TOTAL)
                m++;
            else if (c->count[i] < 0)
                accepted = 0;
        }
    }
    if (accepted && timed_alloc(tm, m) < 0)
        accepted = -1;
    int64_t total = 0;
    for (Py_ssize_t i = 0, t = 0; i < n && accepted == 1; i++) {
        int8_t phase = c->phase[i];
        if (!(phase == 2 || (phase == 1 && name_kind(c->name[i]) != KIND_TOTAL)))
            continue;
        if ((total += dur[i]) >= SUM_LIMIT) { /* times are in range: checked above */
            accepted = 0;
            break;
        }
        tm->event[t] = (int32_t)i;
        tm->kind[t] = (int8_t)name_kind(c->name[i]);
        tm->start[t] = c->ts[i];
        tm->dur[t] = dur[i];
        tm->end[t] = c->ts[i] + dur[i];
        t++;
    }
    PyMem_Free(dur);
    return accepted;
}

/* What needs Python (paths, template sets) before the walk, so that the walk cannot fail. */
static int derive_details(Columns *c, Timed *tm)
{
    for (Py_ssize_t t = 0; t < tm->m; t++) {
        int kind = tm->kind[t];
        int32_t detail = c->detail[tm->event[t]];
        if ((kind == SOURCE || kind == OPT_MODULE) && nice_of(detail, &detail) < 0)
            return -1;
        tm->detail[t] = detail;
        if (IS_INST(kind) && set_of(detail, &tm->set[t]) < 0)
            return -1;
    }
    return 0;
}

/* Both nestings, the self times and every ancestor the summary asks for, in one walk by start. */
static int nest(Timed *tm)
{
    Py_ssize_t m = tm->m;
    SortKey *keys = PyMem_Malloc((size_t)(m ? m : 1) * sizeof *keys);
    int32_t *stack = PyMem_Malloc((size_t)(m ? m : 1) * sizeof *stack);
    int32_t *kstack = PyMem_Malloc((size_t)(m ? m : 1) * sizeof *kstack);
    if (keys == NULL || stack == NULL || kstack == NULL) {
        PyMem_Free(keys), PyMem_Free(stack), PyMem_Free(kstack);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t t = 0; t < m; t++)
        keys[t] = (SortKey){tm->start[t], tm->dur[t], (int32_t)t};
    if (sort_keys(keys, m) < 0) {
        PyMem_Free(keys), PyMem_Free(stack), PyMem_Free(kstack);
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t depth = 0, kdepth = 0;
    int32_t rows = 0;
    Entry *strings = string_cache.entries; /* no string is added from here on */
    for (Py_ssize_t k = 0; k < m; k++) {
        int32_t t = keys[k].t;
        int64_t end = tm->end[t];
        tm->order[k] = t;
        while (depth && tm->end[stack[depth - 1]] < end)
            depth--;
        tm->parent[t] = depth ? stack[depth - 1] : -1;
        stack[depth++] = t;
        int kind = tm->kind[t];
        if (kind <= 0)
            continue;
        while (kdepth && tm->end[kstack[kdepth - 1]] < end) {
            int32_t closed = kstack[--kdepth];
            if (IS_INST(tm->kind[closed]))
                strings[tm->set[closed]].active--;
        }
        int32_t p = kdepth ? kstack[kdepth - 1] : -1;
        tm->kparent[t] = p;
        tm->owner[t] = p < 0 ? -1 : tm->named[p] ? p : tm->owner[p];
        tm->src_up[t] = p < 0 ? -1 : tm->kind[p] == SOURCE ? p : tm->src_up[p];
        tm->inst_up[t] = p < 0 ? -1 : IS_INST(tm->kind[p]) ? p : tm->inst_up[p];
        /* ClangBuildAnalyzer names a compiler event without detail after the trace: it counts */
        tm->named[t] = IS_NAMED(kind) && (strings[tm->detail[t]].len > 0 || kind == COMPILER);
        if (kind == SOURCE)
            tm->row[t] = rows++;
        if (IS_INST(kind)) {
            tm->recursive[t] = strings[tm->set[t]].active > 0;
            strings[tm->set[t]].active++;
        }
        kstack[kdepth++] = t;
    }
    while (kdepth) {
        int32_t closed = kstack[--kdepth];
        if (IS_INST(tm->kind[closed]))
            strings[tm->set[closed]].active--;
    }
    for (Py_ssize_t t = 0; t < m; t++)
        tm->own[t] = tm->dur[t];
    for (Py_ssize_t t = 0; t < m; t++) {
        if (tm->parent[t] >= 0)
            tm->own[tm->parent[t]] -= tm->dur[t];
        if (tm->kind[t] == SOURCE && tm->src_up[t] >= 0)
            tm->nested[tm->src_up[t]] += tm->dur[t];
        if (IS_INST(tm->kind[t]) && tm->inst_up[t] >= 0)
            tm->nested[tm->inst_up[t]] += tm->dur[t];
    }
    PyMem_Free(keys), PyMem_Free(stack), PyMem_Free(kstack);
    return 0;
}

/* ---- the result's Python objects */

/* Set dict[key] to a new reference, consuming it. */
static int put_new(PyObject *dict, const char *key, PyObject *value)
{
    if (value == NULL)
        return -1;
    int rc = PyDict_SetItemString(dict, key, value);
    Py_DECREF(value);
    return rc;
}

static PyObject *text_at(int32_t pos) { return string_cache.entries[pos].text; }

/* The process name: of the last "process_name" metadata event with args ("" without one). */
static PyObject *process_of(Columns *c)
{
    int32_t found = -1;
    for (Py_ssize_t i = 0; i < c->n; i++) {
        Entry *e = &name_cache.entries[c->name[i]];
        if (c->phase[i] == 4 && c->arg_name[i] != NO_ARGS && e->len == 12 &&
            memcmp(e->bytes, "process_name", 12) == 0)
            found = c->arg_name[i];
    }
    return found < 0 ? PyUnicode_FromStringAndSize("", 0) : Py_NewRef(text_at(found));
}

static int64_t *breakdown_sums; /* for by_breakdown (summarize() is not reentrant) */

/* Largest self time first, then the name seen first. */
static int by_breakdown(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    if (breakdown_sums[x] != breakdown_sums[y])
        return breakdown_sums[x] > breakdown_sums[y] ? -1 : 1;
    return (x > y) - (x < y);
}

/* Self time by event name: [(name, us)], largest first. */
static PyObject *breakdown_of(Columns *c, Timed *tm)
{
    size_t size = (size_t)(tm->m ? tm->m : 1);
    int64_t *sums = PyMem_Calloc(size, sizeof *sums);
    int32_t *names = PyMem_Malloc(size * sizeof *names), *rank = PyMem_Malloc(size * sizeof *rank);
    PyObject *list = sums && names && rank ? PyList_New(0) : PyErr_NoMemory();
    int32_t count = 0;
    for (Py_ssize_t t = 0; list != NULL && t < tm->m; t++) {
        int32_t pos = c->name[tm->event[t]];
        int32_t no = number_of(&name_cache.entries[pos], 1, &count);
        names[no] = pos;
        sums[no] += tm->own[t];
    }
    if (list != NULL) {
        for (int32_t k = 0; k < count; k++)
            rank[k] = k;
        breakdown_sums = sums;
        qsort(rank, (size_t)count, sizeof *rank, by_breakdown);
    }
    for (int32_t k = 0; list != NULL && k < count; k++) {
        PyObject *name = name_cache.entries[names[rank[k]]].text;
        if (append_new(list, Py_BuildValue("(OL)", name, (long long)sums[rank[k]])) < 0)
            Py_CLEAR(list);
    }
    PyMem_Free(sums), PyMem_Free(names), PyMem_Free(rank);
    return list;
}

/* ClangBuildAnalyzer's FindPath name of a known event: a string position, or -1 for "". */
static int32_t path_of(Timed *tm, int32_t t)
{
    int32_t at = tm->named[t] ? t : tm->owner[t];
    return at < 0 || tm->kind[at] == COMPILER ? -1 : tm->detail[at];
}

static PyObject *path_text(int32_t pos, PyObject *empty) { return pos < 0 ? empty : text_at(pos); }

/* Frontend entries (those sharing the first one's parent merged into it), backend entries. */
static int phases_of(Timed *tm, PyObject *empty, PyObject **frontends, PyObject **backends)
{
    size_t size = (size_t)(tm->m ? tm->m : 1);
    int64_t *us = PyMem_Malloc(size * sizeof *us);
    int32_t *path = PyMem_Malloc(size * sizeof *path), entries = 0, first_parent = -1;
    *frontends = us && path ? PyList_New(0) : PyErr_NoMemory();
    *backends = *frontends ? PyList_New(0) : NULL;
    int rc = *backends ? 0 : -1;
    for (Py_ssize_t t = 0; rc == 0 && t < tm->m; t++) {
        if (tm->kind[t] == FRONTEND) {
            if (entries && tm->kparent[t] == first_parent) {
                us[0] += tm->dur[t];
                continue;
            }
            if (!entries)
                first_parent = tm->kparent[t];
            us[entries] = tm->dur[t];
            path[entries++] = path_of(tm, (int32_t)t);
        } else if (tm->kind[t] == BACKEND) {
            PyObject *name = path_text(path_of(tm, (int32_t)t), empty);
            rc = append_new(*backends, Py_BuildValue("(LO)", (long long)tm->dur[t], name));
        }
    }
    for (int32_t k = 0; rc == 0 && k < entries; k++)
        rc = append_new(*frontends, Py_BuildValue("(LO)", (long long)us[k], path_text(path[k], empty)));
    PyMem_Free(us), PyMem_Free(path);
    if (rc < 0) {
        Py_CLEAR(*frontends);
        Py_CLEAR(*backends);
    }
    return rc;
}

/* Functions (OptFunction): [(name, file, count, us)] per distinct (name, FindPath file), first seen first. */
static PyObject *functions_of(Timed *tm, PyObject *empty)
{
    size_t slots = 16;
    while (slots < (size_t)tm->m * 2)
        slots *= 2;
    int64_t *keys = PyMem_Malloc(slots * sizeof *keys), *us = PyMem_Malloc(slots / 2 * sizeof *us);
    int32_t *at = PyMem_Malloc(slots * sizeof *at), *count = PyMem_Malloc(slots / 2 * sizeof *count);
    int64_t *found = PyMem_Malloc(slots / 2 * sizeof *found);
    PyObject *list = keys && us && at && count && found ? PyList_New(0) : PyErr_NoMemory();
    int32_t n = 0;
    if (list != NULL)
        memset(at, 0xFF, slots * sizeof *at);
    for (Py_ssize_t t = 0; list != NULL && t < tm->m; t++) {
        if (tm->kind[t] != OPT_FUNCTION)
            continue;
        int64_t key = ((int64_t)tm->detail[t] << 32) | (uint32_t)(path_of(tm, (int32_t)t) + 1);
        size_t j = (size_t)(((uint64_t)key * 0x9E3779B97F4A7C15u) >> 32) & (slots - 1);
        while (at[j] >= 0 && keys[j] != key)
            j = (j + 1) & (slots - 1);
        if (at[j] < 0) {
            keys[j] = key;
            at[j] = n;
            found[n] = key;
            count[n] = 0;
            us[n++] = 0;
        }
        count[at[j]]++;
        us[at[j]] += tm->dur[t];
    }
    for (int32_t k = 0; list != NULL && k < n; k++) {
        PyObject *name = text_at((int32_t)(found[k] >> 32));
        PyObject *file = path_text((int32_t)(uint32_t)found[k] - 1, empty);
        if (append_new(list, Py_BuildValue("(OOiL)", name, file, count[k], (long long)us[k])) < 0)
            Py_CLEAR(list);
    }
    PyMem_Free(keys), PyMem_Free(us), PyMem_Free(at), PyMem_Free(count), PyMem_Free(found);
    return list;
}

/* Add the per-file and per-Source-event columns (model.SUMMARY_COLUMNS) and the files list. */
static int headers_of(Timed *tm, PyObject *columns, PyObject *files)
{
    Py_ssize_t rows = 0;
    for (Py_ssize_t t = 0; t < tm->m; t++)
        rows += tm->kind[t] == SOURCE;
    if (rows == 0)
        return 0;
    size_t size = (size_t)rows;
    int64_t *incl = PyMem_Calloc(size, 8), *self = PyMem_Calloc(size, 8), *row_us = PyMem_Malloc(size * 8);
    int32_t *count = PyMem_Calloc(size, 4), *row_file = PyMem_Malloc(size * 4);
    int32_t *includer = PyMem_Malloc(size * 4), *cba_parent = PyMem_Malloc(size * 4);
    uint8_t *direct = PyMem_Calloc(size, 1), *root = PyMem_Calloc(size, 1);
    int rc = incl && self && row_us && count && row_file && includer && cba_parent && direct && root ? 0 : -1;
    if (rc < 0)
        PyErr_NoMemory();
    int32_t n_files = 0;
    Py_ssize_t r = 0;
    for (Py_ssize_t k = 0; rc == 0 && k < tm->m; k++) {
        int32_t t = tm->order[k], p = tm->kparent[t];
        if (tm->kind[t] != SOURCE)
            continue;
        int32_t file = listed_number(tm->detail[t], 0, &n_files, files);
        if (file < 0) {
            rc = -1;
            break;
        }
        int header_parent = 0;
        if (p >= 0 && tm->kind[p] == SOURCE && (header_parent = header_of(tm->detail[p])) < 0) {
            rc = -1;
            break;
        }
        int32_t up = tm->src_up[t];
        row_file[r] = file;
        includer[r] = up >= 0 ? tm->row[up] : -1;
        cba_parent[r] = header_parent ? tm->row[p] : -1;
        row_us[r] = tm->dur[t];
        incl[file] += tm->dur[t];
        self[file] += tm->dur[t] - tm->nested[t];
        count[file]++;
        direct[file] |= up < 0;
        root[file] |= !header_parent;
        r++;
    }
    if (rc == 0)
        rc = put_new(columns, "file_incl_us", column_bytes(incl, n_files, 8)) ||
             put_new(columns, "file_self_us", column_bytes(self, n_files, 8)) ||
             put_new(columns, "file_count", column_bytes(count, n_files, 4)) ||
             put_new(columns, "file_direct", column_bytes(direct, n_files, 1)) ||
             put_new(columns, "file_cba_root", column_bytes(root, n_files, 1)) ||
             put_new(columns, "src_file", column_bytes(row_file, rows, 4)) ||
             put_new(columns, "src_includer", column_bytes(includer, rows, 4)) ||
             put_new(columns, "src_cba_parent", column_bytes(cba_parent, rows, 4)) ||
             put_new(columns, "src_us", column_bytes(row_us, rows, 8)) ? -1 : 0;
    PyMem_Free(incl), PyMem_Free(self), PyMem_Free(row_us), PyMem_Free(count), PyMem_Free(row_file);
    PyMem_Free(includer), PyMem_Free(cba_parent), PyMem_Free(direct), PyMem_Free(root);
    return rc;
}

/* Add the per-instantiated-name columns and the templates list. */
static int templates_of(Timed *tm, PyObject *columns, PyObject *templates)
{
    Py_ssize_t insts = 0;
    for (Py_ssize_t t = 0; t < tm->m; t++)
        insts += IS_INST(tm->kind[t]);
    if (insts == 0)
        return 0;
    size_t size = (size_t)insts;
    uint8_t *kind = PyMem_Calloc(size, 1);
    int32_t *count = PyMem_Calloc(size, 4), *set_count = PyMem_Calloc(size, 4);
    int64_t *incl = PyMem_Calloc(size, 8), *self = PyMem_Calloc(size, 8), *set_us = PyMem_Calloc(size, 8);
    int rc = kind && count && set_count && incl && self && set_us ? 0 : -1;
    if (rc < 0)
        PyErr_NoMemory();
    int32_t n_names = 0;
    for (Py_ssize_t t = 0; rc == 0 && t < tm->m; t++) {
        if (!IS_INST(tm->kind[t]))
            continue;
        int32_t name = listed_number(tm->detail[t], 1, &n_names, templates);
        if (name < 0) {
            rc = -1;
            break;
        }
        int64_t us = tm->dur[t];
        kind[name] = tm->kind[t] == INST_FUNCTION; /* the last instantiation's kind */
        count[name]++;
        incl[name] += us;
        self[name] += us - tm->nested[t];
        set_count[name] += !tm->recursive[t];
        set_us[name] += tm->recursive[t] ? 0 : us;
    }
    if (rc == 0)
        rc = put_new(columns, "tpl_kind", column_bytes(kind, n_names, 1)) ||
             put_new(columns, "tpl_count", column_bytes(count, n_names, 4)) ||
             put_new(columns, "tpl_incl_us", column_bytes(incl, n_names, 8)) ||
             put_new(columns, "tpl_self_us", column_bytes(self, n_names, 8)) ||
             put_new(columns, "tpl_set_count", column_bytes(set_count, n_names, 4)) ||
             put_new(columns, "tpl_set_us", column_bytes(set_us, n_names, 8)) ? -1 : 0;
    PyMem_Free(kind), PyMem_Free(count), PyMem_Free(set_count), PyMem_Free(incl), PyMem_Free(self);
    PyMem_Free(set_us);
    return rc;
}

/* The summary tuple of a scanned trace (see summarize()), None if declined, NULL on an error. */
static PyObject *summary_tuple(Columns *c, PyObject *beginning)
{
    Timed tm;
    memset(&tm, 0, sizeof tm);
    int accepted = select_timed(c, &tm);
    if (accepted == 1 && (derive_details(c, &tm) < 0 || nest(&tm) < 0))
        accepted = -1;
    if (accepted != 1) {
        timed_free(&tm);
        return accepted == 0 ? Py_NewRef(Py_None) : NULL;
    }
    int64_t sums[KIND_COUNT] = {0};
    int32_t last = -1, source = -1;
    for (Py_ssize_t t = 0; t < tm.m; t++) {
        if (tm.kind[t] <= 0)
            continue;
        sums[tm.kind[t]] += tm.dur[t];
        last = (int32_t)t;
        if (tm.kind[t] == OPT_MODULE && source < 0)
            source = tm.detail[t];
    }
    /* One statement each: the parts are computed in this order (an initializer list has none). */
    enum { N_ITEMS = 15 };
    PyObject *items[N_ITEMS] = {NULL};
    PyObject *empty = PyUnicode_FromStringAndSize("", 0);
    PyObject *columns = PyDict_New(), *files = PyList_New(0), *templates = PyList_New(0);
    int ok = empty && columns && files && templates;
#define PART(k, value) ok = ok && (items[k] = (value)) != NULL
    PART(0, PyLong_FromSsize_t(c->n));
    PART(1, process_of(c));
    PART(2, Py_NewRef(beginning ? beginning : Py_None));
    PART(3, breakdown_of(c, &tm));
    PART(4, PyLong_FromLongLong(sums[COMPILER]));
    PART(5, PyLong_FromLongLong(sums[FRONTEND]));
    PART(6, PyLong_FromLongLong(sums[BACKEND]));
    PART(7, PyBool_FromLong(last >= 0 && tm.kparent[last] >= 0)); /* ClangBuildAnalyzer skips it */
    PART(8, Py_NewRef(source < 0 ? empty : text_at(source)));
    ok = ok && phases_of(&tm, empty, &items[9], &items[10]) == 0;
    ok = ok && headers_of(&tm, columns, files) == 0 && templates_of(&tm, columns, templates) == 0;
    PART(13, functions_of(&tm, empty));
#undef PART
    items[11] = files, items[12] = templates, items[14] = columns; /* owned by items from here */
    timed_free(&tm);
    Py_XDECREF(empty);
    return tuple_of(items, N_ITEMS, ok);
}

/* ---------------------------------------------------------------- the module */

static int busy; /* summarize() is not reentrant (its caches are process-wide) */

/* Scan `data` and summarise it (see "the summary"); None when declined. */
static PyObject *summarize(PyObject *module, PyObject *data)
{
    (void)module;
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) /* bytes, or a reused bytearray's view */
        return NULL;
    if (nice_path_fn == NULL) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_RuntimeError, "summarize() needs configure() first");
        return NULL;
    }
    if (busy) {
        PyBuffer_Release(&view);
        Py_RETURN_NONE; /* only if a finalizer run by an allocation called it again: use msgspec */
    }
    busy = 1;
    calls++;
    if (name_cache.count > CACHE_LIMIT || name_cache.bytes > CACHE_BYTES)
        cache_clear(&name_cache);
    if (string_cache.count > CACHE_LIMIT || string_cache.bytes > CACHE_BYTES)
        cache_clear(&string_cache);
    Parse ps;
    memset(&ps, 0, sizeof ps);
    ps.s.p = (const unsigned char *)view.buf;
    ps.s.end = ps.s.p + view.len;
    ps.input = ps.s.p;
    ps.names = (Numbering){&name_cache, -1};
    ps.strings = (Numbering){&string_cache, -1};
    PyObject *beginning = NULL, *result = NULL;
    if (scan_document(&ps, &beginning) == 0)
        result = summary_tuple(&ps.cols, beginning);
    else if (!PyErr_Occurred())
        result = Py_NewRef(Py_None);
    Py_XDECREF(beginning);
    columns_free(&ps.cols);
    PyMem_Free(ps.s.scratch);
    PyBuffer_Release(&view);
    busy = 0;
    return result;
}

/* ---------------------------------------------------------------- a message's name numbers */

/* The number of each name of `list` in `numbers` (a dict: name -> int), a name met for the first time
 * getting len(numbers), as int32 little-endian bytes. Like _wire._lists, every name of the list is
 * numbered before a number that int32 cannot hold raises OverflowError. `field` (NULL: the items
 * themselves; else an attribute name, or a tuple position when `position` >= 0) picks the name. */
static PyObject *numbered(PyObject *numbers, PyObject *list, PyObject *field, Py_ssize_t position)
{
    if (!PyList_Check(list)) {
        PyErr_SetString(PyExc_TypeError, "name_numbers() takes lists");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(list);
    PyObject *out = PyBytes_FromStringAndSize(NULL, n * 4);
    if (out == NULL)
        return NULL;
    unsigned char *o = (unsigned char *)PyBytes_AS_STRING(out);
    int too_big = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(list, i), *name;
        if (position >= 0) {
            if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) <= position) {
                PyErr_SetString(PyExc_TypeError, "name_numbers(): breakdown items must be tuples");
                goto fail;
            }
            name = Py_NewRef(PyTuple_GET_ITEM(item, position));
        } else if (field != NULL) {
            if ((name = PyObject_GetAttr(item, field)) == NULL)
                goto fail;
        } else {
            name = Py_NewRef(item);
        }
        PyObject *number = PyDict_GetItemWithError(numbers, name); /* borrowed */
        long long value;
        if (number != NULL) {
            value = PyLong_AsLongLong(number);
            if (value == -1 && PyErr_Occurred()) {
                Py_DECREF(name);
                goto fail;
            }
        } else if (PyErr_Occurred()) {
            Py_DECREF(name);
            goto fail;
        } else {
            value = (long long)PyDict_GET_SIZE(numbers);
            PyObject *fresh = PyLong_FromLongLong(value);
            int failed = fresh == NULL || PyDict_SetItem(numbers, name, fresh) < 0;
            Py_XDECREF(fresh);
            if (failed) {
                Py_DECREF(name);
                goto fail;
            }
        }
        Py_DECREF(name);
        if (value < INT32_MIN || value > INT32_MAX)
            too_big = 1, value = 0;
        uint32_t u = (uint32_t)(int32_t)value;
        o[4 * i] = (unsigned char)u;
        o[4 * i + 1] = (unsigned char)(u >> 8);
        o[4 * i + 2] = (unsigned char)(u >> 16);
        o[4 * i + 3] = (unsigned char)(u >> 24);
    }
    if (too_big) {
        PyErr_SetString(PyExc_OverflowError, "a name number beyond int32");
        goto fail;
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* The second items of the breakdown's (name, us) tuples, as int64 little-endian bytes. */
static PyObject *breakdown_us(PyObject *list)
{
    Py_ssize_t n = PyList_GET_SIZE(list);
    PyObject *out = PyBytes_FromStringAndSize(NULL, n * 8);
    if (out == NULL)
        return NULL;
    unsigned char *o = (unsigned char *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(list, i);
        PyObject *us = PyTuple_Check(item) && PyTuple_GET_SIZE(item) == 2 ? PyTuple_GET_ITEM(item, 1) : NULL;
        if (us == NULL || !PyLong_Check(us)) {
            PyErr_SetString(PyExc_TypeError, "name_numbers(): breakdown items must be (str, int)");
            Py_DECREF(out);
            return NULL;
        }
        long long value = PyLong_AsLongLong(us); /* OverflowError beyond int64 */
        if (value == -1 && PyErr_Occurred()) {
            Py_DECREF(out);
            return NULL;
        }
        uint64_t u = (uint64_t)value;
        for (int b = 0; b < 8; b++)
            o[8 * i + b] = (unsigned char)(u >> (8 * b));
    }
    return out;
}

/* name_numbers(numbers, files, templates, breakdown, functions): _wire._lists' five byte strings,
 * in its order (files, templates, the breakdown's names, its microseconds, the functions' names). */
static PyObject *name_numbers(PyObject *module, PyObject *args)
{
    (void)module;
    static PyObject *name_attr;
    PyObject *numbers, *files, *templates, *breakdown, *functions, *parts[5] = {NULL};
    if (!PyArg_ParseTuple(args, "O!OOO!O:name_numbers", &PyDict_Type, &numbers, &files, &templates,
                          &PyList_Type, &breakdown, &functions))
        return NULL;
    if (name_attr == NULL && (name_attr = PyUnicode_InternFromString("name")) == NULL)
        return NULL;
    int ok = (parts[0] = numbered(numbers, files, NULL, -1)) != NULL &&
             (parts[1] = numbered(numbers, templates, NULL, -1)) != NULL &&
             (parts[2] = numbered(numbers, breakdown, NULL, 0)) != NULL &&
             (parts[3] = breakdown_us(breakdown)) != NULL &&
             (parts[4] = numbered(numbers, functions, name_attr, -1)) != NULL;
    PyObject *result = ok ? PyTuple_Pack(5, parts[0], parts[1], parts[2], parts[3], parts[4]) : NULL;
    for (int k = 0; k < 5; k++)
        Py_XDECREF(parts[k]);
    return result;
}

/* Copy the kind names of configure() (a tuple of str, one per kind from COMPILER, in enum order). */
static int set_kind_names(PyObject *kinds)
{
    if (!PyTuple_Check(kinds) || PyTuple_GET_SIZE(kinds) != KIND_COUNT - 1) {
        PyErr_Format(PyExc_ValueError, "configure() needs a tuple of %d event names", KIND_COUNT - 1);
        return -1;
    }
    for (int k = 1; k < KIND_COUNT; k++) {
        Py_ssize_t len = 0;
        PyObject *name = PyTuple_GET_ITEM(kinds, k - 1);
        const char *utf8 = PyUnicode_Check(name) ? PyUnicode_AsUTF8AndSize(name, &len) : NULL;
        if (utf8 == NULL) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "configure(): event names must be str");
            return -1;
        }
        char *copy = PyMem_Malloc((size_t)len + 1);
        if (copy == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        memcpy(copy, utf8, (size_t)len + 1);
        PyMem_Free(kind_names[k]);
        kind_names[k] = copy;
        kind_lengths[k] = len;
    }
    return 0;
}

static PyObject *configure(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *nice, *collapse, *header, *kinds;
    long long longest;
    if (!PyArg_ParseTuple(args, "OOOOL:configure", &nice, &collapse, &header, &kinds, &longest))
        return NULL;
    if (!PyCallable_Check(nice) || !PyCallable_Check(collapse) || !PyCallable_Check(header)) {
        PyErr_SetString(PyExc_TypeError, "configure() takes three functions first");
        return NULL;
    }
    if (longest < 0 || longest >= ((long long)1 << 62)) {
        PyErr_SetString(PyExc_ValueError, "configure(): max_event_us out of range");
        return NULL;
    }
    if (busy) {
        PyErr_SetString(PyExc_RuntimeError, "configure() while a trace is being read");
        return NULL;
    }
    if (set_kind_names(kinds) < 0)
        return NULL;
    /* What was derived with other rules no longer holds: start afresh. */
    cache_clear(&name_cache);
    cache_clear(&string_cache);
    Py_XSETREF(nice_path_fn, Py_NewRef(nice));
    Py_XSETREF(collapse_fn, Py_NewRef(collapse));
    Py_XSETREF(is_header_fn, Py_NewRef(header));
    max_event_us = (int64_t)longest;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"summarize", summarize, METH_O,
     "summarize(data: bytes-like) -> tuple | None\n\n"
     "The summary of a clang -ftime-trace document (see \"the summary\" in the module source),\n"
     "or None when it is not the plain shape this module handles exactly."},
    {"name_numbers", name_numbers, METH_VARARGS,
     "name_numbers(numbers, files, templates, breakdown, functions) -> tuple[bytes, ...]\n\n"
     "A summary's name lists as int32 numbers from `numbers` (a name met first gets len(numbers)),\n"
     "and the breakdown's microseconds as int64, little-endian: what buildprof.traces._wire sends."},
    {"configure", configure, METH_VARARGS,
     "configure(nice_path, collapse_template_args, is_header, kinds, max_event_us) -> None\n\n"
     "The rules summarize() follows (buildprof.trace_rules): the functions it derives paths,\n"
     "template sets and header flags with, the event name of each kind, the longest event."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "buildprof.traces._native",
    .m_doc = "Optional accelerator: the summary of a clang -ftime-trace document, from its bytes.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__native(void)
{
    init_byte_class();
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL)
        return NULL;
    PyObject *no_id = PyLong_FromLongLong(NO_ID);
    int failed = no_id == NULL || PyModule_AddObjectRef(m, "NO_ID", no_id) < 0 ||
                 PyModule_AddIntConstant(m, "NO_ARGS", NO_ARGS) < 0;
    Py_XDECREF(no_id);
    if (failed)
        Py_CLEAR(m);
    return m;
}
