/* Convolution: forward, input gradient and kernel gradient, as blocked matrix products
 * that read the image in place.
 *
 * A convolution is out (O x P) = W (O x C*KH*KW) . cols (C*KH*KW x P) per image and group,
 * where column p of `cols` is the patch under output position p (im2col). Here `cols` is
 * never built. The image is copied once into a padded GRID in which tap (c, i, j) of
 * neighbouring output positions sits in neighbouring memory, so the tile kernel reads
 * every tap of NR positions as one contiguous run:
 *
 *  - at stride 1 the grid is the zero-padded image (Hp x Wp); output position (y, x) is
 *    flat position q = y*Wp + x and its tap (c, i, j) is at c*Hp*Wp + i*dh*Wp + j*dw + q;
 *  - at stride (sh, sw) each channel is split into sh*sw PHASES: phase (fy, fx) holds the
 *    padded pixels (R*sh + fy, X*sw + fx) as an (Hz x Wz) plane. Tap offset i*dh = a*sh + fy,
 *    j*dw = b*sw + fx is then plane (fy, fx), row y + a, column x + b: again q = y*Wz + x
 *    plus a fixed offset per tap. A strided convolution becomes a stride-1 one.
 *
 * Flat positions whose column is past the output width are computed and dropped (Wz - OW
 * of every Wz: a few percent for 3x3 kernels on wide maps, 1 in 8 on 14-wide ones). Narrow
 * maps with many channels use the SHIFTED grid instead: KW copies of the image, copy j moved
 * left by j columns, so that output rows follow each other with nothing between them.
 * The product runs panel by panel (NC positions), with the reduction cut into blocks of KC and the rows into blocks of MC so
 * the operands stay in cache; the tile kernel (kernels_isa.h) makes MR x NR outputs.
 *
 * Backward, on the same grids:
 *  - the input gradient: each grid pixel gathers, from the output gradient laid on a grid
 *    of its own, the outputs its taps touched: per phase, a product of the transposed
 *    kernel (only that phase's taps) with shifted runs of dY; then the phases are put back
 *    together and the padding cropped;
 *  - the kernel gradient "is summed over every position it visited": dW[o, k] = sum over q
 *    of dY[o, q] * grid[off(k) + q], as a product (dW^T = cols . dY^T) when there are enough
 *    output channels, else as dot products.
 *  - depthwise convolutions (one kernel per channel) skip the products: per channel, KH*KW
 *    shifted multiply-adds over each run, in a fixed order.
 *
 * Every output element is computed by the same sequence of operations wherever it lies
 * (the reduction order and its blocks are fixed), so forward results are bit-identical
 * whatever the tiling, the batch split or the thread count. Gradients summed over images
 * are summed per thread, then across threads in order: identical for a given thread count.
 */
#include "conv.h"

#include <stdlib.h>
#include <string.h>

#define KC 384          /* the longest reduction block (split evenly: 576 is 2 x 288) */
#define KC_SHIFTED 96   /* the same on the shifted grid */
#define NC 128          /* positions per panel (a multiple of every NR) */
#define MC 240          /* rows per block (a multiple of MR) */
#define QB 2048         /* positions per block of the kernel-gradient dot products */
#define IMAGES_PER_THREAD 8   /* kernel gradient: images shared out from this many per thread */

/* ------------------------------------------------------------------ geometry */
static inline long cg_(const conv_geom *g) { return g->c / g->g; }
static inline long og_(const conv_geom *g) { return g->o / g->g; }
static inline long kk_(const conv_geom *g) { return g->kh * g->kw; }
static inline long kd_(const conv_geom *g) { return cg_(g) * kk_(g); }
static inline long npos_(const conv_geom *g) { return g->oh * g->ow; }
static inline int depthwise_(const conv_geom *g) { return g->g > 1 && g->g == g->c && g->g == g->o; }

/* Whether a convolution runs on the SHIFTED grid: stride 1 on maps so narrow that the
 * padding columns would be an eighth or more of the positions computed (a 14-wide map with
 * padding 1 is 16 wide on the grid: 1 position in 8 would be computed and dropped), with
 * enough channels on both sides to pay for laying out KW copies of each image (measured:
 * below 64 channels the copies cost more than the dropped positions). */
static inline int shifted_(const conv_geom *g)
{
    long wp = g->w + g->pl + g->pr;
    return g->sh == 1 && g->sw == 1 && !depthwise_(g) && g->kw > 1 && (wp - g->ow) * SHIFTED_WASTE >= wp
           && lmin(cg_(g), og_(g)) >= SHIFTED_CHANNELS;
}

/* The grid of one channel: sh*sw phase planes of hz x wz; or, shifted, KW planes of
 * hz x OW, plane j holding the padded image moved left by j*dw columns (cropped to OW
 * columns). Tap (i, j) of output position q = y*OW + x is then plane j, q + i*dh*OW:
 * the rows follow each other with no padding between them, and no position is dropped. */
typedef struct {
    long hz, wz, plane, phases, copies, chan;
} grid_t;

static grid_t grid_of(const conv_geom *g)
{
    grid_t z;
    int sh = shifted_(g);
    z.hz = ceil_div(g->h + g->pt + g->pb, g->sh);
    z.wz = sh ? g->ow : ceil_div(g->w + g->pl + g->pr, g->sw);
    z.plane = z.hz * z.wz;
    z.phases = g->sh * g->sw;
    z.copies = sh ? g->kw : 1;
    z.chan = z.phases * z.copies * z.plane;
    return z;
}

/* The longest reduction block: on the shifted grid a block's taps read KW planes instead of
 * one, so it is cut shorter to keep one panel's reads in L1. */
static inline long kc_max(const grid_t *z) { return z->copies > 1 ? KC_SHIFTED : KC; }

/* flat positions from the first output to the last one + 1 */
static inline long nflat_(const conv_geom *g, const grid_t *z) { return (g->oh - 1) * z->wz + g->ow; }

/* Where tap (i, j) of output position 0 reads within a channel's grid, and its phase. */
static inline long tap_phase(const conv_geom *g, long i, long j)
{
    return ((i * g->dh) % g->sh) * g->sw + (j * g->dw) % g->sw;
}
static inline long tap_shift(const conv_geom *g, const grid_t *z, long i, long j)
{
    return ((i * g->dh) / g->sh) * z->wz + (j * g->dw) / g->sw;
}

int conv_path(const conv_geom *g)
{
    return depthwise_(g) ? CONV_DEPTHWISE : shifted_(g) ? CONV_SHIFTED : CONV_GRID;
}

int conv_weight_grad_path(const conv_geom *g)
{
    if (depthwise_(g))
        return CONV_DEPTHWISE;
    /* a product pays for laying dY out in slivers once per image with every tap: with few taps
     * (a first layer's 9 or 27) that lay-out costs as much as the product itself */
    return og_(g) >= DW_GEMM_CHANNELS && kd_(g) >= DW_GEMM_TAPS ? CONV_GRID : CONV_DOTS;
}

/* row[0, width) = src[x] for x in [x0, x1), zero elsewhere (all zero, src unread, when x1 <= x0). */
static inline void put_row(float *row, long width, const float *src, long x0, long x1)
{
    if (x1 <= x0) {
        memset(row, 0, sizeof(float) * width);
        return;
    }
    memset(row, 0, sizeof(float) * x0);
    memcpy(row + x0, src + x0, sizeof(float) * (x1 - x0));
    memset(row + x1, 0, sizeof(float) * (width - x1));
}

/* Copy channels [0, nc) of x (nc x H x W) onto their grids in dst (nc x chan), zero where
 * the padding is, followed by `slack` zeros (the last tile's reads may run past the grid). */
static void build_grid(const conv_geom *g, const grid_t *z, const float *x, long nc, float *dst, long slack)
{
    long h = g->h, w = g->w;
    if (z->copies > 1) {
        for (long c = 0; c < nc; c++)
            for (long j = 0; j < z->copies; j++) {
                float *pl = dst + c * z->chan + j * z->plane;
                long xs = j * g->dw - g->pl;                /* column x reads image column x + xs */
                long x0 = lmin(lmax(-xs, 0), z->wz), x1 = lmax(lmin(w - xs, z->wz), x0);
                for (long r = 0; r < z->hz; r++) {
                    long y = r - g->pt, inside = y >= 0 && y < h;
                    put_row(pl + r * z->wz, z->wz, inside ? x + (c * h + y) * w + xs : NULL, x0, inside ? x1 : x0);
                }
            }
        memset(dst + nc * z->chan, 0, sizeof(float) * slack);
        return;
    }
    for (long c = 0; c < nc; c++)
        for (long fy = 0; fy < g->sh; fy++)
            for (long fx = 0; fx < g->sw; fx++) {
                float *pl = dst + c * z->chan + (fy * g->sw + fx) * z->plane;
                /* columns X of this phase that fall inside the image: X*sw + fx - pl in [0, w) */
                long x0 = ceil_div(lmax(g->pl - fx, 0), g->sw);
                long x1 = lmin(z->wz, ceil_div(w + g->pl - fx, g->sw));
                for (long r = 0; r < z->hz; r++) {
                    float *row = pl + r * z->wz;
                    long y = r * g->sh + fy - g->pt;
                    if (y < 0 || y >= h || x1 <= x0) {
                        memset(row, 0, sizeof(float) * z->wz);
                        continue;
                    }
                    const float *src = x + (c * h + y) * w + x0 * g->sw + fx - g->pl;
                    memset(row, 0, sizeof(float) * x0);
                    if (g->sw == 1)
                        memcpy(row + x0, src, sizeof(float) * (x1 - x0));
                    else
                        for (long X = x0; X < x1; X++) row[X] = src[(X - x0) * g->sw];
                    memset(row + x1, 0, sizeof(float) * (z->wz - x1));
                }
            }
    memset(dst + nc * z->chan, 0, sizeof(float) * slack);
}

/* The inverse for gradients: dx (nc x H x W) = the grid pixels that are image pixels. */
static void unsplit_grid(const conv_geom *g, const grid_t *z, const float *src, long nc, float *dx)
{
    for (long c = 0; c < nc; c++)
        for (long y = 0; y < g->h; y++) {
            long yp = y + g->pt;
            const float *pl = src + c * z->chan + (yp % g->sh) * g->sw * z->plane + (yp / g->sh) * z->wz;
            float *d = dx + (c * g->h + y) * g->w;
            if (g->sw == 1)
                memcpy(d, pl + g->pl, sizeof(float) * g->w);
            else
                for (long x = 0; x < g->w; x++) {
                    long xp = x + g->pl;
                    d[x] = pl[(xp % g->sw) * z->plane + xp / g->sw];
                }
        }
}

/* Offsets of every tap (c, i, j) of a group within the grids. */
static void tap_offsets(const conv_geom *g, const grid_t *z, long nc, ptrdiff_t *off)
{
    long k = 0;
    for (long c = 0; c < nc; c++)
        for (long i = 0; i < g->kh; i++)
            for (long j = 0; j < g->kw; j++)
                off[k++] = c * z->chan + (z->copies > 1 ? j * z->plane + i * g->dh * z->wz
                                                        : tap_phase(g, i, j) * z->plane + tap_shift(g, z, i, j));
}

/* How m rows are cut into tiles: tiles of MR (6) rows, and at the end one or two of 4, so
 * that no more than one row is padding (16 = 6 + 6 + 4, 32 = 6*4 + 4 + 4). Returns the
 * count; heights[t] is 4 or 6, and tile t starts at the sum of the heights before it. */
static long row_tiles(long m, int *heights)
{
    long six = m / MR_, rest = m % MR_, n = 0;
    if (rest == 5) { six++; rest = 0; }
    if ((rest == 1 || rest == 2) && six > 0) { six--; rest += MR_; }   /* 7 or 8 rows: 4 + 4 */
    for (long t = 0; t < six; t++) heights[n++] = MR_;
    while (rest > 0) { heights[n++] = 4; rest -= 4; }
    return n;
}

/* Rows [0, m) when tiled (padding rows included): the size of a packed A, per k, and of acc. */
static long tiled_rows(long m)
{
    int h[MAX_TILES];
    long n = row_tiles(m, h), rows = 0;
    for (long t = 0; t < n; t++) rows += h[t];
    return rows;
}

/* Packing a kernel as the A operand of a product, tile by tile, shared among the threads.
 * Forward: A is the kernel of a group as it is (a row per output channel, kd columns).
 * Input gradient: A is its transpose for the taps idx[0..nt): a row per input channel c and
 * a column per (o, t), element w[o][c][idx[t]]. That one is read o by o, in order, each o
 * writing one short run per tile: transposing element by element would read the kernel
 * with the stride of a whole row and wait on the cache for every element. */
typedef struct {
    const float *w;
    long groups, og, cg, kk;
    const long *idx;             /* NULL: the kernel as it is; else the taps of the transpose */
    long nt;
    float *dst;
} pack_ctx;

static void pack_task(void *vctx, int tid, int nt)
{
    const pack_ctx *P = vctx;
    long kd = P->cg * P->kk, m = P->idx ? P->cg : P->og, k = P->idx ? P->og * P->nt : kd;
    int heights[MAX_TILES];
    long tiles = row_tiles(m, heights), rows = tiled_rows(m), six = 0, lo, hi;
    while (six < tiles && heights[six] == MR_) six++;      /* the tiles of 6 come first */
    share(P->groups * tiles, tid, nt, &lo, &hi);
    for (long u = lo; u < hi; u++) {
        long gi = u / tiles, t = u % tiles, h = heights[t];
        long r0 = MR_ * lmin(t, six) + 4 * lmax(t - six, 0);
        const float *wg = P->w + gi * P->og * kd;
        float *d = P->dst + (gi * rows + r0) * k;
        if (!P->idx) {
            for (long r = 0; r < h; r++) {
                const float *src = wg + (r0 + r) * kd;
                if (r0 + r >= m)
                    for (long kk = 0; kk < k; kk++) d[kk * h + r] = 0.0f;
                else
                    for (long kk = 0; kk < k; kk++) d[kk * h + r] = src[kk];
            }
            continue;
        }
        for (long o = 0; o < P->og; o++, d += P->nt * h)
            for (long r = 0; r < h; r++) {
                const float *src = wg + o * kd + (r0 + r) * P->kk;
                if (r0 + r >= m)
                    for (long v = 0; v < P->nt; v++) d[v * h + r] = 0.0f;
                else
                    for (long v = 0; v < P->nt; v++) d[v * h + r] = src[P->idx[v]];
            }
    }
}

static void pack_kernel(const float *w, const conv_geom *g, const long *idx, long ntaps, float *dst, int nt)
{
    pack_ctx P = {w, g->g, og_(g), cg_(g), kk_(g), idx, ntaps, dst};
    pool_run(pack_task, &P, nt);
}

/* ------------------------------------------------------------------ the panel product */
/* acc[row][lane] (row stride NC) = A (m rows packed by pack_task, k long) . B, where B's row
 * kk for the panel's positions q0 .. q0 + npanel is base + boff[kk] + q0 .. */
static void panel_product(const float *a, long m, long k, const float *base, const ptrdiff_t *boff,
                          long q0, long npanel, float *acc, long kcmax)
{
    const isa_t *I = isa;
    int heights[MAX_TILES];
    long nr = I->nr, ns = ceil_div(npanel, nr), tiles = row_tiles(m, heights);
    long blocks = ceil_div(k, kcmax);                    /* the reduction in equal blocks */
    for (long b = 0; b < blocks; b++) {
        long k0 = k * b / blocks, kc = k * (b + 1) / blocks - k0;
        for (long t0 = 0, r0 = 0; t0 < tiles;) {         /* blocks of about MC rows */
            long t1 = t0, r1 = r0;
            while (t1 < tiles && (t1 == t0 || r1 - r0 + heights[t1] <= MC)) r1 += heights[t1++];
            for (long s = 0; s < ns; s++)
                for (long t = t0, r = r0; t < t1; r += heights[t], t++)
                    (heights[t] == MR_ ? I->tile : I->tile4)(kc, a + r * k + k0 * heights[t], base + q0 + s * nr,
                                                          boff + k0, acc + r * NC + s * nr, NC, k0 > 0);
            t0 = t1;
            r0 = r1;
        }
    }
}

/* Flat position q of a grid (row width wz) lands on row q / wz - r0, column q % wz - c0 of
 * a destination plane of width cw; columns outside [0, cw) are dropped. A panel's lanes
 * split into runs [lane, lane + len) landing on offset `at`. */
typedef struct { long wz, r0, c0, cw; } posmap;
typedef struct { long lane, len, at; } seg;

static long segments(const posmap *pm, long q0, long q1, seg *out)
{
    long n = 0, q = q0;
    while (q < q1) {
        long row = q / pm->wz, col = q % pm->wz - pm->c0;
        if (col < 0) { q += -col; continue; }
        if (col >= pm->cw) { q += pm->wz - (col + pm->c0); continue; }
        long len = lmin(pm->cw - col, q1 - q);
        out[n++] = (seg){q - q0, len, (row - pm->r0) * pm->cw + col};
        q += len;
    }
    return n;
}

/* dst + m*plane: [at, at + len) = acc[m][lane ..] (+ bias[m]) (then max(., 0)), m < rows. */
static void store_rows(const float *acc, long rows, const seg *sg, long nseg, float *dst,
                       long plane, const float *bias, int relu)
{
    for (long m = 0; m < rows; m++) {
        const float *src = acc + m * NC;
        float *d = dst + m * plane;
        float bv = bias ? bias[m] : 0.0f;
        for (long s = 0; s < nseg; s++) {
            const float *a = src + sg[s].lane;
            float *o = d + sg[s].at;
            long len = sg[s].len;
            if (bias && relu)
                for (long r = 0; r < len; r++) { float v = a[r] + bv; o[r] = v > 0.0f ? v : 0.0f; }
            else if (bias)
                for (long r = 0; r < len; r++) o[r] = a[r] + bv;
            else if (relu)
                for (long r = 0; r < len; r++) o[r] = a[r] > 0.0f ? a[r] : 0.0f;
            else
                memcpy(o, a, sizeof(float) * len);
        }
    }
}

/* ------------------------------------------------------------------ forward */
typedef struct {
    const conv_geom *g;
    grid_t z;
    const float *x, *w, *bias, *ap;
    float *y;
    int relu;
    const ptrdiff_t *off;
} fwd_ctx;

static void forward_task(void *vctx, int tid, int nt)
{
    const fwd_ctx *F = vctx;
    const conv_geom *g = F->g;
    const grid_t *z = &F->z;
    long cg = cg_(g), og = og_(g), kd = kd_(g), P = npos_(g), nflat = nflat_(g, z);
    long panels = ceil_div(nflat, NC), lo, hi, slack = NC + MAX_NR, rows = tiled_rows(og);
    share(g->n * g->g * panels, tid, nt, &lo, &hi);
    if (lo >= hi)
        return;
    float *acc = scratch(tid, 0, rows * NC);
    float *grid = scratch(tid, 1, cg * z->chan + slack);
    posmap pm = {z->wz, 0, 0, g->ow};
    seg sg[NC];
    long cur = -1;
    for (long u = lo; u < hi; u++) {
        long img = u / panels, q0 = (u % panels) * NC, n = img / g->g, gi = img % g->g;
        if (img != cur) {
            build_grid(g, z, F->x + (n * g->c + gi * cg) * g->h * g->w, cg, grid, slack);
            cur = img;
        }
        long q1 = lmin(nflat, q0 + NC);
        panel_product(F->ap + gi * rows * kd, og, kd, grid, F->off, q0, q1 - q0, acc, kc_max(z));
        store_rows(acc, og, sg, segments(&pm, q0, q1, sg), F->y + (n * g->o + gi * og) * P, P,
                   F->bias ? F->bias + gi * og : NULL, F->relu);
    }
}

/* One channel at a time: each output row is one run of KH*KW shifted multiply-adds. */
static void depthwise_forward_task(void *vctx, int tid, int nt)
{
    const fwd_ctx *F = vctx;
    const conv_geom *g = F->g;
    const grid_t *z = &F->z;
    long P = npos_(g), kk = kk_(g), lo, hi;
    long nflat = nflat_(g, z);
    share(g->n * g->c, tid, nt, &lo, &hi);
    float *grid = scratch(tid, 1, z->chan + MAX_NR);
    float *flat = scratch(tid, 2, nflat);
    for (long u = lo; u < hi; u++) {
        long c = u % g->c;
        build_grid(g, z, F->x + u * g->h * g->w, 1, grid, MAX_NR);
        isa->taps(nflat, grid, F->off, F->w + c * kk, kk, flat, 0);   /* one run over the grid */
        float bv = F->bias ? F->bias[c] : 0.0f;
        for (long y = 0; y < g->oh; y++) {
            const float *s = flat + y * z->wz;
            float *o = F->y + u * P + y * g->ow;
            for (long x = 0; x < g->ow; x++) {
                float v = s[x] + bv;
                o[x] = F->relu && v < 0.0f ? 0.0f : v;
            }
        }
    }
}

int conv_forward(const conv_geom *g, const float *x, const float *w, const float *bias,
                 float *y, int relu, int nt)
{
    if (og_(g) > MAX_ROWS || cg_(g) > MAX_ROWS)
        return -2;
    fwd_ctx F = {g, grid_of(g), x, w, bias, NULL, y, relu, NULL};
    long kd = kd_(g), og = og_(g), rows = tiled_rows(og);
    int path = conv_path(g);
    ptrdiff_t *off = malloc(sizeof(ptrdiff_t) * kd);
    float *ap = path != CONV_DEPTHWISE ? malloc(sizeof(float) * g->g * rows * kd) : NULL;
    if (!off || (path != CONV_DEPTHWISE && !ap)) { free(off); free(ap); return -1; }
    tap_offsets(g, &F.z, path == CONV_DEPTHWISE ? 1 : cg_(g), off);
    F.off = off;
    if (path == CONV_DEPTHWISE) {
        pool_run(depthwise_forward_task, &F, nt);
    } else {
        pack_kernel(w, g, NULL, 0, ap, nt);
        F.ap = ap;
        pool_run(forward_task, &F, nt);
    }
    free(ap);
    free(off);
    return path;
}

/* ------------------------------------------------------------------ input gradient */
/* The output gradient of one image and group on a grid of rows L long: row o holds dY[o]
 * at margin + y*Wz + x, zeros elsewhere (L = margin + Hz*Wz). Grid pixel q of a phase gathers, for each of the
 * phase's taps, dYgrid[o][margin + q - shift(tap)].
 * On the shifted grid (stride 1, narrow maps) the gathering runs over the image's own
 * pixels, q = y*W + x, and row o holds KW planes of `drows` rows of W: plane j is dY[o]
 * moved right by pl - j*dw columns (cropped to W) and down by `margin` rows, so that tap
 * (i, j) of pixel q is plane j, q + (pt - i*dh + margin)*W. */
typedef struct {
    const conv_geom *g;
    grid_t z;
    const float *dy, *w;
    float *dx;
    long margin, L;
    long drows, dplane;          /* the shifted grid: rows of a plane, floats in a plane */
    long nph;                    /* phases that have taps */
    long ph[MAX_PHASES];         /* which phase */
    long ntap[MAX_PHASES];       /* how many taps it has */
    const float *ap[MAX_PHASES]; /* per phase: the transposed kernel, G groups of (C/G x O/G*taps) tiles */
    const ptrdiff_t *boff[MAX_PHASES];
    const long *tapidx[MAX_PHASES]; /* depthwise: which taps (i*KW + j) */
} dx_ctx;

static void lay_out_grad(const dx_ctx *D, const float *src, long rows, float *grid)
{
    const conv_geom *g = D->g;
    long P = npos_(g), wz = D->z.wz, used = D->margin + g->oh * wz;
    if (D->z.copies > 1) {
        for (long o = 0; o < rows; o++)
            for (long j = 0; j < D->z.copies; j++) {
                float *pl = grid + o * D->L + j * D->dplane;
                long xs = g->pl - j * g->dw;               /* column x reads dY column x + xs */
                long x0 = lmin(lmax(-xs, 0), g->w), x1 = lmax(lmin(g->ow - xs, g->w), x0);
                for (long r = 0; r < D->drows; r++) {
                    long y = r - D->margin, inside = y >= 0 && y < g->oh;
                    put_row(pl + r * g->w, g->w, inside ? src + o * P + y * g->ow + xs : NULL, x0, inside ? x1 : x0);
                }
            }
        memset(grid + rows * D->L, 0, sizeof(float) * MAX_NR);
        return;
    }
    for (long o = 0; o < rows; o++) {
        float *r = grid + o * D->L;
        memset(r, 0, sizeof(float) * D->margin);
        for (long y = 0; y < g->oh; y++) {
            memcpy(r + D->margin + y * wz, src + o * P + y * g->ow, sizeof(float) * g->ow);
            memset(r + D->margin + y * wz + g->ow, 0, sizeof(float) * (wz - g->ow));
        }
        memset(r + used, 0, sizeof(float) * (D->L - used));
    }
    memset(grid + rows * D->L, 0, sizeof(float) * MAX_NR);   /* the last tile's lanes may read past */
}

static void dx_task(void *vctx, int tid, int nt)
{
    const dx_ctx *D = vctx;
    const conv_geom *g = D->g;
    const grid_t *z = &D->z;
    long cg = cg_(g), og = og_(g), P = npos_(g), rows = tiled_rows(cg), lo, hi;
    int stride1 = z->phases == 1, shifted = z->copies > 1;
    /* stride 1: only the grid pixels that are image pixels, straight into dx; else whole planes */
    long qlo = shifted ? 0 : stride1 ? g->pt * z->wz + g->pl : 0;
    long qhi = shifted ? g->h * g->w : stride1 ? (g->pt + g->h - 1) * z->wz + g->pl + g->w : z->plane;
    long panels = ceil_div(qhi - qlo, NC);
    long units = g->n * g->g * (stride1 ? panels : 1);
    share(units, tid, nt, &lo, &hi);
    if (lo >= hi)
        return;
    float *acc = scratch(tid, 0, rows * NC);
    float *grid = scratch(tid, 1, og * D->L + MAX_NR);
    float *dz = stride1 ? NULL : scratch(tid, 2, cg * z->chan);
    posmap pm = shifted ? (posmap){g->w, 0, 0, g->w}
                : stride1 ? (posmap){z->wz, g->pt, g->pl, g->w} : (posmap){z->wz, 0, 0, z->wz};
    seg sg[NC];
    long cur = -1;
    for (long u = lo; u < hi; u++) {
        long img = stride1 ? u / panels : u, n = img / g->g, gi = img % g->g;
        if (img != cur) {
            lay_out_grad(D, D->dy + (n * g->o + gi * og) * P, og, grid);
            cur = img;
        }
        float *dst = D->dx + (n * g->c + gi * cg) * g->h * g->w;
        if (stride1) {
            long q0 = qlo + (u % panels) * NC, q1 = lmin(qhi, q0 + NC), k = og * D->ntap[0];
            panel_product(D->ap[0] + gi * rows * k, cg, k, grid, D->boff[0], q0, q1 - q0, acc, kc_max(z));
            store_rows(acc, cg, sg, segments(&pm, q0, q1, sg), dst, g->h * g->w, NULL, 0);
            continue;
        }
        memset(dz, 0, sizeof(float) * cg * z->chan);
        for (long f = 0; f < D->nph; f++) {
            long k = og * D->ntap[f];
            for (long q0 = 0; q0 < z->plane; q0 += NC) {
                long q1 = lmin(z->plane, q0 + NC);
                panel_product(D->ap[f] + gi * rows * k, cg, k, grid, D->boff[f], q0, q1 - q0, acc, kc_max(z));
                store_rows(acc, cg, sg, segments(&pm, q0, q1, sg), dz + D->ph[f] * z->plane, z->chan, NULL, 0);
            }
        }
        unsplit_grid(g, z, dz, cg, dst);
    }
}

static void dx_depthwise_task(void *vctx, int tid, int nt)
{
    const dx_ctx *D = vctx;
    const conv_geom *g = D->g;
    const grid_t *z = &D->z;
    long P = npos_(g), kk = kk_(g), lo, hi;
    int stride1 = z->phases == 1;
    share(g->n * g->c, tid, nt, &lo, &hi);
    float *grid = scratch(tid, 1, D->L + MAX_NR);
    float *dz = scratch(tid, 2, z->chan);
    float wsel[MAX_TAPS];
    for (long u = lo; u < hi; u++) {
        long c = u % g->c;
        const float *w = D->w + c * kk;
        lay_out_grad(D, D->dy + u * P, 1, grid);
        float *dst = D->dx + u * g->h * g->w;
        for (long f = 0; f < D->nph; f++) {
            for (long t = 0; t < D->ntap[f]; t++) wsel[t] = w[D->tapidx[f][t]];
            if (stride1)
                for (long y = 0; y < g->h; y++)
                    isa->taps(g->w, grid + (g->pt + y) * z->wz + g->pl, D->boff[f], wsel, D->ntap[f],
                              dst + y * g->w, 0);
            else
                isa->taps(z->plane, grid, D->boff[f], wsel, D->ntap[f], dz + D->ph[f] * z->plane, 0);
        }
        if (!stride1) {
            for (long f = 0, p = 0; p < z->phases; p++) {      /* phases without taps get nothing */
                if (f < D->nph && D->ph[f] == p) { f++; continue; }
                memset(dz + p * z->plane, 0, sizeof(float) * z->plane);
            }
            unsplit_grid(g, z, dz, 1, dst);
        }
    }
}

int conv_input_grad(const conv_geom *g, const float *dy, const float *w, float *dx, int nt)
{
    int path = conv_path(g), dwise = path == CONV_DEPTHWISE;
    dx_ctx D;
    memset(&D, 0, sizeof D);
    D.g = g;
    D.z = grid_of(g);
    D.dy = dy;
    D.w = w;
    D.dx = dx;
    long cg = cg_(g), og = og_(g), kk = kk_(g), rows_c = tiled_rows(cg);
    if (D.z.phases > MAX_PHASES || kk > MAX_TAPS || og > MAX_ROWS || cg > MAX_ROWS)
        return -2;
    if (D.z.copies > 1) {                /* the shifted grid */
        D.margin = lmax((g->kh - 1) * g->dh - g->pt, 0);
        D.drows = g->h + g->pt + D.margin;
        D.dplane = D.drows * g->w;
        D.L = D.z.copies * D.dplane;
    } else {
        D.margin = tap_shift(g, &D.z, g->kh - 1, g->kw - 1);
        D.L = D.margin + D.z.plane;      /* a tile's lanes past a row read the next row's margin */
    }
    long rows = dwise ? 1 : og;
    /* one allocation: per phase, the packed kernel, the offsets and the tap indices */
    float *ap = dwise ? NULL : malloc(sizeof(float) * g->g * rows_c * og * kk);
    ptrdiff_t *boff = malloc(sizeof(ptrdiff_t) * rows * kk);
    long *tapidx = malloc(sizeof(long) * kk);
    if (!boff || !tapidx || (!dwise && !ap)) { free(ap); free(boff); free(tapidx); return -1; }
    long used_taps = 0, used_ap = 0;
    for (long p = 0; p < D.z.phases; p++) {
        long nt_ = 0, *idx = tapidx + used_taps;
        for (long i = 0; i < g->kh; i++)
            for (long j = 0; j < g->kw; j++)
                if (tap_phase(g, i, j) == p) idx[nt_++] = i * g->kw + j;
        if (nt_ == 0)
            continue;
        long f = D.nph++;
        D.ph[f] = p;
        D.ntap[f] = nt_;
        D.tapidx[f] = idx;
        ptrdiff_t *bo = boff + used_taps * rows;
        for (long o = 0; o < rows; o++)
            for (long t = 0; t < nt_; t++)
                bo[o * nt_ + t] = D.z.copies > 1
                    ? o * D.L + (idx[t] % g->kw) * D.dplane + (g->pt - idx[t] / g->kw * g->dh + D.margin) * g->w
                    : o * D.L + D.margin - tap_shift(g, &D.z, idx[t] / g->kw, idx[t] % g->kw);
        D.boff[f] = bo;
        if (!dwise) {
            float *a = ap + used_ap;
            pack_kernel(w, g, idx, nt_, a, nt);       /* rows c, columns (o, tap): the transposed kernel */
            D.ap[f] = a;
            used_ap += g->g * rows_c * og * nt_;
        }
        used_taps += nt_;
    }
    pool_run(dwise ? dx_depthwise_task : dx_task, &D, nt);
    free(ap);
    free(boff);
    free(tapidx);
    return path;
}

/* ------------------------------------------------------------------ kernel gradient */
typedef struct {
    const conv_geom *g;
    grid_t z;
    const float *dy, *x;
    int path;
    const ptrdiff_t *off;        /* tap offsets within the grids */
    const ptrdiff_t *ident;      /* q*NR: the rows of a packed sliver */
    const float *zeros;          /* a row of zeros standing in for missing rows of a tile */
    long acc_size;               /* floats in each thread's partial sums */
    int by_images;               /* the product path: shares of images rather than of taps */
    float *acc;                  /* the product path's dW^T, per group (taps rounded up) x (O/G rounded up) */
} dw_ctx;

/* acc[o][k] += sum over len positions of ra[o] . rb[k], 4 x 3 at a time. */
static void dot_block(const float *const *ra, long na, const float *const *rb, long nb, long len,
                      const float *zeros, float *acc, long ldacc)
{
    float out[12];
    for (long i0 = 0; i0 < na; i0 += 4)
        for (long j0 = 0; j0 < nb; j0 += 3) {
            const float *a[4], *b[3];
            for (int i = 0; i < 4; i++) a[i] = i0 + i < na ? ra[i0 + i] : zeros;
            for (int j = 0; j < 3; j++) b[j] = j0 + j < nb ? rb[j0 + j] : zeros;
            isa->dots(len, a, b, out);
            for (int i = 0; i < 4 && i0 + i < na; i++)
                for (int j = 0; j < 3 && j0 + j < nb; j++)
                    acc[(i0 + i) * ldacc + j0 + j] += out[3 * i + j];
        }
}

/* dW^T (taps x O/G) += cols (taps x positions) . dY^T, KC positions at a time: dY^T packed in
 * NR-wide slivers, the rows of cols read in place (they are runs of the grid: tap k of
 * position q is grid[off(k) + q]). acc is (taps rounded up to MR) x (O/G rounded up to NR). */
static void dw_gemm_image(const dw_ctx *D, const float *const *dyr, long total, const float *grid,
                          long t_lo, long t_hi, float *acc, float *bt)
{
    const conv_geom *g = D->g;
    long og = og_(g), kd = kd_(g), nr = isa->nr, osl = ceil_div(og, nr), opad = osl * nr;
    for (long q0 = 0; q0 < total; q0 += KC) {
        long kc = lmin(KC, total - q0);
        for (long s = 0; s < osl; s++)
            for (long l = 0; l < nr; l++) {
                long o = s * nr + l;
                float *d = bt + s * kc * nr + l;
                if (o < og)
                    for (long q = 0; q < kc; q++) d[q * nr] = dyr[o][q0 + q];
                else
                    for (long q = 0; q < kc; q++) d[q * nr] = 0.0f;
            }
        for (long t = t_lo; t < t_hi; t++) {
            const float *rows[MR_];
            for (long r = 0; r < MR_; r++) {
                long k = t * MR_ + r;
                rows[r] = k < kd ? grid + D->off[k] + q0 : D->zeros;
            }
            for (long s = 0; s < osl; s++)
                isa->tile_rows(kc, rows, bt + s * kc * nr, D->ident, acc + t * MR_ * opad + s * nr, opad, 1);
        }
    }
}

/* dY of one image and group on the flat grid (rows Q long), zero where no window was. */
static void lay_out_dy(const conv_geom *g, const grid_t *z, const float *gy, long og, long Q, float *gq,
                       const float **rows)
{
    long P = npos_(g);
    for (long o = 0; o < og; o++) {
        float *r = gq + o * Q;
        for (long y = 0; y < g->oh; y++) {
            memcpy(r + y * z->wz, gy + o * P + y * g->ow, sizeof(float) * g->ow);
            if (y + 1 < g->oh) memset(r + y * z->wz + g->ow, 0, sizeof(float) * (z->wz - g->ow));
        }
        rows[o] = r;
    }
}

/* The product path. With few images per thread, each thread takes a share of the tiles of
 * taps (of every group) and goes through all images for them, writing its own rows of dW^T
 * (no partial sums, the same result for any thread count); with many, images are shared
 * out and each thread keeps its own sums, added up in thread order afterwards (each thread
 * would otherwise lay out every image's grid itself). */
static void dw_gemm_task(void *vctx, int tid, int nt)
{
    const dw_ctx *D = vctx;
    const conv_geom *g = D->g;
    const grid_t *z = &D->z;
    long cg = cg_(g), og = og_(g), kd = kd_(g), P = npos_(g), nr = isa->nr, lo, hi;
    long Q = nflat_(g, z), slack = NC + MAX_NR, tiles = ceil_div(kd, MR_), opad = ceil_div(og, nr) * nr;
    float *grid = scratch(tid, 1, cg * z->chan + slack);
    float *gq = scratch(tid, 2, og * Q);
    float *work = scratch(tid, 0, (long)KC * opad);
    const float **rows = malloc(sizeof(float *) * (og > 0 ? og : 1));
    if (!rows) return;
    if (D->by_images) {                       /* images in shares, sums per thread (acc_size each) */
        float *acc = scratch(tid, 3, D->acc_size);
        memset(acc, 0, sizeof(float) * D->acc_size);
        share(g->n * g->g, tid, nt, &lo, &hi);
        for (long img = lo; img < hi; img++) {
            long n = img / g->g, gi = img % g->g;
            build_grid(g, z, D->x + (n * g->c + gi * cg) * g->h * g->w, cg, grid, slack);
            lay_out_dy(g, z, D->dy + (n * g->o + gi * og) * P, og, Q, gq, rows);
            dw_gemm_image(D, rows, Q, grid, 0, tiles, acc + gi * tiles * MR_ * opad, work);
        }
        free(rows);
        return;
    }
    share(g->g * tiles, tid, nt, &lo, &hi);
    for (long gi = lo / tiles; lo < hi && gi <= (hi - 1) / tiles; gi++) {
        long t_lo = lmax(lo - gi * tiles, 0), t_hi = lmin(hi - gi * tiles, tiles);
        float *acc = D->acc + gi * tiles * MR_ * opad;
        memset(acc + t_lo * MR_ * opad, 0, sizeof(float) * (t_hi - t_lo) * MR_ * opad);
        for (long n = 0; n < g->n; n++) {
            build_grid(g, z, D->x + (n * g->c + gi * cg) * g->h * g->w, cg, grid, slack);
            lay_out_dy(g, z, D->dy + (n * g->o + gi * og) * P, og, Q, gq, rows);
            dw_gemm_image(D, rows, Q, grid, t_lo, t_hi, acc, work);
        }
    }
    free(rows);
}

/* The dot-product path (few output channels): images in shares, each thread's sums kept
 * apart and added up in thread order afterwards. */
static void dw_task(void *vctx, int tid, int nt)
{
    const dw_ctx *D = vctx;
    const conv_geom *g = D->g;
    const grid_t *z = &D->z;
    long cg = cg_(g), og = og_(g), kd = kd_(g), P = npos_(g), lo, hi;
    long Q = nflat_(g, z), slack = NC + MAX_NR;
    float *acc = scratch(tid, 3, D->acc_size);
    memset(acc, 0, sizeof(float) * D->acc_size);
    share(g->n * g->g, tid, nt, &lo, &hi);
    if (lo >= hi)
        return;
    float *grid = scratch(tid, 1, cg * z->chan + slack);
    float *gq = scratch(tid, 2, og * Q);
    const float **ra = malloc(sizeof(float *) * (og + kd));
    if (!ra) return;
    const float **rb = ra + og;
    for (long img = lo; img < hi; img++) {
        long n = img / g->g, gi = img % g->g;
        build_grid(g, z, D->x + (n * g->c + gi * cg) * g->h * g->w, cg, grid, slack);
        lay_out_dy(g, z, D->dy + (n * g->o + gi * og) * P, og, Q, gq, ra);
        for (long q0 = 0; q0 < Q; q0 += QB) {
            long len = lmin(QB, Q - q0);
            const float *rows_o[og];
            for (long o = 0; o < og; o++) rows_o[o] = ra[o] + q0;
            for (long k = 0; k < kd; k++) rb[k] = grid + D->off[k] + q0;
            dot_block(rows_o, og, rb, kd, len, D->zeros, acc + gi * og * kd, kd);
        }
    }
    free(ra);
}

static void dw_depthwise_task(void *vctx, int tid, int nt)
{
    const dw_ctx *D = vctx;
    const conv_geom *g = D->g;
    const grid_t *z = &D->z;
    long P = npos_(g), kk = kk_(g), lo, hi;
    float *acc = scratch(tid, 3, D->acc_size);
    memset(acc, 0, sizeof(float) * D->acc_size);
    long nflat = nflat_(g, z);
    share(g->n * g->c, tid, nt, &lo, &hi);
    float *grid = scratch(tid, 1, z->chan + MAX_NR);
    float *gq = scratch(tid, 2, nflat);
    for (long u = lo; u < hi; u++) {
        long c = u % g->c;
        build_grid(g, z, D->x + u * g->h * g->w, 1, grid, MAX_NR);
        for (long y = 0; y < g->oh; y++) {          /* dY on the flat grid, zero where no window was */
            memcpy(gq + y * z->wz, D->dy + u * P + y * g->ow, sizeof(float) * g->ow);
            if (y + 1 < g->oh) memset(gq + y * z->wz + g->ow, 0, sizeof(float) * (z->wz - g->ow));
        }
        isa->tapdots(nflat, gq, grid, D->off, kk, acc + c * kk);
    }
}

int conv_weight_grad(const conv_geom *g, const float *dy, const float *x, float *dw, int nt)
{
    int path = conv_weight_grad_path(g);
    long kd = kd_(g), og = og_(g), nr = isa->nr;
    long kdp = ceil_div(kd, MR_) * MR_, opad = ceil_div(og, nr) * nr;
    dw_ctx D = {g, grid_of(g), dy, x, path, NULL, NULL, NULL, 0, 0, NULL};
    ptrdiff_t *off = malloc(sizeof(ptrdiff_t) * kd), *ident = malloc(sizeof(ptrdiff_t) * KC);
    float *zeros = calloc(QB + NC, sizeof(float));
    float *acc = path == CONV_GRID ? malloc(sizeof(float) * g->g * kdp * opad) : NULL;
    if (!off || !zeros || !ident || (path == CONV_GRID && !acc)) {
        free(off); free(zeros); free(ident); free(acc);
        return -1;
    }
    tap_offsets(g, &D.z, path == CONV_DEPTHWISE ? 1 : cg_(g), off);
    for (long q = 0; q < KC; q++) ident[q] = q * nr;
    D.off = off;
    D.ident = ident;
    D.zeros = zeros;
    D.acc = acc;
    if (path == CONV_GRID) {
        nt = (int)lmin(nt, pool_size());
        D.by_images = g->n * g->g >= IMAGES_PER_THREAD * nt;
        D.acc_size = g->g * kdp * opad;
        nt = pool_run(dw_gemm_task, &D, nt);
        for (int t = 0; t < (D.by_images ? nt : 1); t++) {     /* dW^T to dW (sums in thread order) */
            const float *part = D.by_images ? scratch(t, 3, D.acc_size) : acc;
            for (long gi = 0; gi < g->g; gi++)
                for (long k0 = 0; k0 < kd; k0 += 16)    /* 16 taps at a time: whole cache lines of dW */
                    for (long o = 0; o < og; o++)
                        for (long k = k0; k < lmin(kd, k0 + 16); k++) {
                            float v = part[(gi * kdp + k) * opad + o], *d = dw + (gi * og + o) * kd + k;
                            *d = t == 0 ? v : *d + v;
                        }
        }
    } else {
        D.acc_size = path == CONV_DEPTHWISE ? g->c * kk_(g) : g->o * kd;
        nt = pool_run(path == CONV_DEPTHWISE ? dw_depthwise_task : dw_task, &D, nt);
        long total = g->o * (g->c / g->g) * kk_(g);     /* the threads' partial sums, in thread order */
        for (int t = 0; t < nt; t++) {
            const float *part = scratch(t, 3, D.acc_size);
            for (long i = 0; i < total; i++) dw[i] = t == 0 ? part[i] : dw[i] + part[i];
        }
    }
    free(off);
    free(zeros);
    free(ident);
    free(acc);
    return path;
}
