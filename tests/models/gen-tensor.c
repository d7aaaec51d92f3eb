/* gen-tensor.c — deterministic tensor content, row by row.
 *
 * Small tensors are drawn as floats and converted with the kernels'
 * reference quantizers, so they are what llama-quantize would write.  The
 * multi-GB tables of the real shapes are drawn directly as quantized blocks
 * (random codes with a bell-shaped histogram, random scales): a valid file
 * with the same layout and magnitudes, generated in seconds instead of the
 * many minutes an iterative Q6_K quantizer would need.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gen-model.h"
#include "gemlet-kernels.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static int n_fill_threads = 1;

void
gen_set_threads (int n_threads)
{
  n_fill_threads = n_threads < 1 ? 1 : n_threads > 64 ? 64 : n_threads;
}

size_t
gen_tensor_row_bytes (const gen_tensor *t)
{
  return gk_row_size (t->type, t->ne[0]);
}

/* --- direct block generation -------------------------------------------- */

/* Byte -> code tables: the 256 quantiles of a rounded, clamped normal
 * distribution, so one random byte gives one code. */
typedef struct {
  int8_t code[256];
  float rms;
} code_table;

static code_table table_q4, table_q8, table_q6;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static double
normal_quantile (double p)
{
  /* bisection on the normal CDF; only used to build three small tables */
  double lo = -10.0, hi = 10.0;
  for (int i = 0; i < 100; i++)
    {
      double mid = 0.5 * (lo + hi);
      if (0.5 * erfc (-mid / sqrt (2.0)) < p)
        lo = mid;
      else
        hi = mid;
    }
  return 0.5 * (lo + hi);
}

static void
build_table (code_table *tab, double sigma, int lo, int hi)
{
  double sum2 = 0.0;
  for (int i = 0; i < 256; i++)
    {
      double c = round (sigma * normal_quantile ((i + 0.5) / 256.0));
      c = c < lo ? lo : c > hi ? hi : c;
      tab->code[i] = (int8_t) c;
      sum2 += c * c;
    }
  tab->rms = (float) sqrt (sum2 / 256.0);
}

static void
build_tables (void)
{
  /* code ranges of Q4_0 (-8..7), Q8_0 (-127..127), Q6_K (-32..31); the
   * largest |code| sits near 3 sigma, as when quantizing normal data */
  build_table (&table_q4, 8.0 / 3.0, -8, 7);
  build_table (&table_q8, 127.0 / 3.2, -127, 127);
  build_table (&table_q6, 32.0 / 3.0, -32, 31);
}

static void
codes (gen_rng *r, const code_table *tab, int8_t *out, int n)
{
  for (int i = 0; i < n; i += 8)
    {
      uint64_t x = gen_rng_next (r);
      for (int j = 0; j < 8 && i + j < n; j++)
        out[i + j] = tab->code[(x >> (8 * j)) & 0xff];
    }
}

static void
put_half (uint8_t *p, float f)
{
  uint16_t h = gk_fp32_to_fp16 (f);
  p[0] = (uint8_t) (h & 0xff);
  p[1] = (uint8_t) (h >> 8);
}

static void
direct_row (const gen_tensor *t, float sigma, gen_rng *r, uint8_t *dst)
{
  const int64_t n = t->ne[0];
  int8_t c[256];

  switch (t->type)
    {
    case GK_TYPE_Q4_0:
      for (int64_t b = 0; b < n / 32; b++, dst += 18)
        {
          float jitter = 0.85f + 0.3f * gen_rng_uniform (r);
          put_half (dst, sigma / table_q4.rms * jitter);
          codes (r, &table_q4, c, 32);
          for (int j = 0; j < 16; j++)
            dst[2 + j] = (uint8_t) ((c[j] + 8) | ((c[j + 16] + 8) << 4));
        }
      break;

    case GK_TYPE_Q8_0:
      for (int64_t b = 0; b < n / 32; b++, dst += 34)
        {
          float jitter = 0.85f + 0.3f * gen_rng_uniform (r);
          put_half (dst, sigma / table_q8.rms * jitter);
          codes (r, &table_q8, (int8_t *) (dst + 2), 32);
        }
      break;

    case GK_TYPE_Q6_K:
      for (int64_t b = 0; b < n / 256; b++, dst += 210)
        {
          uint8_t *ql = dst, *qh = dst + 128;
          int8_t *sc = (int8_t *) (dst + 192);
          float sc_sum = 0.0f;
          codes (r, &table_q6, c, 256);
          for (int i = 0; i < 16; i++)
            {
              sc[i] = (int8_t) (90 + (int) (gen_rng_next (r) % 38)); /* 90..127 */
              sc_sum += sc[i];
            }
          put_half (dst + 208, sigma / (table_q6.rms * sc_sum / 16.0f));
          /* packing per the Q6_K layout: 4 values of each 128-half share
           * one ql/qh position */
          for (int h = 0; h < 2; h++)
            for (int l = 0; l < 32; l++)
              {
                const int8_t *ch = c + 128 * h;
                int q1 = ch[l] + 32, q2 = ch[l + 32] + 32;
                int q3 = ch[l + 64] + 32, q4 = ch[l + 96] + 32;
                ql[64 * h + l] = (uint8_t) ((q1 & 15) | ((q3 & 15) << 4));
                ql[64 * h + l + 32] = (uint8_t) ((q2 & 15) | ((q4 & 15) << 4));
                qh[32 * h + l] = (uint8_t) ((q1 >> 4) | ((q2 >> 4) << 2)
                                            | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
              }
        }
      break;

    default:
      memset (dst, 0, gen_tensor_row_bytes (t));
      break;
    }
}

/* --- rows --------------------------------------------------------------- */

void
gen_tensor_row (const gen_tensor *t, int64_t row, void *dst, float *scratch)
{
  const int64_t n = t->ne[0];
  gen_rng r;

  float sigma = t->sigma;

  pthread_once (&tables_once, build_tables);
  gen_rng_init (&r, t->seed, (uint64_t) row);

  if (t->direct && (t->type == GK_TYPE_Q4_0 || t->type == GK_TYPE_Q8_0 || t->type == GK_TYPE_Q6_K))
    {
      direct_row (t, sigma, &r, dst);
      return;
    }

  for (int64_t i = 0; i < n; i++)
    {
      switch (t->dist)
        {
        case GEN_DIST_GAUSS:
          scratch[i] = t->mean + sigma * gen_rng_gauss (&r);
          break;
        case GEN_DIST_UNIFORM:
          scratch[i] = t->mean + t->sigma * (2.0f * gen_rng_uniform (&r) - 1.0f);
          break;
        case GEN_DIST_SIGNED:
          scratch[i] = (t->mean + t->sigma * gen_rng_gauss (&r)) * ((gen_rng_next (&r) & 1) ? 1.0f : -1.0f);
          break;
        case GEN_DIST_FIXED:
          scratch[i] = t->values[i];
          break;
        }
    }

  switch (t->type)
    {
    case GK_TYPE_F32:
      memcpy (dst, scratch, (size_t) n * sizeof (float));
      break;
    case GK_TYPE_F16:
      for (int64_t i = 0; i < n; i++)
        {
          uint16_t h = gk_fp32_to_fp16 (scratch[i]);
          memcpy ((uint8_t *) dst + 2 * i, &h, 2);
        }
      break;
    case GK_TYPE_BF16:
      for (int64_t i = 0; i < n; i++)
        {
          uint16_t h = gk_fp32_to_bf16 (scratch[i]);
          memcpy ((uint8_t *) dst + 2 * i, &h, 2);
        }
      break;
    default:
      gk_quantize_row_ref (t->type, scratch, dst, n);
      break;
    }
}

/* --- streaming fill ----------------------------------------------------- */

typedef struct {
  const gen_tensor *t;
  uint64_t offset;
  uint8_t *dst;
  size_t n_bytes;
  int64_t r0, r1;
} fill_job;

static void *
fill_rows (void *data)
{
  const fill_job *job = data;
  const gen_tensor *t = job->t;
  const uint64_t rb = gen_tensor_row_bytes (t);
  const uint64_t end = job->offset + job->n_bytes;
  float *scratch = malloc ((size_t) t->ne[0] * sizeof (float));
  uint8_t *tmp = NULL;

  for (int64_t r = job->r0; r < job->r1; r++)
    {
      uint64_t rs = (uint64_t) r * rb, re = rs + rb;
      if (rs >= job->offset && re <= end)
        {
          gen_tensor_row (t, r, job->dst + (rs - job->offset), scratch);
          continue;
        }
      /* row cut by the chunk boundary: make it whole, copy the overlap */
      if (tmp == NULL)
        tmp = malloc (rb);
      gen_tensor_row (t, r, tmp, scratch);
      uint64_t a = rs > job->offset ? rs : job->offset;
      uint64_t b = re < end ? re : end;
      memcpy (job->dst + (a - job->offset), tmp + (a - rs), b - a);
    }
  free (tmp);
  free (scratch);
  return NULL;
}

bool
gen_tensor_fill (void *user, uint64_t offset, void *dst, size_t n_bytes)
{
  const gen_tensor *t = user;
  const uint64_t rb = gen_tensor_row_bytes (t);
  if (rb == 0 || n_bytes == 0)
    return rb != 0;

  int64_t r0 = (int64_t) (offset / rb);
  int64_t r1 = (int64_t) ((offset + n_bytes + rb - 1) / rb);
  int n_thr = n_fill_threads;
  if ((r1 - r0) < n_thr * 4 || n_bytes < (1u << 18))
    n_thr = 1;

  fill_job jobs[64];
  pthread_t tids[64];
  bool started[64] = { false };
  for (int i = 0; i < n_thr; i++)
    {
      jobs[i] = (fill_job) { t, offset, dst, n_bytes,
                             r0 + (r1 - r0) * i / n_thr, r0 + (r1 - r0) * (i + 1) / n_thr };
    }
  for (int i = 1; i < n_thr; i++)
    started[i] = pthread_create (&tids[i], NULL, fill_rows, &jobs[i]) == 0;
  fill_rows (&jobs[0]);
  for (int i = 1; i < n_thr; i++)
    {
      if (started[i])
        pthread_join (tids[i], NULL);
      else
        fill_rows (&jobs[i]);
    }
  return true;
}
