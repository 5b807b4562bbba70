/* What every Python-facing function of the native module shares: getting NumPy arrays as
 * C-contiguous buffers (checked for type and size), and running a kernel without the GIL,
 * one call at a time. Include after Python.h. */
#ifndef CONVNET_PYGLUE_H
#define CONVNET_PYGLUE_H

#include <pthread.h>
#include <string.h>

extern pthread_mutex_t convnet_call_lock;

/* Run `stmt` (a kernel call) with the GIL released; kernels from several Python threads
 * take turns. */

#define RUN(stmt)                               \
    do {                                        \
        Py_BEGIN_ALLOW_THREADS                  \
        pthread_mutex_lock(&convnet_call_lock);         \
        stmt;                                   \
        pthread_mutex_unlock(&convnet_call_lock);       \
        Py_END_ALLOW_THREADS                    \
    } while (0)

/* ---------------------------------------------------------------- buffers */
typedef struct {
    Py_buffer view;
    int held;
} buf;

static inline void release(buf *b, int n)
{
    for (int i = 0; i < n; i++)
        if (b[i].held) PyBuffer_Release(&b[i].view), b[i].held = 0;
}

/* `obj` as a C-contiguous buffer of `count` items of `fmt` ('f' float32, 'i' int32,
 * 'q' int64); None allowed when optional (then b->held stays 0). */
static inline int get(PyObject *obj, buf *b, const char *name, Py_ssize_t count, char fmt, int writable, int optional)
{
    b->held = 0;
    if (obj == Py_None && optional)
        return 0;
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, &b->view, flags) < 0)
        return -1;
    b->held = 1;
    const char *f = b->view.format ? b->view.format : "B";
    if (*f == '<' || *f == '=' || *f == '@') f++;
    int ok_fmt = (fmt == 'f' && f[0] == 'f' && b->view.itemsize == 4)
              || (fmt == 'i' && (f[0] == 'i' || f[0] == 'l') && b->view.itemsize == 4)
              || (fmt == 'q' && (f[0] == 'q' || f[0] == 'l') && b->view.itemsize == 8);
    if (!ok_fmt || f[1] != 0) {
        PyErr_Format(PyExc_TypeError, "native kernel: %s has format '%s' (itemsize %zd), expected '%c'",
                     name, b->view.format ? b->view.format : "?", b->view.itemsize, fmt);
        return -1;
    }
    if (count >= 0 && b->view.len / b->view.itemsize != count) {
        PyErr_Format(PyExc_ValueError, "native kernel: %s holds %zd values, expected %zd",
                     name, b->view.len / b->view.itemsize, count);
        return -1;
    }
    return 0;
}

#define F32(b) ((float *)(b).view.buf)
#define F32_OR_NULL(b) ((b).held ? (float *)(b).view.buf : NULL)


#endif
