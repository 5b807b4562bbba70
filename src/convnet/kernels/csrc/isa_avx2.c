/* The kernels for x86-64 processors with AVX2 and FMA (compiled with -mavx2 -mfma). */
#define CONVNET_AVX2
#define ISA_NAME convnet_isa_avx2
#define ISA_LABEL "avx2"
#include "kernels_isa.h"
