/* The kernels for any processor (SSE2 on x86-64). */
#define ISA_NAME convnet_isa_base
#define ISA_LABEL "baseline"
#include "kernels_isa.h"
