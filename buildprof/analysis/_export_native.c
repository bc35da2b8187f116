/* The trace export's per-step work in C (optional: the Python code beside it gives the same results,
   and BUILDPROF_NO_NATIVE=1 uses it alone).

   1. Worker lanes of a build's steps: the fast path of buildprof.analysis.lanes.

   lowest_free_lanes(start, end[, order]) takes the steps in the order they take a lane (by start,
   then end: the caller sorts them, or gives that order of their rows as `order`, without a sorted
   copy of the times) as C-contiguous int64 buffers and returns the lane of each (row) as a
   bytearray of int64 (the caller views it with numpy). The rule is lanes.py's: a step goes on the
   lowest lane free at its start, a lane being free once its last step ended at or before that start.
   Two binary heaps: the busy lanes by end time, the free lanes by number. O(n log lanes), no Python
   object per step.

   2. pair_codes(kinds, targets): two object arrays (numpy, dtype=object) of equal length; returns
   (codes, firsts): a bytearray of int64 giving each row the code of its (kinds[i], targets[i]) pair
   (rows with equal pairs share a code; codes in the order of first rows), and a bytearray of int64
   with the first row of each code. A hash table over pointer pairs first (the classifiers share one
   object per kind and per CMake target: no Python call per row), then one over the values (hash and
   ==) of the distinct pointer pairs.

   3. scan_paths(data, lo, hi): the byte facts classify_paths finds with numpy, for the paths
   data[lo[i]:hi[i]] (each after a TAB or a newline, as a log's output field is), in one pass each:
   (folder_end, ending, odd, dir_code, endings, ending_firsts, dir_firsts, dir_ends): bytearrays
   (folder_end and the per-code ones of int64, ending and dir_code of int32, odd of uint8: a million
   steps' columns take 17 MB, not 40) but `endings` (a list of bytes). folder_end: the last '/' (-1:
   none). ending: the code of the file name's ending from its first '.' (its bytes, at most 16), -1
   when there is no dot or a longer ending. odd: 1 when the Python classifier must decide the path
   (no usable ending, a byte over 127, a file name ending in ".dir", a first "CMakeFiles/" component
   of the folder not followed by "<name>.dir/"). dir_code: the code of the bytes data[lo:name_end],
   name_end being where the "<prefix>/CMakeFiles/<name>.dir" of the folder's first "CMakeFiles/"
   component ends (-1: none, or odd). endings and ending_firsts, dir_firsts: each code's bytes, first
   row; dir_ends: each dir code's name_end. The tables coding bytes grow with the distinct values
   (not sized for every path: 16 MB of hash slots a million steps would touch). See
   analysis/export_kinds.py, which finishes the classification as classify_paths does.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t end;
    int64_t lane;
} Busy;

static void busy_push(Busy *heap, Py_ssize_t *size, Busy item) {
    Py_ssize_t k = (*size)++;
    while (k > 0) {
        Py_ssize_t parent = (k - 1) / 2;
        if (heap[parent].end < item.end || (heap[parent].end == item.end && heap[parent].lane <= item.lane))
            break;
        heap[k] = heap[parent];
        k = parent;
    }
    heap[k] = item;
}

static Busy busy_pop(Busy *heap, Py_ssize_t *size) {
    Busy top = heap[0];
    Busy last = heap[--(*size)];
    Py_ssize_t k = 0, n = *size;
    for (;;) {
        Py_ssize_t child = 2 * k + 1;
        if (child >= n)
            break;
        if (child + 1 < n && (heap[child + 1].end < heap[child].end ||
                              (heap[child + 1].end == heap[child].end && heap[child + 1].lane < heap[child].lane)))
            child++;
        if (last.end < heap[child].end || (last.end == heap[child].end && last.lane <= heap[child].lane))
            break;
        heap[k] = heap[child];
        k = child;
    }
    if (n > 0)
        heap[k] = last;
    return top;
}

static void free_push(int64_t *heap, Py_ssize_t *size, int64_t lane) {
    Py_ssize_t k = (*size)++;
    while (k > 0) {
        Py_ssize_t parent = (k - 1) / 2;
        if (heap[parent] <= lane)
            break;
        heap[k] = heap[parent];
        k = parent;
    }
    heap[k] = lane;
}

static int64_t free_pop(int64_t *heap, Py_ssize_t *size) {
    int64_t top = heap[0];
    int64_t last = heap[--(*size)];
    Py_ssize_t k = 0, n = *size;
    for (;;) {
        Py_ssize_t child = 2 * k + 1;
        if (child >= n)
            break;
        if (child + 1 < n && heap[child + 1] < heap[child])
            child++;
        if (last <= heap[child])
            break;
        heap[k] = heap[child];
        k = child;
    }
    if (n > 0)
        heap[k] = last;
    return top;
}

static int get_int64_buffer(PyObject *obj, Py_buffer *view, const char *what) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return -1;
    if (view->itemsize != 8 || view->format == NULL || (strcmp(view->format, "l") && strcmp(view->format, "q"))) {
        PyErr_Format(PyExc_TypeError, "%s: a C-contiguous int64 buffer is needed", what);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static PyObject *lowest_free_lanes(PyObject *self, PyObject *args) {
    PyObject *start_obj, *end_obj, *order_obj = NULL;
    if (!PyArg_ParseTuple(args, "OO|O", &start_obj, &end_obj, &order_obj))
        return NULL;
    Py_buffer start_view, end_view, order_view = {0};
    if (get_int64_buffer(start_obj, &start_view, "start") < 0)
        return NULL;
    if (get_int64_buffer(end_obj, &end_view, "end") < 0) {
        PyBuffer_Release(&start_view);
        return NULL;
    }
    if (order_obj != NULL && get_int64_buffer(order_obj, &order_view, "order") < 0) {
        PyBuffer_Release(&start_view);
        PyBuffer_Release(&end_view);
        return NULL;
    }
    Py_ssize_t n = start_view.len / 8;
    PyObject *result = NULL;
    Busy *busy = NULL;
    int64_t *free_lanes = NULL;
    const int64_t *order = order_obj != NULL ? order_view.buf : NULL;
    if (end_view.len / 8 != n || (order != NULL && order_view.len / 8 != n)) {
        PyErr_SetString(PyExc_ValueError, "start, end and order differ in length");
        goto done;
    }
    for (Py_ssize_t i = 0; order != NULL && i < n; i++)
        if (order[i] < 0 || order[i] >= n) {
            PyErr_SetString(PyExc_IndexError, "order holds a row outside the steps");
            goto done;
        }
    result = PyByteArray_FromStringAndSize(NULL, n * 8);
    busy = PyMem_Malloc(sizeof(Busy) * (n ? n : 1));
    free_lanes = PyMem_Malloc(sizeof(int64_t) * (n ? n : 1));
    if (result == NULL || busy == NULL || free_lanes == NULL) {
        Py_CLEAR(result);
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        goto done;
    }
    const int64_t *start = start_view.buf, *end = end_view.buf;
    int64_t *lanes = (int64_t *)PyByteArray_AS_STRING(result);
    Py_ssize_t n_busy = 0, n_free = 0;
    int64_t used = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t k = 0; k < n; k++) {
        Py_ssize_t i = order != NULL ? (Py_ssize_t)order[k] : k;
        while (n_busy > 0 && busy[0].end <= start[i])
            free_push(free_lanes, &n_free, busy_pop(busy, &n_busy).lane);
        int64_t lane = n_free > 0 ? free_pop(free_lanes, &n_free) : used++;
        lanes[i] = lane;
        Busy item = {end[i], lane};
        busy_push(busy, &n_busy, item);
    }
    Py_END_ALLOW_THREADS
done:
    PyMem_Free(busy);
    PyMem_Free(free_lanes);
    PyBuffer_Release(&start_view);
    PyBuffer_Release(&end_view);
    if (order_obj != NULL)
        PyBuffer_Release(&order_view);
    return result;
}

static inline uint64_t mix(uint64_t a, uint64_t b) {
    uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2));
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 29);
}

static int get_object_buffer(PyObject *obj, Py_buffer *view, const char *what) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return -1;
    if (view->itemsize != sizeof(PyObject *) || view->format == NULL || strcmp(view->format, "O")) {
        PyErr_Format(PyExc_TypeError, "%s: a C-contiguous object array is needed", what);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static PyObject *pair_codes(PyObject *self, PyObject *args) {
    PyObject *kinds_obj, *targets_obj;
    if (!PyArg_ParseTuple(args, "OO", &kinds_obj, &targets_obj))
        return NULL;
    Py_buffer kinds_view, targets_view;
    if (get_object_buffer(kinds_obj, &kinds_view, "kinds") < 0)
        return NULL;
    if (get_object_buffer(targets_obj, &targets_view, "targets") < 0) {
        PyBuffer_Release(&kinds_view);
        return NULL;
    }
    Py_ssize_t n = kinds_view.len / (Py_ssize_t)sizeof(PyObject *);
    PyObject *codes = NULL, *firsts = NULL, *result = NULL;
    int64_t *table = NULL; /* slot -> code + 1 (0: empty) */
    int64_t *first_rows = NULL, *merged = NULL;
    Py_ssize_t n_codes = 0, n_values = 0;
    if (targets_view.len / (Py_ssize_t)sizeof(PyObject *) != n) {
        PyErr_SetString(PyExc_ValueError, "kinds and targets differ in length");
        goto done;
    }
    size_t slots = 1024; /* doubled when half full: sized by the pairs, not the rows (16 MB a million) */
    codes = PyByteArray_FromStringAndSize(NULL, n * 8);
    table = PyMem_Calloc(slots, sizeof(int64_t));
    first_rows = PyMem_Malloc(sizeof(int64_t) * (n ? n : 1));
    if (codes == NULL || table == NULL || first_rows == NULL) {
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        goto done;
    }
    PyObject *const *kinds = kinds_view.buf, *const *targets = targets_view.buf;
    int64_t *out = (int64_t *)PyByteArray_AS_STRING(codes);
    for (Py_ssize_t i = 0; i < n; i++) { /* by identity */
        if ((size_t)n_codes * 2 >= slots) {
            size_t bigger = slots * 2;
            int64_t *grown = PyMem_Calloc(bigger, sizeof(int64_t));
            if (grown == NULL) {
                PyErr_NoMemory();
                goto done;
            }
            for (Py_ssize_t c = 0; c < n_codes; c++) {
                int64_t row = first_rows[c];
                size_t at = (size_t)mix((uint64_t)(uintptr_t)kinds[row], (uint64_t)(uintptr_t)targets[row]) &
                            (bigger - 1);
                while (grown[at] != 0)
                    at = (at + 1) & (bigger - 1);
                grown[at] = c + 1;
            }
            PyMem_Free(table);
            table = grown;
            slots = bigger;
        }
        size_t slot = (size_t)mix((uint64_t)(uintptr_t)kinds[i], (uint64_t)(uintptr_t)targets[i]) & (slots - 1);
        for (;;) {
            int64_t entry = table[slot];
            if (entry == 0) {
                first_rows[n_codes] = i;
                table[slot] = ++n_codes;
                out[i] = n_codes - 1;
                break;
            }
            int64_t row = first_rows[entry - 1];
            if (kinds[row] == kinds[i] && targets[row] == targets[i]) {
                out[i] = entry - 1;
                break;
            }
            slot = (slot + 1) & (slots - 1);
        }
    }
    /* by value: each identity code gets the code of the first equal pair */
    merged = PyMem_Malloc(sizeof(int64_t) * (n_codes ? n_codes : 1));
    if (merged == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    memset(table, 0, slots * sizeof(int64_t));
    for (Py_ssize_t c = 0; c < n_codes; c++) {
        int64_t row = first_rows[c];
        Py_hash_t hk = PyObject_Hash(kinds[row]), ht = PyObject_Hash(targets[row]);
        if (hk == -1 || ht == -1)
            goto done;
        size_t slot = (size_t)mix((uint64_t)hk, (uint64_t)ht) & (slots - 1);
        for (;;) {
            int64_t entry = table[slot];
            if (entry == 0) {
                first_rows[n_values] = row;
                table[slot] = ++n_values;
                merged[c] = n_values - 1;
                break;
            }
            int64_t other = first_rows[entry - 1];
            int same = PyObject_RichCompareBool(kinds[other], kinds[row], Py_EQ);
            if (same > 0)
                same = PyObject_RichCompareBool(targets[other], targets[row], Py_EQ);
            if (same < 0)
                goto done;
            if (same) {
                merged[c] = entry - 1;
                break;
            }
            slot = (slot + 1) & (slots - 1);
        }
    }
    for (Py_ssize_t i = 0; i < n; i++)
        out[i] = merged[out[i]];
    firsts = PyByteArray_FromStringAndSize((const char *)first_rows, n_values * 8);
    if (firsts != NULL)
        result = PyTuple_Pack(2, codes, firsts);
done:
    Py_XDECREF(codes);
    Py_XDECREF(firsts);
    PyMem_Free(table);
    PyMem_Free(first_rows);
    PyMem_Free(merged);
    PyBuffer_Release(&kinds_view);
    PyBuffer_Release(&targets_view);
    return result;
}

typedef struct {
    int64_t *slots; /* code + 1, 0: empty; C memory (malloc): grown without the GIL */
    size_t mask;
    int64_t *first_lo, *first_len; /* per code: where its bytes are (sized for every path, touched per code) */
    Py_ssize_t n_codes;
    int failed; /* the slots could not grow: MemoryError once the GIL is held again */
} ByteCodes;

static int codes_init(ByteCodes *t, Py_ssize_t n) {
    t->mask = 1023;
    t->n_codes = 0;
    t->failed = 0;
    t->slots = calloc(t->mask + 1, sizeof(int64_t));
    t->first_lo = PyMem_Malloc(sizeof(int64_t) * (n ? n : 1));
    t->first_len = PyMem_Malloc(sizeof(int64_t) * (n ? n : 1));
    return t->slots && t->first_lo && t->first_len ? 0 : -1;
}

static void codes_free(ByteCodes *t) {
    free(t->slots);
    PyMem_Free(t->first_lo);
    PyMem_Free(t->first_len);
}

static uint64_t bytes_hash(const unsigned char *data, int64_t lo, int64_t len) {
    uint64_t h = 0xCBF29CE484222325ull ^ (uint64_t)len;
    int64_t k = 0;
    for (uint64_t w; k + 8 <= len; k += 8) {
        memcpy(&w, data + lo + k, 8);
        h = (h ^ w) * 0x100000001B3ull;
        h ^= h >> 29;
    }
    for (; k < len; k++)
        h = (h ^ data[lo + k]) * 0x100000001B3ull;
    return mix(h, (uint64_t)len);
}

/* Twice the slots once they are half full, every code re-placed by its bytes' hash. */
static int codes_grow(ByteCodes *t, const unsigned char *data) {
    size_t size = (t->mask + 1) * 2;
    int64_t *slots = calloc(size, sizeof(int64_t));
    if (slots == NULL)
        return -1;
    for (Py_ssize_t code = 0; code < t->n_codes; code++) {
        size_t slot = (size_t)bytes_hash(data, t->first_lo[code], t->first_len[code]) & (size - 1);
        while (slots[slot] != 0)
            slot = (slot + 1) & (size - 1);
        slots[slot] = code + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->mask = size - 1;
    return 0;
}

/* The code of the bytes data[lo:lo+len] (a new one for bytes not seen yet); *first_row: the row
   that first had them. -1 if the table could not grow (t->failed). */
static int64_t codes_of(ByteCodes *t, const unsigned char *data, int64_t lo, int64_t len, int64_t row,
                        int64_t *first_rows) {
    if ((size_t)t->n_codes * 2 >= t->mask + 1 && codes_grow(t, data) < 0) {
        t->failed = 1;
        return -1;
    }
    size_t slot = (size_t)bytes_hash(data, lo, len) & t->mask;
    for (;;) {
        int64_t entry = t->slots[slot];
        if (entry == 0) {
            int64_t code = t->n_codes++;
            t->first_lo[code] = lo;
            t->first_len[code] = len;
            first_rows[code] = row;
            t->slots[slot] = code + 1;
            return code;
        }
        int64_t code = entry - 1;
        if (t->first_len[code] == len && memcmp(data + t->first_lo[code], data + lo, (size_t)len) == 0)
            return code;
        slot = (slot + 1) & t->mask;
    }
}

static const unsigned char CMAKE_DIR[] = "CMakeFiles/";

static PyObject *scan_paths(PyObject *self, PyObject *args) {
    PyObject *data_obj, *lo_obj, *hi_obj;
    if (!PyArg_ParseTuple(args, "OOO", &data_obj, &lo_obj, &hi_obj))
        return NULL;
    Py_buffer data_view, lo_view, hi_view;
    if (PyObject_GetBuffer(data_obj, &data_view, PyBUF_SIMPLE) < 0)
        return NULL;
    if (get_int64_buffer(lo_obj, &lo_view, "lo") < 0) {
        PyBuffer_Release(&data_view);
        return NULL;
    }
    if (get_int64_buffer(hi_obj, &hi_view, "hi") < 0) {
        PyBuffer_Release(&data_view);
        PyBuffer_Release(&lo_view);
        return NULL;
    }
    Py_ssize_t n = lo_view.len / 8;
    PyObject *result = NULL, *columns[4] = {NULL, NULL, NULL, NULL};
    PyObject *endings = NULL, *ending_firsts = NULL, *dir_firsts = NULL, *dir_ends = NULL;
    ByteCodes ending_codes = {0}, dir_codes = {0};
    int64_t *ending_rows = NULL, *dir_rows = NULL;
    if (hi_view.len / 8 != n) {
        PyErr_SetString(PyExc_ValueError, "lo and hi differ in length");
        goto done;
    }
    static const Py_ssize_t widths[4] = {8, 4, 1, 4}; /* folder_end, ending, odd, dir_code */
    for (int k = 0; k < 4; k++)
        if ((columns[k] = PyByteArray_FromStringAndSize(NULL, n * widths[k])) == NULL)
            goto done;
    ending_rows = PyMem_Malloc(sizeof(int64_t) * (n ? n : 1));
    dir_rows = PyMem_Malloc(sizeof(int64_t) * (n ? n : 1));
    if (codes_init(&ending_codes, n) < 0 || codes_init(&dir_codes, n) < 0 || !ending_rows || !dir_rows) {
        PyErr_NoMemory();
        goto done;
    }
    const unsigned char *data = data_view.buf;
    const int64_t *lo = lo_view.buf, *hi = hi_view.buf;
    int64_t *folder_end = (int64_t *)PyByteArray_AS_STRING(columns[0]);
    int32_t *ending = (int32_t *)PyByteArray_AS_STRING(columns[1]);
    uint8_t *odd = (uint8_t *)PyByteArray_AS_STRING(columns[2]);
    int32_t *dir_code = (int32_t *)PyByteArray_AS_STRING(columns[3]);
    if (n > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "more paths than int32 codes can number");
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (lo[i] < 0 || hi[i] < lo[i] || hi[i] > data_view.len) {
            PyErr_SetString(PyExc_IndexError, "a path's byte range lies outside the data");
            goto done;
        }
    }
    Py_BEGIN_ALLOW_THREADS /* only C memory below: other threads may run meanwhile */
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t a = lo[i], b = hi[i];
        const unsigned char *path = data + a;
        size_t len = (size_t)(b - a);
        int64_t fe = b - 1; /* the last '/' (memrchr is not everywhere) */
        while (fe >= a && data[fe] != '/')
            fe--;
        if (fe < a)
            fe = -1;
        int64_t base = fe >= 0 ? fe + 1 : a;
        const unsigned char *dot = b > base ? memchr(data + base, '.', (size_t)(b - base)) : NULL;
        int64_t first_dot = dot ? dot - data : -1;
        int high = 0;
        size_t k = 0;
        for (uint64_t w; k + 8 <= len; k += 8) {
            memcpy(&w, path + k, 8);
            if (w & 0x8080808080808080ull) {
                high = 1;
                break;
            }
        }
        for (; !high && k < len; k++)
            high = path[k] >= 0x80;
        int64_t cmake_at = -1; /* the first "CMakeFiles/" at the path's start or after a '/' */
        for (const unsigned char *c = path; fe >= 0 && (c = memchr(c, 'C', (size_t)(data + fe - c))) != NULL; c++) {
            if ((c == path || c[-1] == '/') && data + b - c >= 11 && memcmp(c, CMAKE_DIR, 11) == 0) {
                cmake_at = c - data;
                break;
            }
        }
        int64_t base_lo = base;
        int is_odd = high;
        int ending_ok = first_dot >= 0 && b - first_dot <= 16;
        is_odd |= !ending_ok;
        if (b - base_lo >= 4 && memcmp(data + b - 4, ".dir", 4) == 0)
            is_odd = 1;
        int64_t end_of_dir = -1;
        if (cmake_at >= 0 && cmake_at + 10 > fe)
            cmake_at = -1; /* its '/' is not in the folder */
        if (cmake_at >= 0) {
            int64_t name_start = cmake_at + 11, next_slash = -1;
            for (int64_t k = name_start; k <= fe; k++)
                if (data[k] == '/') {
                    next_slash = k;
                    break;
                }
            if (next_slash >= 0 && next_slash - name_start > 4 && memcmp(data + next_slash - 4, ".dir", 4) == 0)
                end_of_dir = next_slash;
            else
                is_odd = 1; /* a later CMakeFiles/ might match: the regular expression decides */
        }
        folder_end[i] = fe;
        odd[i] = (uint8_t)is_odd;
        ending[i] = ending_ok ? (int32_t)codes_of(&ending_codes, data, first_dot, b - first_dot, i, ending_rows) : -1;
        dir_code[i] = !is_odd && end_of_dir >= 0 ? (int32_t)codes_of(&dir_codes, data, a, end_of_dir - a, i, dir_rows) : -1;
        if (ending_codes.failed || dir_codes.failed)
            break;
    }
    Py_END_ALLOW_THREADS
    if (ending_codes.failed || dir_codes.failed) {
        PyErr_NoMemory();
        goto done;
    }
    endings = PyList_New(ending_codes.n_codes);
    if (endings == NULL)
        goto done;
    for (Py_ssize_t c = 0; c < ending_codes.n_codes; c++) {
        PyObject *text = PyBytes_FromStringAndSize((const char *)data + ending_codes.first_lo[c],
                                                   ending_codes.first_len[c]);
        if (text == NULL)
            goto done;
        PyList_SET_ITEM(endings, c, text);
    }
    ending_firsts = PyByteArray_FromStringAndSize((const char *)ending_rows, ending_codes.n_codes * 8);
    dir_firsts = PyByteArray_FromStringAndSize((const char *)dir_rows, dir_codes.n_codes * 8);
    dir_ends = PyByteArray_FromStringAndSize(NULL, dir_codes.n_codes * 8);
    if (ending_firsts && dir_firsts && dir_ends) {
        int64_t *ends = (int64_t *)PyByteArray_AS_STRING(dir_ends);
        for (Py_ssize_t c = 0; c < dir_codes.n_codes; c++)
            ends[c] = dir_codes.first_lo[c] + dir_codes.first_len[c];
        result = PyTuple_Pack(8, columns[0], columns[1], columns[2], columns[3], endings, ending_firsts,
                              dir_firsts, dir_ends);
    }
done:
    for (int k = 0; k < 4; k++)
        Py_XDECREF(columns[k]);
    Py_XDECREF(endings);
    Py_XDECREF(ending_firsts);
    Py_XDECREF(dir_firsts);
    Py_XDECREF(dir_ends);
    codes_free(&ending_codes);
    codes_free(&dir_codes);
    PyMem_Free(ending_rows);
    PyMem_Free(dir_rows);
    PyBuffer_Release(&data_view);
    PyBuffer_Release(&lo_view);
    PyBuffer_Release(&hi_view);
    return result;
}

static PyMethodDef methods[] = {
    {"scan_paths", scan_paths, METH_VARARGS,
     "scan_paths(data, lo, hi) -> (folder_end, ending, odd, dir_code, endings, ending_firsts, dir_firsts, "
     "dir_ends): the byte facts classify_paths needs (see the module's source)"},
    {"pair_codes", pair_codes, METH_VARARGS,
     "pair_codes(kinds, targets) -> (codes, firsts): a code per row for its (kind, target) pair, "
     "the first row of each code (bytearrays of int64)"},
    {"lowest_free_lanes", lowest_free_lanes, METH_VARARGS,
     "lowest_free_lanes(start, end[, order]) -> bytearray of int64: the lane of each step, taken in the given "
     "order (by start, then end), or in the order of the rows `order`"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_export_native", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__export_native(void) { return PyModule_Create(&module); }
