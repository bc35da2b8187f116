/* The trace export's per-step work in C (optional: the Python code beside it gives the same results,
   and BUILDPROF_NO_NATIVE=1 uses it alone).

   1. Worker lanes of a build's steps: the fast path of buildprof.analysis.lanes.

   lowest_free_lanes(start, end) takes the steps in the order they take a lane (by start, then end:
   the caller sorts them) as two C-contiguous int64 buffers and returns the lane of each as a
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
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
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
    PyObject *start_obj, *end_obj;
    if (!PyArg_ParseTuple(args, "OO", &start_obj, &end_obj))
        return NULL;
    Py_buffer start_view, end_view;
    if (get_int64_buffer(start_obj, &start_view, "start") < 0)
        return NULL;
    if (get_int64_buffer(end_obj, &end_view, "end") < 0) {
        PyBuffer_Release(&start_view);
        return NULL;
    }
    Py_ssize_t n = start_view.len / 8;
    PyObject *result = NULL;
    Busy *busy = NULL;
    int64_t *free_lanes = NULL;
    if (end_view.len / 8 != n) {
        PyErr_SetString(PyExc_ValueError, "start and end differ in length");
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
    for (Py_ssize_t i = 0; i < n; i++) {
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
    size_t slots = 64;
    while (slots < (size_t)n * 2)
        slots *= 2;
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

static PyMethodDef methods[] = {
    {"pair_codes", pair_codes, METH_VARARGS,
     "pair_codes(kinds, targets) -> (codes, firsts): a code per row for its (kind, target) pair, "
     "the first row of each code (bytearrays of int64)"},
    {"lowest_free_lanes", lowest_free_lanes, METH_VARARGS,
     "lowest_free_lanes(start, end) -> bytearray of int64: the lane of each step, taken in the given order "
     "(by start, then end)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_export_native", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__export_native(void) { return PyModule_Create(&module); }
