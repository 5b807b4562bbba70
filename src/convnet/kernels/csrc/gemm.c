/* General matrix products (fully connected layers) on the tile kernel.
 *
 * C (m x n) (+)= op(A) (m x k) . op(B) (k x n) (+ bias on every row), all row-major; A is
 * stored (m, k) or, transposed, (k, m); B is stored (k, n) or, transposed, (n, k).
 *
 * The tile path: C is cut into units (blocks of rows x blocks of columns), shared out among
 * the threads. A unit goes through the reduction in blocks of KC: it packs its columns of
 * B for the block into NR-wide slivers (B not transposed: row by row, so memory streams
 * each row in one run; transposed: four stored rows transposed at a time), or, when B is
 * not transposed and the unit has few rows, reads B's rows where they are (each k's NR
 * values are contiguous there too; packing would cost more than the few tiles gain). Then
 * it packs MCT tiles of A at a time into MR-row tiles and runs the tile kernel
 * (kernels_isa.h) sliver by sliver, each sliver staying in L1 while it meets every tile.
 * The blocks are added into C in order (the first replaces C unless accumulating), tiles
 * that run past C go through a small temporary.
 *
 * The dot-product path, for few rows with B transposed (y = x.W^T at small batches): the
 * rows of A and of B are both contiguous along k, so the products are dot products of rows
 * read in place (isa->dots, 4 rows of A by 3 of B), in chunks of KD along k so that each
 * chunk of W is read from memory once and meets every row of A from cache. Nothing is
 * packed: a large W is streamed once.
 *
 * Every element of C is computed by the same operations in the same order whatever unit,
 * tile or thread it falls to (fixed reduction blocks, added in order), so results do not
 * depend on the thread count or on the split, and a row of C does not depend on the other
 * rows computed with it. Which path is taken depends on the shapes and flags only: with B
 * transposed, products of up to DOT_ROWS rows take the dot-product path and round
 * differently (in the last bits) from larger ones.
 */
#include "ops.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define MR TILE_ROWS
#define KC 256          /* reduction block of the tile path */
#define MCT 16          /* tiles of A packed at a time: 96 rows, 96 KB at KC (stays in L2) */
#define NCMAX 1024      /* columns of B a unit packs per reduction block (1 MB at KC) */
#define KD 8192         /* reduction chunk of the dot-product path: long runs of W */
#define DOT_ROWS 32     /* the dot-product path for up to this many rows */
#define INPLACE_TILES 4 /* B read in place when a unit has at most this many row tiles */
#define GRAIN (1L << 21)  /* multiply-adds below which a second thread is not worth waking */
/* packed slivers lie SLIVER(nr) floats apart: KC rows and 16 floats (64 bytes) more, so
 * that row kk of consecutive slivers does not fall on the same cache set */
#define SLIVER(nr) ((long)KC * (nr) + 16)

static const float zeros[KD];

typedef struct {
    const float *a, *b, *bias;
    float *c;
    long m, n, k;
    int ta, tb, accumulate;
    long tiles, slivers, rb, cb;       /* row tiles, column slivers, and the blocks of each */
    int in_place;                      /* B's rows read where they are (few rows of C, B not transposed) */
    ptrdiff_t ident[KC], rowoff[KC];   /* row kk of a sliver: packed (kk*nr), in place (kk*n) */
    int failed;
} gemm_ctx;

/* ------------------------------------------------------------------ packing */
/* Tiles [t0, t1) of op(A), columns [k0, k0 + kc): dst[((t - t0)*kc + kk)*MR + r] = op(A)[t*MR + r][k0 + kk],
 * zero for rows past m. */
static void pack_a(const gemm_ctx *G, long t0, long t1, long k0, long kc, float *dst)
{
    long m = G->m;
    for (long t = t0; t < t1; t++, dst += kc * MR) {
        long i0 = t * MR, rows = lmin(MR, m - i0);
        if (G->ta) {            /* op(A)[i][kk] = a[kk*m + i]: MR contiguous values per kk */
            for (long kk = 0; kk < kc; kk++) {
                const float *src = G->a + (k0 + kk) * m + i0;
                float *d = dst + kk * MR;
                for (long r = 0; r < rows; r++) d[r] = src[r];
                for (long r = rows; r < MR; r++) d[r] = 0.0f;
            }
            continue;
        }
        const float *row[MR];
        for (long r = 0; r < MR; r++) row[r] = r < rows ? G->a + (i0 + r) * G->k + k0 : zeros;
        long kk = 0;
#if defined(__SSE2__) && TILE_ROWS == 6
        /* four k at a time: rows 0-3 transposed as a 4x4 block, rows 4-5 interleaved in pairs */
        for (; kk + 4 <= kc; kk += 4) {
            __m128 r0 = _mm_loadu_ps(row[0] + kk), r1 = _mm_loadu_ps(row[1] + kk);
            __m128 r2 = _mm_loadu_ps(row[2] + kk), r3 = _mm_loadu_ps(row[3] + kk);
            __m128 r4 = _mm_loadu_ps(row[4] + kk), r5 = _mm_loadu_ps(row[5] + kk);
            _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
            __m128 lo = _mm_unpacklo_ps(r4, r5), hi = _mm_unpackhi_ps(r4, r5);
            float *d = dst + kk * MR;
            _mm_storeu_ps(d, r0);      _mm_storel_pi((__m64 *)(d + 4), lo);
            _mm_storeu_ps(d + 6, r1);  _mm_storeh_pi((__m64 *)(d + 10), lo);
            _mm_storeu_ps(d + 12, r2); _mm_storel_pi((__m64 *)(d + 16), hi);
            _mm_storeu_ps(d + 18, r3); _mm_storeh_pi((__m64 *)(d + 22), hi);
        }
#endif
        for (; kk < kc; kk++)
            for (long r = 0; r < MR; r++) dst[kk * MR + r] = row[r][kk];
    }
}

/* The sliver of op(B) at columns [j0, j0 + nr), rows [k0, k0 + kc), B transposed (stored
 * (n, k)): dst[kk*nr + l] = b[(j0 + l)*k + k0 + kk], zero for columns past n. Column l of
 * the sliver is a contiguous run of stored B; four of them are transposed at a time (nr is
 * two vectors: a multiple of 4). */
static void pack_bt(const gemm_ctx *G, long j0, long k0, long kc, long nr, float *dst)
{
    long cols = lmin(nr, G->n - j0);
    for (long l0 = 0; l0 < nr; l0 += 4) {
        const float *col[4];
        for (long l = 0; l < 4; l++) col[l] = l0 + l < cols ? G->b + (j0 + l0 + l) * G->k + k0 : zeros;
        long kk = 0;
#if defined(__SSE2__)
        for (; kk + 4 <= kc; kk += 4) {
            __m128 r0 = _mm_loadu_ps(col[0] + kk), r1 = _mm_loadu_ps(col[1] + kk);
            __m128 r2 = _mm_loadu_ps(col[2] + kk), r3 = _mm_loadu_ps(col[3] + kk);
            _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
            float *d = dst + kk * nr + l0;
            _mm_storeu_ps(d, r0);
            _mm_storeu_ps(d + nr, r1);
            _mm_storeu_ps(d + 2 * nr, r2);
            _mm_storeu_ps(d + 3 * nr, r3);
        }
#endif
        for (; kk < kc; kk++)
            for (long l = 0; l < 4; l++) dst[kk * nr + l0 + l] = col[l][kk];
    }
}

/* Slivers [s0, s1) of B (not transposed), rows [k0, k0 + kc), sliver si at dst + si*SLIVER:
 * row by row, so that memory streams each row of B in one run; zero past column n. */
static void pack_b_rows(const gemm_ctx *G, long s0, long s1, long k0, long kc, long nr, float *dst)
{
    long n = G->n, j1 = lmin(n, s1 * nr), stride = SLIVER(nr);
    for (long kk = 0; kk < kc; kk++) {
        const float *src = G->b + (k0 + kk) * n;
        float *d = dst + kk * nr;
        long s = s0;
        for (; s < s1 && (s + 1) * nr <= j1; s++, d += stride)     /* whole slivers: an inline copy */
            for (long l = 0; l < nr; l++) d[l] = src[s * nr + l];
        for (; s < s1; s++, d += stride) {
            long j = s * nr, cols = lmax(0, j1 - j);
            for (long l = 0; l < nr; l++) d[l] = l < cols ? src[j + l] : 0.0f;
        }
    }
}

/* ------------------------------------------------------------------ the tile path */
/* C rows [i0, i1), columns [j0, j1): += bias, or (no reduction at all) = 0 + bias. */
static void finish_block(const gemm_ctx *G, long i0, long i1, long j0, long j1, int empty)
{
    for (long i = i0; i < i1; i++) {
        float *cr = G->c + i * G->n;
        if (empty && !G->accumulate)
            for (long j = j0; j < j1; j++) cr[j] = 0.0f;
        if (G->bias)
            for (long j = j0; j < j1; j++) cr[j] = cr[j] + G->bias[j];
    }
}

/* Unit u: row tiles [t0, t1) by slivers [s0, s1). Per reduction block: pack the unit's B
 * (unless it is read in place), then MCT tiles of A at a time, each sliver meeting every
 * tile while it is in L1. */
static void gemm_unit(const gemm_ctx *G, long u, float *ap, float *bp, float *tmp)
{
    const isa_t *I = isa;
    long nr = I->nr, m = G->m, n = G->n, k = G->k, stride = SLIVER(nr);
    long rbi = u / G->cb, cbi = u % G->cb;
    long t0 = G->tiles * rbi / G->rb, t1 = G->tiles * (rbi + 1) / G->rb;
    long s0 = G->slivers * cbi / G->cb, s1 = G->slivers * (cbi + 1) / G->cb;
    long i0 = t0 * MR, i1 = lmin(m, t1 * MR), j0 = s0 * nr, j1 = lmin(n, s1 * nr);
    for (long k0 = 0; k0 < k; k0 += KC) {
        long kc = lmin(KC, k - k0);
        int acc = k0 > 0 || G->accumulate;
        if (!G->in_place && !G->tb)
            pack_b_rows(G, s0, s1, k0, kc, nr, bp);
        else if (!G->in_place)
            for (long s = s0; s < s1; s++) pack_bt(G, s * nr, k0, kc, nr, bp + (s - s0) * stride);
        for (long ta = t0; ta < t1; ta += MCT) {
            long tb = lmin(t1, ta + MCT);
            pack_a(G, ta, tb, k0, kc, ap);
            for (long s = s0; s < s1; s++) {
                long j = s * nr, cols = lmin(nr, n - j);
                const float *bs = bp + (s - s0) * stride;
                const ptrdiff_t *boff = G->ident;
                if (G->in_place && cols == nr) {
                    bs = G->b + k0 * n + j;
                    boff = G->rowoff;
                } else if (G->in_place) {    /* the last sliver would read past B's rows: pack it */
                    pack_b_rows(G, s, s + 1, k0, kc, nr, bp);
                    bs = bp;
                }
                for (long t = ta; t < tb; t++) {
                    long i = t * MR, rows = lmin(MR, m - i);
                    const float *at = ap + (t - ta) * kc * MR;
                    float *cp = G->c + i * n + j;
                    if (rows == MR && cols == nr) {
                        I->tile(kc, at, bs, boff, cp, n, acc);
                        continue;
                    }
                    /* an edge tile: through tmp (MR x nr), with C's values when accumulating */
                    if (acc) {
                        memset(tmp, 0, sizeof(float) * MR * nr);
                        for (long r = 0; r < rows; r++) memcpy(tmp + r * nr, cp + r * n, sizeof(float) * cols);
                    }
                    I->tile(kc, at, bs, boff, tmp, nr, acc);
                    for (long r = 0; r < rows; r++) memcpy(cp + r * n, tmp + r * nr, sizeof(float) * cols);
                }
            }
        }
    }
    finish_block(G, i0, i1, j0, j1, k == 0);
}

static void gemm_task(void *vctx, int tid, int nt)
{
    gemm_ctx *G = vctx;
    long nr = isa->nr, lo, hi;
    share(G->rb * G->cb, tid, nt, &lo, &hi);
    if (lo >= hi)
        return;
    float *ap = scratch(tid, 0, (size_t)MCT * MR * KC);
    float *bp = scratch(tid, 1, (size_t)ceil_div(G->slivers, G->cb) * SLIVER(nr));
    float *tmp = scratch(tid, 2, (size_t)MR * MAX_NR);
    if (!ap || !bp || !tmp) {
        __atomic_store_n(&G->failed, 1, __ATOMIC_RELAXED);
        return;
    }
    for (long u = lo; u < hi; u++) gemm_unit(G, u, ap, bp, tmp);
}

/* ------------------------------------------------------------------ the dot-product path */
typedef struct {
    const float *a, *b, *bias;
    float *c;
    long m, n, k;
    int accumulate;
} dots_ctx;

/* Column groups [g0, g1) (columns 3g .. 3g + 2). */
static void dots_groups(void *vctx, long g0, long g1)
{
    const dots_ctx *D = vctx;
    long m = D->m, n = D->n, k = D->k;
    float out[12];
    for (long k0 = 0; k0 < k; k0 += KD) {
        long len = lmin(KD, k - k0);
        int first = k0 == 0 && !D->accumulate;
        for (long g = g0; g < g1; g++) {
            long j0 = 3 * g, nj = lmin(3, n - j0);
            const float *b[3], *a[4];
            for (long j = 0; j < 3; j++) b[j] = j < nj ? D->b + (j0 + j) * k + k0 : zeros;
            for (long i0 = 0; i0 < m; i0 += 4) {
                long ni = lmin(4, m - i0);
                for (long i = 0; i < 4; i++) a[i] = i < ni ? D->a + (i0 + i) * k + k0 : zeros;
                isa->dots(len, a, b, out);
                for (long i = 0; i < ni; i++) {
                    float *cr = D->c + (i0 + i) * n + j0;
                    for (long j = 0; j < nj; j++) cr[j] = first ? out[3 * i + j] : cr[j] + out[3 * i + j];
                }
            }
        }
    }
    long j0 = 3 * g0, j1 = lmin(n, 3 * g1);
    for (long i = 0; i < m; i++) {
        float *cr = D->c + i * n;
        if (k == 0 && !D->accumulate)
            for (long j = j0; j < j1; j++) cr[j] = 0.0f;
        if (D->bias)
            for (long j = j0; j < j1; j++) cr[j] = cr[j] + D->bias[j];
    }
}

/* ------------------------------------------------------------------ entry */
int op_matmul(const float *a, const float *b, float *c, long m, long n, long k,
              int trans_a, int trans_b, int accumulate, const float *bias, int nt)
{
    if (m <= 0 || n <= 0)
        return 0;
    double work = (double)m * n * (k > 0 ? k : 1);
    if (!trans_a && trans_b && m <= DOT_ROWS) {
        dots_ctx D = {a, b, bias, c, m, n, k, accumulate};
        long groups = ceil_div(n, 3);
        long grain = (long)lmax(1, (long)(GRAIN / (work / groups)));
        parallel_for(groups, grain, nt, dots_groups, &D);
        return 0;
    }
    gemm_ctx *G = malloc(sizeof *G);
    if (!G)
        return -1;
    long nr = isa->nr;
    *G = (gemm_ctx){a, b, bias, c, m, n, k, trans_a, trans_b, accumulate};
    G->tiles = ceil_div(m, MR);
    G->slivers = ceil_div(n, nr);
    for (long kk = 0; kk < KC; kk++) {
        G->ident[kk] = kk * nr;
        G->rowoff[kk] = kk * n;
    }
    /* units: column blocks of at most NCMAX columns, at least one per thread (a multiple of
     * the thread count when there are several), then row blocks if columns run out */
    int t = work < GRAIN ? 1 : (int)lmin(nt, (long)(work / GRAIN));
    if (t < 1) t = 1;
    long cb = ceil_div(G->slivers * nr, NCMAX), rb = 1;
    if (t > 1) {
        cb = lmin(G->slivers, ceil_div(lmax(cb, t), t) * t);
        if (cb < t) rb = lmin(G->tiles, ceil_div(t, cb));
    }
    G->cb = cb;
    G->rb = rb;
    G->in_place = !trans_b && ceil_div(G->tiles, rb) <= INPLACE_TILES;
    pool_run(gemm_task, G, t);
    int failed = G->failed;
    free(G);
    return failed ? -1 : 0;
}
