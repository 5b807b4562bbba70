/* The Python face of ops.c and gemm.c. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "ops.h"

PyMethodDef convnet_ops_methods[] = {
    {NULL, NULL, 0, NULL},
};
