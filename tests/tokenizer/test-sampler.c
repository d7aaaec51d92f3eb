/* test-sampler.c — greedy, penalties, top-k/top-p/min-p semantics on crafted
 * logits, reproducibility, and a full-size vocabulary sanity run.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gemlet.h"
#include "tt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static gm_sampling
params (void)
{
  gm_sampling p;
  gm_sampling_init (&p);
  return p;
}

/* Samples n times from fresh copies of logits; counts[] gets the ids. */
static void
histogram (const gm_sampling *p, const float *logits, int32_t nv, int *counts, int n)
{
  gm_sampler *s = gm_sampler_new (p);
  float *tmp = malloc ((size_t) nv * sizeof *tmp);

  memset (counts, 0, (size_t) nv * sizeof *counts);
  for (int i = 0; i < n; i++)
    {
      int32_t id;
      memcpy (tmp, logits, (size_t) nv * sizeof *tmp);
      id = gm_sampler_sample (s, tmp, nv, NULL, 0);
      CHECK (id >= 0 && id < nv);
      if (id >= 0 && id < nv)
        counts[id]++;
    }
  free (tmp);
  gm_sampler_free (s);
}

static void
test_defaults (void)
{
  gm_sampling p = params ();

  CHECK (!p.greedy);
  CHECK (p.temperature == 1.0f);
  CHECK_EQ_I (p.top_k, 64);
  CHECK (p.top_p == 0.95f);
  CHECK (p.min_p == 0.0f);
  CHECK (p.repeat_penalty == 1.0f);
  CHECK (p.presence_penalty == 0.0f);
  CHECK_EQ_I (p.penalty_last_n, 64);
}

static void
test_greedy (void)
{
  gm_sampling p = params ();
  gm_sampler *s;
  float l1[] = { 1.0f, 3.0f, 2.0f, 3.0f };
  float l2[] = { NAN, -1.0f, -1.0f };
  float l3[] = { -INFINITY, -INFINITY };
  int32_t hist[] = { 1, 1, 1 };

  p.greedy = true;
  p.repeat_penalty = 10.0f; /* ignored when greedy */
  s = gm_sampler_new (&p);
  CHECK_EQ_I (gm_sampler_sample (s, l1, 4, hist, 3), 1); /* tie → lowest id */
  CHECK_EQ_I (gm_sampler_sample (s, l2, 3, NULL, 0), 1); /* NaN never wins */
  CHECK_EQ_I (gm_sampler_sample (s, l3, 2, NULL, 0), 0);
  CHECK_EQ_I (gm_sampler_sample (s, NULL, 2, NULL, 0), -1);
  CHECK_EQ_I (gm_sampler_sample (s, l3, 0, NULL, 0), -1);
  CHECK_EQ_I (gm_sampler_sample (NULL, l3, 2, NULL, 0), -1);
  gm_sampler_free (s);

  /* temperature 0 also means arg-max (after penalties). */
  p = params ();
  p.temperature = 0.0f;
  s = gm_sampler_new (&p);
  {
    float l[] = { 0.5f, 2.0f, 2.0f };
    CHECK_EQ_I (gm_sampler_sample (s, l, 3, NULL, 0), 1);
  }
  gm_sampler_free (s);
}

static void
test_penalties (void)
{
  gm_sampling p = params ();
  gm_sampler *s;

  /* top_k = 1 makes the draw deterministic: the best after penalties. */
  p.top_k = 1;
  p.repeat_penalty = 2.0f;
  s = gm_sampler_new (&p);
  {
    float l[] = { 2.0f, 1.5f };
    int32_t h[] = { 0, 0, 0 }; /* once per distinct token, not per occurrence */
    CHECK_EQ_I (gm_sampler_sample (s, l, 2, h, 3), 1);
    CHECK (l[0] == 1.0f && l[1] == 1.5f);
  }
  {
    float l[] = { -1.0f, -1.5f }; /* negative logits are multiplied */
    int32_t h[] = { 0 };
    CHECK_EQ_I (gm_sampler_sample (s, l, 2, h, 1), 1);
    CHECK (l[0] == -2.0f);
  }
  gm_sampler_free (s);

  p = params ();
  p.top_k = 1;
  p.presence_penalty = 0.5f;
  s = gm_sampler_new (&p);
  {
    float l[] = { 1.0f, 0.9f, 0.0f };
    int32_t h[] = { 0, 5, -3 }; /* out-of-range ids are ignored */
    CHECK_EQ_I (gm_sampler_sample (s, l, 3, h, 3), 1);
    CHECK (l[0] == 0.5f && l[1] == 0.9f && l[2] == 0.0f);
  }
  gm_sampler_free (s);

  /* Only the last penalty_last_n tokens count. */
  p = params ();
  p.top_k = 1;
  p.repeat_penalty = 4.0f;
  p.penalty_last_n = 1;
  s = gm_sampler_new (&p);
  {
    float l[] = { 2.0f, 1.9f };
    int32_t h[] = { 0, 1 };
    CHECK_EQ_I (gm_sampler_sample (s, l, 2, h, 2), 0);
    CHECK (l[0] == 2.0f);
  }
  gm_sampler_free (s);
}

static void
test_truncation (void)
{
  /* probabilities 0.5, 0.3, 0.2, 0 (ids 0..3) */
  const float l[] = { logf (0.5f), logf (0.3f), logf (0.2f), -INFINITY };
  int counts[4];
  gm_sampling p = params ();

  p.top_k = 0;
  p.top_p = 1.0f;
  histogram (&p, l, 4, counts, 20000);
  CHECK (abs (counts[0] - 10000) < 500);
  CHECK (abs (counts[1] - 6000) < 450);
  CHECK (abs (counts[2] - 4000) < 400);
  CHECK_EQ_I (counts[3], 0);

  p.top_k = 2; /* keep 0 and 1, renormalised: 0.625 / 0.375 */
  histogram (&p, l, 4, counts, 20000);
  CHECK (abs (counts[0] - 12500) < 500);
  CHECK_EQ_I (counts[2], 0);

  p.top_k = 0;
  p.top_p = 0.7f; /* 0.5 < 0.7 <= 0.8: keep 0 and 1 */
  histogram (&p, l, 4, counts, 5000);
  CHECK (counts[0] > 0 && counts[1] > 0 && counts[2] == 0);

  p.top_p = 0.5f; /* the first token alone reaches 0.5 */
  histogram (&p, l, 4, counts, 2000);
  CHECK_EQ_I (counts[0], 2000);

  p.top_p = 1.0f;
  p.min_p = 0.5f; /* keep p >= 0.25: ids 0 and 1 */
  histogram (&p, l, 4, counts, 5000);
  CHECK (counts[0] > 0 && counts[1] > 0 && counts[2] == 0);

  p.min_p = 0.0f;
  p.temperature = 0.05f; /* nearly greedy */
  histogram (&p, l, 4, counts, 2000);
  CHECK (counts[0] > 1990);

  p.temperature = 100.0f; /* nearly uniform over the finite ones */
  histogram (&p, l, 4, counts, 30000);
  CHECK (abs (counts[2] - 10000) < 600);
  CHECK_EQ_I (counts[3], 0);
}

static void
test_seed (void)
{
  enum { NV = 1000, STEPS = 200 };
  float *l = malloc (NV * sizeof *l), *tmp = malloc (NV * sizeof *tmp);
  int32_t a[STEPS], b[STEPS], c[STEPS];
  gm_sampling p = params ();
  uint64_t rng = 3;

  for (int i = 0; i < NV; i++)
    {
      rng = rng * 6364136223846793005ull + 1442695040888963407ull;
      l[i] = (float) ((rng >> 40) % 1000) / 250.0f;
    }
  for (int run = 0; run < 3; run++)
    {
      int32_t *out = run == 0 ? a : run == 1 ? b : c;
      gm_sampler *s;
      p.seed = run < 2 ? 1234 : 99;
      s = gm_sampler_new (&p);
      for (int t = 0; t < STEPS; t++)
        {
          memcpy (tmp, l, NV * sizeof *l);
          out[t] = gm_sampler_sample (s, tmp, NV, out, (size_t) t);
        }
      gm_sampler_free (s);
    }
  CHECK (memcmp (a, b, sizeof a) == 0);
  CHECK (memcmp (a, c, sizeof a) != 0);
  free (l);
  free (tmp);
}

/* 262144 logits: top-k picks come from the true top 64, and a draw without
 * top-k (top-p only) stays fast. */
static void
test_full_vocab (void)
{
  enum { NV = 262144 };
  float *l = malloc (NV * sizeof *l), *tmp = malloc (NV * sizeof *tmp);
  float kth;
  gm_sampling p = params ();
  gm_sampler *s;
  uint64_t rng = 11;
  struct timespec t0, t1;

  for (int i = 0; i < NV; i++)
    {
      rng = rng * 6364136223846793005ull + 1442695040888963407ull;
      l[i] = (float) ((rng >> 33) % 100000) / 4000.0f; /* many ties */
    }
  {
    /* 64th largest value, by counting (independent of the sampler). */
    float lo = 0.0f, hi = 30.0f;
    for (int it = 0; it < 60; it++)
      {
        float mid = (lo + hi) / 2;
        int n = 0;
        for (int i = 0; i < NV; i++)
          n += l[i] >= mid;
        if (n >= 64)
          lo = mid;
        else
          hi = mid;
      }
    kth = lo;
  }
  s = gm_sampler_new (&p);
  clock_gettime (CLOCK_MONOTONIC, &t0);
  for (int t = 0; t < 100; t++)
    {
      int32_t id;
      memcpy (tmp, l, NV * sizeof *l);
      id = gm_sampler_sample (s, tmp, NV, NULL, 0);
      CHECK (id >= 0 && id < NV && l[id] >= kth);
    }
  clock_gettime (CLOCK_MONOTONIC, &t1);
  printf ("top-k 64 + top-p 0.95 on %d logits: %.2f ms per token\n", NV,
          ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / 100);
  gm_sampler_free (s);

  p.top_k = 0;
  s = gm_sampler_new (&p);
  clock_gettime (CLOCK_MONOTONIC, &t0);
  for (int t = 0; t < 20; t++)
    {
      int32_t id;
      memcpy (tmp, l, NV * sizeof *l);
      id = gm_sampler_sample (s, tmp, NV, NULL, 0);
      CHECK (id >= 0 && id < NV);
    }
  clock_gettime (CLOCK_MONOTONIC, &t1);
  printf ("top-p 0.95 alone on %d logits: %.2f ms per token\n", NV,
          ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / 20);
  gm_sampler_free (s);
  free (l);
  free (tmp);
}

int
main (void)
{
  test_defaults ();
  test_greedy ();
  test_penalties ();
  test_truncation ();
  test_seed ();
  test_full_vocab ();
  return tt_result ("test-sampler");
}
