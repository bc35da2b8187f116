/* The steps of a Chrome / Perfetto trace in C: the optional fast path of buildprof.render.chrome_trace.

   write_steps(data, lo, hi, start_ms, end_ms, lane, group, n_outputs, weighted_ms, heads, args, a, b)
   returns the X events of steps a..b-1 as one bytes object, exactly as chrome_trace._steps writes
   them (each event after ",\n"): the name is data[lo[i]:hi[i]] (the log's bytes of the step's output)
   escaped as buildprof.jsonio writes a name; heads[group[i]] and args[group[i]] are the step's (kind,
   target) texts, already JSON; the numbers are formatted as Python's str() and repr() do. No Python
   object is made per step.

   Escaping (jsonio.encode_json of the path decoded with surrogateescape): '"' and '\' get a backslash;
   \b \t \n \f \r their short escapes, other C0 controls \u00XX; DEL, C1 controls, U+061C, U+200E/F,
   U+2028-U+202E, U+2066-U+2069 and U+FEFF are written \uXXXX; each byte that is not part of valid
   UTF-8 (as Python's strict decoder says: no overlong forms, no surrogates, nothing over U+10FFFF)
   becomes \udcXX; everything else is copied as it is.

   Arrays are C-contiguous buffers: lo, hi, start_ms, end_ms, lane, group, n_outputs int64,
   weighted_ms float64. Built by setup.py when a C compiler is there; chrome_trace.py writes the same
   bytes in Python without it, or with BUILDPROF_NO_NATIVE=1.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(address) __builtin_prefetch(address)
#else
#define PREFETCH(address) ((void)0)
#endif

static const char HEX[] = "0123456789abcdef";

typedef struct {
    PyObject *bytes; /* the result being filled */
    char *buf;
    Py_ssize_t len, cap;
} Out;

static inline char *put(char *p, const char *text, size_t n) {
    memcpy(p, text, n);
    return p + n;
}

#define PUT_LITERAL(p, s) put((p), (s), sizeof(s) - 1)

static inline char *put_u_escape(char *p, unsigned cp) {
    p[0] = '\\';
    p[1] = 'u';
    p[2] = HEX[(cp >> 12) & 15];
    p[3] = HEX[(cp >> 8) & 15];
    p[4] = HEX[(cp >> 4) & 15];
    p[5] = HEX[cp & 15];
    return p + 6;
}

static const char PAIRS[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                            "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                            "8081828384858687888990919293949596979899";

static inline char *put_int(char *p, int64_t value) {
    char digits[24];
    char *d = digits + sizeof(digits);
    uint64_t v;
    if (value < 0) {
        *p++ = '-';
        v = (uint64_t)0 - (uint64_t)value;
    } else {
        v = (uint64_t)value;
    }
    while (v >= 100) {
        unsigned k = (unsigned)(v % 100) * 2;
        v /= 100;
        *--d = PAIRS[k + 1];
        *--d = PAIRS[k];
    }
    if (v >= 10) {
        *--d = PAIRS[v * 2 + 1];
        *--d = PAIRS[v * 2];
    } else {
        *--d = (char)('0' + v);
    }
    size_t n = (size_t)(digits + sizeof(digits) - d);
    memcpy(p, d, n);
    return p + n;
}

static inline int is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

/* The length of the valid UTF-8 sequence at s[0..n) (1-4), 0 if s[0] does not start one; *cp its
   code point. */
static inline int utf8_sequence(const unsigned char *s, Py_ssize_t n, unsigned *cp) {
    unsigned char c = s[0];
    if (c >= 0xC2 && c <= 0xDF) {
        if (n >= 2 && is_cont(s[1])) {
            *cp = ((c & 0x1Fu) << 6) | (s[1] & 0x3Fu);
            return 2;
        }
        return 0;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || !is_cont(s[1]) || !is_cont(s[2]))
            return 0;
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
            return 0; /* overlong, or a surrogate */
        *cp = ((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || !is_cont(s[1]) || !is_cont(s[2]) || !is_cont(s[3]))
            return 0;
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
            return 0; /* overlong, or over U+10FFFF */
        *cp = ((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
        return 4;
    }
    return 0;
}

static inline int escaped_code_point(unsigned cp) {
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

/* The JSON string contents of the name s[0..n): at most 6 bytes out per byte in. */
static unsigned char PLAIN[256]; /* 1: printable ASCII but '"' and '\': copied as it is */

/* Are all 8 bytes of w PLAIN? (no byte below 0x20 or from 0x7F, no '"', no '\\') */
static inline int word_is_plain(uint64_t w) {
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t below = (w - ones * 0x20) & ~w & highs;
    uint64_t above = ((w + ones) | w) & highs; /* no carry out of a byte below 0x7F */
    uint64_t quote = w ^ (ones * 0x22), backslash = w ^ (ones * 0x5C);
    quote = (quote - ones) & ~quote & highs;
    backslash = (backslash - ones) & ~backslash & highs;
    return (below | above | quote | backslash) == 0;
}

static char *put_name(char *p, const unsigned char *s, Py_ssize_t n) {
    Py_ssize_t i = 0;
    while (i < n) {
        Py_ssize_t run = i;
        for (uint64_t w; run + 8 <= n; run += 8) {
            memcpy(&w, s + run, 8);
            if (!word_is_plain(w))
                break;
        }
        while (run < n && PLAIN[s[run]])
            run++;
        if (run > i) {
            p = put(p, (const char *)s + i, (size_t)(run - i));
            i = run;
            if (i == n)
                break;
        }
        unsigned char c = s[i];
        if (c < 0x80) {
            *p++ = '\\';
            switch (c) {
            case '"': *p++ = '"'; break;
            case '\\': *p++ = '\\'; break;
            case '\b': *p++ = 'b'; break;
            case '\t': *p++ = 't'; break;
            case '\n': *p++ = 'n'; break;
            case '\f': *p++ = 'f'; break;
            case '\r': *p++ = 'r'; break;
            default: p = put_u_escape(p - 1, c);
            }
            i++;
            continue;
        }
        unsigned cp = 0;
        int size = utf8_sequence(s + i, n - i, &cp);
        if (size == 0) { /* surrogateescape: the byte as U+DC80-U+DCFF */
            p = put_u_escape(p, 0xDC00u + c);
            i++;
        } else if (escaped_code_point(cp)) {
            p = put_u_escape(p, cp);
            i += size;
        } else {
            p = put(p, (const char *)s + i, (size_t)size);
            i += size;
        }
    }
    return p;
}

/* repr(float(numpy.round(x, 3))): numpy rounds as rint(x * 1000) / 1000; that double's repr is the
   decimal k/1000 written shortest when |k| has at most 15 digits (it round-trips). NULL: another
   value, for put_weighted_repr (which needs the GIL). */
static char *put_weighted(char *p, double x) {
    double k = rint(x * 1000.0);
    double value = k / 1000.0;
    if (!(isfinite(value) && fabs(k) < 1e15))
        return NULL;
    int64_t whole = (int64_t)fabs(k);
    if (signbit(k))
        *p++ = '-';
    p = put_int(p, whole / 1000);
    *p++ = '.';
    int frac = (int)(whole % 1000);
    if (frac == 0) {
        *p++ = '0';
    } else {
        char d[3] = {(char)('0' + frac / 100), (char)('0' + frac / 10 % 10), (char)('0' + frac % 10)};
        int keep = d[2] != '0' ? 3 : d[1] != '0' ? 2 : 1;
        p = put(p, d, (size_t)keep);
    }
    return p;
}

/* Python's repr of the rounded value, for the values put_weighted leaves (NULL and an exception on
   failure). */
static char *put_weighted_repr(char *p, double x) {
    double value = rint(x * 1000.0) / 1000.0;
    char *text = PyOS_double_to_string(value, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (text == NULL)
        return NULL;
    size_t n = strlen(text);
    if (n > 32) { /* never: a double's repr is at most 24 characters */
        PyMem_Free(text);
        PyErr_SetString(PyExc_ValueError, "unexpected float repr");
        return NULL;
    }
    p = put(p, text, n);
    PyMem_Free(text);
    return p;
}

typedef struct {
    Py_buffer view;
    int held;
} Column;

static int get_column(PyObject *obj, Column *col, const char *what, char kind, Py_ssize_t n) {
    if (PyObject_GetBuffer(obj, &col->view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return -1;
    col->held = 1;
    const char *f = col->view.format;
    int ok = col->view.itemsize == 8 && f != NULL &&
             (kind == 'f' ? strcmp(f, "d") == 0 : (strcmp(f, "l") == 0 || strcmp(f, "q") == 0));
    if (!ok) {
        PyErr_Format(PyExc_TypeError, "%s: a C-contiguous %s buffer is needed", what,
                     kind == 'f' ? "float64" : "int64");
        return -1;
    }
    if (n >= 0 && col->view.len / 8 != n) {
        PyErr_Format(PyExc_ValueError, "%s: %zd values instead of %zd", what, col->view.len / 8, n);
        return -1;
    }
    return 0;
}

enum { LO, HI, START, END, LANE, GROUP, N_OUTPUTS, WEIGHTED, N_COLUMNS };

static PyObject *write_steps(PyObject *self, PyObject *args) {
    PyObject *data_obj, *objs[N_COLUMNS], *heads, *group_args;
    Py_ssize_t a, b;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOO!O!nn", &data_obj, &objs[LO], &objs[HI], &objs[START], &objs[END],
                          &objs[LANE], &objs[GROUP], &objs[N_OUTPUTS], &objs[WEIGHTED], &PyTuple_Type, &heads,
                          &PyTuple_Type, &group_args, &a, &b))
        return NULL;
    static const char *names[N_COLUMNS] = {"lo", "hi", "start_ms", "end_ms", "lane",
                                           "group", "n_outputs", "weighted_ms"};
    Py_buffer data;
    Column cols[N_COLUMNS];
    memset(cols, 0, sizeof(cols));
    Out out = {NULL, NULL, 0, 0};
    if (PyObject_GetBuffer(data_obj, &data, PyBUF_SIMPLE) < 0)
        return NULL;
    Py_ssize_t n = -1;
    for (int k = 0; k < N_COLUMNS; k++) {
        if (get_column(objs[k], &cols[k], names[k], k == WEIGHTED ? 'f' : 'i', n) < 0)
            goto fail;
        n = cols[k].view.len / 8;
    }
    Py_ssize_t n_groups = PyTuple_GET_SIZE(heads);
    if (PyTuple_GET_SIZE(group_args) != n_groups) {
        PyErr_SetString(PyExc_ValueError, "heads and args differ in length");
        goto fail;
    }
    for (Py_ssize_t g = 0; g < n_groups; g++) {
        if (!PyBytes_Check(PyTuple_GET_ITEM(heads, g)) || !PyBytes_Check(PyTuple_GET_ITEM(group_args, g))) {
            PyErr_SetString(PyExc_TypeError, "heads and args must hold bytes");
            goto fail;
        }
    }
    if (a < 0 || b > n || a > b) {
        PyErr_SetString(PyExc_IndexError, "rows out of range");
        goto fail;
    }
    const int64_t *lo = cols[LO].view.buf, *hi = cols[HI].view.buf, *start = cols[START].view.buf;
    const int64_t *end = cols[END].view.buf, *lane = cols[LANE].view.buf, *group = cols[GROUP].view.buf;
    const int64_t *n_outputs = cols[N_OUTPUTS].view.buf;
    const double *weighted = cols[WEIGHTED].view.buf;
    const unsigned char *bytes = data.buf;
    Py_ssize_t need = 64;
    for (Py_ssize_t i = a; i < b; i++) { /* an upper bound of the size: the buffer never grows */
        if (lo[i] < 0 || hi[i] < lo[i] || hi[i] > data.len) {
            PyErr_SetString(PyExc_IndexError, "a name's byte range lies outside the data");
            goto fail;
        }
        if (group[i] < 0 || group[i] >= n_groups) {
            PyErr_SetString(PyExc_IndexError, "a step's group is out of range");
            goto fail;
        }
        need += 6 * (hi[i] - lo[i]) + PyBytes_GET_SIZE(PyTuple_GET_ITEM(heads, group[i])) +
                PyBytes_GET_SIZE(PyTuple_GET_ITEM(group_args, group[i])) + 256;
    }
    out.cap = need;
    out.bytes = PyBytes_FromStringAndSize(NULL, out.cap);
    if (out.bytes == NULL)
        goto fail;
    out.buf = PyBytes_AS_STRING(out.bytes);
    int failed = 0;
    Py_BEGIN_ALLOW_THREADS /* the buffer holds `need` bytes: nothing below grows it or makes an object */
    for (Py_ssize_t i = a; i < b; i++) {
        if (i + 8 < b) /* the names are scattered over the log: ask for one early */
            PREFETCH(bytes + lo[i + 8]);
        PyObject *head = PyTuple_GET_ITEM(heads, group[i]), *arg = PyTuple_GET_ITEM(group_args, group[i]);
        char *p = out.buf + out.len;
        int64_t duration = end[i] - start[i];
        p = PUT_LITERAL(p, ",\n{\"name\":\"");
        p = put_name(p, bytes + lo[i], hi[i] - lo[i]);
        p = put(p, PyBytes_AS_STRING(head), (size_t)PyBytes_GET_SIZE(head));
        p = put_int(p, start[i] * 1000);
        p = PUT_LITERAL(p, ",\"dur\":");
        p = put_int(p, duration * 1000);
        p = PUT_LITERAL(p, ",\"pid\":1,\"tid\":");
        p = put_int(p, lane[i] + 1);
        p = put(p, PyBytes_AS_STRING(arg), (size_t)PyBytes_GET_SIZE(arg));
        p = put_int(p, duration);
        p = PUT_LITERAL(p, ",\"weighted_ms\":");
        char *q = put_weighted(p, weighted[i]);
        if (q == NULL) {
            Py_BLOCK_THREADS
            q = put_weighted_repr(p, weighted[i]);
            Py_UNBLOCK_THREADS
            if (q == NULL) {
                failed = 1;
                break;
            }
        }
        p = PUT_LITERAL(q, ",\"outputs\":");
        p = put_int(p, n_outputs[i]);
        p = PUT_LITERAL(p, "}}");
        out.len = p - out.buf;
    }
    Py_END_ALLOW_THREADS
    if (failed)
        goto fail;
    for (int k = 0; k < N_COLUMNS; k++)
        PyBuffer_Release(&cols[k].view);
    PyBuffer_Release(&data);
    if (_PyBytes_Resize(&out.bytes, out.len) < 0)
        return NULL;
    return out.bytes;
fail:
    for (int k = 0; k < N_COLUMNS; k++)
        if (cols[k].held)
            PyBuffer_Release(&cols[k].view);
    PyBuffer_Release(&data);
    Py_XDECREF(out.bytes);
    return NULL;
}

static PyMethodDef methods[] = {
    {"write_steps", write_steps, METH_VARARGS,
     "write_steps(data, lo, hi, start_ms, end_ms, lane, group, n_outputs, weighted_ms, heads, args, a, b) -> "
     "bytes: the X events of steps a..b-1, each after ',\\n' (see the module's source)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_trace_native", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__trace_native(void) {
    for (int c = 0x20; c < 0x7F; c++)
        PLAIN[c] = c != '"' && c != '\\';
    return PyModule_Create(&module);
}
