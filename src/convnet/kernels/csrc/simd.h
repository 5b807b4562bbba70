/* The few vector operations the ISA-specific kernels need, for one instruction set.
 *
 * isa_*.c define one of CONVNET_AVX512, CONVNET_AVX2 (with FMA) or nothing (the baseline:
 * SSE2 on x86-64, GCC vector extensions elsewhere) and then include kernels_isa.h, which
 * is written once against these macros. W is the number of floats in a vector.
 */
#ifndef CONVNET_SIMD_H
#define CONVNET_SIMD_H

#if defined(CONVNET_AVX512)
#include <immintrin.h>
#define W 16
typedef __m512 vf;
#define VZERO() _mm512_setzero_ps()
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, v) _mm512_storeu_ps((p), (v))
#define VSET1(x) _mm512_set1_ps(x)
#define VFMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))      /* a * b + c, one rounding */
#define VADD(a, b) _mm512_add_ps((a), (b))
#define VMUL(a, b) _mm512_mul_ps((a), (b))
static inline float vsum(vf v) { return _mm512_reduce_add_ps(v); }

#elif defined(CONVNET_AVX2)
#include <immintrin.h>
#define W 8
typedef __m256 vf;
#define VZERO() _mm256_setzero_ps()
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps((p), (v))
#define VSET1(x) _mm256_set1_ps(x)
#define VFMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define VADD(a, b) _mm256_add_ps((a), (b))
#define VMUL(a, b) _mm256_mul_ps((a), (b))
static inline float vsum(vf v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

#elif defined(__SSE2__)
#include <emmintrin.h>
#define W 4
typedef __m128 vf;
#define VZERO() _mm_setzero_ps()
#define VLOAD(p) _mm_loadu_ps(p)
#define VSTORE(p, v) _mm_storeu_ps((p), (v))
#define VSET1(x) _mm_set1_ps(x)
#define VFMA(a, b, c) _mm_add_ps(_mm_mul_ps((a), (b)), (c))  /* no FMA here: two roundings */
#define VADD(a, b) _mm_add_ps((a), (b))
#define VMUL(a, b) _mm_mul_ps((a), (b))
static inline float vsum(vf v) {
    __m128 s = _mm_add_ps(v, _mm_movehl_ps(v, v));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

#else  /* any other processor: GCC/Clang vector extensions */
#include <string.h>
#define W 4
typedef float vf __attribute__((vector_size(16)));
typedef float vf_unaligned __attribute__((vector_size(16), aligned(4), may_alias));
#define VZERO() ((vf){0, 0, 0, 0})
#define VLOAD(p) (*(const vf_unaligned *)(p))
#define VSTORE(p, v) (*(vf_unaligned *)(p) = (v))
#define VSET1(x) ((vf){(x), (x), (x), (x)})
#define VFMA(a, b, c) ((a) * (b) + (c))
#define VADD(a, b) ((a) + (b))
#define VMUL(a, b) ((a) * (b))
static inline float vsum(vf v) { return (v[0] + v[2]) + (v[1] + v[3]); }
#endif

#define MR 6          /* rows of the micro-kernel's tile (output channels) */
#define NR (2 * W)    /* columns (positions): two vectors */

#endif
