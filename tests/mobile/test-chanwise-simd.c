/* test-chanwise-simd.c — the dispatched channel-wise dot products of every
 * SIMD variant the CPU has (AVX2, AVX-512 VNNI, NEON dotprod) against the
 * scalar reference: random rows of every bit width and storage, channel
 * and group scales of each scale type, the extreme codes and activations
 * (−128·−128), rows the SIMD kernels must leave to the reference, and
 * whole rows in int8-activation mode bit for bit, and the permuted-layout
 * dot. Skips the SIMD comparisons (not the reference) on CPUs without
 * them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "check.h"
#include "gemlet-kernels.h"
#include "st-writer.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int check_failures;

static uint32_t rng = 4242;

static uint32_t
next_rand (void)
{
  rng = rng * 1664525u + 1013904223u;
  return rng >> 8;
}

typedef struct {
  int bits;
  bool packed;
  int64_t n, group;
  gk_cw_scale_type st;
  bool extreme;      /* most negative codes and activations */
} shape;

static int n_simd_cases, n_perm_cases;

static void
run (const shape *s)
{
  const int lo = -(1 << (s->bits - 1)), span = 1 << s->bits;
  const int64_t n = s->n, ng = n / s->group;
  int8_t *codes = malloc ((size_t) n), *xq = malloc ((size_t) n);
  uint8_t *row = calloc ((size_t) n + 64, 1), *scales = malloc ((size_t) ng * 4);
  float *x = malloc ((size_t) n * sizeof *x);
  double abs_sum = 0.0;
  gk_cw_row r;
  float ref_f, ref_i, simd_f, simd_i;

  for (int64_t i = 0; i < n; i++)
    {
      codes[i] = (int8_t) (s->extreme ? lo : lo + (int) (next_rand () % (uint32_t) span));
      xq[i] = (int8_t) (s->extreme ? -128 : (int) (next_rand () % 256) - 128);
      x[i] = ((float) (next_rand () % 20001) - 10000.0f) / 3000.0f;
    }
  for (int64_t g = 0; g < ng; g++)
    {
      const float v = (float) (1 + next_rand () % 64) / 512.0f;

      if (s->st == GK_CW_SCALE_F32)
        memcpy (scales + 4 * g, &v, 4);
      else
        {
          const uint16_t h = s->st == GK_CW_SCALE_F16 ? gk_fp32_to_fp16 (v) : stw_bf16 (v);

          scales[2 * g] = (uint8_t) (h & 0xff);
          scales[2 * g + 1] = (uint8_t) (h >> 8);
        }
    }
  if (s->packed)
    stw_pack_codes (codes, 1, n, s->bits, row + 1);  /* +1: unaligned on purpose */
  else
    memcpy (row + 1, codes, (size_t) n);
  r = (gk_cw_row) { row + 1, s->bits, s->packed, scales, s->st, s->group };
  for (int64_t i = 0; i < n; i++)
    abs_sum += fabs ((double) codes[i] * x[i]) * 0.125;  /* scales ≤ 1/8 */

  CHECK (gk_force_variant (GK_VARIANT_SCALAR));
  ref_f = gk_cw_dot_f32 (&r, x, n);
  ref_i = gk_cw_dot_i8 (&r, xq, 0.03125f, n);
  if (n % 32 == 0)
    {
      /* block sums and the permuted layout give the same integers */
      int32_t *pre = malloc ((size_t) (n / 32 + 1) * sizeof *pre);
      int8_t *xp = malloc ((size_t) n);

      gk_cw_act_prefix (xq, n, pre);
      CHECK (gk_cw_dot_i8_pre (&r, xq, pre, 0.03125f, n) == ref_i);
      if (gk_cw_perm_ok (&r, n))
        {
          gk_cw_permute_act (xq, s->bits, xp, n);
          gk_cw_act_prefix (xp, n, pre);
          CHECK (gk_cw_dot_i8_perm (&r, xp, pre, 0.03125f, n) == ref_i);
          for (int v = GK_VARIANT_AVX2; v < GK_VARIANT_COUNT; v++)
            if (gk_variant_supported ((gk_variant) v))
              {
                CHECK (gk_force_variant ((gk_variant) v));
                CHECK (gk_cw_dot_i8_perm (&r, xp, pre, 0.03125f, n) == ref_i);
                CHECK (gk_force_variant (GK_VARIANT_SCALAR));
                n_perm_cases++;
              }
        }
      else
        for (int v = GK_VARIANT_AVX2; v < GK_VARIANT_COUNT; v++)
          if (gk_variant_supported ((gk_variant) v))
            {
              CHECK (gk_force_variant ((gk_variant) v));
              gk_cw_act_prefix (xq, n, pre);
              CHECK (gk_cw_dot_i8_pre (&r, xq, pre, 0.03125f, n) == ref_i);
              CHECK (gk_force_variant (GK_VARIANT_SCALAR));
            }
      free (pre);
      free (xp);
    }
  for (int v = GK_VARIANT_AVX2; v < GK_VARIANT_COUNT; v++)
    if (gk_variant_supported ((gk_variant) v))
      {
        CHECK (gk_force_variant ((gk_variant) v));
        simd_f = gk_cw_dot_f32 (&r, x, n);
        simd_i = gk_cw_dot_i8 (&r, xq, 0.03125f, n);
        if (!(fabs ((double) simd_f - ref_f) <= 1e-5 * abs_sum + 1e-6) || simd_i != ref_i)
          {
            fprintf (stderr, "%s: bits %d packed %d n %lld group %lld scale %d extreme %d: "
                     "f32 %.9g vs %.9g, i8 %.9g vs %.9g\n", gk_variant_label ((gk_variant) v),
                     s->bits, s->packed, (long long) n, (long long) s->group, (int) s->st,
                     s->extreme, simd_f, ref_f, simd_i, ref_i);
            check_failures++;
          }
        CHECK (gk_force_variant (GK_VARIANT_SCALAR));
        n_simd_cases++;
      }
  free (codes);
  free (xq);
  free (row);
  free (scales);
  free (x);
}

/* A whole matrix of different rows in one call against row by row, every
 * variant. */
static void
test_matvec (int bits, bool packed, int64_t n, int64_t group)
{
  enum { ROWS = 37 };
  const int64_t ng = n / group, row_bytes = n * bits / 8;
  uint8_t *codes = malloc ((size_t) (ROWS * row_bytes)), *scales = malloc ((size_t) (ROWS * ng * 2));
  int8_t *xq = malloc ((size_t) n), *xp = malloc ((size_t) n);
  int32_t *pre = malloc ((size_t) (n / 32 + 1) * sizeof *pre);
  float one[ROWS], all[ROWS];
  gk_cw_matrix w;

  for (int64_t i = 0; i < ROWS * row_bytes; i++)
    codes[i] = (uint8_t) next_rand ();
  for (int64_t i = 0; i < ROWS * ng; i++)
    {
      const uint16_t h = stw_bf16 ((float) (1 + next_rand () % 64) / 512.0f);

      scales[2 * i] = (uint8_t) (h & 0xff);
      scales[2 * i + 1] = (uint8_t) (h >> 8);
    }
  for (int64_t i = 0; i < n; i++)
    xq[i] = (int8_t) ((int) (next_rand () % 256) - 128);
  gk_cw_permute_act (xq, bits, xp, n);
  gk_cw_act_prefix (xp, n, pre);
  w.row0 = (gk_cw_row) { codes, bits, packed, scales, GK_CW_SCALE_BF16, group };
  w.row_bytes = (size_t) row_bytes;
  w.scale_row_bytes = (size_t) ng * 2;
  for (int v = 0; v < GK_VARIANT_COUNT; v++)
    if (gk_variant_supported ((gk_variant) v))
      {
        CHECK (gk_force_variant ((gk_variant) v));
        for (int r = 0; r < ROWS; r++)
          {
            gk_cw_row row = w.row0;

            row.codes = codes + r * row_bytes;
            row.scales = scales + r * ng * 2;
            one[r] = gk_cw_dot_i8 (&row, xq, 0.5f, n);
          }
        memset (all, 0, sizeof all);
        gk_cw_matvec_i8_perm (&w, 3, ROWS, xp, pre, 0.5f, n, all);
        CHECK (all[0] == 0.0f && all[2] == 0.0f);
        for (int r = 3; r < ROWS; r++)
          CHECK (all[r] == one[r]);
        /* an odd number of rows: the multi-row kernels' one-row tail */
        memset (all, 0, sizeof all);
        gk_cw_matvec_i8_perm (&w, 4, ROWS, xp, pre, 0.5f, n, all);
        CHECK (all[3] == 0.0f);
        for (int r = 4; r < ROWS; r++)
          CHECK (all[r] == one[r]);
      }
  free (codes);
  free (scales);
  free (xq);
  free (xp);
  free (pre);
}

/* Several activation rows at once (prefill tiles of 2 rows × 4 tokens and
 * their tails) against the one-row dot, every variant, bit for bit; y has
 * a row stride wider than the matrix. */
static void
test_matmul (int bits, bool packed, int64_t n, int64_t group, int n_tok)
{
  enum { ROWS = 11, LDY = 13 };
  const int64_t ng = n / group, row_bytes = n * bits / 8, npre = n / 32 + 1;
  uint8_t *codes = malloc ((size_t) (ROWS * row_bytes)), *scales = malloc ((size_t) (ROWS * ng * 2));
  int8_t *xq = malloc ((size_t) (n * n_tok)), *xp = malloc ((size_t) (n * n_tok));
  int32_t *pre = malloc ((size_t) (npre * n_tok) * sizeof *pre);
  float *one = malloc ((size_t) (LDY * n_tok) * sizeof *one);
  float *all = malloc ((size_t) (LDY * n_tok) * sizeof *all), *xs = malloc ((size_t) n_tok * sizeof *xs);
  gk_cw_matrix w;

  for (int64_t i = 0; i < ROWS * row_bytes; i++)
    codes[i] = (uint8_t) next_rand ();
  for (int64_t i = 0; i < ROWS * ng; i++)
    {
      const uint16_t h = stw_bf16 ((float) (1 + next_rand () % 64) / 512.0f);

      scales[2 * i] = (uint8_t) (h & 0xff);
      scales[2 * i + 1] = (uint8_t) (h >> 8);
    }
  for (int t = 0; t < n_tok; t++)
    {
      for (int64_t i = 0; i < n; i++)
        xq[t * n + i] = (int8_t) (t == 1 ? -128 : (int) (next_rand () % 256) - 128);
      gk_cw_permute_act (xq + t * n, bits, xp + t * n, n);
      gk_cw_act_prefix (xp + t * n, n, pre + t * npre);
      xs[t] = 0.25f + 0.125f * (float) t;
    }
  w.row0 = (gk_cw_row) { codes, bits, packed, scales, GK_CW_SCALE_BF16, group };
  w.row_bytes = (size_t) row_bytes;
  w.scale_row_bytes = (size_t) ng * 2;
  for (int v = 0; v < GK_VARIANT_COUNT; v++)
    if (gk_variant_supported ((gk_variant) v))
      {
        CHECK (gk_force_variant ((gk_variant) v));
        for (int r = 0; r < ROWS; r++)
          for (int t = 0; t < n_tok; t++)
            {
              gk_cw_row row = w.row0;

              row.codes = codes + r * row_bytes;
              row.scales = scales + r * ng * 2;
              one[t * LDY + r] = gk_cw_dot_i8 (&row, xq + t * n, xs[t], n);
            }
        for (int i = 0; i < LDY * n_tok; i++)
          all[i] = -1.0f;
        gk_cw_matmul_i8_perm (&w, 1, ROWS, xp, pre, xs, n_tok, n, all, LDY);
        for (int t = 0; t < n_tok; t++)
          {
            CHECK (all[t * LDY] == -1.0f && all[t * LDY + ROWS] == -1.0f);
            for (int r = 1; r < ROWS; r++)
              if (all[t * LDY + r] != one[t * LDY + r])
                {
                  fprintf (stderr, "matmul bits %d n %lld group %lld tokens %d variant %d: "
                           "row %d token %d: %.9g vs %.9g\n", bits, (long long) n,
                           (long long) group, n_tok, v, r, t, all[t * LDY + r], one[t * LDY + r]);
                  check_failures++;
                }
          }
      }
  free (codes);
  free (scales);
  free (xq);
  free (xp);
  free (pre);
  free (one);
  free (all);
  free (xs);
}

/* Activation (fake-)quantization and the dynamic scale of every variant
 * against the scalar reference, bit for bit: ties (k + 0.5)·scale that
 * round to even, values beyond ±128·scale, ±0, infinities and NaNs, and
 * lengths that leave a scalar tail. */
static void
test_act (int64_t n)
{
  const float scale = 0.0375f;
  float *x = malloc ((size_t) n * sizeof *x), *ref_f = malloc ((size_t) n * sizeof *ref_f);
  float *got_f = malloc ((size_t) n * sizeof *got_f);
  int8_t *ref_q = malloc ((size_t) n), *got_q = malloc ((size_t) n);
  float ref_m;

  for (int64_t i = 0; i < n; i++)
    switch (next_rand () % 8)
      {
      case 0: x[i] = ((float) (int) (next_rand () % 301) - 150.0f + 0.5f) * scale; break;
      case 1: x[i] = (next_rand () % 2 ? 1.0f : -1.0f) * (float) (next_rand () % 1000) * scale; break;
      case 2: x[i] = i % 3 == 0 ? NAN : i % 3 == 1 ? INFINITY : -INFINITY; break;
      case 3: x[i] = next_rand () % 2 ? 0.0f : -0.0f; break;
      default: x[i] = ((float) (next_rand () % 20001) - 10000.0f) / 1000.0f; break;
      }
  if (n > 5)
    x[5] = NAN;  /* a NaN in the vector part, whatever the draw */
  CHECK (gk_force_variant (GK_VARIANT_SCALAR));
  gk_cw_quant_act (x, scale, ref_q, n);
  memcpy (ref_f, x, (size_t) n * sizeof *x);
  gk_cw_fake_quant (ref_f, scale, n);
  ref_m = gk_cw_absmax (x, n);
  for (int v = GK_VARIANT_AVX2; v < GK_VARIANT_COUNT; v++)
    if (gk_variant_supported ((gk_variant) v))
      {
        CHECK (gk_force_variant ((gk_variant) v));
        gk_cw_quant_act (x, scale, got_q, n);
        CHECK (memcmp (got_q, ref_q, (size_t) n) == 0);
        memcpy (got_f, x, (size_t) n * sizeof *x);
        gk_cw_fake_quant (got_f, scale, n);
        for (int64_t i = 0; i < n; i++)
          CHECK (memcmp (&got_f[i], &ref_f[i], sizeof (float)) == 0
                 || (isnan (got_f[i]) && isnan (ref_f[i])));
        CHECK (gk_cw_absmax (x, n) == ref_m);
      }
  free (x);
  free (ref_f);
  free (got_f);
  free (ref_q);
  free (got_q);
}

int
main (void)
{
  static const struct { int bits; bool packed; } kinds[] = {
    { 2, true }, { 4, true }, { 8, true }, { 8, false },
  };
  static const int64_t lens[] = { 32, 64, 256, 384, 1536, 12288, 200 };
  const gk_variant start = gk_variant_current ();

  for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
    for (size_t l = 0; l < sizeof lens / sizeof *lens; l++)
      for (int st = 0; st < 3; st++)
        {
          const int64_t n = lens[l];
          /* channel-wise; groups of 32, 64, 128 and 256; 40 (not SIMD-shaped) */
          const int64_t groups[] = { n, 32, 64, 128, 256, 40 };

          for (size_t g = 0; g < 6; g++)
            {
              shape s = { kinds[k].bits, kinds[k].packed, n, groups[g], (gk_cw_scale_type) st, false };

              if (n % groups[g] != 0)
                continue;
              run (&s);
              s.extreme = true;
              run (&s);
            }
        }
  test_act (1536);
  test_act (77);
  test_act (5);
  test_matvec (2, true, 1536, 1536);
  test_matvec (2, true, 12288, 256);
  test_matvec (4, true, 1536, 1536);
  test_matvec (4, true, 8960, 256);
  test_matvec (8, true, 1536, 1536);
  test_matvec (8, false, 256, 256);
  test_matvec (8, false, 1536, 64);
  for (int n_tok = 1; n_tok <= 9; n_tok++)
    {
      test_matmul (2, true, 1536, 1536, n_tok);
      test_matmul (4, true, 1536, 1536, n_tok);
      test_matmul (8, n_tok % 2 == 0, 256, 256, n_tok);
    }
  test_matmul (2, true, 12288, 256, 5);
  test_matmul (4, true, 8960, 256, 6);
  test_matmul (2, true, 384, 128, 4);
  test_matmul (8, false, 1536, 32, 7);
  gk_force_variant (start);
  {
    char names[128] = "";

    for (int v = GK_VARIANT_AVX2; v < GK_VARIANT_COUNT; v++)
      if (gk_variant_supported ((gk_variant) v))
        snprintf (names + strlen (names), sizeof names - strlen (names), "%s%s",
                  names[0] ? " " : "", gk_variant_label ((gk_variant) v));
    printf ("%d SIMD comparisons, %d in the permuted layout (%s)\n", n_simd_cases, n_perm_cases,
            names[0] ? names : "no SIMD variant on this CPU");
  }
  return check_failures ? 1 : 0;
}
