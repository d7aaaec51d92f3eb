/* matmul-chanwise.c — W·x for the channel-wise int2/int4/int8 weights of
 * mobile checkpoints, split by output rows across the thread pool.
 *
 * Weight-only mode: activations stay F32 and each row is dequantized on
 * the fly inside the dot product, so the result equals a float matrix of
 * code × scale up to summation order. Static mode (a module with an input
 * scale): the activations are quantized once with the checkpoint's input
 * scale and the dots are integer per group; the output is then
 * fake-quantized with the output scale, as vLLM's W·A8·O8 scheme does.
 * Dynamic mode (the default for modules without one): the same integer
 * path with a per-token-row scale max|x|/127, like llama.cpp's 8-bit
 * activations for its quantized types. Packed 2/4-bit rows then run
 * against activations permuted to their packing (gk_cw_permute_act), and
 * the activations' block sums are computed once per call, not per row.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "mobile-model.h"

#include "gemlet-kernels.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

/* Token rows per call with integer activations (a forward micro-batch is at
 * most 256 rows). */
#define GM_CW_MAX_TOK 256

typedef struct
{
  const gm_weight *w;
  const float *x;
  const int8_t *xq;   /* NULL: float activations */
  const float *xs;    /* activation scale per token row */
  const int32_t *pre; /* block prefix sums of xq, K/32 + 1 per row; or NULL */
  bool perm;          /* xq is in gk_cw_permute_act's layout */
  gk_cw_matrix mat;   /* the weight as the kernels see a whole matrix */
  int64_t n_tok;
  float *y;
  int64_t chunk_rows;
  long n_chunks;
  atomic_long next;   /* next chunk to take */
} cw_job;

/* Threads take chunks of rows as they go (as matmul.c's kernel path does),
 * so one slowed down by another process does not hold the others back. */
#define CW_ROW_ALIGN 16
#define CW_CHUNKS_PER_THREAD 4

static void
cw_worker (void *arg, int ith, int nth)
{
  cw_job *job = arg;
  const struct gm_cw_weight *cw = job->w->cw;
  const int64_t K = job->w->ne0, N = job->w->ne1;
  long c;

  (void) ith;
  (void) nth;
  while ((c = atomic_fetch_add (&job->next, 1)) < job->n_chunks)
    {
      const int64_t r1 = (c + 1) * job->chunk_rows < N ? (c + 1) * job->chunk_rows : N;

      if (job->perm && job->n_tok == 1)
        {
          /* decode: the whole chunk in one kernel call */
          gk_cw_matvec_i8_perm (&job->mat, c * job->chunk_rows, r1, job->xq, job->pre, job->xs[0],
                                K, job->y);
          continue;
        }
      if (job->perm)
        {
          /* prefill: each weight row is read once for all the tokens */
          gk_cw_matmul_i8_perm (&job->mat, c * job->chunk_rows, r1, job->xq, job->pre, job->xs,
                                job->n_tok, K, job->y, (size_t) N);
          continue;
        }
      for (int64_t r = c * job->chunk_rows; r < r1; r++)
        {
          gk_cw_row row;

          mobile_tensor_cw_row (cw->t, r, &row);
          for (int64_t t = 0; t < job->n_tok; t++)
            {
              const int32_t *pre = job->pre != NULL ? job->pre + t * (K / 32 + 1) : NULL;
              float *yt = job->y + t * N + r;

              if (job->xq == NULL)
                *yt = gk_cw_dot_f32 (&row, job->x + t * K, K);
              else if (job->perm)
                *yt = gk_cw_dot_i8_perm (&row, job->xq + t * K, pre, job->xs[t], K);
              else
                *yt = gk_cw_dot_i8_pre (&row, job->xq + t * K, pre, job->xs[t], K);
            }
        }
    }
}

void
gm_matmul_cw (gm_pool *pool, const gm_weight *w, const float *x, int64_t n_tok, float *y,
              void *act)
{
  const struct gm_cw_weight *cw = w->cw;
  const int64_t K = w->ne0;
  cw_job job = { .w = w, .x = x, .n_tok = n_tok, .y = y };
  float xs[GM_CW_MAX_TOK];

  if ((cw->in_scale > 0.0f || cw->dynamic) && n_tok <= GM_CW_MAX_TOK)
    {
      int8_t *xq = act;

      for (int64_t t = 0; t < n_tok; t++)
        {
          xs[t] = cw->in_scale;
          if (cw->dynamic)
            xs[t] = gk_cw_absmax (x + t * K, K) / 127.0f;
          if (xs[t] > 0.0f)
            gk_cw_quant_act (x + t * K, xs[t], xq + t * K, K);
          else
            memset (xq + t * K, 0, (size_t) K);  /* an all-zero row */
        }
      job.xq = xq;
      job.xs = xs;
      if (K % 32 == 0)
        {
          /* The scratch holds 4·K bytes per row: codes (K), the block sums
           * (K/8 + 4) and, for packed 2/4-bit rows, the codes permuted to
           * the packing (K) when they fit. */
          const size_t codes = ((size_t) (n_tok * K) + 63) & ~(size_t) 63;
          const size_t sums = (size_t) n_tok * (size_t) (K / 32 + 1) * sizeof (int32_t);
          int32_t *pre = (int32_t *) ((uint8_t *) act + codes);
          int8_t *xp = (int8_t *) pre + ((sums + 63) & ~(size_t) 63);
          gk_cw_row row0;

          mobile_tensor_cw_row (cw->t, 0, &row0);
          if (gk_cw_perm_ok (&row0, K) && row0.bits == 8)
            job.perm = true;  /* the identity layout: xq as it is */
          else if (gk_cw_perm_ok (&row0, K) && 2 * codes + sums + 64 <= (size_t) (4 * n_tok * K))
            {
              for (int64_t t = 0; t < n_tok; t++)
                gk_cw_permute_act (xq + t * K, row0.bits, xp + t * K, K);
              job.xq = xp;
              job.perm = true;
            }
          for (int64_t t = 0; t < n_tok; t++)
            gk_cw_act_prefix (job.xq + t * K, K, pre + t * (K / 32 + 1));
          job.pre = pre;
        }
    }
  {
    const int64_t units = (w->ne1 + CW_ROW_ALIGN - 1) / CW_ROW_ALIGN;
    int64_t per = units / ((int64_t) gm_pool_n_threads (pool) * CW_CHUNKS_PER_THREAD);

    if (per < 1)
      per = 1;
    job.chunk_rows = per * CW_ROW_ALIGN;
    job.n_chunks = (long) ((w->ne1 + job.chunk_rows - 1) / job.chunk_rows);
  }
  mobile_tensor_cw_row (cw->t, 0, &job.mat.row0);
  job.mat.row_bytes = (size_t) cw->t->row_bytes;
  job.mat.scale_row_bytes = (size_t) cw->t->n_groups * (cw->t->scale_format == MOBILE_FMT_F32 ? 4 : 2);
  atomic_init (&job.next, 0);
  gm_pool_run (pool, cw_worker, &job);
  if (cw->out_scale > 0.0f)
    gk_cw_fake_quant (y, cw->out_scale, n_tok * w->ne1);
}
