/* The kernels other than convolution: declared here, written in ops.c and gemm.c, and
 * given their Python face in ops_py.c (convnet_ops_methods, added to the module by module.c).
 *
 * All arrays are float32 (indices int64) and C-contiguous; outputs are allocated by the
 * caller. `nt` is the number of threads to use. Work is cut into contiguous shares of
 * independent items (elements, rows, planes, channels), and every reduction has a fixed
 * order that does not depend on the shares, so results are the same for any thread count.
 */
#ifndef CONVNET_OPS_H
#define CONVNET_OPS_H

#include "native.h"

#ifdef PY_SSIZE_T_CLEAN
extern PyMethodDef convnet_ops_methods[];
#endif

/* ---- running a loop over [0, n) on the pool ----------------------------------------- */
typedef void (*range_fn)(void *ctx, long lo, long hi);
typedef struct { range_fn fn; void *ctx; long n; } pfor_t;

static void pfor_task_(void *vctx, int tid, int nt)
{
    const pfor_t *P = vctx;
    long lo, hi;
    share(P->n, tid, nt, &lo, &hi);
    if (lo < hi)
        P->fn(P->ctx, lo, hi);
}

/* fn(ctx, lo, hi) over contiguous shares of n items, on at most nt threads and at most one
 * thread per `grain` items (small loops stay on the calling thread). */
static inline void parallel_for(long n, long grain, int nt, range_fn fn, void *ctx)
{
    long most = grain > 0 ? n / grain : n;
    int t = most < nt ? (int)most : nt;
    if (t <= 1) {
        if (n > 0) fn(ctx, 0, n);
        return;
    }
    pfor_t P = {fn, ctx, n};
    pool_run(pfor_task_, &P, t);
}

#define ELEM_GRAIN 32768    /* elements below which a thread is not worth waking */

/* ---- activations -------------------------------------------------------------------- */
void op_relu(const float *x, float *y, long len, int nt);
void op_add(const float *a, const float *b, float *out, long len, int nt);
void op_relu_backward(const float *gy, const float *y, float *gx, long len, int nt);

/* ---- reductions over channels ------------------------------------------------------- */
void op_channel_sum(const float *g, long n, long c, long m, float *out, int nt);
/* mask[i] = scale where hash(seed, i) >> 8 >= threshold, else 0 (dropout; threshold = p * 2^24). */
void op_dropout_mask(float *mask, long len, uint64_t seed, uint32_t threshold, float scale, int nt);

/* ---- pooling ------------------------------------------------------------------------ */
typedef struct {
    long n, c, h, w;        /* input (N, C, H, W) */
    long kh, kw, sh, sw, dh, dw;
    long pt, pl;            /* padding before: top, left */
    long oh, ow;            /* output size */
} pool_geom;

int op_pool_windows_ok(const pool_geom *g);
/* The pooling kernels return 0, -1 if memory ran out, -2 if an index is outside its plane. */
int op_max_pool2d(const pool_geom *g, const float *x, float *y, int64_t *idx, int nt);
int op_max_pool2d_backward(const pool_geom *g, const float *gy, const int64_t *idx, float *gx, int nt);
int op_avg_pool2d(const pool_geom *g, const float *x, const float *div, float *y, int nt);
int op_avg_pool2d_backward(const pool_geom *g, const float *gy, const float *div, float *gx, int nt);

/* ---- batch normalisation (x viewed as (n, c, m)) ------------------------------------ */
int op_batch_norm_stats(const float *x, long n, long c, long m, float *mean, float *var, int nt);
void op_affine_channels(const float *x, const float *scale, const float *shift, float *y,
                        long n, long c, long m, int relu, int nt);
int op_batch_norm_backward(const float *gy, const float *x, const float *mean, const float *invstd,
                           const float *weight, float *gx, float *gw, float *gb,
                           long n, long c, long m, int training, int nt);

/* ---- losses ------------------------------------------------------------------------- */
void op_cross_entropy(const float *logits, const float *q, long rows, long classes,
                      float *loss_rows, float *probs, int nt);
void op_cross_entropy_backward(const float *probs, const float *q, const float *scale_rows,
                               float *gx, long rows, long classes, int nt);

/* ---- optimizer updates of one tensor ------------------------------------------------ */
typedef struct {
    double lr, momentum, dampening, weight_decay;
    int nesterov, maximize;
} sgd_hyper;

typedef struct {
    double lr, beta1, beta2, eps, weight_decay;
    int decoupled, amsgrad, maximize;
    long step;
} adam_hyper;

void op_sgd_step(float *param, const float *grad, float *buf, int first, long len,
                 const sgd_hyper *h, int nt);
void op_adam_step(float *param, const float *grad, float *exp_avg, float *exp_avg_sq,
                  float *max_exp_avg_sq, long len, const adam_hyper *h, int nt);

/* ---- matrix product (gemm.c) -------------------------------------------------------- */
/* C (m x n) (+)= op(A) . op(B) (+ bias on every row); 0, or -1 if memory ran out. */
int op_matmul(const float *a, const float *b, float *c, long m, long n, long k,
              int trans_a, int trans_b, int accumulate, const float *bias, int nt);

#endif
