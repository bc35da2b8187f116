/* A build's steps summed per group in C (optional: analysis/step_tables.py computes the same with
   pandas' groupby, the reference, without it or with BUILDPROF_NO_NATIVE=1).

   group_sums(codes, groups, duration, weighted): codes (int64, 0 <= code < groups), duration (int64)
   and weighted (float64) are C-contiguous buffers of one value per step. Returns (steps,
   duration_sum, weighted_sum, duration_max), bytearrays of `groups` int64 (float64 for
   weighted_sum), in one pass over the steps in order. The weighted times are added with Kahan's
   compensation, step by step in row order, exactly as pandas' groupby sum does (pandas/_libs/
   groupby.pyx: group_sum), so that the report's numbers are those it always gave, to the last bit.
   Compile without -ffast-math: it would optimise the compensation away.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

static int get_buffer(PyObject *obj, Py_buffer *view, const char *formats, const char *what) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return -1;
    if (view->itemsize != 8 || view->format == NULL || strlen(view->format) != 1 ||
        strchr(formats, view->format[0]) == NULL) {
        PyErr_Format(PyExc_TypeError, "%s: a C-contiguous buffer of 8-byte values (%s) is needed", what, formats);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static PyObject *group_sums(PyObject *self, PyObject *args) {
    PyObject *codes_obj, *duration_obj, *weighted_obj;
    Py_ssize_t groups;
    if (!PyArg_ParseTuple(args, "OnOO", &codes_obj, &groups, &duration_obj, &weighted_obj))
        return NULL;
    if (groups < 0) {
        PyErr_SetString(PyExc_ValueError, "groups must not be negative");
        return NULL;
    }
    Py_buffer codes_view, duration_view, weighted_view;
    if (get_buffer(codes_obj, &codes_view, "lq", "codes") < 0)
        return NULL;
    if (get_buffer(duration_obj, &duration_view, "lq", "duration") < 0) {
        PyBuffer_Release(&codes_view);
        return NULL;
    }
    if (get_buffer(weighted_obj, &weighted_view, "d", "weighted") < 0) {
        PyBuffer_Release(&codes_view);
        PyBuffer_Release(&duration_view);
        return NULL;
    }
    PyObject *count = NULL, *duration_sum = NULL, *weighted_sum = NULL, *duration_max = NULL, *result = NULL;
    double *compensation = NULL;
    Py_ssize_t n = codes_view.len / 8;
    if (duration_view.len / 8 != n || weighted_view.len / 8 != n) {
        PyErr_SetString(PyExc_ValueError, "codes, duration and weighted differ in length");
        goto done;
    }
    size_t bytes = (size_t)groups * 8;
    count = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)bytes);
    duration_sum = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)bytes);
    weighted_sum = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)bytes);
    duration_max = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)bytes);
    compensation = PyMem_Calloc(groups ? (size_t)groups : 1, sizeof(double));
    if (count == NULL || duration_sum == NULL || weighted_sum == NULL || duration_max == NULL ||
        compensation == NULL) {
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        goto done;
    }
    int64_t *steps = (int64_t *)PyByteArray_AS_STRING(count);
    int64_t *total = (int64_t *)PyByteArray_AS_STRING(duration_sum);
    int64_t *longest = (int64_t *)PyByteArray_AS_STRING(duration_max);
    double *sum = (double *)PyByteArray_AS_STRING(weighted_sum);
    memset(steps, 0, bytes);
    memset(total, 0, bytes);
    memset(sum, 0, bytes);
    const int64_t *code = codes_view.buf, *duration = duration_view.buf;
    const double *weighted = weighted_view.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t g = code[i];
        if (g < 0 || g >= groups) {
            PyErr_Format(PyExc_ValueError, "code %lld of row %zd is not below %zd", (long long)g, i, groups);
            goto done;
        }
        if (steps[g] == 0 || duration[i] > longest[g])
            longest[g] = duration[i];
        steps[g]++;
        total[g] += duration[i];
        double y = weighted[i] - compensation[g];
        double t = sum[g] + y;
        compensation[g] = t - sum[g] - y;
        if (!isfinite(compensation[g])) /* an infinite value made it NaN: pandas resets it (GH#53606) */
            compensation[g] = 0;
        sum[g] = t;
    }
    result = PyTuple_Pack(4, count, duration_sum, weighted_sum, duration_max);
done:
    Py_XDECREF(count);
    Py_XDECREF(duration_sum);
    Py_XDECREF(weighted_sum);
    Py_XDECREF(duration_max);
    PyMem_Free(compensation);
    PyBuffer_Release(&codes_view);
    PyBuffer_Release(&duration_view);
    PyBuffer_Release(&weighted_view);
    return result;
}

static PyMethodDef methods[] = {
    {"group_sums", group_sums, METH_VARARGS,
     "group_sums(codes, groups, duration, weighted) -> (steps, duration_sum, weighted_sum, duration_max): "
     "per group, bytearrays of int64 (float64 for weighted_sum); weighted summed as pandas' groupby does"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_tables_native", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__tables_native(void) { return PyModule_Create(&module); }
