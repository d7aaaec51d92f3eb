/* test-ops.c — forward-pass pieces against independent float64 formulas:
 * RMSNorm, NEOX RoPE (standard and proportional), GELU table, softmax,
 * activation rounding, and attention over a wrapping sliding-window ring
 * (mask at the window boundary).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gemlet-kernels.h"
#include "kv-cache.h"
#include "matmul.h"
#include "ops.h"
#include "session.h"
#include "threadpool.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-check.h"

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static double
urand (void)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (double) (rng_state >> 11) / 9007199254740992.0;
}

static float
nrand (void)
{
  return (float) (2.0 * urand () - 1.0);
}

static void
test_rms_norm (void)
{
  enum { N = 512 };
  float x[N], w[N], y[N], y2[N];
  double ss = 0.0;

  for (int i = 0; i < N; i++)
    {
      x[i] = nrand () * 3.0f;
      w[i] = nrand ();
      ss += (double) x[i] * x[i];
    }
  gm_rms_norm (x, w, y, N, 1e-6f);
  gm_rms_norm (x, NULL, y2, N, 1e-6f);
  for (int i = 0; i < N; i++)
    {
      const double r = 1.0 / sqrt (ss / N + 1e-6);
      const double ref = x[i] * r * w[i], ref2 = x[i] * r;
      CHECK (fabs (y[i] - ref) <= 1e-6 * (fabs (ref) + 1e-3), "rms_norm[%d] %g vs %g", i, y[i], ref);
      CHECK (fabs (y2[i] - ref2) <= 1e-6 * (fabs (ref2) + 1e-3), "rms_norm (no w)[%d]", i);
    }
  /* in place gives the same */
  memcpy (y2, x, sizeof x);
  gm_rms_norm (y2, w, y2, N, 1e-6f);
  CHECK (memcmp (y, y2, sizeof y) == 0, "rms_norm in place differs");
}

static void
rope_ref (const float *x, double *out, int D, int n_rot, int pos, double base, const float *ff)
{
  const int half = n_rot / 2;

  for (int i = 0; i < D; i++)
    out[i] = x[i];
  for (int i = 0; i < half; i++)
    {
      const double a = pos * pow (base, -2.0 * i / n_rot) / (ff ? ff[i] : 1.0);
      out[i] = x[i] * cos (a) - x[i + half] * sin (a);
      out[i + half] = x[i] * sin (a) + x[i + half] * cos (a);
    }
}

static void
test_rope (void)
{
  enum { D = 512 };
  float x[D], y[D], cs[D], ff[D / 2];
  double ref[D];
  const int positions[] = { 0, 1, 7, 511, 1000, 4095 };

  for (int i = 0; i < D / 2; i++)
    ff[i] = i < 64 ? 1.0f : 1e30f;

  for (size_t pi = 0; pi < sizeof positions / sizeof positions[0]; pi++)
    {
      const int pos = positions[pi];
      /* the float iterative angle drifts by a few ulps of pos·ω */
      const double tol = 2e-6 * (pos + 1) + 1e-6;

      /* SWA style: n_rot = 256 = head size, θ = 1e4 */
      for (int i = 0; i < 256; i++)
        x[i] = nrand ();
      memcpy (y, x, 256 * sizeof (float));
      gm_rope_angles (cs, pos, 256, 10000.0f, NULL);
      gm_rope_neox (y, 256, cs);
      rope_ref (x, ref, 256, 256, pos, 10000.0, NULL);
      for (int i = 0; i < 256; i++)
        CHECK (fabs (y[i] - ref[i]) <= tol, "rope swa pos %d [%d]: %g vs %g", pos, i, y[i], ref[i]);
      /* pairs are (i, i + 128), not (2i, 2i + 1) */
      if (pos == 1)
        CHECK (fabs (y[0] - (x[0] * cos (1.0) - x[128] * sin (1.0))) < 1e-6, "rope pairing");

      /* proportional: 512 dims, θ = 1e6, only pairs < 64 rotate */
      for (int i = 0; i < D; i++)
        x[i] = nrand ();
      memcpy (y, x, sizeof x);
      gm_rope_angles (cs, pos, D, 1e6f, ff);
      gm_rope_neox (y, D, cs);
      rope_ref (x, ref, D, D, pos, 1e6, ff);
      for (int i = 0; i < D; i++)
        CHECK (fabs (y[i] - ref[i]) <= tol, "rope full pos %d [%d]: %g vs %g", pos, i, y[i], ref[i]);
      for (int i = 64; i < 256; i++)
        CHECK (y[i] == x[i] && y[i + 256] == x[i + 256], "rope full pos %d: dim %d moved", pos, i);
    }
}

static double
gelu_ref (double x)
{
  return 0.5 * x * (1.0 + tanh (sqrt (2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}

static void
test_gelu (void)
{
  /* the engine runs the kernels' table GELU; check its contract against an
   * independent float64 formula */
  CHECK (gk_gelu (-10.0f, GK_GELU_TANH_TABLE) == 0.0f, "gelu(-10) must be 0");
  CHECK (gk_gelu (-50.0f, GK_GELU_TANH_TABLE) == 0.0f, "gelu(-50) must be 0");
  CHECK (gk_gelu (10.0f, GK_GELU_TANH_TABLE) == 10.0f, "gelu(10) must be 10");
  CHECK (gk_gelu (123.5f, GK_GELU_TANH_TABLE) == 123.5f, "gelu(x>10) must be x");
  for (int i = 0; i < 20000; i++)
    {
      const float x = (float) (urand () * 19.98 - 9.99);
      const float t = gk_gelu (x, GK_GELU_TANH_TABLE), e = gk_gelu (x, GK_GELU_TANH);
      const double r = gelu_ref (x);

      /* for x < 0, 1 + tanh cancels: absolute error ~ |x|·ulp(1) */
      CHECK (fabs (e - r) <= 1e-6 * fabs (r) + 1.5e-7 * fabs (x), "gelu exact %g: %g vs %g", x, e, r);
      /* fp16 input and output rounding: a few 2^-11 relative */
      CHECK (fabs (t - r) <= 2e-3 * fabs (x) + 1e-4, "gelu table %g: %g vs %g", x, t, r);
    }
}

static void
test_softmax (void)
{
  float x[9] = { 1.0f, -INFINITY, 3.0f, 0.5f, -INFINITY, 2.0f, -1.0f, 0.0f, 4.0f };
  double ref[9], sum = 0.0;

  for (int i = 0; i < 9; i++)
    {
      ref[i] = isinf (x[i]) ? 0.0 : exp ((double) x[i]);
      sum += ref[i];
    }
  gm_softmax_row (x, 9);
  for (int i = 0; i < 9; i++)
    CHECK (fabs (x[i] - ref[i] / sum) < 1e-7, "softmax[%d] %g vs %g", i, x[i], ref[i] / sum);
  CHECK (x[1] == 0.0f && x[4] == 0.0f, "masked entries must be 0");
}

static void
test_act_rounding (void)
{
  float x[256], y[256];
  float amax = 0.0f;

  for (int i = 0; i < 256; i++)
    x[i] = nrand () * 5.0f;
  memcpy (y, x, sizeof x);
  gm_mm_round_activations (GK_TYPE_Q4_0, y, 256);
  for (int b = 0; b < 256; b += 32)
    {
      amax = 0.0f;
      for (int j = 0; j < 32; j++)
        amax = fmaxf (amax, fabsf (x[b + j]));
      for (int j = 0; j < 32; j++)
        CHECK (fabs (y[b + j] - x[b + j]) <= amax / 127.0 * 0.58 /* + fp16 scale */,
               "q8_0 rounding [%d]", b + j);
    }
  memcpy (y, x, sizeof x);
  gm_mm_round_activations (GK_TYPE_Q6_K, y, 256);
  amax = 0.0f;
  for (int j = 0; j < 256; j++)
    amax = fmaxf (amax, fabsf (x[j]));
  for (int j = 0; j < 256; j++)
    CHECK (fabs (y[j] - x[j]) <= amax / 127.0 * 0.51, "q8_K rounding [%d]", j);
  memcpy (y, x, sizeof x);
  gm_mm_round_activations (GK_TYPE_F32, y, 256);
  CHECK (memcmp (x, y, sizeof x) == 0, "F32 activations must stay");
}

/* Attention through a ring that wraps, window boundary included: the
 * engine's result for each query must equal a float64 softmax over exactly
 * the keys with 0 ≤ pos_q − pos_k < n_swa (or ≤ pos_q on full layers). */
static void
test_attention_ring (bool swa, uint32_t n_kv_head)
{
  enum { NH = 4, D = 16, NCTX = 600, UB = 5, NSWA = 8 };
  gm_model *model = calloc (1, sizeof *model);
  gm_session *s = calloc (1, sizeof *s);
  gm_hparams *hp = &model->hp;
  const uint32_t width = n_kv_head * D;
  float *allk = malloc (sizeof (float) * NCTX * width);
  float *allv = malloc (sizeof (float) * NCTX * width);
  float q[UB * NH * D], out[UB * NH * D];
  int32_t pos[UB];

  hp->n_layer = 1;
  hp->n_head = NH;
  hp->n_head_kv[0] = n_kv_head;
  hp->head_dim_swa = hp->head_dim_full = D;
  hp->is_swa[0] = swa;
  hp->kv_source[0] = 0;
  hp->n_swa = NSWA;
  s->model = model;
  s->n_threads = 2;
  s->pool = gm_pool_new (2);
  CHECK (gm_kv_init (&s->kv, hp, NCTX, UB, 0, false), "kv init");
  if (swa)
    CHECK (s->kv.swa.cap == GM_KV_PAD && s->kv.swa.cap < NCTX, "swa ring cap %u", s->kv.swa.cap);
  s->scr.scores = calloc (2, sizeof (float *));
  for (int i = 0; i < 2; i++)
    s->scr.scores[i] = malloc (sizeof (float) * GM_ATTN_QCHUNK * s->kv.full.cap);

  for (int32_t p0 = 0; p0 < NCTX; p0 += UB)
    {
      const int32_t n = NCTX - p0 < UB ? NCTX - p0 : UB;
      gm_kv_layer *c = &s->kv.layers[0];

      gm_kv_begin (&s->kv, p0, n);
      for (int32_t t = 0; t < n; t++)
        {
          const uint32_t slot = gm_kv_slot (c->ring, p0 + t);
          pos[t] = p0 + t;
          for (uint32_t i = 0; i < width; i++)
            {
              allk[(p0 + t) * width + i] = nrand () * 2.0f;
              allv[(p0 + t) * width + i] = nrand ();
            }
          gm_kv_store (c, slot, allk + (p0 + t) * width, allv + (p0 + t) * width);
        }
      for (int i = 0; i < n * NH * D; i++)
        q[i] = nrand () * 2.0f;
      gm_attention (s, 0, n, pos, q, out);

      for (int32_t t = 0; t < n; t++)
        for (int h = 0; h < NH; h++)
          {
            const int j = h / (NH / (int) n_kv_head);
            const int32_t pq = p0 + t;
            static double sc[NCTX];
            double mx = -INFINITY, sum = 0.0;

            for (int32_t pk = 0; pk < NCTX; pk++)
              {
                const bool vis = pk <= pq && (!swa || pq - pk < NSWA);
                sc[pk] = -INFINITY;
                if (vis)
                  {
                    double d = 0.0;
                    for (int i = 0; i < D; i++)
                      d += (double) q[(t * NH + h) * D + i] * allk[pk * width + j * D + i];
                    sc[pk] = d;
                    mx = fmax (mx, d);
                  }
              }
            for (int32_t pk = 0; pk < NCTX; pk++)
              {
                sc[pk] = isinf (sc[pk]) ? 0.0 : exp (sc[pk] - mx);
                sum += sc[pk];
              }
            for (int i = 0; i < D; i++)
              {
                double o = 0.0;
                for (int32_t pk = 0; pk < NCTX; pk++)
                  o += sc[pk] / sum * allv[pk * width + j * D + i];
                CHECK (fabs (out[(t * NH + h) * D + i] - o) < 2e-5,
                       "attention %s kvh %u pos %d head %d dim %d: %g vs %g", swa ? "swa" : "full",
                       n_kv_head, pq, h, i, out[(t * NH + h) * D + i], o);
              }
          }
    }

  /* truncation inside the ring keeps what the next position needs ... */
  if (swa)
    {
      CHECK (gm_kv_truncate (&s->kv, NCTX - 2), "short truncate must keep the window");
      /* ... but going back further than the ring holds needs re-evaluation */
      CHECK (!gm_kv_truncate (&s->kv, NCTX - 300), "long truncate must report lost keys");
    }
  else
    CHECK (gm_kv_truncate (&s->kv, 3), "full cache truncate");

  for (int i = 0; i < 2; i++)
    free (s->scr.scores[i]);
  free (s->scr.scores);
  gm_kv_free (&s->kv);
  gm_pool_free (s->pool);
  free (allk);
  free (allv);
  free (s);
  free (model);
}

typedef struct
{
  int hits[8];
} pool_probe;

static void
pool_fn (void *arg, int ith, int nth)
{
  pool_probe *p = arg;
  (void) nth;
  p->hits[ith]++;
}

static void
test_pool (void)
{
  gm_pool *pool = gm_pool_new (3);
  pool_probe probe = { { 0 } };

  for (int i = 0; i < 1000; i++)
    gm_pool_run (pool, pool_fn, &probe);
  for (int i = 0; i < 3; i++)
    CHECK (probe.hits[i] == 1000, "pool thread %d ran %d jobs", i, probe.hits[i]);
  gm_pool_free (pool);
}

int
main (void)
{
  test_rms_norm ();
  test_rope ();
  test_gelu ();
  test_softmax ();
  test_act_rounding ();
  test_pool ();
  test_attention_ring (true, 1);
  test_attention_ring (true, 2);
  test_attention_ring (false, 2);
  if (failures)
    fprintf (stderr, "%d failures\n", failures);
  return failures ? 1 : 0;
}
