/* matmul-chanwise.c — W·x for the channel-wise int2/int4/int8 weights of
 * mobile checkpoints, split by output rows across the thread pool.
 *
 * Weight-only mode (in_scale 0): activations stay F32 and each row is
 * dequantized on the fly inside the dot product, so the result equals a
 * float matrix of code × scale up to summation order. Static mode: the
 * activations are quantized once with the checkpoint's input scale and the
 * dots are integer per group; the output is then fake-quantized with the
 * output scale, as vLLM's W·A8·O8 scheme does.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "mobile-model.h"

#include "gemlet-kernels.h"

typedef struct
{
  const gm_weight *w;
  const float *x;
  const int8_t *xq;   /* NULL in weight-only mode */
  int64_t n_tok;
  float *y;
} cw_job;

static void
cw_worker (void *arg, int ith, int nth)
{
  const cw_job *job = arg;
  const struct gm_cw_weight *cw = job->w->cw;
  const int64_t K = job->w->ne0, N = job->w->ne1;
  long lo, hi;

  gm_pool_split ((long) N, ith, nth, &lo, &hi);
  for (int64_t r = lo; r < hi; r++)
    {
      gk_cw_row row;

      mobile_tensor_cw_row (cw->t, r, &row);
      for (int64_t t = 0; t < job->n_tok; t++)
        job->y[t * N + r] = job->xq != NULL
                              ? gk_cw_dot_i8 (&row, job->xq + t * K, cw->in_scale, K)
                              : gk_cw_dot_f32 (&row, job->x + t * K, K);
    }
}

void
gm_matmul_cw (gm_pool *pool, const gm_weight *w, const float *x, int64_t n_tok, float *y,
              void *act)
{
  const struct gm_cw_weight *cw = w->cw;
  cw_job job = { w, x, NULL, n_tok, y };

  if (cw->in_scale > 0.0f)
    {
      int8_t *xq = act;

      for (int64_t t = 0; t < n_tok; t++)
        gk_cw_quant_act (x + t * w->ne0, cw->in_scale, xq + t * w->ne0, w->ne0);
      job.xq = xq;
    }
  gm_pool_run (pool, cw_worker, &job);
  if (cw->out_scale > 0.0f)
    gk_cw_fake_quant (y, cw->out_scale, n_tok * w->ne1);
}
