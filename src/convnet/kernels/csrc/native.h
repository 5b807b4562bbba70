/* Declarations shared by the native kernels' C files (see docs/PERFORMANCE.md for the design).
 *
 * Every hot loop is written once. The two that decide the speed of convolutions and fully
 * connected layers (the tile kernel and the dot-product kernel) are compiled once per
 * instruction set (isa_base.c, isa_avx2.c, isa_avx512.c) and chosen when the module is
 * imported, from what the processor reports; everything else is plain C.
 */
#ifndef CONVNET_NATIVE_H
#define CONVNET_NATIVE_H

#include <stddef.h>
#include <stdint.h>

/* The tile kernel: c[r][l] (+)= sum over k < kc of a[k*MR + r] * b[boff[k] + l], for an
 * MR x nr tile (r < MR, l < nr). `a` is packed (MR values per k, zero rows where a tile
 * runs past the matrix); each k's nr values of b are contiguous at b + boff[k], so b can be
 * a packed panel (boff[k] = k*nr) or an image read in place (boff[k] = where tap k reads).
 * With accumulate, the sums are added to c; otherwise they replace it. */
typedef void (*tile_fn)(long kc, const float *a, const float *b, const ptrdiff_t *boff,
                        float *c, long ldc, int accumulate);

/* The tile kernel with A read from MR row pointers: a[r][k]. */
typedef void (*tile_rows_fn)(long kc, const float *const *a, const float *b, const ptrdiff_t *boff,
                             float *c, long ldc, int accumulate);

/* Twelve dot products at once: out[3*i + j] = sum over k < len of a[i][k] * b[j][k]. */
typedef void (*dots_fn)(long len, const float *const a[4], const float *const b[3], float out[12]);

/* out[q] (+)= sum over t < ntaps of w[t] * base[off[t] + q], for q < len. */
typedef void (*taps_fn)(long len, const float *base, const ptrdiff_t *off, const float *w,
                        long ntaps, float *out, int accumulate);

/* out[t] += sum over q < len of a[q] * base[off[t] + q], for t < ntaps. */
typedef void (*tapdots_fn)(long len, const float *a, const float *base, const ptrdiff_t *off,
                           long ntaps, float *out);

typedef struct {
    const char *name;
    int nr;            /* columns of a tile: two vectors */
    tile_fn tile;
    tile_fn tile4;     /* the same with 4 rows */
    tile_rows_fn tile_rows;
    dots_fn dots;
    taps_fn taps;
    tapdots_fn tapdots;
    void (*dropout_mask)(float *mask, long lo, long hi, uint32_t s0, uint32_t s1, uint32_t threshold, float scale);
} isa_t;

#define TILE_ROWS 6    /* MR, the same for every instruction set */
#define MAX_NR 32

extern const isa_t convnet_isa_base;
#if defined(__x86_64__) || defined(_M_X64)
extern const isa_t convnet_isa_avx2;
extern const isa_t convnet_isa_avx512;
#endif
extern const isa_t *isa;

/* ---- threads: one pool owns the cores ---------------------------------------------- */
/* fn(ctx, tid, nt) runs on nt threads at once (tid 0 is the caller); returns when all are
 * done, with the nt it used (at most the pool's size). */
typedef void (*task_fn)(void *ctx, int tid, int nt);
int pool_run(task_fn fn, void *ctx, int nt);
int pool_size(void);
void pool_resize(int n);

/* Per-thread scratch buffers kept between calls (slot < SCRATCH_SLOTS), 64-byte aligned,
 * at least `count` floats (contents undefined). NULL if memory runs out. */
#define SCRATCH_SLOTS 4
float *scratch(int tid, int slot, size_t count);

/* The contiguous share [*lo, *hi) of n items that thread tid of nt takes. */
static inline void share(long n, int tid, int nt, long *lo, long *hi) {
    *lo = n * tid / nt;
    *hi = n * (tid + 1) / nt;
}

static inline long ceil_div(long a, long b) { return (a + b - 1) / b; }
static inline long lmin(long a, long b) { return a < b ? a : b; }
static inline long lmax(long a, long b) { return a > b ? a : b; }

#endif
