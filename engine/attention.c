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
          float *qf = job->s->scr.qf[ith];

          /* Q rounded goes back to floats (exactly), so each K row is
           * converted once for all the query rows; the values product keeps
           * the F16 probabilities (gk_matmul blocks its long rows for the
           * caches, which a per-row tile over n_slots would not) */
          for (int32_t r = 0; r < qc; r++)
            gk_fp32_to_fp16_row (Q + (size_t) r * ldq, h16 + (size_t) r * D, D);
          gk_fp16_to_fp32_row (h16, qf, (int64_t) qc * D);
          gk_matmul_f16_f32 (K, width * sizeof (uint16_t), D, 0, (int64_t) ns, qf,
                             (size_t) D * sizeof (float), qc, S, ns);
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

/* ---- one query (decode) ----
 *
 * The per-(head, query chunk) tasks above read a layer's whole K and V once
 * per query head: on E2B, 8 query heads share one K/V head, so at depth d a
 * full layer streams 8 × d × 4 KiB instead of d × 4 KiB. For a single query
 * the heads sharing a K/V head are done together instead (one pass over K
 * gives the scores of all of them), and the work is split over slots
 * (scores) and output dimensions (values), so each thread streams a disjoint
 * part of the cache. Sliding-window layers scan only the slots of the
 * window (one or two ranges of the ring) instead of the whole ring. Every
 * score and output element is the same dot product as in attn_worker (the
 * masked slots only ever contributed zeros), so results are identical.
 * Three pool runs: scores; mask and softmax (and F16 rounding); values. */
typedef struct
{
  const attn_job *job;
  float *S;              /* n_head rows of n_slots scores */
  uint16_t *h16;         /* F16 cache: Q, then the probabilities */
  uint32_t lo[2], hi[2]; /* slot ranges that hold positions the query may see */
} dec_job;

/* slot split granularity: whole cache lines of F32 and F16 rows */
#define DEC_ALIGN 16

static void
split (uint32_t lo, uint32_t hi, int ith, int nth, uint32_t *a, uint32_t *b)
{
  const uint32_t n = hi > lo ? hi - lo : 0;
  const uint32_t per = ((n + (uint32_t) nth - 1) / (uint32_t) nth + DEC_ALIGN - 1) / DEC_ALIGN * DEC_ALIGN;
  const uint64_t start = (uint64_t) lo + (uint64_t) per * (uint64_t) ith;

  *a = start < hi ? (uint32_t) start : hi;
  *b = (uint64_t) *a + per < hi ? *a + per : hi;
}

static void
dec_scores (void *arg, int ith, int nth)
{
  const dec_job *d = arg;
  const attn_job *job = d->job;
  const int group = job->n_head / job->n_head_kv, D = job->D;
  const size_t width = job->cache->width, ns = job->n_slots;

  for (int r = 0; r < 2; r++)
    {
      uint32_t a, b;

      split (d->lo[r], d->hi[r], ith, nth, &a, &b);
      if (b <= a)
        continue;
      for (int j = 0; j < job->n_head_kv; j++)
        {
          float *S = d->S + (size_t) j * group * ns;

          if (job->cache->f16)
            gk_matmul (GK_TYPE_F16, (const uint16_t *) job->cache->k + (size_t) j * D,
                       width * sizeof (uint16_t), D, a, b, d->h16 + (size_t) j * group * D,
                       (size_t) D * sizeof (uint16_t), group, S, ns);
          else
            gk_matmul (GK_TYPE_F32, (const float *) job->cache->k + (size_t) j * D,
                       width * sizeof (float), D, a, b, job->q + (size_t) j * group * D,
                       (size_t) D * sizeof (float), group, S, ns);
        }
    }
}

static void
dec_softmax (void *arg, int ith, int nth)
{
  const dec_job *d = arg;
  const attn_job *job = d->job;
  const size_t ns = job->n_slots;
  const int32_t *slot_pos = job->cache->ring->pos;
  const int32_t pq = job->pos[0], n_swa = (int32_t) job->s->kv.n_swa;

  for (int h = ith; h < job->n_head; h += nth)
    {
      float *row = d->S + (size_t) h * ns;

      for (size_t i = 0; i < ns; i++)
        {
          const int32_t pk = slot_pos[i];
          const bool scanned = (i >= d->lo[0] && i < d->hi[0]) || (i >= d->lo[1] && i < d->hi[1]);

          if (!scanned || pk < 0 || pk > pq || (job->swa && pq - pk >= n_swa))
            row[i] = -INFINITY;
        }
      gk_softmax (row, (int64_t) ns);
      if (job->cache->f16)
        gk_fp32_to_fp16_row (row, d->h16 + (size_t) h * ns, (int64_t) ns);
    }
}

static void
dec_values (void *arg, int ith, int nth)
{
  const dec_job *d = arg;
  const attn_job *job = d->job;
  const int group = job->n_head / job->n_head_kv, D = job->D;
  const size_t cap = job->cache->ring->cap, ns = job->n_slots;
  uint32_t a, b;

  split (0, (uint32_t) D, ith, nth, &a, &b); /* rows of Vt: output dimensions */
  if (b <= a)
    return;
  for (int j = 0; j < job->n_head_kv; j++)
    {
      float *O = job->out + (size_t) j * group * D;

      if (job->cache->f16)
        gk_matmul (GK_TYPE_F16, (const uint16_t *) job->cache->v + (size_t) j * D * cap,
                   cap * sizeof (uint16_t), (int64_t) ns, a, b, d->h16 + (size_t) j * group * ns,
                   ns * sizeof (uint16_t), group, O, D);
      else
        gk_matmul (GK_TYPE_F32, (const float *) job->cache->v + (size_t) j * D * cap,
                   cap * sizeof (float), (int64_t) ns, a, b, d->S + (size_t) j * group * ns,
                   ns * sizeof (float), group, O, D);
    }
}

static void
attention_one (gm_session *s, attn_job *job)
{
  const gm_kv_ring *ring = job->cache->ring;
  dec_job d = { .job = job, .S = s->scr.scores[0], .h16 = s->scr.half[0],
                .lo = { 0, 0 }, .hi = { job->n_slots, 0 } };

  if (job->swa)
    {
      /* the window: positions max(0, pq − n_swa + 1) … pq, in ring order */
      const int32_t pq = job->pos[0];
      const int32_t first = pq - (int32_t) s->kv.n_swa + 1 > 0 ? pq - (int32_t) s->kv.n_swa + 1 : 0;
      const uint32_t a = gm_kv_slot (ring, first), b = gm_kv_slot (ring, pq) + 1;

      if (a < b)
        d.lo[0] = a, d.hi[0] = b;
      else
        d.lo[0] = a, d.hi[0] = job->n_slots, d.lo[1] = 0, d.hi[1] = b;
      if (d.hi[0] > job->n_slots)
        d.hi[0] = job->n_slots;
    }
  if (job->cache->f16)
    gk_fp32_to_fp16_row (job->q, d.h16, (int64_t) job->n_head * job->D);
  gm_pool_run (s->pool, dec_scores, &d);
  gm_pool_run (s->pool, dec_softmax, &d);
  gm_pool_run (s->pool, dec_values, &d);
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

  /* the score buffer of thread 0 holds GM_ATTN_QCHUNK rows of n_slots */
  if (n == 1 && job.n_head <= GM_ATTN_QCHUNK)
    attention_one (s, &job);
  else
    gm_pool_run (s->pool, attn_worker, &job);
}
