/* sampler.c — picks the next token from logits.
 *
 * The chain is llama.cpp's default order: penalties, top-k, top-p, min-p,
 * temperature, then a draw from the softmax. Greedy (or temperature <= 0)
 * takes the arg-max, ties going to the lowest id. The random stream is the
 * sampler's own xoshiro256** seeded from gm_sampling.seed, so a seed
 * reproduces the same tokens for the same logits. Nothing sorts all 262144
 * logits: top-k is a partial selection and top-p widens its selection only
 * as far as the probability mass requires.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gemlet.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  float logit;
  int32_t id;
} cand;

struct gm_sampler {
  gm_sampling p;
  uint64_t rng[4];
  cand *c;
  size_t c_cap;
  int32_t *window;
  size_t window_cap;
};

void
gm_sampling_init (gm_sampling *s)
{
  memset (s, 0, sizeof *s);
  s->greedy = false;
  s->temperature = 1.0f;
  s->top_k = 64;
  s->top_p = 0.95f;
  s->min_p = 0.0f;
  s->repeat_penalty = 1.0f;
  s->presence_penalty = 0.0f;
  s->penalty_last_n = 64;
  s->seed = 0;
}

/* ------------------------------------------------------------- random */

static uint64_t
splitmix64 (uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static uint64_t
rotl (uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

static uint64_t
xoshiro_next (uint64_t s[4])
{
  uint64_t result = rotl (s[1] * 5, 7) * 9, t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

/* Uniform in [0, 1). */
static double
uniform (uint64_t s[4])
{
  return (double) (xoshiro_next (s) >> 11) * 0x1.0p-53;
}

gm_sampler *
gm_sampler_new (const gm_sampling *params)
{
  gm_sampler *s = calloc (1, sizeof *s);
  uint64_t x;

  if (s == NULL)
    return NULL;
  if (params)
    s->p = *params;
  else
    gm_sampling_init (&s->p);
  x = s->p.seed;
  for (int i = 0; i < 4; i++)
    s->rng[i] = splitmix64 (&x);
  return s;
}

void
gm_sampler_free (gm_sampler *s)
{
  if (s == NULL)
    return;
  free (s->c);
  free (s->window);
  free (s);
}

/* ---------------------------------------------------------- selection */

/* a ranks before b: higher logit, or equal logit and lower id. */
static bool
before (const cand *a, const cand *b)
{
  return a->logit > b->logit || (a->logit == b->logit && a->id < b->id);
}

static int
cand_cmp (const void *pa, const void *pb)
{
  const cand *a = pa, *b = pb;
  return before (a, b) ? -1 : before (b, a) ? 1 : 0;
}

static void
swap (cand *a, cand *b)
{
  cand t = *a;
  *a = *b;
  *b = t;
}

/* Reorders c[0..n) so that c[0..m) are the m best, sorted. Quickselect with
 * a median-of-three pivot (the id tie-break makes every key distinct), then
 * a sort of the m winners only. */
static void
select_top (cand *c, size_t n, size_t m)
{
  size_t lo = 0, hi = n; /* everything left of lo beats [lo, hi), which beats the rest */

  if (m > n)
    m = n;
  if (m == 0)
    return;
  while (hi - lo > 16)
    {
      size_t mid = lo + (hi - lo) / 2;
      ptrdiff_t i = (ptrdiff_t) lo - 1, j = (ptrdiff_t) hi;
      cand pivot;

      if (before (&c[mid], &c[lo]))
        swap (&c[mid], &c[lo]);
      if (before (&c[hi - 1], &c[lo]))
        swap (&c[hi - 1], &c[lo]);
      if (before (&c[hi - 1], &c[mid]))
        swap (&c[hi - 1], &c[mid]);
      swap (&c[lo], &c[mid]);
      pivot = c[lo];

      /* Hoare partition, pivot first: ends with lo <= j < hi - 1. */
      for (;;)
        {
          do
            i++;
          while (before (&c[i], &pivot));
          do
            j--;
          while (before (&pivot, &c[j]));
          if (i >= j)
            break;
          swap (&c[i], &c[j]);
        }
      if (m <= (size_t) j + 1)
        hi = (size_t) j + 1;
      else
        lo = (size_t) j + 1;
    }
  qsort (c + lo, hi - lo, sizeof *c, cand_cmp);
  qsort (c, m, sizeof *c, cand_cmp);
}

/* The k best of n logits into c[0..k), sorted: one pass keeping the worst
 * of the current best k at the root of a heap, so most logits cost a single
 * comparison. */
static size_t
top_k_heap (cand *c, const float *logits, size_t n, size_t k)
{
  for (size_t i = 0; i < n; i++)
    {
      cand x = { isnan (logits[i]) ? -INFINITY : logits[i], (int32_t) i };
      size_t j;

      if (i < k)
        {
          /* sift up: parents rank after their children */
          for (j = i; j > 0 && before (&c[(j - 1) / 2], &x); j = (j - 1) / 2)
            c[j] = c[(j - 1) / 2];
          c[j] = x;
          continue;
        }
      if (!before (&x, &c[0]))
        continue;
      for (j = 0;;)
        {
          size_t ch = 2 * j + 1;
          if (ch >= k)
            break;
          if (ch + 1 < k && before (&c[ch], &c[ch + 1]))
            ch++;
          if (!before (&x, &c[ch]))
            break;
          c[j] = c[ch];
          j = ch;
        }
      c[j] = x;
    }
  qsort (c, k, sizeof *c, cand_cmp);
  return k;
}

static int32_t
argmax (const float *logits, int32_t n)
{
  int32_t best = 0;
  float bv = isnan (logits[0]) ? -INFINITY : logits[0];

  for (int32_t i = 1; i < n; i++)
    if (logits[i] > bv) /* strict: ties keep the lower id; NaN never wins */
      {
        bv = logits[i];
        best = i;
      }
  return best;
}

static int
id_cmp (const void *pa, const void *pb)
{
  int32_t a = *(const int32_t *) pa, b = *(const int32_t *) pb;
  return (a > b) - (a < b);
}

/* Repetition penalty (divide positive logits, multiply negative ones) and
 * presence penalty, once per distinct token of the recent window. */
static void
apply_penalties (gm_sampler *s, float *logits, int32_t n_vocab, const int32_t *history,
                 size_t n_history)
{
  float rep = s->p.repeat_penalty, pres = s->p.presence_penalty;
  size_t w = n_history;

  if ((rep == 1.0f && pres == 0.0f) || history == NULL || s->p.penalty_last_n == 0)
    return;
  if (s->p.penalty_last_n > 0 && (size_t) s->p.penalty_last_n < w)
    w = (size_t) s->p.penalty_last_n;
  if (w == 0)
    return;
  if (w > s->window_cap)
    {
      int32_t *p = realloc (s->window, w * sizeof *p);
      if (p == NULL)
        return;
      s->window = p;
      s->window_cap = w;
    }
  memcpy (s->window, history + (n_history - w), w * sizeof *history);
  qsort (s->window, w, sizeof *s->window, id_cmp);
  for (size_t i = 0; i < w; i++)
    {
      int32_t t = s->window[i];
      if ((i > 0 && s->window[i - 1] == t) || t < 0 || t >= n_vocab)
        continue;
      if (rep != 1.0f)
        logits[t] = logits[t] <= 0.0f ? logits[t] * rep : logits[t] / rep;
      logits[t] -= pres;
    }
}

/* Keeps the smallest prefix of the best candidates whose probability mass
 * (softmax over all n) reaches p. Widens the partial selection as needed. */
static size_t
top_p_cut (cand *c, size_t n, float p, bool sorted)
{
  double z = 0.0, cum = 0.0;
  float max = -INFINITY;
  size_t m = sorted ? n : (n < 256 ? n : 256), done = 0;

  for (size_t i = 0; i < n; i++)
    if (c[i].logit > max)
      max = c[i].logit;
  if (max == -INFINITY)
    return 1;
  for (size_t i = 0; i < n; i++)
    z += exp ((double) c[i].logit - max);
  for (;;)
    {
      if (!sorted)
        select_top (c, n, m);
      for (; done < m; done++)
        {
          cum += exp ((double) c[done].logit - max) / z;
          if (cum >= p)
            return done + 1;
        }
      if (m == n)
        return n;
      m = m * 4 > n ? n : m * 4;
    }
}

int32_t
gm_sampler_sample (gm_sampler *s, float *logits, int32_t n_vocab, const int32_t *history,
                   size_t n_history)
{
  size_t n;
  bool sorted = false;
  float max;
  double total, r;

  if (s == NULL || logits == NULL || n_vocab <= 0)
    return -1;
  if (s->p.greedy)
    return argmax (logits, n_vocab);

  apply_penalties (s, logits, n_vocab, history, n_history);
  if (!(s->p.temperature > 0.0f))
    return argmax (logits, n_vocab);

  if ((size_t) n_vocab > s->c_cap)
    {
      cand *c = realloc (s->c, (size_t) n_vocab * sizeof *c);
      if (c == NULL)
        return argmax (logits, n_vocab);
      s->c = c;
      s->c_cap = (size_t) n_vocab;
    }
  n = (size_t) n_vocab;
  if (s->p.top_k > 0 && (size_t) s->p.top_k < n)
    {
      n = top_k_heap (s->c, logits, n, (size_t) s->p.top_k);
      sorted = true;
    }
  else
    for (size_t i = 0; i < n; i++)
      s->c[i] = (cand) { isnan (logits[i]) ? -INFINITY : logits[i], (int32_t) i };
  if (s->p.top_p < 1.0f)
    n = top_p_cut (s->c, n, s->p.top_p, sorted);
  max = -INFINITY;
  for (size_t i = 0; i < n; i++)
    if (s->c[i].logit > max)
      max = s->c[i].logit;
  if (max == -INFINITY)
    {
      /* Nothing has any probability: fall back to the best-ranked id. */
      int32_t best = s->c[0].id;
      for (size_t i = 1; i < n; i++)
        if (s->c[i].id < best)
          best = s->c[i].id;
      return best;
    }
  if (s->p.min_p > 0.0f)
    {
      float floor_logit = max + logf (s->p.min_p);
      size_t k = 0;
      for (size_t i = 0; i < n; i++)
        if (s->c[i].logit >= floor_logit)
          s->c[k++] = s->c[i];
      n = k; /* the maximum always survives, so n >= 1 */
    }

  total = 0.0;
  for (size_t i = 0; i < n; i++)
    total += exp (((double) s->c[i].logit - max) / s->p.temperature);
  r = uniform (s->rng) * total;
  for (size_t i = 0; i < n; i++)
    {
      r -= exp (((double) s->c[i].logit - max) / s->p.temperature);
      if (r < 0.0)
        return s->c[i].id;
    }
  return s->c[n - 1].id; /* rounding left a sliver */
}
