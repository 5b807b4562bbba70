/* The two kernels that carry the arithmetic of convolutions and linear layers, written once
 * against simd.h and compiled once per instruction set (see isa_*.c). ISA_NAME names the
 * table this copy defines. */
#include "simd.h"
#include "native.h"

#if MR != TILE_ROWS
#error "the tile height must be the same for every instruction set"
#endif

/* c (MR x NR) (+)= a (MR x kc, packed) . b (kc x NR, row k at b + boff[k]).
 * Twelve accumulators, one fused multiply-add per (row, vector) per k: each output is the
 * same sequence of operations wherever its tile lies, so results do not depend on how the
 * work was cut into tiles. */
static void tile(long kc, const float *restrict a, const float *restrict b,
                 const ptrdiff_t *restrict boff, float *restrict c, long ldc, int accumulate)
{
    vf c00 = VZERO(), c01 = VZERO(), c10 = VZERO(), c11 = VZERO(), c20 = VZERO(), c21 = VZERO();
    vf c30 = VZERO(), c31 = VZERO(), c40 = VZERO(), c41 = VZERO(), c50 = VZERO(), c51 = VZERO();
    for (long k = 0; k < kc; k++) {
        const float *bk = b + boff[k];
        vf b0 = VLOAD(bk), b1 = VLOAD(bk + W), x;
        x = VSET1(a[0]); c00 = VFMA(x, b0, c00); c01 = VFMA(x, b1, c01);
        x = VSET1(a[1]); c10 = VFMA(x, b0, c10); c11 = VFMA(x, b1, c11);
        x = VSET1(a[2]); c20 = VFMA(x, b0, c20); c21 = VFMA(x, b1, c21);
        x = VSET1(a[3]); c30 = VFMA(x, b0, c30); c31 = VFMA(x, b1, c31);
        x = VSET1(a[4]); c40 = VFMA(x, b0, c40); c41 = VFMA(x, b1, c41);
        x = VSET1(a[5]); c50 = VFMA(x, b0, c50); c51 = VFMA(x, b1, c51);
        a += MR;
    }
#define PUT(r, v0, v1)                                                          \
    do {                                                                        \
        float *cr = c + (r) * ldc;                                              \
        if (accumulate) { v0 = VADD(VLOAD(cr), v0); v1 = VADD(VLOAD(cr + W), v1); } \
        VSTORE(cr, v0);                                                         \
        VSTORE(cr + W, v1);                                                     \
    } while (0)
    PUT(0, c00, c01); PUT(1, c10, c11); PUT(2, c20, c21);
    PUT(3, c30, c31); PUT(4, c40, c41); PUT(5, c50, c51);
#undef PUT
}

/* The same for a tile of 4 rows (a packed 4 per k): the last tiles of a matrix whose row
 * count is not a multiple of 6, so that 16 or 32 rows need no padding. */
static void tile4(long kc, const float *restrict a, const float *restrict b,
                  const ptrdiff_t *restrict boff, float *restrict c, long ldc, int accumulate)
{
    vf c00 = VZERO(), c01 = VZERO(), c10 = VZERO(), c11 = VZERO();
    vf c20 = VZERO(), c21 = VZERO(), c30 = VZERO(), c31 = VZERO();
    for (long k = 0; k < kc; k++) {
        const float *bk = b + boff[k];
        vf b0 = VLOAD(bk), b1 = VLOAD(bk + W), x;
        x = VSET1(a[0]); c00 = VFMA(x, b0, c00); c01 = VFMA(x, b1, c01);
        x = VSET1(a[1]); c10 = VFMA(x, b0, c10); c11 = VFMA(x, b1, c11);
        x = VSET1(a[2]); c20 = VFMA(x, b0, c20); c21 = VFMA(x, b1, c21);
        x = VSET1(a[3]); c30 = VFMA(x, b0, c30); c31 = VFMA(x, b1, c31);
        a += 4;
    }
#define PUT(r, v0, v1)                                                          \
    do {                                                                        \
        float *cr = c + (r) * ldc;                                              \
        if (accumulate) { v0 = VADD(VLOAD(cr), v0); v1 = VADD(VLOAD(cr + W), v1); } \
        VSTORE(cr, v0);                                                         \
        VSTORE(cr + W, v1);                                                     \
    } while (0)
    PUT(0, c00, c01); PUT(1, c10, c11); PUT(2, c20, c21); PUT(3, c30, c31);
#undef PUT
}

/* The same product with A read in place from MR rows (row r, column k at a[r][k]) instead
 * of a packed tile: for the kernel gradient, whose A rows are runs of the image grid. */
static void tile_rows(long kc, const float *const *restrict a, const float *restrict b,
                      const ptrdiff_t *restrict boff, float *restrict c, long ldc, int accumulate)
{
    const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3], *a4 = a[4], *a5 = a[5];
    vf c00 = VZERO(), c01 = VZERO(), c10 = VZERO(), c11 = VZERO(), c20 = VZERO(), c21 = VZERO();
    vf c30 = VZERO(), c31 = VZERO(), c40 = VZERO(), c41 = VZERO(), c50 = VZERO(), c51 = VZERO();
    for (long k = 0; k < kc; k++) {
        const float *bk = b + boff[k];
        vf b0 = VLOAD(bk), b1 = VLOAD(bk + W), x;
        x = VSET1(a0[k]); c00 = VFMA(x, b0, c00); c01 = VFMA(x, b1, c01);
        x = VSET1(a1[k]); c10 = VFMA(x, b0, c10); c11 = VFMA(x, b1, c11);
        x = VSET1(a2[k]); c20 = VFMA(x, b0, c20); c21 = VFMA(x, b1, c21);
        x = VSET1(a3[k]); c30 = VFMA(x, b0, c30); c31 = VFMA(x, b1, c31);
        x = VSET1(a4[k]); c40 = VFMA(x, b0, c40); c41 = VFMA(x, b1, c41);
        x = VSET1(a5[k]); c50 = VFMA(x, b0, c50); c51 = VFMA(x, b1, c51);
    }
#define PUT(r, v0, v1)                                                          \
    do {                                                                        \
        float *cr = c + (r) * ldc;                                              \
        if (accumulate) { v0 = VADD(VLOAD(cr), v0); v1 = VADD(VLOAD(cr + W), v1); } \
        VSTORE(cr, v0);                                                         \
        VSTORE(cr + W, v1);                                                     \
    } while (0)
    PUT(0, c00, c01); PUT(1, c10, c11); PUT(2, c20, c21);
    PUT(3, c30, c31); PUT(4, c40, c41); PUT(5, c50, c51);
#undef PUT
}

/* out[3i + j] = a[i] . b[j] over len values: W lanes of partial sums, added up at the end in
 * a fixed order, then the last len % W values one by one. */
static void dots(long len, const float *const a[4], const float *const b[3], float out[12])
{
    vf s[12];
    for (int i = 0; i < 12; i++) s[i] = VZERO();
    const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
    const float *b0 = b[0], *b1 = b[1], *b2 = b[2];
    long k = 0;
    for (; k + W <= len; k += W) {
        vf y0 = VLOAD(b0 + k), y1 = VLOAD(b1 + k), y2 = VLOAD(b2 + k), x;
        x = VLOAD(a0 + k); s[0] = VFMA(x, y0, s[0]); s[1] = VFMA(x, y1, s[1]); s[2] = VFMA(x, y2, s[2]);
        x = VLOAD(a1 + k); s[3] = VFMA(x, y0, s[3]); s[4] = VFMA(x, y1, s[4]); s[5] = VFMA(x, y2, s[5]);
        x = VLOAD(a2 + k); s[6] = VFMA(x, y0, s[6]); s[7] = VFMA(x, y1, s[7]); s[8] = VFMA(x, y2, s[8]);
        x = VLOAD(a3 + k); s[9] = VFMA(x, y0, s[9]); s[10] = VFMA(x, y1, s[10]); s[11] = VFMA(x, y2, s[11]);
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) {
            float t = vsum(s[3 * i + j]);
            for (long r = k; r < len; r++) t += a[i][r] * b[j][r];
            out[3 * i + j] = t;
        }
}

/* out[q] (+)= sum over taps t, in order, of w[t] * base[off[t] + q], for q < len: a
 * depthwise convolution of one channel along one run of positions. */
static void taps(long len, const float *restrict base, const ptrdiff_t *restrict off,
                 const float *restrict w, long ntaps, float *restrict out, int accumulate)
{
    long q = 0;
    for (; q + W <= len; q += W) {
        vf s = accumulate ? VLOAD(out + q) : VZERO();
        for (long t = 0; t < ntaps; t++)
            s = VFMA(VSET1(w[t]), VLOAD(base + off[t] + q), s);
        VSTORE(out + q, s);
    }
    for (; q < len; q++) {
        float s = accumulate ? out[q] : 0.0f;
        for (long t = 0; t < ntaps; t++)
            s = w[t] * base[off[t] + q] + s;
        out[q] = s;
    }
}

/* out[t] += sum over q < len of a[q] * base[off[t] + q], for every tap t: the kernel
 * gradient of a depthwise convolution along one run of positions. */
static void tapdots(long len, const float *restrict a, const float *restrict base,
                    const ptrdiff_t *restrict off, long ntaps, float *restrict out)
{
    for (long t0 = 0; t0 < ntaps; t0 += 4) {
        long nt = ntaps - t0 < 4 ? ntaps - t0 : 4;
        vf s0 = VZERO(), s1 = VZERO(), s2 = VZERO(), s3 = VZERO();
        const float *b0 = base + off[t0], *b1 = base + off[t0 + (nt > 1)], *b2 = base + off[t0 + (nt > 2 ? 2 : 0)],
                    *b3 = base + off[t0 + (nt > 3 ? 3 : 0)];
        long q = 0;
        for (; q + W <= len; q += W) {
            vf x = VLOAD(a + q);
            s0 = VFMA(x, VLOAD(b0 + q), s0);
            s1 = VFMA(x, VLOAD(b1 + q), s1);
            s2 = VFMA(x, VLOAD(b2 + q), s2);
            s3 = VFMA(x, VLOAD(b3 + q), s3);
        }
        float r[4] = {vsum(s0), vsum(s1), vsum(s2), vsum(s3)};
        const float *bs[4] = {b0, b1, b2, b3};
        for (long j = 0; j < nt; j++) {
            for (long k = q; k < len; k++) r[j] = a[k] * bs[j][k] + r[j];
            out[t0 + j] += r[j];
        }
    }
}

/* Dropout's mask for elements [lo, hi): scale where a hash of (seed, index) reaches the
 * threshold, else 0 (written here so that the 32-bit multiplies vectorise). */
static inline uint32_t mix32(uint32_t x)
{
    x ^= x >> 16; x *= 0x7feb352dU;
    x ^= x >> 15; x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

static void dropout_mask(float *mask, long lo, long hi, uint32_t s0, uint32_t s1, uint32_t threshold, float scale)
{
    for (long i = lo; i < hi; i++) {
        uint32_t u = mix32(mix32((uint32_t)i ^ s0) + s1) >> 8;
        mask[i] = u >= threshold ? scale : 0.0f;
    }
}

const isa_t ISA_NAME = {ISA_LABEL, NR, tile, tile4, tile_rows, dots, taps, tapdots, dropout_mask};
