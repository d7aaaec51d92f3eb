/* matmul.c — weight × activations, reference path (dequantize + OpenBLAS).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "matmul.h"

#include "gemlet-kernels.h"
#include "mobile-model.h"

#include <cblas.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Dequantized weight rows per block: about 1 MiB of floats per thread keeps
 * the block in L2 while it is multiplied. */
#define DEQ_FLOATS (256 * 1024)

struct gm_mm
{
  gm_pool *pool;
  int n_threads;
  int64_t max_row, max_tok;
  bool reference;
  float **deq;    /* per thread, DEQ_FLOATS or max_row floats, whichever is larger */
  size_t deq_floats;
  float *act;     /* rounded copy of the activations, max_tok × max_row */
  size_t act_bytes;
  bool panels;    /* prefill panels allowed (GEMLET_NO_PANEL=1 turns them off) */
};

gm_mm *
gm_mm_new (gm_pool *pool, int64_t max_row, int64_t max_tok, bool reference)
{
  gm_mm *mm = calloc (1, sizeof *mm);

  if (mm == NULL)
    return NULL;
  mm->pool = pool;
  mm->n_threads = gm_pool_n_threads (pool);
  mm->max_row = max_row;
  mm->max_tok = max_tok;
  mm->reference = reference;
  {
    const char *np = getenv ("GEMLET_NO_PANEL");
    mm->panels = np == NULL || strcmp (np, "1") != 0;
  }
  mm->deq_floats = (size_t) (max_row > DEQ_FLOATS ? max_row : DEQ_FLOATS);
  mm->deq = calloc ((size_t) mm->n_threads, sizeof *mm->deq);
  mm->act_bytes = (size_t) max_row * (size_t) max_tok * sizeof (float);
  mm->act = malloc (mm->act_bytes);
  if (mm->deq == NULL || mm->act == NULL)
    {
      gm_mm_free (mm);
      return NULL;
    }
  for (int i = 0; i < mm->n_threads; i++)
    {
      mm->deq[i] = malloc (mm->deq_floats * sizeof (float));
      if (mm->deq[i] == NULL)
        {
          gm_mm_free (mm);
          return NULL;
        }
    }
  /* Our pool already owns the cores: OpenBLAS must run in the caller. */
  openblas_set_num_threads (1);
  return mm;
}

void
gm_mm_free (gm_mm *mm)
{
  if (mm == NULL)
    return;
  if (mm->deq != NULL)
    for (int i = 0; i < mm->n_threads; i++)
      free (mm->deq[i]);
  free (mm->deq);
  free (mm->act);
  free (mm);
}

uint64_t
gm_mm_scratch_bytes (const gm_mm *mm)
{
  return (uint64_t) mm->n_threads * mm->deq_floats * sizeof (float)
         + (uint64_t) mm->max_row * (uint64_t) mm->max_tok * sizeof (float);
}

const char *
gm_mm_path (const gm_mm *mm)
{
  return mm->reference ? "reference (dequantize + OpenBLAS)" : "kernels (quantized dot products)";
}

/* ------------------------------------------------- activation rounding */

/* Q8_0 as ggml's x86 SIMD quantizer does it: 127/max as the inverse scale,
 * round to nearest even, scale stored as fp16. */
static void
round_q8_0 (float *x, int64_t n)
{
  for (int64_t b = 0; b + 32 <= n; b += 32)
    {
      float amax = 0.0f, id, d;

      for (int j = 0; j < 32; j++)
        amax = fmaxf (amax, fabsf (x[b + j]));
      d = gk_fp16_to_fp32 (gk_fp32_to_fp16 (amax / 127.0f));
      id = amax != 0.0f ? 127.0f / amax : 0.0f;
      for (int j = 0; j < 32; j++)
        x[b + j] = nearbyintf (x[b + j] * id) * d;
    }
}

/* Q8_K (ggml's reference quantizer, also what x86 uses): scale from the
 * signed extreme, F32 scale. */
static void
round_q8_k (float *x, int64_t n)
{
  for (int64_t b = 0; b + 256 <= n; b += 256)
    {
      float amax = 0.0f, max = 0.0f, iscale, d;

      for (int j = 0; j < 256; j++)
        {
          const float ax = fabsf (x[b + j]);
          if (ax > amax)
            {
              amax = ax;
              max = x[b + j];
            }
        }
      if (amax == 0.0f)
        {
          memset (x + b, 0, 256 * sizeof (float));
          continue;
        }
      iscale = -127.0f / max;
      d = 1.0f / iscale;
      for (int j = 0; j < 256; j++)
        {
          float q = nearbyintf (iscale * x[b + j]);
          if (q > 127.0f)
            q = 127.0f;
          x[b + j] = d * q;
        }
    }
}

void
gm_mm_round_activations (uint32_t weight_type, float *x, int64_t n)
{
  switch (weight_type)
    {
    case GK_TYPE_F16:
      for (int64_t i = 0; i < n; i++)
        x[i] = gk_fp16_to_fp32 (gk_fp32_to_fp16 (x[i]));
      break;
    case GK_TYPE_BF16:
      for (int64_t i = 0; i < n; i++)
        x[i] = gk_bf16_to_fp32 (gk_fp32_to_bf16 (x[i]));
      break;
    case GK_TYPE_Q4_0:
    case GK_TYPE_Q4_1:
    case GK_TYPE_Q5_0:
    case GK_TYPE_Q5_1:
    case GK_TYPE_Q8_0:
      round_q8_0 (x, n);
      break;
    case GK_TYPE_Q2_K:
    case GK_TYPE_Q3_K:
    case GK_TYPE_Q4_K:
    case GK_TYPE_Q5_K:
    case GK_TYPE_Q6_K:
      round_q8_k (x, n);
      break;
    default:
      break;
    }
}

/* ----------------------------------------------------------- reference */

typedef struct
{
  gm_mm *mm;
  const gm_weight *w;
  const float *x;
  int64_t n_tok;
  float *y;
} mm_job;

static void
mm_ref_worker (void *arg, int ith, int nth)
{
  const mm_job *job = arg;
  const gm_weight *w = job->w;
  const int64_t K = w->ne0, N = w->ne1;
  float *deq = job->mm->deq[ith];
  int64_t rb = (int64_t) job->mm->deq_floats / K;
  long lo, hi;

  if (rb < 1)
    rb = 1;
  gm_pool_split ((long) N, ith, nth, &lo, &hi);
  for (int64_t r0 = lo; r0 < hi; r0 += rb)
    {
      const int64_t nb = hi - r0 < rb ? hi - r0 : rb;
      const float *wb;

      if (w->type == GK_TYPE_F32)
        wb = (const float *) (w->data + (size_t) r0 * w->row_bytes);
      else
        {
          for (int64_t r = 0; r < nb; r++)
            gk_dequantize_row (w->type, w->data + (size_t) (r0 + r) * w->row_bytes,
                               deq + r * K, K);
          wb = deq;
        }
      if (job->n_tok == 1)
        cblas_sgemv (CblasRowMajor, CblasNoTrans, (int) nb, (int) K, 1.0f, wb, (int) K,
                     job->x, 1, 0.0f, job->y + r0, 1);
      else
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) job->n_tok, (int) nb,
                     (int) K, 1.0f, job->x, (int) K, wb, (int) K, 0.0f, job->y + r0, (int) N);
    }
}

/* ------------------------------------------------------------- kernels */

/* Weights sharing one input in one job (q/k/v, gate/up): one activation
 * conversion, one pool run, and one queue of chunks, so a thread that
 * finishes its share of one weight goes straight on to the next. */
#define FAST_MAX_W 3

typedef struct
{
  int n_w;
  const gm_weight *w[FAST_MAX_W];
  float *y[FAST_MAX_W];
  int64_t chunk_rows[FAST_MAX_W];
  long first_chunk[FAST_MAX_W + 1]; /* chunks of weight i: [first_chunk[i], first_chunk[i+1]) */
  const void *xq;    /* activation rows, or the panel when panel */
  bool panel;
  size_t xq_row_bytes;
  int64_t n_tok;
  float softcap;     /* > 0: gk_softcap on each chunk */
  atomic_long next;  /* next chunk to take */
} fast_job;

/* Rows per chunk are a multiple of this, which keeps chunks cache-line
 * aligned in y and big enough to amortize the per-call tile setup. */
#define FAST_ROW_ALIGN 16
/* Chunks per thread: threads take chunks as they go, so one slowed down by
 * another process on its core does not hold the others back much. */
#define FAST_CHUNKS_PER_THREAD 4

static void
mm_fast_worker (void *arg, int ith, int nth)
{
  fast_job *job = arg;
  long c;
  int i = 0;

  (void) ith;
  (void) nth;
  while ((c = atomic_fetch_add (&job->next, 1)) < job->first_chunk[job->n_w])
    {
      while (c >= job->first_chunk[i + 1])
        i++;
      const gm_weight *w = job->w[i];
      float *y = job->y[i];
      const int64_t r0 = (int64_t) (c - job->first_chunk[i]) * job->chunk_rows[i];
      const int64_t r1 = r0 + job->chunk_rows[i] < w->ne1 ? r0 + job->chunk_rows[i] : w->ne1;

      if (job->panel)
        gk_matmul_panel (w->type, w->data, w->row_bytes, w->ne0, r0, r1, job->xq, job->n_tok, y,
                         (size_t) w->ne1);
      else
        gk_matmul (w->type, w->data, w->row_bytes, w->ne0, r0, r1, job->xq, job->xq_row_bytes,
                   job->n_tok, y, (size_t) w->ne1);
      if (job->softcap > 0.0f)
        for (int64_t t = 0; t < job->n_tok; t++)
          gk_softcap (y + t * w->ne1 + r0, r1 - r0, job->softcap);
    }
}

typedef struct
{
  const gm_weight *w;
  const float *x;
  int64_t n_tok;
  void *panel;
} pack_job;

static void
pack_worker (void *arg, int ith, int nth)
{
  const pack_job *job = arg;
  long lo, hi;

  gm_pool_split ((long) gk_panel_strips (job->n_tok), ith, nth, &lo, &hi);
  gk_panel_pack (job->w->type, job->x, job->w->ne0, job->n_tok, lo, hi, job->panel);
}

/* n_w weights of the same type and row length, all applied to x */
static bool
matmul_fast (gm_mm *mm, int n_w, const gm_weight *const *ws, const float *x, int64_t n_tok,
             float *const *ys, float softcap)
{
  const gm_weight *w = ws[0];
  const uint32_t vt = gk_vec_dot_type (w->type);
  const size_t panel_bytes = gk_panel_bytes (w->type, w->ne0, n_tok);
  fast_job job;

  if (vt == GK_TYPE_COUNT)
    return false;
  job.xq_row_bytes = gk_row_size (vt, w->ne0);
  if (job.xq_row_bytes == 0)
    return false;
  job.panel = mm->panels && panel_bytes > 0 && panel_bytes <= mm->act_bytes;
  if (job.panel)
    {
      /* a micro-batch: columns side by side for the prefill kernels, packed
       * by all threads */
      pack_job pj = { w, x, n_tok, mm->act };
      gm_pool_run (mm->pool, pack_worker, &pj);
    }
  else
    /* the float scratch is at least as large as any quantized copy */
    for (int64_t t = 0; t < n_tok; t++)
      gk_quantize_act (vt, x + t * w->ne0, (uint8_t *) mm->act + (size_t) t * job.xq_row_bytes,
                       w->ne0);
  job.n_w = n_w;
  job.xq = mm->act;
  job.n_tok = n_tok;
  job.softcap = softcap;
  job.first_chunk[0] = 0;
  for (int i = 0; i < n_w; i++)
    {
      const int64_t units = (ws[i]->ne1 + FAST_ROW_ALIGN - 1) / FAST_ROW_ALIGN;
      int64_t per = units / ((int64_t) mm->n_threads * FAST_CHUNKS_PER_THREAD);

      if (per < 1)
        per = 1;
      job.w[i] = ws[i];
      job.y[i] = ys[i];
      job.chunk_rows[i] = per * FAST_ROW_ALIGN;
      job.first_chunk[i + 1] = job.first_chunk[i]
                               + (long) ((ws[i]->ne1 + job.chunk_rows[i] - 1) / job.chunk_rows[i]);
    }
  atomic_init (&job.next, 0);
  gm_pool_run (mm->pool, mm_fast_worker, &job);
  return true;
}

static void
matmul_any (gm_mm *mm, const gm_weight *w, const float *x, int64_t n_tok, float *y, float softcap)
{
  mm_job job = { mm, w, x, n_tok, y };
  const int64_t n = n_tok * w->ne0;

  if (w->cw != NULL)
    {
      /* mobile checkpoints: channel-wise integer rows (matmul-chanwise.c) */
      gm_matmul_cw (mm->pool, w, x, n_tok, y, mm->act);
      if (softcap > 0.0f)
        gk_softcap (y, n_tok * w->ne1, softcap);
      return;
    }
  if (!mm->reference && matmul_fast (mm, 1, &w, x, n_tok, &y, softcap))
    return;

  if (w->type != GK_TYPE_F32)
    {
      /* llama.cpp rounds activations to the weight's dot type first */
      memcpy (mm->act, x, (size_t) n * sizeof (float));
      for (int64_t t = 0; t < n_tok; t++)
        gm_mm_round_activations (w->type, mm->act + t * w->ne0, w->ne0);
      job.x = mm->act;
    }
  gm_pool_run (mm->pool, mm_ref_worker, &job);
  if (softcap > 0.0f)
    gk_softcap (y, n_tok * w->ne1, softcap);
}

void
gm_matmul (gm_mm *mm, const gm_weight *w, const float *x, int64_t n_tok, float *y)
{
  matmul_any (mm, w, x, n_tok, y, 0.0f);
}

void
gm_matmul_softcap (gm_mm *mm, const gm_weight *w, const float *x, int64_t n_tok, float *y,
                   float softcap)
{
  matmul_any (mm, w, x, n_tok, y, softcap);
}

void
gm_matmul_multi (gm_mm *mm, int n_w, const gm_weight *const *w, const float *x, int64_t n_tok,
                 float *const *y)
{
  bool same = n_w >= 1 && n_w <= FAST_MAX_W && !mm->reference;

  for (int i = 0; same && i < n_w; i++)
    same = w[i]->cw == NULL && w[i]->type == w[0]->type && w[i]->ne0 == w[0]->ne0;
  if (same && matmul_fast (mm, n_w, w, x, n_tok, y, 0.0f))
    return;
  for (int i = 0; i < n_w; i++)
    gm_matmul (mm, w[i], x, n_tok, y[i]);
}
