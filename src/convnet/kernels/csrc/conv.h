/* Convolution kernels (conv.c): the geometry of one call and the three entry points. */
#ifndef CONVNET_CONV_H
#define CONVNET_CONV_H

#include "native.h"

typedef struct {
    long n, c, h, w;        /* input (N, C, H, W) */
    long o, kh, kw;         /* weight (O, C/G, KH, KW) */
    long sh, sw, dh, dw;    /* stride, dilation */
    long pt, pb, pl, pr;    /* zero padding: top, bottom, left, right */
    long g;                 /* groups */
    long oh, ow;            /* output size */
} conv_geom;

/* The paths: products on the grid (or, for narrow maps at stride 1, on the shifted grid),
 * depthwise runs, and (kernel gradient of layers with few output channels) dot products on
 * the grid. */
enum { CONV_GRID = 0, CONV_DEPTHWISE = 1, CONV_DOTS = 2, CONV_SHIFTED = 3 };

#define MAX_PHASES 64       /* strides up to sh*sw = 64 */
#define MAX_TAPS 1024       /* kernels up to KH*KW = 1024 (depthwise) */
#define SHIFTED_WASTE 8     /* the shifted grid where padding would be >= 1/8 of the positions */
#define SHIFTED_CHANNELS 64 /* ... and both sides have this many channels per group */
#define DW_GEMM_CHANNELS 16 /* kernel gradients as products from this many channels per group */
#define DW_GEMM_TAPS 64     /* ... and this many taps per output channel (C/G * KH * KW); fewer:
                             * dot products (measured: 9 taps 3x faster, 54 taps 1.2x) */
#define MR_ TILE_ROWS
#define MAX_TILES 4096     /* tiles of a product's rows */
#define MAX_ROWS 24000     /* channels per group the native kernels take (at most 6 * MAX_TILES) */

int conv_path(const conv_geom *g);
int conv_weight_grad_path(const conv_geom *g);
/* Each returns the path it took, -1 if memory ran out, -2 if the geometry is beyond the
 * limits above (the Python side sends those to the reference kernels). nt: threads to use. */
int conv_forward(const conv_geom *g, const float *x, const float *w, const float *bias,
                 float *y, int relu, int nt);
int conv_input_grad(const conv_geom *g, const float *dy, const float *w, float *dx, int nt);
int conv_weight_grad(const conv_geom *g, const float *dy, const float *x, float *dw, int nt);

#endif
