/* Worker lanes of a build's steps in C: the optional fast path of buildprof.analysis.lanes.

   lowest_free_lanes(start, end) takes the steps in the order they take a lane (by start, then end:
   the caller sorts them) as two C-contiguous int64 buffers and returns the lane of each as a
   bytearray of int64 (the caller views it with numpy). The rule is lanes.py's: a step goes on the
   lowest lane free at its start, a lane being free once its last step ended at or before that start.
   Two binary heaps: the busy lanes by end time, the free lanes by number. O(n log lanes), no Python
   object per step. Built by setup.py when a C compiler is there (optional: lanes.py has the same rule
   in Python and BUILDPROF_NO_NATIVE=1 uses it).
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

static PyMethodDef methods[] = {
    {"lowest_free_lanes", lowest_free_lanes, METH_VARARGS,
     "lowest_free_lanes(start, end) -> bytearray of int64: the lane of each step, taken in the given order "
     "(by start, then end)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_lanes_native", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__lanes_native(void) { return PyModule_Create(&module); }
