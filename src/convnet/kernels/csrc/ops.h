/* The kernels other than convolution: declared here, written in ops.c and gemm.c, and
 * given their Python face in ops_py.c (convnet_ops_methods, added to the module by module.c). */
#ifndef CONVNET_OPS_H
#define CONVNET_OPS_H

#include "native.h"

#ifdef PY_SSIZE_T_CLEAN
extern PyMethodDef convnet_ops_methods[];
#endif

#endif
