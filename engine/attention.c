/* attention.c — causal / sliding-window attention over the KV cache.
 *
 * Scale 1.0 (Gemma 4 normalizes Q and K instead), no logit soft-cap. Work is
 * split into (head, query chunk) tasks across the pool. Each task computes
 * its score rows as dot products of Q with the K rows of every scanned slot,
 * masks by the position each slot holds, applies the softmax and takes dot
 * products of the probabilities with the transposed V rows — the same
 * products, in the same order, as llama.cpp's non-flash path, done by the
 * kernels library's F32 dot product.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "session.h"

#include "gemlet-kernels.h"

#include <math.h>

typedef struct
{
  gm_session *s;
  const gm_kv_layer *cache;
  bool swa;
  int32_t n;
  const int32_t *pos;
  const float *q;
  float *out;
  int n_head, n_head_kv, D;
  uint32_t n_slots;
} attn_job;

/* Masks qc score rows of ns slots by position, then softmax. */
static void
mask_softmax (const attn_job *job, int32_t t0, int32_t qc, float *S)
{
  const int32_t *slot_pos = job->cache->ring->pos;
  const int32_t n_swa = (int32_t) job->s->kv.n_swa;
  const size_t ns = job->n_slots;

  for (int32_t r = 0; r < qc; r++)
    {
      const int32_t pq = job->pos[t0 + r];
      float *row = S + (size_t) r * ns;

      for (size_t i = 0; i < ns; i++)
        {
          const int32_t pk = slot_pos[i];
          if (pk < 0 || pk > pq || (job->swa && pq - pk >= n_swa))
            row[i] = -INFINITY;
        }
      gk_softmax (row, (int64_t) ns);
    }
}

static void
attn_worker (void *arg, int ith, int nth)
{
  const attn_job *job = arg;
  const int32_t n_chunks = (job->n + GM_ATTN_QCHUNK - 1) / GM_ATTN_QCHUNK;
  const int n_tasks = job->n_head * n_chunks;
  const int group = job->n_head / job->n_head_kv;
  const int D = job->D;
  const size_t ldq = (size_t) job->n_head * D;
  const size_t width = job->cache->width;
  const size_t cap = job->cache->ring->cap;
  const size_t ns = job->n_slots;
  float *S = job->s->scr.scores[ith];

  for (int task = ith; task < n_tasks; task += nth)
    {
      const int h = task % job->n_head;
      const int j = h / group;
      const int32_t t0 = (task / job->n_head) * GM_ATTN_QCHUNK;
      const int32_t qc = job->n - t0 < GM_ATTN_QCHUNK ? job->n - t0 : GM_ATTN_QCHUNK;
      const float *Q = job->q + (size_t) t0 * ldq + (size_t) h * D;
      float *O = job->out + (size_t) t0 * ldq + (size_t) h * D;

      if (job->cache->f16)
        {
          /* as llama.cpp with an F16 cache: Q and the probabilities are
           * rounded to F16 for the two products */
          const uint16_t *K = (const uint16_t *) job->cache->k + (size_t) j * D;
          const uint16_t *Vt = (const uint16_t *) job->cache->v + (size_t) j * D * cap;
          uint16_t *h16 = job->s->scr.half[ith];

          for (int32_t r = 0; r < qc; r++)
            gk_fp32_to_fp16_row (Q + (size_t) r * ldq, h16 + (size_t) r * D, D);
          gk_matmul (GK_TYPE_F16, K, width * sizeof (uint16_t), D, 0, (int64_t) ns, h16,
                     (size_t) D * sizeof (uint16_t), qc, S, ns);
          mask_softmax (job, t0, qc, S);
          gk_fp32_to_fp16_row (S, h16, (int64_t) qc * (int64_t) ns);
          gk_matmul (GK_TYPE_F16, Vt, cap * sizeof (uint16_t), (int64_t) ns, 0, D, h16,
                     ns * sizeof (uint16_t), qc, O, ldq);
        }
      else
        {
          const float *K = (const float *) job->cache->k + (size_t) j * D;
          const float *Vt = (const float *) job->cache->v + (size_t) j * D * cap;

          /* S[r][slot] = K[slot] · Q[r] */
          gk_matmul (GK_TYPE_F32, K, width * sizeof (float), D, 0, (int64_t) ns, Q,
                     ldq * sizeof (float), qc, S, ns);
          mask_softmax (job, t0, qc, S);
          /* O[r][d] = Vt[d] · S[r] */
          gk_matmul (GK_TYPE_F32, Vt, cap * sizeof (float), (int64_t) ns, 0, D, S,
                     ns * sizeof (float), qc, O, ldq);
        }
    }
}

void
gm_attention (gm_session *s, uint32_t il, int32_t n, const int32_t *pos, const float *q,
              float *out)
{
  const gm_hparams *hp = &s->model->hp;
  const gm_kv_layer *cache = &s->kv.layers[hp->kv_source[il]];
  attn_job job = {
    .s = s,
    .cache = cache,
    .swa = hp->is_swa[il],
    .n = n,
    .pos = pos,
    .q = q,
    .out = out,
    .n_head = (int) hp->n_head,
    .n_head_kv = (int) hp->n_head_kv[hp->kv_source[il]],
    .D = (int) gm_hparams_head_dim (hp, il),
    .n_slots = gm_kv_n_slots (cache->ring, pos[n - 1] + 1),
  };

  gm_pool_run (s->pool, attn_worker, &job);
}
