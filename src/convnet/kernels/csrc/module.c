/* convnet.kernels._native: the Python face of the native kernels.
 *
 * Every function takes NumPy arrays (through the buffer protocol: C-contiguous float32, the
 * Python side makes sure of it), writes its results into arrays the caller allocated, and
 * returns small Python values (the path a convolution took, a loss). Each call checks the
 * sizes of its buffers against the geometry it is given, releases the GIL and runs on the
 * thread pool; calls from several Python threads take turns.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <string.h>

#include "conv.h"
#include "ops.h"
#include "pyglue.h"
#include "alloc.h"

const isa_t *isa = &convnet_isa_base;
pthread_mutex_t convnet_call_lock = PTHREAD_MUTEX_INITIALIZER;

static int parse_geom(PyObject *t, conv_geom *g)
{
    long v[18];
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 18) {
        PyErr_SetString(PyExc_TypeError, "native kernel: the geometry must be a tuple of 18 ints");
        return -1;
    }
    for (int i = 0; i < 18; i++) {
        v[i] = PyLong_AsLong(PyTuple_GET_ITEM(t, i));
        if (v[i] == -1 && PyErr_Occurred()) return -1;
    }
    *g = (conv_geom){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10],
                     v[11], v[12], v[13], v[14], v[15], v[16], v[17]};
    return 0;
}

static PyObject *failed(int code)
{
    if (code == -2) {
        PyErr_SetString(PyExc_ValueError, "native kernel: the stride or the kernel is beyond the native limits (sh*sw <= 64, KH*KW <= 1024)");
        return NULL;
    }
    return PyErr_NoMemory();
}

/* ---------------------------------------------------------------- convolution */
static PyObject *py_conv_forward(PyObject *self, PyObject *args)
{
    PyObject *ox, *ow, *ob, *oy, *ogeom;
    int relu, nt;
    if (!PyArg_ParseTuple(args, "OOOOOpi", &ox, &ow, &ob, &oy, &ogeom, &relu, &nt)) return NULL;
    conv_geom g;
    if (parse_geom(ogeom, &g) < 0) return NULL;
    buf b[4];
    memset(b, 0, sizeof b);
    if (get(ox, &b[0], "x", g.n * g.c * g.h * g.w, 'f', 0, 0) < 0
        || get(ow, &b[1], "weight", g.o * (g.c / g.g) * g.kh * g.kw, 'f', 0, 0) < 0
        || get(ob, &b[2], "bias", g.o, 'f', 0, 1) < 0
        || get(oy, &b[3], "out", g.n * g.o * g.oh * g.ow, 'f', 1, 0) < 0) {
        release(b, 4);
        return NULL;
    }
    int path;
    RUN(path = conv_forward(&g, F32(b[0]), F32(b[1]), F32_OR_NULL(b[2]), F32(b[3]), relu, nt));
    release(b, 4);
    return path < 0 ? failed(path) : PyLong_FromLong(path);
}

static PyObject *py_conv_input_grad(PyObject *self, PyObject *args)
{
    PyObject *ody, *ow, *odx, *ogeom;
    int nt;
    if (!PyArg_ParseTuple(args, "OOOOi", &ody, &ow, &odx, &ogeom, &nt)) return NULL;
    conv_geom g;
    if (parse_geom(ogeom, &g) < 0) return NULL;
    buf b[3];
    memset(b, 0, sizeof b);
    if (get(ody, &b[0], "grad", g.n * g.o * g.oh * g.ow, 'f', 0, 0) < 0
        || get(ow, &b[1], "weight", g.o * (g.c / g.g) * g.kh * g.kw, 'f', 0, 0) < 0
        || get(odx, &b[2], "grad_input", g.n * g.c * g.h * g.w, 'f', 1, 0) < 0) {
        release(b, 3);
        return NULL;
    }
    int path;
    RUN(path = conv_input_grad(&g, F32(b[0]), F32(b[1]), F32(b[2]), nt));
    release(b, 3);
    return path < 0 ? failed(path) : PyLong_FromLong(path);
}

static PyObject *py_conv_weight_grad(PyObject *self, PyObject *args)
{
    PyObject *ody, *ox, *odw, *ogeom;
    int nt;
    if (!PyArg_ParseTuple(args, "OOOOi", &ody, &ox, &odw, &ogeom, &nt)) return NULL;
    conv_geom g;
    if (parse_geom(ogeom, &g) < 0) return NULL;
    buf b[3];
    memset(b, 0, sizeof b);
    if (get(ody, &b[0], "grad", g.n * g.o * g.oh * g.ow, 'f', 0, 0) < 0
        || get(ox, &b[1], "x", g.n * g.c * g.h * g.w, 'f', 0, 0) < 0
        || get(odw, &b[2], "grad_weight", g.o * (g.c / g.g) * g.kh * g.kw, 'f', 1, 0) < 0) {
        release(b, 3);
        return NULL;
    }
    int path;
    RUN(path = conv_weight_grad(&g, F32(b[0]), F32(b[1]), F32(b[2]), nt));
    release(b, 3);
    return path < 0 ? failed(path) : PyLong_FromLong(path);
}

static PyObject *py_conv_path(PyObject *self, PyObject *args)
{
    PyObject *ogeom;
    if (!PyArg_ParseTuple(args, "O", &ogeom)) return NULL;
    conv_geom g;
    if (parse_geom(ogeom, &g) < 0) return NULL;
    return Py_BuildValue("ii", conv_path(&g), conv_weight_grad_path(&g));
}

/* ---------------------------------------------------------------- threads and the processor */
static PyObject *py_set_num_threads(PyObject *self, PyObject *args)
{
    int n;
    if (!PyArg_ParseTuple(args, "i", &n)) return NULL;
    RUN(pool_resize(n));
    Py_RETURN_NONE;
}

static PyObject *py_get_num_threads(PyObject *self, PyObject *noargs) { return PyLong_FromLong(pool_size()); }

static PyObject *py_isa(PyObject *self, PyObject *noargs) { return PyUnicode_FromString(isa->name); }

static PyObject *py_set_isa(PyObject *self, PyObject *args)
{
    const char *name;
    if (!PyArg_ParseTuple(args, "s", &name)) return NULL;
    const isa_t *choice = NULL;
    if (strcmp(name, "baseline") == 0) choice = &convnet_isa_base;
#if defined(__x86_64__) || defined(_M_X64)
    __builtin_cpu_init();
    if (strcmp(name, "avx2") == 0 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        choice = &convnet_isa_avx2;
    if (strcmp(name, "avx512") == 0 && __builtin_cpu_supports("avx512f"))
        choice = &convnet_isa_avx512;
#endif
    if (!choice) {
        PyErr_Format(PyExc_ValueError, "instruction set %s is not available on this processor", name);
        return NULL;
    }
    RUN(isa = choice);
    Py_RETURN_NONE;
}

static void choose_isa(void)
{
#if defined(__x86_64__) || defined(_M_X64)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        isa = &convnet_isa_avx512;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        isa = &convnet_isa_avx2;
#endif
}

static PyMethodDef methods[] = {
    {"conv_forward", py_conv_forward, METH_VARARGS, "conv_forward(x, w, b, out, geometry, relu, threads) -> path"},
    {"conv_input_grad", py_conv_input_grad, METH_VARARGS, "conv_input_grad(dy, w, dx, geometry, threads) -> path"},
    {"conv_weight_grad", py_conv_weight_grad, METH_VARARGS, "conv_weight_grad(dy, x, dw, geometry, threads) -> path"},
    {"conv_path", py_conv_path, METH_VARARGS, "conv_path(geometry) -> (path of forward and input gradient, path of kernel gradient)"},
    {"empty", py_empty, METH_VARARGS, "empty(nbytes) -> Block: memory for an array, from the cache when it can"},
    {"release_cache", py_release_cache, METH_NOARGS, "release_cache() -> bytes given back to the system"},
    {"cached_bytes", py_cached_bytes, METH_NOARGS, "cached_bytes() -> free bytes held for reuse"},
    {"set_num_threads", py_set_num_threads, METH_VARARGS, "set_num_threads(n)"},
    {"get_num_threads", py_get_num_threads, METH_NOARGS, "get_num_threads() -> n"},
    {"isa", py_isa, METH_NOARGS, "isa() -> the instruction set the kernels use"},
    {"set_isa", py_set_isa, METH_VARARGS, "set_isa(name): baseline, avx2 or avx512 (for tests)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", "convnet's compiled kernels", -1, methods};

PyMODINIT_FUNC PyInit__native(void)
{
    choose_isa();
    PyObject *m = PyModule_Create(&module);
    if (m && (PyModule_AddFunctions(m, convnet_ops_methods) < 0 || alloc_init(m) < 0)) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
