/* The Python face of ops.c and gemm.c.
 *
 * Same conventions as module.c: arrays come through the buffer protocol as C-contiguous
 * float32 (int64 for pooling indices), every buffer's element count is checked against the
 * sizes given, outputs are written in place, and the kernel runs with the GIL released
 * (RUN). A wrong call raises TypeError or ValueError; it never reaches the kernel.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "ops.h"
#include "pyglue.h"

/* ---------------------------------------------------------------- sizes */
/* *out = the product of the nd sizes; ValueError if one is negative or the product overflows. */
static int count_of(const char *fn, const Py_ssize_t *dims, int nd, Py_ssize_t *out)
{
    Py_ssize_t p = 1;
    for (int i = 0; i < nd; i++) {
        if (dims[i] < 0) {
            PyErr_Format(PyExc_ValueError, "%s: sizes must not be negative (got %zd)", fn, dims[i]);
            return -1;
        }
        if (__builtin_mul_overflow(p, dims[i], &p)) {
            PyErr_Format(PyExc_ValueError, "%s: sizes too large", fn);
            return -1;
        }
    }
    *out = p;
    return 0;
}

#define COUNT(fn, out, ...)                                                          \
    do {                                                                             \
        Py_ssize_t dims_[] = {__VA_ARGS__};                                          \
        if (count_of(fn, dims_, (int)(sizeof dims_ / sizeof dims_[0]), &(out)) < 0)  \
            return NULL;                                                             \
    } while (0)

#define FAIL(b, nb) do { release(b, nb); return NULL; } while (0)

static inline Py_ssize_t items(const buf *b) { return b->view.len / b->view.itemsize; }
static inline int threads(int nt) { return nt < 1 ? 1 : nt; }

/* ---------------------------------------------------------------- activations */
static PyObject *py_relu(PyObject *self, PyObject *args)
{
    PyObject *ox, *oy;
    int nt;
    if (!PyArg_ParseTuple(args, "OOi", &ox, &oy, &nt)) return NULL;
    buf b[2];
    memset(b, 0, sizeof b);
    if (get(ox, &b[0], "x", -1, 'f', 0, 0) < 0 || get(oy, &b[1], "out", items(&b[0]), 'f', 1, 0) < 0)
        FAIL(b, 2);
    RUN(op_relu(F32(b[0]), F32(b[1]), items(&b[0]), threads(nt)));
    release(b, 2);
    Py_RETURN_NONE;
}

static PyObject *py_relu_backward(PyObject *self, PyObject *args)
{
    PyObject *ogy, *oy, *ogx;
    int nt;
    if (!PyArg_ParseTuple(args, "OOOi", &ogy, &oy, &ogx, &nt)) return NULL;
    buf b[3];
    memset(b, 0, sizeof b);
    if (get(ogy, &b[0], "grad", -1, 'f', 0, 0) < 0
        || get(oy, &b[1], "y", items(&b[0]), 'f', 0, 0) < 0
        || get(ogx, &b[2], "grad_input", items(&b[0]), 'f', 1, 0) < 0)
        FAIL(b, 3);
    RUN(op_relu_backward(F32(b[0]), F32(b[1]), F32(b[2]), items(&b[0]), threads(nt)));
    release(b, 3);
    Py_RETURN_NONE;
}

static PyObject *py_add(PyObject *self, PyObject *args)
{
    PyObject *oa, *ob, *oout;
    int nt;
    if (!PyArg_ParseTuple(args, "OOOi", &oa, &ob, &oout, &nt)) return NULL;
    buf b[3];
    memset(b, 0, sizeof b);
    if (get(oa, &b[0], "a", -1, 'f', 0, 0) < 0
        || get(ob, &b[1], "b", items(&b[0]), 'f', 0, 0) < 0
        || get(oout, &b[2], "out", items(&b[0]), 'f', 1, 0) < 0)
        FAIL(b, 3);
    RUN(op_add(F32(b[0]), F32(b[1]), F32(b[2]), items(&b[0]), threads(nt)));
    release(b, 3);
    Py_RETURN_NONE;
}

/* ---------------------------------------------------------------- channel sums */
static PyObject *py_channel_sum(PyObject *self, PyObject *args)
{
    PyObject *og, *oout;
    Py_ssize_t n, c, m, total;
    int nt;
    if (!PyArg_ParseTuple(args, "OnnnOi", &og, &n, &c, &m, &oout, &nt)) return NULL;
    COUNT("channel_sum", total, n, c, m);
    buf b[2];
    memset(b, 0, sizeof b);
    if (get(og, &b[0], "grad", total, 'f', 0, 0) < 0 || get(oout, &b[1], "out", c, 'f', 1, 0) < 0)
        FAIL(b, 2);
    RUN(op_channel_sum(F32(b[0]), n, c, m, F32(b[1]), threads(nt)));
    release(b, 2);
    Py_RETURN_NONE;
}

static PyObject *py_dropout_mask(PyObject *self, PyObject *args)
{
    PyObject *omask;
    unsigned long long seed;
    unsigned long threshold;
    float scale;
    int nt;
    if (!PyArg_ParseTuple(args, "OKkfi", &omask, &seed, &threshold, &scale, &nt)) return NULL;
    buf b[1];
    memset(b, 0, sizeof b);
    if (get(omask, &b[0], "mask", -1, 'f', 1, 0) < 0)
        FAIL(b, 1);
    RUN(op_dropout_mask(F32(b[0]), items(&b[0]), seed, (uint32_t)threshold, scale, threads(nt)));
    release(b, 1);
    Py_RETURN_NONE;
}

/* ---------------------------------------------------------------- pooling */
/* (n, c, h, w, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow), with the input and output counts */
static int parse_pool_geom(PyObject *t, pool_geom *g, Py_ssize_t *in_count, Py_ssize_t *out_count)
{
    long v[14];
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 14) {
        PyErr_SetString(PyExc_TypeError, "native kernel: the pooling geometry must be a tuple of 14 ints");
        return -1;
    }
    for (int i = 0; i < 14; i++) {
        v[i] = PyLong_AsLong(PyTuple_GET_ITEM(t, i));
        if (v[i] == -1 && PyErr_Occurred()) return -1;
    }
    *g = (pool_geom){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13]};
    int ok = g->n >= 0 && g->c >= 0 && g->h >= 0 && g->w >= 0 && g->kh >= 1 && g->kw >= 1
          && g->sh >= 1 && g->sw >= 1 && g->dh >= 1 && g->dw >= 1 && g->pt >= 0 && g->pl >= 0
          && g->oh >= 0 && g->ow >= 0 && g->kh <= (1L << 20) && g->kw <= (1L << 20) && g->sh <= (1L << 20)
          && g->sw <= (1L << 20) && g->dh <= (1L << 20) && g->dw <= (1L << 20) && g->pt <= (1L << 30)
          && g->pl <= (1L << 30) && g->oh <= (1L << 30) && g->ow <= (1L << 30);
    Py_ssize_t a, b;
    if (!ok || __builtin_mul_overflow(g->n, g->c, &a) || __builtin_mul_overflow(a, g->h, &b)
        || __builtin_mul_overflow(b, g->w, in_count) || __builtin_mul_overflow(a, g->oh, &b)
        || __builtin_mul_overflow(b, g->ow, out_count) || g->h > (1L << 30) || g->w > (1L << 30)) {
        PyErr_SetString(PyExc_ValueError, "native kernel: invalid pooling geometry");
        return -1;
    }
    return 0;
}

static PyObject *pool_failed(int code)
{
    if (code == -2) {
        PyErr_SetString(PyExc_ValueError, "max_pool2d_backward: an index lies outside its input plane");
        return NULL;
    }
    return PyErr_NoMemory();
}

static PyObject *py_max_pool2d(PyObject *self, PyObject *args)
{
    PyObject *ox, *ogeom, *oy, *oidx;
    int nt;
    if (!PyArg_ParseTuple(args, "OOOOi", &ox, &ogeom, &oy, &oidx, &nt)) return NULL;
    pool_geom g;
    Py_ssize_t nin, nout;
    if (parse_pool_geom(ogeom, &g, &nin, &nout) < 0) return NULL;
    if (!op_pool_windows_ok(&g)) {
        PyErr_SetString(PyExc_ValueError, "max_pool2d: a window has no tap inside the input");
        return NULL;
    }
    buf b[3];
    memset(b, 0, sizeof b);
    if (get(ox, &b[0], "x", nin, 'f', 0, 0) < 0 || get(oy, &b[1], "out", nout, 'f', 1, 0) < 0
        || get(oidx, &b[2], "indices", nout, 'q', 1, 0) < 0)
        FAIL(b, 3);
    int rc;
    RUN(rc = op_max_pool2d(&g, F32(b[0]), F32(b[1]), (int64_t *)b[2].view.buf, threads(nt)));
    release(b, 3);
    if (rc < 0) return pool_failed(rc);
    Py_RETURN_NONE;
}

static PyObject *py_max_pool2d_backward(PyObject *self, PyObject *args)
{
    PyObject *ogy, *oidx, *ogx, *ogeom;
    int nt;
    if (!PyArg_ParseTuple(args, "OOOOi", &ogy, &oidx, &ogx, &ogeom, &nt)) return NULL;
    pool_geom g;
    Py_ssize_t nin, nout;
    if (parse_pool_geom(ogeom, &g, &nin, &nout) < 0) return NULL;
    buf b[3];
    memset(b, 0, sizeof b);
    if (get(ogy, &b[0], "grad", nout, 'f', 0, 0) < 0 || get(oidx, &b[1], "indices", nout, 'q', 0, 0) < 0
        || get(ogx, &b[2], "grad_input", nin, 'f', 1, 0) < 0)
        FAIL(b, 3);
    int rc;
    RUN(rc = op_max_pool2d_backward(&g, F32(b[0]), (const int64_t *)b[1].view.buf, F32(b[2]), threads(nt)));
    release(b, 3);
    if (rc < 0) return pool_failed(rc);
    Py_RETURN_NONE;
}

static PyObject *py_avg_pool2d(PyObject *self, PyObject *args)
{
    PyObject *ox, *ogeom, *odiv, *oy;
    int nt;
    if (!PyArg_ParseTuple(args, "OOOOi", &ox, &ogeom, &odiv, &oy, &nt)) return NULL;
    pool_geom g;
    Py_ssize_t nin, nout;
    if (parse_pool_geom(ogeom, &g, &nin, &nout) < 0) return NULL;
    buf b[3];
    memset(b, 0, sizeof b);
    if (get(ox, &b[0], "x", nin, 'f', 0, 0) < 0 || get(odiv, &b[1], "divisors", g.oh * g.ow, 'f', 0, 0) < 0
        || get(oy, &b[2], "out", nout, 'f', 1, 0) < 0)
        FAIL(b, 3);
    int rc;
    RUN(rc = op_avg_pool2d(&g, F32(b[0]), F32(b[1]), F32(b[2]), threads(nt)));
    release(b, 3);
    if (rc < 0) return pool_failed(rc);
    Py_RETURN_NONE;
}

static PyObject *py_avg_pool2d_backward(PyObject *self, PyObject *args)
{
    PyObject *ogy, *odiv, *ogx, *ogeom;
    int nt;
    if (!PyArg_ParseTuple(args, "OOOOi", &ogy, &odiv, &ogx, &ogeom, &nt)) return NULL;
    pool_geom g;
    Py_ssize_t nin, nout;
    if (parse_pool_geom(ogeom, &g, &nin, &nout) < 0) return NULL;
    buf b[3];
    memset(b, 0, sizeof b);
    if (get(ogy, &b[0], "grad", nout, 'f', 0, 0) < 0 || get(odiv, &b[1], "divisors", g.oh * g.ow, 'f', 0, 0) < 0
        || get(ogx, &b[2], "grad_input", nin, 'f', 1, 0) < 0)
        FAIL(b, 3);
    int rc;
    RUN(rc = op_avg_pool2d_backward(&g, F32(b[0]), F32(b[1]), F32(b[2]), threads(nt)));
    release(b, 3);
    if (rc < 0) return pool_failed(rc);
    Py_RETURN_NONE;
}

/* ---------------------------------------------------------------- batch normalisation */
static PyObject *py_batch_norm_stats(PyObject *self, PyObject *args)
{
    PyObject *ox, *omean, *ovar;
    Py_ssize_t n, c, m, total;
    int nt;
    if (!PyArg_ParseTuple(args, "OnnnOOi", &ox, &n, &c, &m, &omean, &ovar, &nt)) return NULL;
    COUNT("batch_norm_stats", total, n, c, m);
    buf b[3];
    memset(b, 0, sizeof b);
    if (get(ox, &b[0], "x", total, 'f', 0, 0) < 0 || get(omean, &b[1], "mean", c, 'f', 1, 0) < 0
        || get(ovar, &b[2], "var", c, 'f', 1, 0) < 0)
        FAIL(b, 3);
    int rc;
    RUN(rc = op_batch_norm_stats(F32(b[0]), n, c, m, F32(b[1]), F32(b[2]), threads(nt)));
    release(b, 3);
    if (rc < 0) return PyErr_NoMemory();
    Py_RETURN_NONE;
}

static PyObject *py_affine_channels(PyObject *self, PyObject *args)
{
    PyObject *ox, *oscale, *oshift, *oy;
    Py_ssize_t n, c, m, total;
    int relu, nt;
    if (!PyArg_ParseTuple(args, "OOOOnnnpi", &ox, &oscale, &oshift, &oy, &n, &c, &m, &relu, &nt)) return NULL;
    COUNT("affine_channels", total, n, c, m);
    buf b[4];
    memset(b, 0, sizeof b);
    if (get(ox, &b[0], "x", total, 'f', 0, 0) < 0 || get(oscale, &b[1], "scale", c, 'f', 0, 0) < 0
        || get(oshift, &b[2], "shift", c, 'f', 0, 0) < 0 || get(oy, &b[3], "out", total, 'f', 1, 0) < 0)
        FAIL(b, 4);
    RUN(op_affine_channels(F32(b[0]), F32(b[1]), F32(b[2]), F32(b[3]), n, c, m, relu, threads(nt)));
    release(b, 4);
    Py_RETURN_NONE;
}

static PyObject *py_batch_norm_backward(PyObject *self, PyObject *args)
{
    PyObject *ogy, *ox, *omean, *oinv, *ow, *ogx, *ogw, *ogb;
    Py_ssize_t n, c, m, total;
    int training, nt;
    if (!PyArg_ParseTuple(args, "OOOOOOOOnnnpi", &ogy, &ox, &omean, &oinv, &ow, &ogx, &ogw, &ogb,
                          &n, &c, &m, &training, &nt))
        return NULL;
    COUNT("batch_norm_backward", total, n, c, m);
    buf b[8];
    memset(b, 0, sizeof b);
    if (get(ogy, &b[0], "grad", total, 'f', 0, 0) < 0 || get(ox, &b[1], "x", total, 'f', 0, 0) < 0
        || get(omean, &b[2], "mean", c, 'f', 0, 0) < 0 || get(oinv, &b[3], "invstd", c, 'f', 0, 0) < 0
        || get(ow, &b[4], "weight", c, 'f', 0, 1) < 0 || get(ogx, &b[5], "grad_input", total, 'f', 1, 1) < 0
        || get(ogw, &b[6], "grad_weight", c, 'f', 1, 0) < 0 || get(ogb, &b[7], "grad_bias", c, 'f', 1, 0) < 0)
        FAIL(b, 8);
    int rc;
    RUN(rc = op_batch_norm_backward(F32(b[0]), F32(b[1]), F32(b[2]), F32(b[3]), F32_OR_NULL(b[4]),
                                    F32_OR_NULL(b[5]), F32(b[6]), F32(b[7]), n, c, m, training, threads(nt)));
    release(b, 8);
    if (rc < 0) return PyErr_NoMemory();
    Py_RETURN_NONE;
}

/* ---------------------------------------------------------------- cross entropy */
static PyObject *py_cross_entropy(PyObject *self, PyObject *args)
{
    PyObject *ox, *oq, *oloss, *oprobs;
    Py_ssize_t rows, classes, total;
    int nt;
    if (!PyArg_ParseTuple(args, "OOnnOOi", &ox, &oq, &rows, &classes, &oloss, &oprobs, &nt)) return NULL;
    COUNT("cross_entropy", total, rows, classes);
    buf b[4];
    memset(b, 0, sizeof b);
    if (get(ox, &b[0], "logits", total, 'f', 0, 0) < 0 || get(oq, &b[1], "target", total, 'f', 0, 0) < 0
        || get(oloss, &b[2], "loss_rows", rows, 'f', 1, 0) < 0 || get(oprobs, &b[3], "probs", total, 'f', 1, 0) < 0)
        FAIL(b, 4);
    RUN(op_cross_entropy(F32(b[0]), F32(b[1]), rows, classes, F32(b[2]), F32(b[3]), threads(nt)));
    release(b, 4);
    Py_RETURN_NONE;
}

static PyObject *py_cross_entropy_backward(PyObject *self, PyObject *args)
{
    PyObject *op, *oq, *os, *ogx;
    Py_ssize_t rows, classes, total;
    int nt;
    if (!PyArg_ParseTuple(args, "OOOOnni", &op, &oq, &os, &ogx, &rows, &classes, &nt)) return NULL;
    COUNT("cross_entropy_backward", total, rows, classes);
    buf b[4];
    memset(b, 0, sizeof b);
    if (get(op, &b[0], "probs", total, 'f', 0, 0) < 0 || get(oq, &b[1], "target", total, 'f', 0, 0) < 0
        || get(os, &b[2], "scale_rows", rows, 'f', 0, 0) < 0 || get(ogx, &b[3], "grad_input", total, 'f', 1, 0) < 0)
        FAIL(b, 4);
    RUN(op_cross_entropy_backward(F32(b[0]), F32(b[1]), F32(b[2]), F32(b[3]), rows, classes, threads(nt)));
    release(b, 4);
    Py_RETURN_NONE;
}

/* ---------------------------------------------------------------- optimizers */
/* The tensors of one optimizer call: `nl` parallel lists of arrays (entries of list l may
 * be None where optional[l]), all with the element count of the first list's array. */
typedef struct {
    int nl;
    Py_ssize_t len;
    PyObject *seq[5];
    buf *b;                    /* len * nl buffers, tensor-major */
} tensor_lists;

static void lists_release(tensor_lists *T)
{
    if (T->b) release(T->b, (int)(T->len * T->nl));   /* release() takes an int count */
    PyMem_Free(T->b);
    for (int l = 0; l < T->nl; l++) Py_XDECREF(T->seq[l]);
}

static int lists_get(const char *fn, tensor_lists *T, int nl, PyObject *const *objs,
                     const char *const *names, const int *writable, const int *optional)
{
    memset(T, 0, sizeof *T);
    T->nl = nl;
    for (int l = 0; l < nl; l++) {
        T->seq[l] = PySequence_Fast(objs[l], "");
        if (!T->seq[l]) {
            PyErr_Format(PyExc_TypeError, "%s: %s must be a list or a tuple", fn, names[l]);
            return -1;
        }
        Py_ssize_t len = PySequence_Fast_GET_SIZE(T->seq[l]);
        if (l == 0) T->len = len;
        else if (len != T->len) {
            PyErr_Format(PyExc_ValueError, "%s: %s has %zd entries, %s has %zd", fn, names[l], len, names[0], T->len);
            return -1;
        }
    }
    if (T->len > INT_MAX / 8) {
        PyErr_Format(PyExc_ValueError, "%s: too many tensors", fn);
        return -1;
    }
    T->b = PyMem_Calloc(T->len * nl + 1, sizeof(buf));
    if (!T->b) { PyErr_NoMemory(); return -1; }
    for (Py_ssize_t i = 0; i < T->len; i++) {
        Py_ssize_t count = -1;
        for (int l = 0; l < nl; l++) {
            buf *b = &T->b[i * nl + l];
            PyObject *o = PySequence_Fast_GET_ITEM(T->seq[l], i);
            if (get(o, b, names[l], count, 'f', writable[l], optional[l]) < 0)
                return -1;
            if (l == 0) count = items(b);
        }
    }
    return 0;
}

static PyObject *py_sgd_step(PyObject *self, PyObject *args)
{
    PyObject *objs[4];
    sgd_hyper h;
    if (!PyArg_ParseTuple(args, "OOOOddddpp", &objs[0], &objs[1], &objs[2], &objs[3], &h.lr, &h.momentum,
                          &h.dampening, &h.weight_decay, &h.nesterov, &h.maximize))
        return NULL;
    static const char *const names[3] = {"params", "grads", "momentum buffers"};
    static const int writable[3] = {1, 0, 1}, optional[3] = {0, 0, 1};
    tensor_lists T;
    PyObject *firsts = NULL;
    int *first = NULL;
    if (lists_get("sgd_step", &T, 3, objs, names, writable, optional) < 0) goto fail;
    firsts = PySequence_Fast(objs[3], "sgd_step: firsts must be a list or a tuple");
    if (!firsts) goto fail;
    if (PySequence_Fast_GET_SIZE(firsts) != T.len) {
        PyErr_SetString(PyExc_ValueError, "sgd_step: firsts must have one entry per parameter");
        goto fail;
    }
    first = PyMem_Calloc(T.len + 1, sizeof(int));
    if (!first) { PyErr_NoMemory(); goto fail; }
    for (Py_ssize_t i = 0; i < T.len; i++) {
        first[i] = PyObject_IsTrue(PySequence_Fast_GET_ITEM(firsts, i));
        if (first[i] < 0) goto fail;
        if (h.momentum != 0.0 && !T.b[i * 3 + 2].held) {
            PyErr_Format(PyExc_ValueError, "sgd_step: parameter %zd has no momentum buffer", i);
            goto fail;
        }
    }
    RUN({
        int nt = pool_size();
        for (Py_ssize_t i = 0; i < T.len; i++) {
            buf *b = T.b + i * 3;
            op_sgd_step(F32(b[0]), F32(b[1]), F32_OR_NULL(b[2]), first[i], items(&b[0]), &h, nt);
        }
    });
    PyMem_Free(first);
    Py_DECREF(firsts);
    lists_release(&T);
    Py_RETURN_NONE;
fail:
    PyMem_Free(first);
    Py_XDECREF(firsts);
    lists_release(&T);
    return NULL;
}

static PyObject *py_adam_step(PyObject *self, PyObject *args)
{
    PyObject *objs[5];
    adam_hyper h;
    if (!PyArg_ParseTuple(args, "OOOOOdddddpppl", &objs[0], &objs[1], &objs[2], &objs[3], &objs[4], &h.lr,
                          &h.beta1, &h.beta2, &h.eps, &h.weight_decay, &h.decoupled, &h.amsgrad, &h.maximize,
                          &h.step))
        return NULL;
    static const char *const names[5] = {"params", "grads", "exp_avgs", "exp_avg_sqs", "max_exp_avg_sqs"};
    static const int writable[5] = {1, 0, 1, 1, 1}, optional[5] = {0, 0, 0, 0, 0};
    int nl = h.amsgrad ? 5 : 4;           /* without amsgrad the fifth list is not used */
    if (h.amsgrad && objs[4] == Py_None) {
        PyErr_SetString(PyExc_ValueError, "adam_step: amsgrad needs max_exp_avg_sqs");
        return NULL;
    }
    tensor_lists T;
    if (lists_get("adam_step", &T, nl, objs, names, writable, optional) < 0) {
        lists_release(&T);
        return NULL;
    }
    RUN({
        int nt = pool_size();
        for (Py_ssize_t i = 0; i < T.len; i++) {
            buf *b = T.b + i * nl;
            op_adam_step(F32(b[0]), F32(b[1]), F32(b[2]), F32(b[3]), h.amsgrad ? F32(b[4]) : NULL,
                         items(&b[0]), &h, nt);
        }
    });
    lists_release(&T);
    Py_RETURN_NONE;
}

/* ---------------------------------------------------------------- matrix product */
static PyObject *py_matmul(PyObject *self, PyObject *args)
{
    PyObject *oa, *ob, *oc, *obias;
    Py_ssize_t m, n, k, na, nb, nc;
    int ta, tb, accumulate, nt;
    if (!PyArg_ParseTuple(args, "OOOnnnpppOi", &oa, &ob, &oc, &m, &n, &k, &ta, &tb, &accumulate, &obias, &nt))
        return NULL;
    COUNT("matmul", na, m, k);
    COUNT("matmul", nb, k, n);
    COUNT("matmul", nc, m, n);
    buf b[4];
    memset(b, 0, sizeof b);
    if (get(oa, &b[0], "a", na, 'f', 0, 0) < 0 || get(ob, &b[1], "b", nb, 'f', 0, 0) < 0
        || get(oc, &b[2], "c", nc, 'f', 1, 0) < 0 || get(obias, &b[3], "bias", n, 'f', 0, 1) < 0)
        FAIL(b, 4);
    int rc;
    RUN(rc = op_matmul(F32(b[0]), F32(b[1]), F32(b[2]), m, n, k, ta, tb, accumulate, F32_OR_NULL(b[3]),
                       threads(nt)));
    release(b, 4);
    if (rc < 0) return PyErr_NoMemory();
    Py_RETURN_NONE;
}

PyMethodDef convnet_ops_methods[] = {
    {"relu", py_relu, METH_VARARGS, "relu(x, out, threads): out = x where x > 0 or NaN, else 0 (out may be x)"},
    {"relu_backward", py_relu_backward, METH_VARARGS, "relu_backward(grad, y, grad_input, threads)"},
    {"add", py_add, METH_VARARGS, "add(a, b, out, threads): out = a + b"},
    {"channel_sum", py_channel_sum, METH_VARARGS, "channel_sum(g, n, c, m, out, threads): out[c] = sum of g viewed as (n, c, m) over n and m"},
    {"dropout_mask", py_dropout_mask, METH_VARARGS, "dropout_mask(mask, seed, threshold, scale, threads): scale where kept, else 0"},
    {"max_pool2d", py_max_pool2d, METH_VARARGS, "max_pool2d(x, geometry, out, indices, threads)"},
    {"max_pool2d_backward", py_max_pool2d_backward, METH_VARARGS, "max_pool2d_backward(grad, indices, grad_input, geometry, threads)"},
    {"avg_pool2d", py_avg_pool2d, METH_VARARGS, "avg_pool2d(x, geometry, divisors, out, threads)"},
    {"avg_pool2d_backward", py_avg_pool2d_backward, METH_VARARGS, "avg_pool2d_backward(grad, divisors, grad_input, geometry, threads)"},
    {"batch_norm_stats", py_batch_norm_stats, METH_VARARGS, "batch_norm_stats(x, n, c, m, mean, var, threads)"},
    {"affine_channels", py_affine_channels, METH_VARARGS, "affine_channels(x, scale, shift, out, n, c, m, relu, threads)"},
    {"batch_norm_backward", py_batch_norm_backward, METH_VARARGS,
     "batch_norm_backward(grad, x, mean, invstd, weight or None, grad_input or None, grad_weight, grad_bias, n, c, m, training, threads)"},
    {"cross_entropy", py_cross_entropy, METH_VARARGS, "cross_entropy(logits, target, rows, classes, loss_rows, probs, threads)"},
    {"cross_entropy_backward", py_cross_entropy_backward, METH_VARARGS,
     "cross_entropy_backward(probs, target, scale_rows, grad_input, rows, classes, threads)"},
    {"sgd_step", py_sgd_step, METH_VARARGS,
     "sgd_step(params, grads, bufs, firsts, lr, momentum, dampening, weight_decay, nesterov, maximize)"},
    {"adam_step", py_adam_step, METH_VARARGS,
     "adam_step(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs or None, lr, beta1, beta2, eps, weight_decay, decoupled, amsgrad, maximize, step)"},
    {"matmul", py_matmul, METH_VARARGS,
     "matmul(a, b, c, m, n, k, trans_a, trans_b, accumulate, bias or None, threads): c (+)= op(a) . op(b) (+ bias)"},
    {NULL, NULL, 0, NULL},
};
