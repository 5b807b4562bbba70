/* Reused memory for the arrays the kernels write (a caching allocator).
 *
 * A training step allocates the same large arrays every time (activations, gradients).
 * Fresh large blocks come from the operating system as untouched pages, and the first
 * write to each 4 KB page costs a page fault and zeroing: for ResNet-20 that was 35,000
 * faults (136 MB) a step. Here a freed block is kept, by size class, and handed out again,
 * already mapped. The arrays are NumPy arrays over a `Block` (np.frombuffer in native.py);
 * when NumPy frees the array, the Block returns its memory to the cache. Only the kernel
 * layer's own outputs use it; the process's other allocations are not touched. All of this
 * runs with the GIL held, so it needs no lock.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>

#include "alloc.h"

#define CLASSES 320
#define CACHE_LIMIT ((size_t)2 << 30)   /* keep at most this many free bytes */

static struct {
    void **blocks;
    Py_ssize_t count, capacity;
} freelist[CLASSES];
static size_t cached_bytes;

/* Size classes: 256-byte steps up to 64 KB, then 8 steps per doubling (at most 12.5% slack). */
static int size_class(size_t n, size_t *rounded)
{
    if (n <= 65536) {
        *rounded = (n + 255) & ~(size_t)255;
        return (int)(*rounded / 256);              /* 1 .. 256 */
    }
    int e = 63 - __builtin_clzll((unsigned long long)(n - 1));   /* 2^e < n <= 2^(e+1) */
    size_t step = (size_t)1 << (e - 2);
    size_t r = ((n + step - 1) / step) * step;
    int k = (int)((r >> (e - 2)) - 4);             /* 1 .. 4, then the next doubling */
    *rounded = r;
    int c = 256 + (e - 16) * 4 + k;
    return c < CLASSES ? c : -1;                   /* huge: not cached */
}

typedef struct {
    PyObject_HEAD
    void *ptr;
    size_t size, rounded;
    int cls;
    int exports;
} Block;

static void block_dealloc(Block *b)
{
    if (b->ptr) {
        if (b->cls >= 0 && cached_bytes + b->rounded <= CACHE_LIMIT) {
            typeof(freelist[0]) *f = &freelist[b->cls];
            if (f->count == f->capacity) {
                Py_ssize_t cap = f->capacity ? 2 * f->capacity : 8;
                void **grown = realloc(f->blocks, sizeof(void *) * cap);
                if (grown) { f->blocks = grown; f->capacity = cap; }
            }
            if (f->count < f->capacity) {
                f->blocks[f->count++] = b->ptr;
                cached_bytes += b->rounded;
                b->ptr = NULL;
            }
        }
        free(b->ptr);
    }
    Py_TYPE(b)->tp_free((PyObject *)b);
}

static int block_getbuffer(Block *b, Py_buffer *view, int flags)
{
    if (PyBuffer_FillInfo(view, (PyObject *)b, b->ptr, (Py_ssize_t)b->size, 0, flags) < 0)
        return -1;
    b->exports++;
    return 0;
}

static void block_releasebuffer(Block *b, Py_buffer *view) { b->exports--; }

static PyBufferProcs block_as_buffer = {(getbufferproc)block_getbuffer, (releasebufferproc)block_releasebuffer};

static PyTypeObject BlockType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "convnet.kernels._native.Block",
    .tp_basicsize = sizeof(Block),
    .tp_dealloc = (destructor)block_dealloc,
    .tp_as_buffer = &block_as_buffer,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Memory for one array, returned to convnet's cache when the array is freed.",
};

PyObject *py_empty(PyObject *self, PyObject *args)
{
    Py_ssize_t nbytes;
    if (!PyArg_ParseTuple(args, "n", &nbytes)) return NULL;
    if (nbytes < 0) { PyErr_SetString(PyExc_ValueError, "empty: negative size"); return NULL; }
    size_t rounded;
    int cls = size_class(nbytes ? (size_t)nbytes : 1, &rounded);
    Block *b = PyObject_New(Block, &BlockType);
    if (!b) return NULL;
    b->ptr = NULL;
    b->size = (size_t)nbytes;
    b->exports = 0;
    b->cls = cls;
    b->rounded = cls >= 0 ? rounded : (size_t)nbytes;
    if (cls >= 0 && freelist[cls].count > 0) {
        b->ptr = freelist[cls].blocks[--freelist[cls].count];
        cached_bytes -= rounded;
    } else {
        b->ptr = aligned_alloc(64, ((b->rounded + 63) / 64) * 64);
        if (!b->ptr) { Py_DECREF(b); return PyErr_NoMemory(); }
    }
    return (PyObject *)b;
}

PyObject *py_release_cache(PyObject *self, PyObject *noargs)
{
    for (int c = 0; c < CLASSES; c++) {
        while (freelist[c].count > 0) free(freelist[c].blocks[--freelist[c].count]);
    }
    size_t was = cached_bytes;
    cached_bytes = 0;
    return PyLong_FromSize_t(was);
}

PyObject *py_cached_bytes(PyObject *self, PyObject *noargs) { return PyLong_FromSize_t(cached_bytes); }

int alloc_init(PyObject *module)
{
    if (PyType_Ready(&BlockType) < 0) return -1;
    Py_INCREF(&BlockType);
    return PyModule_AddObject(module, "Block", (PyObject *)&BlockType);
}
