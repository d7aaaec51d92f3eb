/* test-kernels-ref.c — type table, F16/BF16 conversions and the reference
 * quantizers (against properties, error bounds and hashes of ggml output).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gemlet-kernels.h"
#include "kt-common.h"

#include <stdlib.h>

static float
bits_f32 (uint32_t u)
{
  float f;
  memcpy (&f, &u, sizeof f);
  return f;
}

static uint32_t
f32_bits (float f)
{
  uint32_t u;
  memcpy (&u, &f, sizeof u);
  return u;
}

static void
test_type_table (void)
{
  static const struct { uint32_t t; const char *name; uint32_t bs, ts; } want[] = {
    { GK_TYPE_F32, "F32", 1, 4 },      { GK_TYPE_F16, "F16", 1, 2 },
    { GK_TYPE_BF16, "BF16", 1, 2 },    { GK_TYPE_Q4_0, "Q4_0", 32, 18 },
    { GK_TYPE_Q4_1, "Q4_1", 32, 20 },  { GK_TYPE_Q5_0, "Q5_0", 32, 22 },
    { GK_TYPE_Q5_1, "Q5_1", 32, 24 },  { GK_TYPE_Q8_0, "Q8_0", 32, 34 },
    { GK_TYPE_Q8_1, "Q8_1", 32, 36 },  { GK_TYPE_Q2_K, "Q2_K", 256, 84 },
    { GK_TYPE_Q3_K, "Q3_K", 256, 110 }, { GK_TYPE_Q4_K, "Q4_K", 256, 144 },
    { GK_TYPE_Q5_K, "Q5_K", 256, 176 }, { GK_TYPE_Q6_K, "Q6_K", 256, 210 },
    { GK_TYPE_Q8_K, "Q8_K", 256, 292 },
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    {
      const gk_type_info *ti = gk_type_get (want[i].t);
      KT_CHECK (ti != NULL, "type %u", want[i].t);
      if (!ti)
        continue;
      KT_CHECK (strcmp (ti->name, want[i].name) == 0, "%s", ti->name);
      KT_CHECK (ti->block_size == want[i].bs && ti->type_size == want[i].ts, "%s geometry", ti->name);
      KT_CHECK (ti->supported, "%s supported", ti->name);
      KT_CHECK (gk_row_size (want[i].t, 1536) == 1536 / want[i].bs * want[i].ts
                || 1536 % want[i].bs, "%s row size", ti->name);
    }
  const gk_type_info *iq = gk_type_get (23);
  KT_CHECK (iq && strcmp (iq->name, "IQ4_XS") == 0 && !iq->supported, "IQ4_XS listed");
  KT_CHECK (gk_type_get (4) == NULL && gk_type_get (47) == NULL && gk_type_get (1000) == NULL,
            "unknown ids");
  KT_CHECK (gk_row_size (GK_TYPE_Q4_K, 100) == 0, "partial block");
  KT_CHECK (gk_row_size (GK_TYPE_Q4_0, 0) == 0, "empty row");
  KT_CHECK (gk_row_size (GK_TYPE_Q4_0, -32) == 0, "negative");
  KT_CHECK (gk_row_size (999, 32) == 0, "bad type");
  KT_CHECK (gk_row_size (GK_TYPE_Q6_K, 262144LL * 1536) == 262144ULL * 6 * 210, "large");
  float dummy[32] = { 0 };
  unsigned char out[64];
  KT_CHECK (gk_quantize_row_ref (GK_TYPE_Q4_0, dummy, out, 31) == 0, "bad n");
  KT_CHECK (gk_quantize_row_ref (20, dummy, out, 32) == 0, "unsupported type");
}

/* Every half converts to a float and back unchanged; neighbours' midpoints
 * round to the even one. */
static void
test_fp16_exhaustive (void)
{
  int bad = 0;
  for (uint32_t h = 0; h < 65536; h++)
    {
      float f = gk_fp16_to_fp32 ((uint16_t) h);
      uint32_t exp = (h >> 10) & 31, mant = h & 1023;
      if (exp == 31 && mant)
        {
          bad += !isnan (f);
          bad += (gk_fp32_to_fp16 (f) & 0x7fff) != 0x7e00;
          continue;
        }
      bad += gk_fp32_to_fp16 (f) != h;
      /* value check against ldexp */
      double want = exp == 0 ? ldexp (mant, -24) : exp == 31 ? INFINITY : ldexp (1024 + mant, (int) exp - 25);
      if (h & 0x8000)
        want = -want;
      bad += (double) f != want;

      /* midpoint to the next half up in magnitude */
      if (exp < 31 && (h & 0x7fff) != 0x7bff)
        {
          float g = gk_fp16_to_fp32 ((uint16_t) (h + 1));
          double mid = ((double) f + (double) g) / 2; /* exact in double */
          float midf = (float) mid;                   /* exact: <= 12 bits */
          uint16_t even = (h & 1) ? (uint16_t) (h + 1) : (uint16_t) h;
          bad += gk_fp32_to_fp16 (midf) != even;
          /* one float ulp either side of the midpoint rounds to the nearer */
          float below = nextafterf (midf, 0.0f), above = nextafterf (midf, INFINITY * (h & 0x8000 ? -1 : 1));
          bad += gk_fp32_to_fp16 (below) != h;
          bad += gk_fp32_to_fp16 (above) != (uint16_t) (h + 1);
        }
    }
  KT_CHECK (bad == 0, "%d fp16 mismatches", bad);

  KT_CHECK (gk_fp32_to_fp16 (65519.99f) == 0x7bff, "below overflow");
  KT_CHECK (gk_fp32_to_fp16 (65520.0f) == 0x7c00, "overflow ties to inf");
  KT_CHECK (gk_fp32_to_fp16 (-1e9f) == 0xfc00, "-inf");
  KT_CHECK (gk_fp32_to_fp16 (bits_f32 (0x33000000)) == 0, "2^-25 ties to 0");
  KT_CHECK (gk_fp32_to_fp16 (bits_f32 (0x33000001)) == 1, "above 2^-25 rounds up");
  KT_CHECK (gk_fp32_to_fp16 (1e-30f) == 0 && gk_fp32_to_fp16 (-1e-30f) == 0x8000, "underflow");
  KT_CHECK (gk_fp32_to_fp16 (bits_f32 (1)) == 0, "f32 subnormal");
  KT_CHECK (gk_fp32_to_fp16 (NAN) == 0x7e00, "nan");

  /* row converters (whatever variant is current) agree with the scalar */
  uint16_t *hs = malloc (65536 * sizeof *hs), *back = malloc (65536 * sizeof *back);
  float *fs = malloc (65536 * sizeof *fs);
  for (uint32_t h = 0; h < 65536; h++)
    hs[h] = (uint16_t) h;
  for (int v = 0; v < GK_VARIANT_COUNT; v++)
    {
      if (!gk_force_variant ((gk_variant) v))
        continue;
      int rb = 0;
      gk_fp16_to_fp32_row (hs, fs, 65536);
      for (uint32_t h = 0; h < 65536; h++)
        {
          float s = gk_fp16_to_fp32 ((uint16_t) h);
          rb += memcmp (&s, &fs[h], 4) != 0;
        }
      gk_fp32_to_fp16_row (fs, back, 65536);
      for (uint32_t h = 0; h < 65536; h++)
        rb += back[h] != gk_fp32_to_fp16 (fs[h]);
      /* random floats of every magnitude, odd length for the tails */
      kt_rng r = { 12345 };
      for (int i = 0; i < 65536; i++)
        {
          uint32_t u = (uint32_t) kt_next (&r);
          fs[i] = bits_f32 ((u & 0x80000000u) | ((u % 0x48000000u)));
        }
      gk_fp32_to_fp16_row (fs, back, 65533);
      for (int i = 0; i < 65533; i++)
        rb += back[i] != gk_fp32_to_fp16 (fs[i]);
      gk_fp32_to_bf16_row (fs, back, 65531);
      for (int i = 0; i < 65531; i++)
        rb += back[i] != gk_fp32_to_bf16 (fs[i]);
      gk_bf16_to_fp32_row (hs, fs, 65536);
      for (uint32_t h = 0; h < 65536; h++)
        rb += f32_bits (fs[h]) != h << 16;
      KT_CHECK (rb == 0, "variant %s: %d row conversion mismatches", gk_variant_label (v), rb);
    }
  gk_force_variant (GK_VARIANT_SCALAR);
  free (hs);
  free (back);
  free (fs);
}

static void
test_bf16 (void)
{
  int bad = 0;
  for (uint32_t b = 0; b < 65536; b++)
    {
      float f = gk_bf16_to_fp32 ((uint16_t) b);
      KT_CHECK (f32_bits (f) == b << 16, "bf16 %04x", b);
      if (isnan (f))
        bad += (gk_fp32_to_bf16 (f) | 0x40) != (b | 0x40);
      else
        bad += gk_fp32_to_bf16 (f) != b;
    }
  KT_CHECK (bad == 0, "%d bf16 round trips", bad);
  /* ties to even, carries into the exponent, overflow to inf */
  KT_CHECK (gk_fp32_to_bf16 (bits_f32 (0x3f808000)) == 0x3f80, "tie down");
  KT_CHECK (gk_fp32_to_bf16 (bits_f32 (0x3f818000)) == 0x3f82, "tie up");
  KT_CHECK (gk_fp32_to_bf16 (bits_f32 (0x3f808001)) == 0x3f81, "above tie");
  KT_CHECK (gk_fp32_to_bf16 (bits_f32 (0x3fffffff)) == 0x4000, "carry");
  KT_CHECK (gk_fp32_to_bf16 (bits_f32 (0x7f7fffff)) == 0x7f80, "overflow");
  KT_CHECK (gk_fp32_to_bf16 (bits_f32 (0x7f800001)) == 0x7fc0, "snan quieted");
}

/* Values on the Q8_0 grid come back exactly; so do Q4_0 codes when the
 * scale is a power of two. */
static void
test_exact_grids (void)
{
  float x[64], y[64];
  unsigned char buf[256];

  for (int b = 0; b < 2; b++)
    for (int j = 0; j < 32; j++)
      x[32 * b + j] = (float) ((j * 37 + b * 11) % 255 - 127) * (b ? 0.25f : 1.0f / 64);
  x[5] = 127.0f / 64; /* make sure max|x| = 127 d in each block */
  x[32 + 7] = -127.0f * 0.25f;
  KT_CHECK (gk_quantize_row_ref (GK_TYPE_Q8_0, x, buf, 64) == 68, "q8_0 size");
  gk_dequantize_row (GK_TYPE_Q8_0, buf, y, 64);
  KT_CHECK (memcmp (x, y, sizeof x) == 0, "q8_0 grid not exact");

  for (int j = 0; j < 32; j++)
    x[j] = (float) (j % 16 - 8) * 0.125f; /* max |x| = 1 at -8 * 0.125 */
  gk_quantize_row_ref (GK_TYPE_Q4_0, x, buf, 32);
  gk_dequantize_row (GK_TYPE_Q4_0, buf, y, 32);
  KT_CHECK (memcmp (x, y, 32 * sizeof (float)) == 0, "q4_0 grid not exact");

  /* all-zero blocks stay zero in every format, and never produce NaN */
  static const uint32_t types[] = { GK_TYPE_Q4_0, GK_TYPE_Q4_1, GK_TYPE_Q5_0, GK_TYPE_Q5_1,
    GK_TYPE_Q8_0, GK_TYPE_Q8_1, GK_TYPE_Q2_K, GK_TYPE_Q3_K, GK_TYPE_Q4_K, GK_TYPE_Q5_K,
    GK_TYPE_Q6_K, GK_TYPE_Q8_K, GK_TYPE_F16, GK_TYPE_BF16, GK_TYPE_F32 };
  float z[256] = { 0 }, out[256];
  unsigned char q[1024];
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    {
      memset (out, 0x7f, sizeof out);
      gk_quantize_row_ref (types[i], z, q, 256);
      gk_dequantize_row (types[i], q, out, 256);
      int nz = 0;
      for (int j = 0; j < 256; j++)
        nz += out[j] != 0.0f;
      KT_CHECK (nz == 0, "%s zero block: %d non-zero", gk_type_get (types[i])->name, nz);
    }
}

/* ggml's test-quantize-fns style: RMS error of quantize -> dequantize. */
static void
test_roundtrip_error (void)
{
  static const struct { uint32_t t; double max_rmse; } lim[] = {
    { GK_TYPE_F32, 0.0 },        { GK_TYPE_F16, 0.0003 },   { GK_TYPE_BF16, 0.0025 },
    { GK_TYPE_Q8_0, 0.0045 },    { GK_TYPE_Q8_1, 0.0045 },  { GK_TYPE_Q8_K, 0.0045 },
    { GK_TYPE_Q6_K, 0.015 },     { GK_TYPE_Q5_0, 0.033 },   { GK_TYPE_Q5_1, 0.032 },
    { GK_TYPE_Q5_K, 0.03 },      { GK_TYPE_Q4_0, 0.063 },   { GK_TYPE_Q4_1, 0.065 },
    { GK_TYPE_Q4_K, 0.055 },     { GK_TYPE_Q3_K, 0.14 },    { GK_TYPE_Q2_K, 0.26 },
  };
  enum { N = 4096 };
  float *x = malloc (N * sizeof *x), *y = malloc (N * sizeof *y);
  unsigned char *q = malloc (N * 4);

  for (int i = 0; i < N; i++) /* ggml's synthetic data: 0.1 + 2 cos(i) */
    x[i] = 0.1f + 2.0f * cosf ((float) i);
  for (size_t t = 0; t < sizeof lim / sizeof lim[0]; t++)
    {
      const char *name = gk_type_get (lim[t].t)->name;
      size_t sz = gk_quantize_row_ref (lim[t].t, x, q, N);
      KT_CHECK (sz == gk_row_size (lim[t].t, N), "%s size", name);
      gk_dequantize_row (lim[t].t, q, y, N);
      double se = 0, ss = 0;
      for (int i = 0; i < N; i++)
        {
          se += ((double) y[i] - x[i]) * ((double) y[i] - x[i]);
          ss += (double) x[i] * x[i];
        }
      double rmse = sqrt (se / N) / sqrt (ss / N); /* relative to RMS of x */
      KT_CHECK (rmse <= lim[t].max_rmse, "%s relative rmse %.5f > %.5f", name, rmse, lim[t].max_rmse);
      if (getenv ("KT_VERBOSE"))
        printf ("# %-5s rel rmse %.6f\n", name, rmse);
    }
  free (x);
  free (y);
  free (q);
}

/* Hashes of ggml's *_ref output (llama.cpp as pinned by the conformance
 * setup) for 64 rows of kt_fill data per type. */
static void
test_ggml_hashes (void)
{
  static const struct { uint32_t t; uint64_t h; } golden[] = {
    { GK_TYPE_Q4_0, 0xf307827bee3f2ed4ull },
    { GK_TYPE_Q4_1, 0xc8352763220f24bbull },
    { GK_TYPE_Q5_0, 0xdfe1d2bcdeb32720ull },
    { GK_TYPE_Q5_1, 0xac918a1755d6006cull },
    { GK_TYPE_Q8_0, 0x9081aa30962ddfaaull },
    { GK_TYPE_Q8_1, 0xff34ca2f507f3bbcull },
    { GK_TYPE_Q2_K, 0xe4b625c315940f3bull },
    { GK_TYPE_Q3_K, 0xd51efdac5aa447f2ull },
    { GK_TYPE_Q4_K, 0x7d4570f5cf6db6e8ull },
    { GK_TYPE_Q5_K, 0x10553342399f9c16ull },
    { GK_TYPE_Q6_K, 0xd99f8784b9ab28b0ull },
    { GK_TYPE_Q8_K, 0x5f94c2b2149eb69full },
    { GK_TYPE_F16, 0x6d6bbd63918bf2aeull },
    { GK_TYPE_BF16, 0xf4e85667a09a4083ull },
  };
  static const float scl[11] = { 1e-5f, 1e-4f, 1e-3f, 1e-2f, 1e-1f, 1.0f,
                                 1e1f, 1e2f, 1e3f, 1e4f, 1e5f };
  enum { N = 1024 };
  float *x = malloc (N * sizeof *x);
  unsigned char *buf = malloc (N * 4);

  for (size_t g = 0; g < sizeof golden / sizeof golden[0]; g++)
    {
      const uint32_t type = golden[g].t;
      uint64_t h = KT_FNV_INIT;
      for (int it = 0; it < 64; it++)
        {
          kt_rng r = { 0x9E3779B97F4A7C15ull ^ (uint64_t) (type * 1000 + it + 1) };
          kt_fill (&r, x, N, it);
          if (it % 3 == 1)
            for (int i = 0; i < N; i++)
              x[i] *= scl[it % 11];
          size_t sz = gk_row_size (type, N);
          memset (buf, 0, sz);
          gk_quantize_row_ref (type, x, buf, N);
          h = kt_fnv1a (h, buf, sz);
        }
      KT_CHECK (h == golden[g].h, "%s: hash %016llx differs from ggml's %016llx",
                gk_type_get (type)->name, (unsigned long long) h, (unsigned long long) golden[g].h);
    }
  free (x);
  free (buf);
}

int
main (void)
{
  test_type_table ();
  test_fp16_exhaustive ();
  test_bf16 ();
  test_exact_grids ();
  test_roundtrip_error ();
  test_ggml_hashes ();
  if (kt_failures)
    fprintf (stderr, "%d failures\n", kt_failures);
  return kt_failures ? 1 : 0;
}
