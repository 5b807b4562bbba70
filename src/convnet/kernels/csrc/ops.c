/* Pooling, normalisation, activations, losses and optimizer updates.
 *
 * Elementwise loops are plain C that the compiler vectorises (IEEE semantics, no fused
 * multiply-adds at the baseline instruction set, so each value is rounded as NumPy rounds
 * it). Work is split into contiguous shares of independent items; reductions (sums over
 * images and positions) are done by one thread per channel or row in a fixed order, so
 * results do not depend on the thread count.
 */
#include "ops.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ------------------------------------------------------------------ relu */
typedef struct { const float *a, *b; float *out; } ew_ctx;

/* y = x where x > 0 or x is NaN, else 0: the test is !(x <= 0), false for NaN */
static void relu_range(void *v, long lo, long hi)
{
    const ew_ctx *E = v;
    const float *x = E->a;
    float *y = E->out;
    for (long i = lo; i < hi; i++)
        y[i] = x[i] <= 0.0f ? 0.0f : x[i];
}

void op_relu(const float *x, float *y, long len, int nt)
{
    ew_ctx E = {x, NULL, y};
    parallel_for(len, ELEM_GRAIN, nt, relu_range, &E);
}

static void relu_backward_range(void *v, long lo, long hi)
{
    const ew_ctx *E = v;
    const float *gy = E->a, *y = E->b;
    float *gx = E->out;
    for (long i = lo; i < hi; i++) {
        float g = gy[i];                  /* loaded unconditionally: the loop vectorises */
        gx[i] = y[i] > 0.0f ? g : 0.0f;
    }
}

void op_relu_backward(const float *gy, const float *y, float *gx, long len, int nt)
{
    ew_ctx E = {gy, y, gx};
    parallel_for(len, ELEM_GRAIN, nt, relu_backward_range, &E);
}

/* ------------------------------------------------------------------ add */
static void add_range(void *v, long lo, long hi)
{
    const ew_ctx *E = v;
    for (long i = lo; i < hi; i++)
        E->out[i] = E->a[i] + E->b[i];
}

void op_add(const float *a, const float *b, float *out, long len, int nt)
{
    ew_ctx E = {a, b, out};
    parallel_for(len, ELEM_GRAIN, nt, add_range, &E);
}

/* ------------------------------------------------------------------ sums in double */
/* Four partial sums over the run, added pairwise at the end: a fixed order. */
static double row_sum(const float *x, long m)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    long q = 0;
    for (; q + 4 <= m; q += 4) {
        s0 += x[q]; s1 += x[q + 1]; s2 += x[q + 2]; s3 += x[q + 3];
    }
    for (; q < m; q++) s0 += x[q];
    return (s0 + s1) + (s2 + s3);
}

/* sum of (x - mu)^2 */
static double row_sqdev(const float *x, long m, double mu)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    long q = 0;
    for (; q + 4 <= m; q += 4) {
        double d0 = x[q] - mu, d1 = x[q + 1] - mu, d2 = x[q + 2] - mu, d3 = x[q + 3] - mu;
        s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
    }
    for (; q < m; q++) { double d = x[q] - mu; s0 += d * d; }
    return (s0 + s1) + (s2 + s3);
}

/* sum of gy and of gy * (x - mu): four partial sums each (two vectors of two lanes). */
static void row_gsums(const float *gy, const float *x, long m, double mu, double *sg, double *sgx)
{
    long q = 0;
#if defined(__SSE2__)
    __m128d g0 = _mm_setzero_pd(), g1 = g0, h0 = g0, h1 = g0, vm = _mm_set1_pd(mu);
    for (; q + 4 <= m; q += 4) {
        __m128 gv = _mm_loadu_ps(gy + q), xv = _mm_loadu_ps(x + q);
        __m128d ga = _mm_cvtps_pd(gv), gb = _mm_cvtps_pd(_mm_movehl_ps(gv, gv));
        __m128d xa = _mm_cvtps_pd(xv), xb = _mm_cvtps_pd(_mm_movehl_ps(xv, xv));
        g0 = _mm_add_pd(g0, ga);
        g1 = _mm_add_pd(g1, gb);
        h0 = _mm_add_pd(h0, _mm_mul_pd(ga, _mm_sub_pd(xa, vm)));
        h1 = _mm_add_pd(h1, _mm_mul_pd(gb, _mm_sub_pd(xb, vm)));
    }
    double g[4], h[4];
    _mm_storeu_pd(g, g0); _mm_storeu_pd(g + 2, g1);
    _mm_storeu_pd(h, h0); _mm_storeu_pd(h + 2, h1);
#else
    double g[4] = {0.0, 0.0, 0.0, 0.0}, h[4] = {0.0, 0.0, 0.0, 0.0};
    for (; q + 4 <= m; q += 4)
        for (int l = 0; l < 4; l++) {
            g[l] += gy[q + l];
            h[l] += gy[q + l] * (x[q + l] - mu);
        }
#endif
    for (; q < m; q++) { g[0] += gy[q]; h[0] += gy[q] * (x[q] - mu); }
    *sg = (g[0] + g[2]) + (g[1] + g[3]);
    *sgx = (h[0] + h[2]) + (h[1] + h[3]);
}

/* out[c] = sum over images and positions: image by image, each run summed by row_sum (for
 * m == 1, one add per image). One thread: bias gradients are small next to their layers. */
typedef struct { const float *g; long n, c, m; float *out; } csum_ctx;

/* Channels [lo, hi): each summed over the images in order, each image's run by row_sum. */
static void channel_sum_range(void *v, long lo, long hi)
{
    const csum_ctx *C = v;
    for (long cc = lo; cc < hi; cc++) {
        double s = 0.0;
        for (long i = 0; i < C->n; i++) {
            const float *run = C->g + (i * C->c + cc) * C->m;
            s += C->m == 1 ? (double)run[0] : row_sum(run, C->m);
        }
        C->out[cc] = (float)s;
    }
}

void op_channel_sum(const float *g, long n, long c, long m, float *out, int nt)
{
    csum_ctx C = {g, n, c, m, out};
    long per = n * m > 0 ? n * m : 1;            /* values per channel */
    parallel_for(c, lmax(1, ELEM_GRAIN / per), nt, channel_sum_range, &C);
}

/* ------------------------------------------------------------------ dropout */
/* A hash of (seed, element index) per element (kernels_isa.h), the same whichever thread
 * draws it and in whatever order; the reference kernels compute the same hash. */
typedef struct { uint32_t s0, s1, threshold; float scale; float *mask; } drop_ctx;

static void dropout_range(void *v, long lo, long hi)
{
    const drop_ctx *D = v;
    isa->dropout_mask(D->mask, lo, hi, D->s0, D->s1, D->threshold, D->scale);
}

void op_dropout_mask(float *mask, long len, uint64_t seed, uint32_t threshold, float scale, int nt)
{
    drop_ctx D = {(uint32_t)seed, (uint32_t)(seed >> 32), threshold, scale, mask};
    parallel_for(len, ELEM_GRAIN, nt, dropout_range, &D);
}

/* ------------------------------------------------------------------ pooling */
/* Taps [*lo, *hi) of a window whose tap 0 sits at `start` (taps start + t*d, t < k) that
 * fall inside [0, size). */
static void taps_inside(long start, long d, long k, long size, long *lo, long *hi)
{
    long a = start >= 0 ? 0 : ceil_div(-start, d);
    long b = start >= size ? 0 : ceil_div(size - start, d);
    *lo = lmin(a, k);
    *hi = lmax(*lo, lmin(b, k));
}

/* Per output row and column, the window's tap 0 and its taps inside the image:
 * r[4*o] = start, r[4*o+1] = lo, r[4*o+2] = hi (rows first, then columns). */
static long *window_ranges(const pool_geom *g)
{
    long *r = malloc(sizeof(long) * (4 * (g->oh + g->ow) + 1));
    if (!r) return NULL;
    for (long o = 0; o < g->oh; o++) {
        long s = o * g->sh - g->pt;
        r[4 * o] = s;
        taps_inside(s, g->dh, g->kh, g->h, &r[4 * o + 1], &r[4 * o + 2]);
    }
    long *cr = r + 4 * g->oh;
    for (long o = 0; o < g->ow; o++) {
        long s = o * g->sw - g->pl;
        cr[4 * o] = s;
        taps_inside(s, g->dw, g->kw, g->w, &cr[4 * o + 1], &cr[4 * o + 2]);
    }
    return r;
}

/* 1 if every window has at least one tap inside the image (max pooling needs one). */
int op_pool_windows_ok(const pool_geom *g)
{
    long lo, hi;
    for (long o = 0; o < g->oh; o++) {
        taps_inside(o * g->sh - g->pt, g->dh, g->kh, g->h, &lo, &hi);
        if (lo >= hi) return 0;
    }
    for (long o = 0; o < g->ow; o++) {
        taps_inside(o * g->sw - g->pl, g->dw, g->kw, g->w, &lo, &hi);
        if (lo >= hi) return 0;
    }
    return 1;
}

typedef struct {
    const pool_geom *g;
    const long *rows, *cols;     /* window_ranges */
    const float *x, *div;
    float *y;
    int64_t *idx;
    const int64_t *cidx;
    int bad;                     /* an index outside its plane was seen */
    long cx0, cx1;               /* output columns whose windows are whole horizontally */
    int vec;                     /* max pooling: vector code allowed */
} pool_ctx;

/* Output columns whose windows have every tap inside horizontally: a contiguous range. */
static void whole_columns(pool_ctx *P)
{
    P->cx0 = P->cx1 = 0;
    for (long o = 0; o < P->g->ow; o++)
        if (P->cols[4 * o + 1] == 0 && P->cols[4 * o + 2] == P->g->kw) {
            if (P->cx1 == P->cx0) P->cx0 = o;
            P->cx1 = o + 1;
        }
}

/* Max pooling of columns [oa, ob) of one output row (taps i0 .. i1 of the window rows are
 * inside the image). Tap v replaces the maximum m when v > m, or when v is NaN and m is not:
 * the first maximum wins ties and the first NaN wins. Starting from the first tap inside the
 * image is the same as starting from -inf with that tap's index. Plain C, for processors
 * without SSE2; the vector code below applies the same rule without branches. */
static void max_pool_cols(const pool_ctx *P, const float *plane, long iy0, long i0, long i1,
                          long oa, long ob, float *yr, int64_t *ir)
{
    const pool_geom *g = P->g;
    long w = g->w;
    for (long ox = oa; ox < ob; ox++) {
        const long *C = P->cols + 4 * ox;
        long ix0 = C[0], j0 = C[1], j1 = C[2];
        long best = (iy0 + i0 * g->dh) * w + ix0 + j0 * g->dw;
        float m = plane[best];
        for (long i = i0; i < i1; i++) {
            long rowoff = (iy0 + i * g->dh) * w + ix0;
            for (long j = j0; j < j1; j++) {
                long at = rowoff + j * g->dw;
                float t = plane[at];
                if (t > m || (t != t && m == m)) {
                    m = t;
                    best = at;
                }
            }
        }
        yr[ox] = m;
        ir[ox] = best;
    }
}

#if defined(__SSE2__)
/* The same rule on four outputs at once: lanes where v > m, or v is NaN and m is not, take
 * v and its index (int32 within the plane). */
static inline void max_step(__m128 v, __m128i at, __m128 *m, __m128i *best)
{
    __m128 up = _mm_or_ps(_mm_cmpgt_ps(v, *m), _mm_and_ps(_mm_cmpunord_ps(v, v), _mm_cmpord_ps(*m, *m)));
    __m128i ui = _mm_castps_si128(up);
    *m = _mm_or_ps(_mm_and_ps(up, v), _mm_andnot_ps(up, *m));
    *best = _mm_or_si128(_mm_and_si128(ui, at), _mm_andnot_si128(ui, *best));
}

/* four maxima and their indices (non-negative: widened to int64 with zeros) */
static inline void store_max(float *yr, int64_t *ir, __m128 m, __m128i best)
{
    __m128i z = _mm_setzero_si128();
    _mm_storeu_ps(yr, m);
    _mm_storeu_si128((__m128i *)ir, _mm_unpacklo_epi32(best, z));
    _mm_storeu_si128((__m128i *)(ir + 2), _mm_unpackhi_epi32(best, z));
}

/* max_pool_cols with the vector rule on one lane: no branches on the data. */
static void max_pool_lane(const pool_ctx *P, const float *plane, long iy0, long i0, long i1,
                          long oa, long ob, float *yr, int64_t *ir)
{
    const pool_geom *g = P->g;
    long w = g->w;
    for (long ox = oa; ox < ob; ox++) {
        const long *C = P->cols + 4 * ox;
        long ix0 = C[0], j0 = C[1], j1 = C[2];
        long first = (iy0 + i0 * g->dh) * w + ix0 + j0 * g->dw;
        __m128 m = _mm_load_ss(plane + first);
        __m128i best = _mm_cvtsi32_si128((int)first);
        for (long i = i0; i < i1; i++) {
            long rowoff = (iy0 + i * g->dh) * w + ix0;
            for (long j = j0; j < j1; j++) {
                long at = rowoff + j * g->dw;
                max_step(_mm_load_ss(plane + at), _mm_cvtsi32_si128((int)at), &m, &best);
            }
        }
        yr[ox] = _mm_cvtss_f32(m);
        ir[ox] = _mm_cvtsi128_si32(best);
    }
}

/* 2x2 windows at stride 2, columns [oa, ob) whole: per four outputs, two loads per window
 * row split into even and odd taps, then three steps in tap order. Returns where it stopped. */
static long max_pool_2x2(const pool_ctx *P, const float *plane, long iy0, long oa, long ob, float *yr, int64_t *ir)
{
    long w = P->g->w, pl = P->g->pl, base = iy0 * w - pl, o = oa;
    const float *r0 = plane + base, *r1 = r0 + w;
    __m128i lanes = _mm_setr_epi32(0, 2, 4, 6), one = _mm_set1_epi32(1);
    __m128i down = _mm_set1_epi32((int)w), diag = _mm_set1_epi32((int)(w + 1));
    if (ob - oa < 4)
        return oa;
    for (;; o += 4) {
        if (o + 4 > ob) o = ob - 4;      /* the last four overlap the previous ones: same values */
        long ix = 2 * o;
        __m128 x0 = _mm_loadu_ps(r0 + ix), x1 = _mm_loadu_ps(r0 + ix + 4);
        __m128 y0 = _mm_loadu_ps(r1 + ix), y1 = _mm_loadu_ps(r1 + ix + 4);
        __m128 m = _mm_shuffle_ps(x0, x1, _MM_SHUFFLE(2, 0, 2, 0));
        __m128i at = _mm_add_epi32(_mm_set1_epi32((int)(base + ix)), lanes), best = at;
        max_step(_mm_shuffle_ps(x0, x1, _MM_SHUFFLE(3, 1, 3, 1)), _mm_add_epi32(at, one), &m, &best);
        max_step(_mm_shuffle_ps(y0, y1, _MM_SHUFFLE(2, 0, 2, 0)), _mm_add_epi32(at, down), &m, &best);
        max_step(_mm_shuffle_ps(y0, y1, _MM_SHUFFLE(3, 1, 3, 1)), _mm_add_epi32(at, diag), &m, &best);
        store_max(yr + o, ir + o, m, best);
        if (o + 4 >= ob) return ob;
    }
}

/* 2x2 windows at stride 2 without padding on maps too narrow for four outputs a row (ow < 4,
 * as 7 -> 3): the plane's outputs in order, four at a time whatever their row, each window's
 * taps gathered from its top-left tap's offset (at[], one plane's worth). Planes [lo, hi). */
typedef struct { const pool_ctx *P; const int32_t *at; } narrow_ctx;

static void max_pool_2x2_narrow(void *v, long lo, long hi)
{
    const narrow_ctx *N = v;
    const pool_geom *g = N->P->g;
    long w = g->w, hw = g->h * g->w, ohw = g->oh * g->ow;
    __m128i one = _mm_set1_epi32(1), down = _mm_set1_epi32((int)w), diag = _mm_set1_epi32((int)(w + 1));
    for (long p = lo; p < hi; p++) {
        const float *x = N->P->x + p * hw;
        float *y = N->P->y + p * ohw;
        int64_t *idx = N->P->idx + p * ohw;
        long q = 0;
        for (; q < ohw && ohw >= 4; q += 4) {
            if (q + 4 > ohw) q = ohw - 4;      /* the last four overlap the previous ones: same values */
            const int32_t *a = N->at + q;
            __m128i at = _mm_loadu_si128((const __m128i *)a), best = at;
            __m128 m = _mm_setr_ps(x[a[0]], x[a[1]], x[a[2]], x[a[3]]);
            max_step(_mm_setr_ps(x[a[0] + 1], x[a[1] + 1], x[a[2] + 1], x[a[3] + 1]), _mm_add_epi32(at, one), &m, &best);
            max_step(_mm_setr_ps(x[a[0] + w], x[a[1] + w], x[a[2] + w], x[a[3] + w]), _mm_add_epi32(at, down), &m, &best);
            max_step(_mm_setr_ps(x[a[0] + w + 1], x[a[1] + w + 1], x[a[2] + w + 1], x[a[3] + w + 1]),
                     _mm_add_epi32(at, diag), &m, &best);
            store_max(y + q, idx + q, m, best);
        }
        for (; q < ohw; q++) {                 /* planes of 1 to 3 outputs: one at a time, by the general code */
            long oy = q / g->ow, ox = q % g->ow;
            const long *R = N->P->rows + 4 * oy;
            max_pool_lane(N->P, x, R[0], R[1], R[2], ox, ox + 1, y + oy * g->ow, idx + oy * g->ow);
        }
    }
}

/* Any window, columns [oa, ob) whole horizontally, four outputs at a time: each tap of the
 * four windows is one load (stride 1), two loads and a shuffle (stride 2; only where the
 * second load stays inside the row) or four single loads. Returns where it stopped. */
static long max_pool_vec(const pool_ctx *P, const float *plane, long iy0, long i0, long i1,
                         long oa, long ob, float *yr, int64_t *ir)
{
    const pool_geom *g = P->g;
    long w = g->w, sw = g->sw, dw = g->dw, kw = g->kw, ox = oa;
    __m128i lanes = _mm_setr_epi32(0, (int)sw, (int)(2 * sw), (int)(3 * sw));
    if (ob - oa < 4)
        return oa;
    for (;; ox += 4) {
        if (ox + 4 > ob) ox = ob - 4;    /* the last four overlap the previous ones: same values */
        long ix0 = ox * sw - g->pl;
        if (sw == 2 && ix0 + 7 + (kw - 1) * dw >= w)
            return ox;
        __m128 m = _mm_setzero_ps();
        __m128i best = _mm_setzero_si128();
        int first = 1;
        for (long i = i0; i < i1; i++) {
            long rowoff = (iy0 + i * g->dh) * w + ix0;
            for (long j = 0; j < kw; j++) {
                const float *p = plane + rowoff + j * dw;
                __m128 v;
                if (sw == 1)
                    v = _mm_loadu_ps(p);
                else if (sw == 2)
                    v = _mm_shuffle_ps(_mm_loadu_ps(p), _mm_loadu_ps(p + 4), _MM_SHUFFLE(2, 0, 2, 0));
                else
                    v = _mm_setr_ps(p[0], p[sw], p[2 * sw], p[3 * sw]);
                __m128i at = _mm_add_epi32(_mm_set1_epi32((int)(rowoff + j * dw)), lanes);
                if (first) {
                    m = v;
                    best = at;
                    first = 0;
                } else {
                    max_step(v, at, &m, &best);
                }
            }
        }
        store_max(yr + ox, ir + ox, m, best);
        if (ox + 4 >= ob) return ob;
    }
}
#endif

/* Output rows u = plane*oh + oy in [lo, hi). Columns whose windows are whole horizontally
 * ([cx0, cx1)) go four at a time through vector code: a specialised loop for 2x2 windows at
 * stride 2 (the common case), a general one otherwise; the other columns one by one, with
 * the same rule on one vector lane. Without SSE2 (or with planes of 2^31 values), all one
 * by one in plain C. */
static void max_pool_rows(void *v, long lo, long hi)
{
    const pool_ctx *P = v;
    const pool_geom *g = P->g;
    long h = g->h, w = g->w, oh = g->oh, ow = g->ow;
    for (long u = lo; u < hi; u++) {
        long p = u / oh, oy = u % oh;
        const float *plane = P->x + p * h * w;
        float *yr = P->y + u * ow;
        int64_t *ir = P->idx + u * ow;
        const long *R = P->rows + 4 * oy;
        long iy0 = R[0], i0 = R[1], i1 = R[2];
#if defined(__SSE2__)
        int two = g->kh == 2 && g->kw == 2 && g->sh == 2 && g->sw == 2 && g->dh == 1 && g->dw == 1;
        if (P->vec) {
            long e;
            max_pool_lane(P, plane, iy0, i0, i1, 0, P->cx0, yr, ir);
            if (two && i0 == 0 && i1 == 2)
                e = max_pool_2x2(P, plane, iy0, P->cx0, P->cx1, yr, ir);
            else
                e = max_pool_vec(P, plane, iy0, i0, i1, P->cx0, P->cx1, yr, ir);
            max_pool_lane(P, plane, iy0, i0, i1, e, ow, yr, ir);
            continue;
        }
#endif
        max_pool_cols(P, plane, iy0, i0, i1, 0, ow, yr, ir);
    }
}

static int pool_threads_grain(const pool_geom *g)
{
    /* rows of output per thread worth waking one for: about ELEM_GRAIN values read */
    long per_row = lmax(1, g->ow * g->kh * g->kw);
    return (int)lmax(1, ELEM_GRAIN / per_row);
}

int op_max_pool2d(const pool_geom *g, const float *x, float *y, int64_t *idx, int nt)
{
    long *r = window_ranges(g);
    if (!r) return -1;
    pool_ctx P = {g, r, r + 4 * g->oh, x, NULL, y, idx, NULL, 0};
    whole_columns(&P);
    P.vec = g->h * g->w < (1L << 31) - 1;       /* indices fit the vector code's int32 */
#if defined(__SSE2__)
    if (P.vec && g->ow < 4 && g->kh == 2 && g->kw == 2 && g->sh == 2 && g->sw == 2 && g->dh == 1 && g->dw == 1
        && g->pt == 0 && g->pl == 0 && 2 * g->oh <= g->h && 2 * g->ow <= g->w && g->oh * g->ow <= 4096) {
        int32_t at[4096];
        for (long q = 0; q < g->oh * g->ow; q++)
            at[q] = (int32_t)(2 * (q / g->ow) * g->w + 2 * (q % g->ow));
        narrow_ctx N = {&P, at};
        parallel_for(g->n * g->c, lmax(1, ELEM_GRAIN / lmax(1, 4 * g->oh * g->ow)), nt, max_pool_2x2_narrow, &N);
        free(r);
        return 0;
    }
#endif
    parallel_for(g->n * g->c * g->oh, pool_threads_grain(g), nt, max_pool_rows, &P);
    free(r);
    return 0;
}

/* gx = 0, then gx[plane][idx] += gy through the outputs in order; one thread per plane. */
static void max_pool_backward_planes(void *v, long lo, long hi)
{
    pool_ctx *P = v;
    const pool_geom *g = P->g;
    long hw = g->h * g->w, ohw = g->oh * g->ow;
    int bad = 0;
    for (long p = lo; p < hi; p++) {
        float *gx = P->y + p * hw;
        const float *gy = P->x + p * ohw;
        const int64_t *id = P->cidx + p * ohw;
        memset(gx, 0, sizeof(float) * hw);
        for (long q = 0; q < ohw; q++) {
            int64_t at = id[q];
            if (at < 0 || at >= hw) { bad = 1; continue; }
            gx[at] += gy[q];
        }
    }
    if (bad) __atomic_store_n(&P->bad, 1, __ATOMIC_RELAXED);
}

int op_max_pool2d_backward(const pool_geom *g, const float *gy, const int64_t *idx, float *gx, int nt)
{
    pool_ctx P = {g, NULL, NULL, gy, NULL, gx, NULL, idx, 0};
    long hw = lmax(1, g->h * g->w);
    parallel_for(g->n * g->c, lmax(1, ELEM_GRAIN / hw), nt, max_pool_backward_planes, &P);
    return P.bad ? -2 : 0;
}

/* Average pooling of columns [oa, ob) of one output row: the taps inside the image added
 * in row-major order, starting from the first one (taps in the padding add nothing; a window
 * with none sums to 0), over the divisor. */
static void avg_pool_cols(const pool_ctx *P, const float *plane, const float *dv, long iy0, long i0,
                          long i1, long oa, long ob, float *yr)
{
    const pool_geom *g = P->g;
    for (long ox = oa; ox < ob; ox++) {
        const long *C = P->cols + 4 * ox;
        long ix0 = C[0], j0 = C[1], j1 = C[2];
        float s = 0.0f;
        int first = 1;
        for (long i = i0; i < i1; i++) {
            const float *row = plane + (iy0 + i * g->dh) * g->w + ix0;
            for (long j = j0; j < j1; j++) {
                float t = row[j * g->dw];
                s = first ? t : s + t;
                first = 0;
            }
        }
        yr[ox] = s / dv[ox];
    }
}

#if defined(__SSE2__)
/* The same sums for four outputs at once, columns [oa, ob) whole horizontally (loads as in
 * max_pool_vec); the last four overlap the previous ones. Returns where it stopped. */
static long avg_pool_vec(const pool_ctx *P, const float *plane, const float *dv, long iy0, long i0,
                         long i1, long oa, long ob, float *yr)
{
    const pool_geom *g = P->g;
    long w = g->w, sw = g->sw, dw = g->dw, kw = g->kw, ox = oa;
    if (ob - oa < 4 || i1 <= i0)
        return oa;
    for (;; ox += 4) {
        if (ox + 4 > ob) ox = ob - 4;
        long ix0 = ox * sw - g->pl;
        if (sw == 2 && ix0 + 7 + (kw - 1) * dw >= w)
            return ox;
        __m128 s = _mm_setzero_ps();
        for (long i = i0; i < i1; i++) {
            const float *row = plane + (iy0 + i * g->dh) * w + ix0;
            for (long j = 0; j < kw; j++) {
                const float *p = row + j * dw;
                __m128 v;
                if (sw == 1)
                    v = _mm_loadu_ps(p);
                else if (sw == 2)
                    v = _mm_shuffle_ps(_mm_loadu_ps(p), _mm_loadu_ps(p + 4), _MM_SHUFFLE(2, 0, 2, 0));
                else
                    v = _mm_setr_ps(p[0], p[sw], p[2 * sw], p[3 * sw]);
                s = i == i0 && j == 0 ? v : _mm_add_ps(s, v);
            }
        }
        _mm_storeu_ps(yr + ox, _mm_div_ps(s, _mm_loadu_ps(dv + ox)));
        if (ox + 4 >= ob) return ob;
    }
}
#endif

/* Output rows u = plane*oh + oy in [lo, hi); whole columns four at a time where SSE2 is. */
static void avg_pool_rows(void *v, long lo, long hi)
{
    const pool_ctx *P = v;
    const pool_geom *g = P->g;
    long h = g->h, w = g->w, oh = g->oh, ow = g->ow;
    for (long u = lo; u < hi; u++) {
        long p = u / oh, oy = u % oh;
        const float *plane = P->x + p * h * w;
        const float *dv = P->div + oy * ow;
        float *yr = P->y + u * ow;
        const long *R = P->rows + 4 * oy;
        long iy0 = R[0], i0 = R[1], i1 = R[2], e = 0;
#if defined(__SSE2__)
        avg_pool_cols(P, plane, dv, iy0, i0, i1, 0, P->cx0, yr);
        e = avg_pool_vec(P, plane, dv, iy0, i0, i1, P->cx0, P->cx1, yr);
#endif
        avg_pool_cols(P, plane, dv, iy0, i0, i1, e, ow, yr);
    }
}

int op_avg_pool2d(const pool_geom *g, const float *x, const float *div, float *y, int nt)
{
    long *r = window_ranges(g);
    if (!r) return -1;
    pool_ctx P = {g, r, r + 4 * g->oh, x, div, y, NULL, NULL, 0};
    whole_columns(&P);
    parallel_for(g->n * g->c * g->oh, pool_threads_grain(g), nt, avg_pool_rows, &P);
    free(r);
    return 0;
}

/* gx = 0, then for every output in order, v = gy / divisor is added to each of its taps
 * inside the image, in tap order; one thread per plane. */
static void avg_pool_backward_planes(void *v, long lo, long hi)
{
    const pool_ctx *P = v;
    const pool_geom *g = P->g;
    long w = g->w, hw = g->h * g->w, ohw = g->oh * g->ow;
    for (long p = lo; p < hi; p++) {
        float *gx = P->y + p * hw;
        const float *gy = P->x + p * ohw;
        memset(gx, 0, sizeof(float) * hw);
        for (long oy = 0; oy < g->oh; oy++) {
            const long *R = P->rows + 4 * oy;
            long iy0 = R[0], i0 = R[1], i1 = R[2];
            for (long ox = 0; ox < g->ow; ox++) {
                const long *C = P->cols + 4 * ox;
                long ix0 = C[0], j0 = C[1], j1 = C[2];
                float t = gy[oy * g->ow + ox] / P->div[oy * g->ow + ox];
                for (long i = i0; i < i1; i++) {
                    float *row = gx + (iy0 + i * g->dh) * w + ix0;
                    for (long j = j0; j < j1; j++) row[j * g->dw] += t;
                }
            }
        }
    }
}

int op_avg_pool2d_backward(const pool_geom *g, const float *gy, const float *div, float *gx, int nt)
{
    long *r = window_ranges(g);
    if (!r) return -1;
    pool_ctx P = {g, r, r + 4 * g->oh, gy, div, gx, NULL, NULL, 0};
    long hw = lmax(1, g->h * g->w);
    parallel_for(g->n * g->c, lmax(1, ELEM_GRAIN / hw), nt, avg_pool_backward_planes, &P);
    free(r);
    return 0;
}

/* ------------------------------------------------------------------ batch normalisation */
/* x viewed as (n, c, m). Each channel belongs to one thread, which goes through the images
 * in order: per image, the channel's run is reduced by the row_* helpers (for m == 1, the
 * channels of an image are consecutive and take one add each, vectorised across channels). */
typedef struct {
    const float *x, *gy, *mean, *invstd, *weight, *scale, *shift;
    float *fmean, *fvar, *gx, *gw, *gb, *y;
    double *d0, *d1;             /* per-channel scratch in double */
    long n, c, m;
    int training, relu;
} bn_ctx;

static void bn_stats_channels(void *v, long c0, long c1)
{
    const bn_ctx *B = v;
    long n = B->n, c = B->c, m = B->m;
    double *sum = B->d0, *sq = B->d1, M = (double)(n * m);
    for (long cc = c0; cc < c1; cc++) sum[cc] = sq[cc] = 0.0;
    for (long i = 0; i < n; i++) {
        const float *xi = B->x + i * c * m;
        if (m == 1)
            for (long cc = c0; cc < c1; cc++) sum[cc] += xi[cc];
        else
            for (long cc = c0; cc < c1; cc++) sum[cc] += row_sum(xi + cc * m, m);
    }
    for (long cc = c0; cc < c1; cc++) sum[cc] /= M;          /* now the mean */
    for (long i = 0; i < n; i++) {
        const float *xi = B->x + i * c * m;
        if (m == 1)
            for (long cc = c0; cc < c1; cc++) { double d = xi[cc] - sum[cc]; sq[cc] += d * d; }
        else
            for (long cc = c0; cc < c1; cc++) sq[cc] += row_sqdev(xi + cc * m, m, sum[cc]);
    }
    for (long cc = c0; cc < c1; cc++) {
        B->fmean[cc] = (float)sum[cc];
        B->fvar[cc] = (float)(sq[cc] / M);
    }
}

/* channels per thread worth waking one for */
static long channel_grain(long n, long m)
{
    return lmax(1, ELEM_GRAIN / lmax(1, n * m));
}

int op_batch_norm_stats(const float *x, long n, long c, long m, float *mean, float *var, int nt)
{
    double *d = malloc(sizeof(double) * 2 * (c > 0 ? c : 1));
    if (!d) return -1;
    bn_ctx B = {0};
    B.x = x; B.fmean = mean; B.fvar = var; B.d0 = d; B.d1 = d + c; B.n = n; B.c = c; B.m = m;
    if (n * m == 0) {        /* no values: NaN, as 0/0 */
        for (long cc = 0; cc < c; cc++) mean[cc] = var[cc] = NAN;
        free(d);
        return 0;
    }
    parallel_for(c, channel_grain(n, m), nt, bn_stats_channels, &B);
    free(d);
    return 0;
}

/* y = x*scale[c] + shift[c] (a float32 multiply, then an add), then max(., 0) if relu.
 * Items are the n*c runs of m (or, for m == 1, the n rows of c). */
static void affine_rows(void *v, long lo, long hi)
{
    const bn_ctx *B = v;
    long c = B->c, m = B->m;
    const float *sc = B->scale, *sh = B->shift;
    if (m == 1) {
        for (long i = lo; i < hi; i++) {
            const float *x = B->x + i * c;
            float *y = B->y + i * c;
            if (B->relu)
                for (long cc = 0; cc < c; cc++) { float t = x[cc] * sc[cc] + sh[cc]; y[cc] = t > 0.0f ? t : 0.0f; }
            else
                for (long cc = 0; cc < c; cc++) y[cc] = x[cc] * sc[cc] + sh[cc];
        }
        return;
    }
    for (long r = lo; r < hi; r++) {
        const float *x = B->x + r * m;
        float *y = B->y + r * m;
        float a = sc[r % c], b = sh[r % c];
        if (B->relu)
            for (long q = 0; q < m; q++) { float t = x[q] * a + b; y[q] = t > 0.0f ? t : 0.0f; }
        else
            for (long q = 0; q < m; q++) y[q] = x[q] * a + b;
    }
}

void op_affine_channels(const float *x, const float *scale, const float *shift, float *y,
                        long n, long c, long m, int relu, int nt)
{
    bn_ctx B = {0};
    B.x = x; B.scale = scale; B.shift = shift; B.y = y; B.n = n; B.c = c; B.m = m; B.relu = relu;
    if (m == 1)
        parallel_for(n, lmax(1, ELEM_GRAIN / lmax(1, c)), nt, affine_rows, &B);
    else
        parallel_for(n * c, lmax(1, ELEM_GRAIN / m), nt, affine_rows, &B);
}

/* Per channel, in double: sg = sum gy, sgx = sum gy*(x - mean); gw = sgx*invstd, gb = sg.
 * Then gx = scale*(gy - sg/M - (x - mean)*invstd^2*sgx/M) with scale = invstd*weight
 * (training: the batch statistics depend on x), or gx = gy*scale in float32 (running
 * statistics: constants). The thread that summed a channel writes its gradient. */
static void bn_backward_channels(void *v, long c0, long c1)
{
    const bn_ctx *B = v;
    long n = B->n, c = B->c, m = B->m;
    double *sg = B->d0, *sgx = B->d1, M = (double)(n * m);
    for (long cc = c0; cc < c1; cc++) sg[cc] = sgx[cc] = 0.0;
    for (long i = 0; i < n; i++) {
        const float *x = B->x + i * c * m, *gy = B->gy + i * c * m;
        if (m == 1)
            for (long cc = c0; cc < c1; cc++) {
                double mc = B->mean[cc];
                sg[cc] += gy[cc];
                sgx[cc] += gy[cc] * (x[cc] - mc);
            }
        else
            for (long cc = c0; cc < c1; cc++) {
                double s, t;
                row_gsums(gy + cc * m, x + cc * m, m, (double)B->mean[cc], &s, &t);
                sg[cc] += s;
                sgx[cc] += t;
            }
    }
    for (long cc = c0; cc < c1; cc++) {
        B->gw[cc] = (float)(sgx[cc] * B->invstd[cc]);
        B->gb[cc] = (float)sg[cc];
    }
    if (!B->gx)
        return;
    /* the gradient, 64 channels at a time with their coefficients in double */
    double a[64], b[64], sc[64], mu[64];
    float fs[64];
    for (long cb = c0; cb < c1; cb += 64) {
        long ce = lmin(c1, cb + 64), nc = ce - cb;
        for (long k = 0; k < nc; k++) {
            long cc = cb + k;
            double is = B->invstd[cc];
            sc[k] = B->weight ? is * B->weight[cc] : is;
            fs[k] = B->weight ? B->invstd[cc] * B->weight[cc] : B->invstd[cc];
            a[k] = sg[cc] / M;
            b[k] = is * is * sgx[cc] / M;
            mu[k] = B->mean[cc];
        }
        for (long i = 0; i < n; i++) {
            const float *x = B->x + (i * c + cb) * m, *gy = B->gy + (i * c + cb) * m;
            float *gx = B->gx + (i * c + cb) * m;
            if (m == 1 && B->training)
                for (long k = 0; k < nc; k++) gx[k] = (float)(sc[k] * ((gy[k] - a[k]) - (x[k] - mu[k]) * b[k]));
            else if (m == 1)
                for (long k = 0; k < nc; k++) gx[k] = gy[k] * fs[k];
            else
                for (long k = 0; k < nc; k++) {
                    const float *g = gy + k * m, *xx = x + k * m;
                    float *o = gx + k * m;
                    double s = sc[k], ak = a[k], bk = b[k], mk = mu[k];
                    float f = fs[k];
                    if (B->training)
                        for (long q = 0; q < m; q++) o[q] = (float)(s * ((g[q] - ak) - (xx[q] - mk) * bk));
                    else
                        for (long q = 0; q < m; q++) o[q] = g[q] * f;
                }
        }
    }
}

int op_batch_norm_backward(const float *gy, const float *x, const float *mean, const float *invstd,
                           const float *weight, float *gx, float *gw, float *gb,
                           long n, long c, long m, int training, int nt)
{
    double *d = malloc(sizeof(double) * 2 * (c > 0 ? c : 1));
    if (!d) return -1;
    bn_ctx B = {0};
    B.x = x; B.gy = gy; B.mean = mean; B.invstd = invstd; B.weight = weight;
    B.gx = gx; B.gw = gw; B.gb = gb; B.d0 = d; B.d1 = d + c;
    B.n = n; B.c = c; B.m = m; B.training = training;
    parallel_for(c, channel_grain(n, m), nt, bn_backward_channels, &B);
    free(d);
    return 0;
}

/* ------------------------------------------------------------------ cross entropy */
typedef struct {
    const float *x, *q, *p, *s;
    float *loss, *probs, *gx;
    long classes;
} ce_ctx;

/* exp(t) in double for t <= 0 (or NaN), two at a time: t = k*ln2 + r with |r| <= ln2/2,
 * exp(r) by its Taylor series to r^10/10! (relative error below 3e-13; the results are
 * rounded to float), evaluated in Estrin's order (short dependency chains), times 2^k built
 * in the exponent bits. Below -708 the result (under 1e-307) is taken as 0, so that 2^k
 * stays a normal number. */
#if defined(__SSE2__)
#define PD(x) _mm_set1_pd(x)
static inline __m128d exp_neg_pd(__m128d t)
{
    const __m128d lim = PD(-708.0), magic = PD(6755399441055744.0);   /* 1.5 * 2^52: rounds to an integer */
    __m128d tc = _mm_max_pd(lim, t);                  /* NaN stays NaN (max returns its second operand) */
    __m128d kf = _mm_sub_pd(_mm_add_pd(_mm_mul_pd(tc, PD(1.4426950408889634)), magic), magic);
    __m128d r = _mm_sub_pd(_mm_sub_pd(tc, _mm_mul_pd(kf, PD(6.93147180369123816490e-01))),
                           _mm_mul_pd(kf, PD(1.90821492927058770002e-10)));
    __m128d r2 = _mm_mul_pd(r, r), r4 = _mm_mul_pd(r2, r2), r8 = _mm_mul_pd(r4, r4);
    __m128d p01 = _mm_add_pd(PD(1.0), r), p23 = _mm_add_pd(PD(1.0 / 2), _mm_mul_pd(PD(1.0 / 6), r));
    __m128d p45 = _mm_add_pd(PD(1.0 / 24), _mm_mul_pd(PD(1.0 / 120), r));
    __m128d p67 = _mm_add_pd(PD(1.0 / 720), _mm_mul_pd(PD(1.0 / 5040), r));
    __m128d p89 = _mm_add_pd(PD(1.0 / 40320), _mm_mul_pd(PD(1.0 / 362880), r));
    __m128d q0 = _mm_add_pd(p01, _mm_mul_pd(p23, r2)), q1 = _mm_add_pd(p45, _mm_mul_pd(p67, r2));
    __m128d q2 = _mm_add_pd(p89, _mm_mul_pd(PD(1.0 / 3628800), r2));
    __m128d p = _mm_add_pd(_mm_add_pd(q0, _mm_mul_pd(q1, r4)), _mm_mul_pd(q2, r8));
    __m128i ki = _mm_add_epi32(_mm_cvtpd_epi32(kf), _mm_set1_epi32(1023));       /* 1 .. 1023 */
    __m128d scale = _mm_castsi128_pd(_mm_slli_epi64(_mm_unpacklo_epi32(ki, _mm_setzero_si128()), 52));
    return _mm_andnot_pd(_mm_cmplt_pd(t, lim), _mm_mul_pd(p, scale));
}
#undef PD
#endif

/* sum over k of exp(x[k] - shift), two partial sums added at the end; with out, also
 * out[k] = (float)exp(x[k] - shift). */
static double exp_sum(const float *x, long n, double shift, float *out)
{
    long k = 0;
    double s = 0.0;
#if defined(__SSE2__)
    __m128d acc = _mm_setzero_pd(), sh = _mm_set1_pd(shift);
    for (; k + 2 <= n; k += 2) {
        __m128 xv = _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(x + k)));      /* two floats */
        __m128d e = exp_neg_pd(_mm_sub_pd(_mm_cvtps_pd(xv), sh));
        acc = _mm_add_pd(acc, e);
        if (out) _mm_storel_epi64((__m128i *)(out + k), _mm_castps_si128(_mm_cvtpd_ps(e)));
    }
    double lanes[2];
    _mm_storeu_pd(lanes, acc);
    s = lanes[0] + lanes[1];
    for (; k < n; k++) {
        double e = _mm_cvtsd_f64(exp_neg_pd(_mm_set1_pd((double)x[k] - shift)));
        s += e;
        if (out) out[k] = (float)e;
    }
#else
    for (; k < n; k++) {
        double e = exp((double)x[k] - shift);
        s += e;
        if (out) out[k] = (float)e;
    }
#endif
    return s;
}

/* Per row: mx = max, lse = mx + log(sum exp(x - mx)) in double, logp = x - lse,
 * loss = -sum q*logp over the classes with q != 0 (so 0 * -inf counts as 0), probs = exp(logp). */
static void ce_rows(void *v, long lo, long hi)
{
    const ce_ctx *E = v;
    long C = E->classes;
    for (long r = lo; r < hi; r++) {
        const float *x = E->x + r * C, *q = E->q + r * C;
        float *pr = E->probs + r * C;
        float mx = x[0];
        for (long k = 1; k < C; k++) mx = x[k] > mx ? x[k] : mx;
        double lse = (double)mx + log(exp_sum(x, C, (double)mx, NULL)), loss = 0.0;
        exp_sum(x, C, lse, pr);
        for (long k = 0; k < C; k++)
            if (q[k] != 0.0f) loss -= (double)q[k] * ((double)x[k] - lse);
        E->loss[r] = (float)loss;
    }
}

void op_cross_entropy(const float *logits, const float *q, long rows, long classes,
                      float *loss_rows, float *probs, int nt)
{
    ce_ctx E = {logits, q, NULL, NULL, loss_rows, probs, NULL, classes};
    if (classes <= 0) {
        for (long r = 0; r < rows; r++) loss_rows[r] = 0.0f;
        return;
    }
    parallel_for(rows, lmax(1, ELEM_GRAIN / 4 / classes), nt, ce_rows, &E);
}

/* gx = (probs * sum(q) - q) * scale_rows[r], sum(q) added in double and rounded once. */
static void ce_backward_rows(void *v, long lo, long hi)
{
    const ce_ctx *E = v;
    long C = E->classes;
    for (long r = lo; r < hi; r++) {
        const float *p = E->p + r * C, *q = E->q + r * C;
        float *gx = E->gx + r * C;
        double sq = 0.0;
        for (long k = 0; k < C; k++) sq += q[k];
        float t = (float)sq, s = E->s[r];
        for (long k = 0; k < C; k++) gx[k] = (p[k] * t - q[k]) * s;
    }
}

void op_cross_entropy_backward(const float *probs, const float *q, const float *scale_rows,
                               float *gx, long rows, long classes, int nt)
{
    ce_ctx E = {NULL, q, probs, scale_rows, NULL, NULL, gx, classes};
    if (classes <= 0) return;
    parallel_for(rows, lmax(1, ELEM_GRAIN / classes), nt, ce_backward_rows, &E);
}

/* ------------------------------------------------------------------ optimizers */
/* Both replay the NumPy update rules of convnet.optim in float32: every Python float is
 * rounded to float32 where it meets an array, every array operation rounds once. The
 * elements go in chunks of CH through a stack buffer, each step a simple loop. */
#define CH 512

typedef struct {
    float *p, *buf, *v, *vmax;
    const float *g;
    const void *h;
    int first;
} opt_ctx;

/* d = grad (negated to maximize), or param*wd then -= / += grad */
static void regularized(const float *p, const float *g, long len, float wd, int use_wd, int maximize, float *d)
{
    if (use_wd) {
        for (long i = 0; i < len; i++) d[i] = p[i] * wd;
        if (maximize)
            for (long i = 0; i < len; i++) d[i] = d[i] - g[i];
        else
            for (long i = 0; i < len; i++) d[i] = d[i] + g[i];
    } else if (maximize) {
        for (long i = 0; i < len; i++) d[i] = -g[i];
    } else {
        memcpy(d, g, sizeof(float) * len);
    }
}

static void sgd_range(void *v, long lo, long hi)
{
    const opt_ctx *O = v;
    const sgd_hyper *h = O->h;
    float wd = (float)h->weight_decay, mom = (float)h->momentum, lr = (float)h->lr;
    float damp1 = (float)(1.0 - h->dampening);
    float d[CH];
    for (long c0 = lo; c0 < hi; c0 += CH) {
        long len = lmin(CH, hi - c0);
        float *p = O->p + c0;
        regularized(p, O->g + c0, len, wd, h->weight_decay != 0.0, h->maximize, d);
        if (h->momentum != 0.0) {
            float *b = O->buf + c0;
            if (O->first)
                memcpy(b, d, sizeof(float) * len);
            else if (h->dampening == 0.0)
                for (long i = 0; i < len; i++) b[i] = b[i] * mom + d[i];
            else
                for (long i = 0; i < len; i++) b[i] = b[i] * mom + damp1 * d[i];
            if (h->nesterov)
                for (long i = 0; i < len; i++) d[i] = d[i] + mom * b[i];
            else
                memcpy(d, b, sizeof(float) * len);
        }
        for (long i = 0; i < len; i++) p[i] = p[i] - lr * d[i];
    }
}

void op_sgd_step(float *param, const float *grad, float *buf, int first, long len,
                 const sgd_hyper *h, int nt)
{
    opt_ctx O = {param, buf, NULL, NULL, grad, h, first};
    parallel_for(len, ELEM_GRAIN, nt, sgd_range, &O);
}

/* x / y for the square root step, as four-lane vectors where there are some (sqrtf
 * itself does not vectorise: it may set errno). */
static void sqrt_div_add(const float *sec, float den, float eps, long len, float *t)
{
    long i = 0;
#if defined(__SSE2__)
    __m128 vd = _mm_set1_ps(den), ve = _mm_set1_ps(eps);
    for (; i + 4 <= len; i += 4)
        _mm_storeu_ps(t + i, _mm_add_ps(_mm_div_ps(_mm_sqrt_ps(_mm_loadu_ps(sec + i)), vd), ve));
#endif
    for (; i < len; i++) t[i] = sqrtf(sec[i]) / den + eps;
}

static void adam_range(void *v, long lo, long hi)
{
    const opt_ctx *O = v;
    const adam_hyper *h = O->h;
    double wd = h->weight_decay;
    float decay = (float)(1.0 - h->lr * h->weight_decay);
    int decoupled = wd != 0.0 && h->decoupled;
    if (decoupled) wd = 0.0;
    double w = 1.0 - h->beta1;                         /* lerp weight */
    int small = fabs(w) < 0.5;
    float wf = (float)w, w1 = (float)(1.0 - w), b2 = (float)h->beta2, c2 = (float)(1.0 - h->beta2);
    float den = (float)pow(1.0 - pow(h->beta2, (double)h->step), 0.5);
    float eps = (float)h->eps, step = (float)(h->lr / (1.0 - pow(h->beta1, (double)h->step)));
    float wdf = (float)wd;
    float g[CH], t[CH];
    for (long c0 = lo; c0 < hi; c0 += CH) {
        long len = lmin(CH, hi - c0);
        float *p = O->p + c0, *m = O->buf + c0, *vv = O->v + c0;
        if (decoupled)
            for (long i = 0; i < len; i++) p[i] = p[i] * decay;
        regularized(p, O->g + c0, len, wdf, wd != 0.0, h->maximize, g);
        if (small)
            for (long i = 0; i < len; i++) m[i] = m[i] + (g[i] - m[i]) * wf;
        else
            for (long i = 0; i < len; i++) m[i] = g[i] - (g[i] - m[i]) * w1;
        for (long i = 0; i < len; i++) vv[i] = vv[i] * b2 + (g[i] * c2) * g[i];
        const float *second = vv;
        if (O->vmax) {
            float *mx = O->vmax + c0;
            /* np.maximum: NaN wins */
            for (long i = 0; i < len; i++) mx[i] = (mx[i] >= vv[i] || mx[i] != mx[i]) ? mx[i] : vv[i];
            second = mx;
        }
        sqrt_div_add(second, den, eps, len, t);
        for (long i = 0; i < len; i++) p[i] = p[i] - (m[i] / t[i]) * step;
    }
}

void op_adam_step(float *param, const float *grad, float *exp_avg, float *exp_avg_sq,
                  float *max_exp_avg_sq, long len, const adam_hyper *h, int nt)
{
    opt_ctx O = {param, exp_avg, exp_avg_sq, max_exp_avg_sq, grad, h, 0};
    parallel_for(len, ELEM_GRAIN, nt, adam_range, &O);
}
