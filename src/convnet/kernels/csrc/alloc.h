/* The caching allocator of the kernels' output arrays (alloc.c). Include after Python.h. */
#ifndef CONVNET_ALLOC_H
#define CONVNET_ALLOC_H
PyObject *py_empty(PyObject *self, PyObject *args);
PyObject *py_release_cache(PyObject *self, PyObject *noargs);
PyObject *py_cached_bytes(PyObject *self, PyObject *noargs);
int alloc_init(PyObject *module);
#endif
