/* The kernels for x86-64 processors with AVX-512F (compiled with -mavx512f -mfma). */
#define CONVNET_AVX512
#define ISA_NAME convnet_isa_avx512
#define ISA_LABEL "avx512"
#include "kernels_isa.h"
