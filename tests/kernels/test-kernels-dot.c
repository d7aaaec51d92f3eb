/* test-kernels-dot.c — every kernel variant this CPU supports against the
 * scalar one and against float64 sums of dequantized values.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gemlet-kernels.h"
#include "kt-common.h"

#include <stdlib.h>

static const uint32_t wtypes[] = {
  GK_TYPE_F32, GK_TYPE_F16, GK_TYPE_BF16, GK_TYPE_Q4_0, GK_TYPE_Q4_1, GK_TYPE_Q5_0,
  GK_TYPE_Q5_1, GK_TYPE_Q8_0, GK_TYPE_Q2_K, GK_TYPE_Q3_K, GK_TYPE_Q4_K, GK_TYPE_Q5_K,
  GK_TYPE_Q6_K,
};

/* Bound on |dot - exact| where exact is the float64 dot of the dequantized
 * operands: float accumulation error only, relative to sum |w_i x_i|. */
#define ACC_REL 2e-5

static void *
xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  if (!p)
    abort ();
  return p;
}

/* One matmul case: rows x k weights of type wt, n_cols activation columns. */
static void
check_matmul (uint32_t wt, int64_t k, int64_t rows, int64_t n_cols, int seed)
{
  const char *name = gk_type_get (wt)->name;
  const uint32_t at = gk_vec_dot_type (wt);
  const size_t wrb = gk_row_size (wt, k), xrb = gk_row_size (at, k);
  float *wf = xmalloc (sizeof (float) * k * rows);
  float *xf = xmalloc (sizeof (float) * k * n_cols);
  float *wd = xmalloc (sizeof (float) * k * rows);
  float *xd = xmalloc (sizeof (float) * k * n_cols);
  unsigned char *w = xmalloc (wrb * rows);
  unsigned char *xq_s = xmalloc (xrb * n_cols), *xq_v = xmalloc (xrb * n_cols);
  const size_t ys = (size_t) rows + 3; /* stride != rows on purpose */
  float *y_s = xmalloc (sizeof (float) * ys * n_cols), *y_v = xmalloc (sizeof (float) * ys * n_cols);
  kt_rng r = { 0x1234567ull + (uint64_t) seed * 7919 + wt };

  kt_fill (&r, wf, k * rows, seed % 3 == 2 ? 1 : 0);
  kt_fill (&r, xf, k * n_cols, seed % 2 ? 2 : 0);
  for (int64_t i = 0; i < rows; i++)
    {
      gk_quantize_row_ref (wt, wf + i * k, w + i * wrb, k);
      gk_dequantize_row (wt, w + i * wrb, wd + i * k, k);
    }

  /* scalar results */
  gk_force_variant (GK_VARIANT_SCALAR);
  for (int64_t c = 0; c < n_cols; c++)
    gk_quantize_act (at, xf + c * k, xq_s + c * xrb, k);
  for (size_t i = 0; i < ys * n_cols; i++)
    y_s[i] = NAN;
  gk_matmul (wt, w, wrb, k, 0, rows, xq_s, xrb, n_cols, y_s, ys);

  for (int v = 0; v < GK_VARIANT_COUNT; v++)
    {
      if (!gk_force_variant ((gk_variant) v))
        continue;
      for (int64_t c = 0; c < n_cols; c++)
        gk_quantize_act (at, xf + c * k, xq_v + c * xrb, k);
      for (size_t i = 0; i < ys * n_cols; i++)
        y_v[i] = NAN;
      /* split the rows like a thread pool would, unevenly */
      int64_t mid = rows / 3;
      gk_matmul (wt, w, wrb, k, 0, mid, xq_v, xrb, n_cols, y_v, ys);
      gk_matmul (wt, w, wrb, k, mid, rows, xq_v, xrb, n_cols, y_v, ys);

      int bad = 0;
      double worst = 0;
      for (int64_t c = 0; c < n_cols; c++)
        {
          gk_dequantize_row (at, xq_v + c * xrb, xd + c * k, k);
          for (int64_t i = 0; i < rows; i++)
            {
              double exact = 0, mag = 0;
              for (int64_t j = 0; j < k; j++)
                {
                  exact += (double) wd[i * k + j] * xd[c * k + j];
                  mag += fabs ((double) wd[i * k + j] * xd[c * k + j]);
                }
              const float got = y_v[c * ys + i];
              /* the Q8_1 sum s is stored as F16, which rounds m*s */
              double tol = ACC_REL * mag + 1e-30;
              if (at == GK_TYPE_Q8_1)
                tol += 2e-3 * mag;
              double err = fabs (got - exact);
              if (!(err <= tol))
                bad++;
              if (mag > 0 && err / mag > worst)
                worst = err / mag;
              /* also against the scalar variant, whose activation codes
               * may differ by one step (round-half-even vs away) */
              const float ref = y_s[c * ys + i];
              if (!(fabs ((double) got - ref) <= 1e-2 * mag + 1e-30))
                bad++;
            }
          /* untouched padding of the output stride */
          for (int64_t i = rows; i < (int64_t) ys; i++)
            bad += !isnan (y_v[c * ys + i]);
        }
      KT_CHECK (bad == 0, "%s %s k=%lld rows=%lld cols=%lld: %d bad (worst rel %.3g)",
                gk_variant_label (v), name, (long long) k, (long long) rows,
                (long long) n_cols, bad, worst);

      /* gk_vec_dot agrees with the matmul column */
      float d0 = gk_vec_dot (wt, w, xq_v, k);
      KT_CHECK (d0 == y_v[0], "%s %s vec_dot %g vs matmul %g", gk_variant_label (v), name,
                (double) d0, (double) y_v[0]);
    }
  gk_force_variant (GK_VARIANT_SCALAR);
  free (wf); free (xf); free (wd); free (xd); free (w);
  free (xq_s); free (xq_v); free (y_s); free (y_v);
}

/* Prefill panels: for every variant with a panel kernel for wt, the panel
 * product of n_cols columns equals the row product of the same variant up
 * to float rounding (the integer block sums are exact in both), with rows
 * split unevenly as threads would, the packing split by strips, and the
 * output stride's padding untouched. */
static void
check_panel (uint32_t wt, int64_t k, int64_t rows, int64_t n_cols, int seed)
{
  const char *name = gk_type_get (wt)->name;
  const uint32_t at = gk_vec_dot_type (wt);
  const size_t wrb = gk_row_size (wt, k), xrb = gk_row_size (at, k);
  float *wf = xmalloc (sizeof (float) * k * rows), *xf = xmalloc (sizeof (float) * k * n_cols);
  float *wd = xmalloc (sizeof (float) * k * rows), *xd = xmalloc (sizeof (float) * k);
  unsigned char *w = xmalloc (wrb * rows), *xq = xmalloc (xrb * n_cols);
  const size_t ys = (size_t) rows + 5;
  float *y_r = xmalloc (sizeof (float) * ys * n_cols), *y_p = xmalloc (sizeof (float) * ys * n_cols);
  kt_rng r = { 0xabcdefull + (uint64_t) seed * 131 + wt };

  kt_fill (&r, wf, k * rows, seed % 3 == 2 ? 1 : 0);
  kt_fill (&r, xf, k * n_cols, seed % 2 ? 2 : 0);
  for (int64_t i = 0; i < rows; i++)
    {
      gk_quantize_row_ref (wt, wf + i * k, w + i * wrb, k);
      gk_dequantize_row (wt, w + i * wrb, wd + i * k, k);
    }
  for (int v = 0; v < GK_VARIANT_COUNT; v++)
    {
      if (!gk_force_variant ((gk_variant) v))
        continue;
      const size_t pb = gk_panel_bytes (wt, k, n_cols);
      if (pb == 0)
        continue;
      unsigned char *panel = xmalloc (pb);
      const int64_t ns = gk_panel_strips (n_cols);
      for (int64_t c = 0; c < n_cols; c++)
        gk_quantize_act (at, xf + c * k, xq + c * xrb, k);
      for (size_t i = 0; i < ys * n_cols; i++)
        y_r[i] = y_p[i] = NAN;
      gk_matmul (wt, w, wrb, k, 0, rows, xq, xrb, n_cols, y_r, ys);
      gk_panel_pack (wt, xf, k, n_cols, 0, ns / 2, panel);
      gk_panel_pack (wt, xf, k, n_cols, ns / 2, ns, panel);
      const int64_t mid = rows / 3;
      gk_matmul_panel (wt, w, wrb, k, 0, mid, panel, n_cols, y_p, ys);
      gk_matmul_panel (wt, w, wrb, k, mid, rows, panel, n_cols, y_p, ys);

      int bad = 0;
      double worst = 0;
      for (int64_t c = 0; c < n_cols; c++)
        {
          gk_dequantize_row (at, xq + c * xrb, xd, k);
          for (int64_t i = 0; i < rows; i++)
            {
              double mag = 0;
              for (int64_t j = 0; j < k; j++)
                mag += fabs ((double) wd[i * k + j] * xd[j]);
              const double err = fabs ((double) y_p[c * ys + i] - y_r[c * ys + i]);
              if (!(err <= ACC_REL * mag + 1e-30))
                bad++;
              if (mag > 0 && err / mag > worst)
                worst = err / mag;
            }
          for (int64_t i = rows; i < (int64_t) ys; i++)
            bad += !isnan (y_p[c * ys + i]);
        }
      KT_CHECK (bad == 0, "%s %s panel k=%lld rows=%lld cols=%lld: %d bad (worst rel %.3g)",
                gk_variant_label (v), name, (long long) k, (long long) rows, (long long) n_cols,
                bad, worst);
      free (panel);
    }
  gk_force_variant (GK_VARIANT_SCALAR);
  free (wf); free (xf); free (wd); free (xd); free (w); free (xq); free (y_r); free (y_p);
}

/* The overall quantization error stays within format-specific bounds:
 * |dot(quantized) - dot(original floats)| relative to |w|*|x|. */
static void
check_end_to_end (void)
{
  static const struct { uint32_t t; double lim; } lim[] = {
    { GK_TYPE_F32, 1e-7 }, { GK_TYPE_F16, 5e-5 }, { GK_TYPE_BF16, 5e-4 },
    { GK_TYPE_Q8_0, 1e-3 }, { GK_TYPE_Q6_K, 3e-3 }, { GK_TYPE_Q5_0, 5e-3 },
    { GK_TYPE_Q5_1, 5e-3 }, { GK_TYPE_Q5_K, 5e-3 }, { GK_TYPE_Q4_0, 0.012 },
    { GK_TYPE_Q4_1, 0.012 }, { GK_TYPE_Q4_K, 0.012 }, { GK_TYPE_Q3_K, 0.015 },
    { GK_TYPE_Q2_K, 0.04 },
  };
  enum { K = 4096 };
  float *w = xmalloc (K * sizeof (float)), *x = xmalloc (K * sizeof (float));
  unsigned char *wq = xmalloc (K * 4), *xq = xmalloc (K * 4);

  for (int v = 0; v < GK_VARIANT_COUNT; v++)
    {
      if (!gk_force_variant ((gk_variant) v))
        continue;
      for (size_t t = 0; t < sizeof lim / sizeof lim[0]; t++)
        {
          double worst = 0;
          for (int it = 0; it < 20; it++)
            {
              kt_rng r = { 777ull + (uint64_t) it };
              kt_fill (&r, w, K, 0);
              kt_fill (&r, x, K, it % 2 ? 1 : 0);
              double exact = 0, nw = 0, nx = 0;
              for (int j = 0; j < K; j++)
                {
                  exact += (double) w[j] * x[j];
                  nw += (double) w[j] * w[j];
                  nx += (double) x[j] * x[j];
                }
              gk_quantize_row_ref (lim[t].t, w, wq, K);
              gk_quantize_act (gk_vec_dot_type (lim[t].t), x, xq, K);
              double got = gk_vec_dot (lim[t].t, wq, xq, K);
              double rel = fabs (got - exact) / sqrt (nw * nx);
              if (rel > worst)
                worst = rel;
            }
          KT_CHECK (worst <= lim[t].lim, "%s %s: dot error %.4g > %.4g", gk_variant_label (v),
                    gk_type_get (lim[t].t)->name, worst, lim[t].lim);
          if (getenv ("KT_VERBOSE"))
            printf ("# %s %-5s dot rel err %.3g\n", gk_variant_label (v),
                    gk_type_get (lim[t].t)->name, worst);
        }
    }
  gk_force_variant (GK_VARIANT_SCALAR);
  free (w); free (x); free (wq); free (xq);
}

/* Element-wise helpers: every variant equals the scalar within float
 * rounding; odd lengths cover the SIMD tails. */
/* F16 rows × F32 columns (attention over an F16 cache), every variant:
 * each output equals gk_dot_f16_f32 of its row and column bit for bit, for
 * column counts around the SIMD tiles and lengths with and without a
 * scalar tail; columns whose values are F16 numbers also give exactly the
 * F16 × F16 product that gk_matmul computes. */
static void
check_matmul_f16_f32 (void)
{
  enum { R = 9, MAXK = 520, MAXC = 11 };
  static uint16_t w[R * MAXK], xh[MAXC * MAXK];
  static float x[MAXC * MAXK], y[MAXC * R], yh[MAXC * R];
  static const int64_t ks[] = { 7, 32, 96, 512, 517 };

  for (int i = 0; i < R * MAXK; i++)
    w[i] = gk_fp32_to_fp16 ((float) ((i * 7919) % 2001 - 1000) / 300.0f);
  for (int i = 0; i < MAXC * MAXK; i++)
    {
      xh[i] = gk_fp32_to_fp16 ((float) ((i * 104729) % 1999 - 999) / 250.0f);
      x[i] = gk_fp16_to_fp32 (xh[i]);
    }
  for (int v = 0; v < GK_VARIANT_COUNT; v++)
    {
      if (!gk_force_variant ((gk_variant) v))
        continue;
      int bad = 0, bad_h = 0;

      for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
        for (int nc = 1; nc <= MAXC; nc++)
          {
            const int64_t k = ks[ki];

            memset (y, 0, sizeof y);
            gk_matmul_f16_f32 (w, MAXK * sizeof (uint16_t), k, 1, R, x, MAXK * sizeof (float), nc, y,
                               R);
            gk_matmul (GK_TYPE_F16, w, MAXK * sizeof (uint16_t), k, 1, R, xh,
                       MAXK * sizeof (uint16_t), nc, yh, R);
            for (int c = 0; c < nc; c++)
              {
                bad += y[c * R] != 0.0f; /* row 0 is outside the range */
                for (int r = 1; r < R; r++)
                  {
                    const float want = gk_dot_f16_f32 (w + r * MAXK, x + c * MAXK, k);

                    bad += memcmp (&y[c * R + r], &want, sizeof want) != 0;
                    bad_h += memcmp (&y[c * R + r], &yh[c * R + r], sizeof (float)) != 0;
                  }
              }
          }
      KT_CHECK (bad == 0, "%s matmul_f16_f32: %d outputs differ from gk_dot_f16_f32",
                gk_variant_label (v), bad);
      /* the x86 SIMD variants: also the F16 × F16 dot, as llama.cpp's */
      if (v == GK_VARIANT_AVX2 || v == GK_VARIANT_AVX512)
        KT_CHECK (bad_h == 0, "%s matmul_f16_f32: %d outputs differ from the F16 x F16 product",
                  gk_variant_label (v), bad_h);
    }
  gk_force_variant (GK_VARIANT_SCALAR);
}

/* Soft-capping, every variant, against tanh in double: a sweep across
 * both branches of the SIMD tanh (|x / cap| below and above 0.55, up to
 * where tanh is 1 in float), tails of odd length, and the special values
 * (±0 keep their sign, ±inf give ±cap, NaN stays NaN). */
static void
check_softcap (void)
{
  enum { M = 4003 };
  static float x[M], y[M];
  const float cap = 30.0f;

  for (int v = 0; v < GK_VARIANT_COUNT; v++)
    {
      if (!gk_force_variant ((gk_variant) v))
        continue;
      int bad = 0;
      double worst = 0;

      for (int i = 0; i < M; i++)
        x[i] = (float) ((i - M / 2) * (700.0 / M)) * (i % 3 ? 1.0f : 0.013f); /* -350 … 350 */
      x[7] = 0.0f;
      x[8] = -0.0f;
      x[9] = INFINITY;
      x[10] = -INFINITY;
      x[11] = NAN;
      x[12] = 1e-30f;
      x[13] = -16.5f;  /* |x / cap| = 0.55, the branch point */
      memcpy (y, x, sizeof x);
      gk_softcap (y, M, cap);
      for (int i = 0; i < M; i++)
        {
          if (isnan (x[i]))
            {
              bad += !isnan (y[i]);
              continue;
            }
          const double want = cap * tanh ((double) x[i] / cap);
          const double err = fabs (y[i] - want) / (fabs (want) + 1e-30);
          if (err > worst)
            worst = err;
          bad += !(err <= 4e-7) || signbit (y[i]) != signbit (x[i]);
        }
      KT_CHECK (bad == 0, "%s softcap: %d bad, worst relative error %.3g", gk_variant_label (v), bad,
                worst);
      /* odd lengths: the scalar tails */
      bad = 0;
      for (int n = 1; n < 20; n++)
        {
          float a[20], b[20];
          for (int i = 0; i < n; i++)
            a[i] = b[i] = (float) (i * 7 - 60);
          gk_softcap (a, n, cap);
          for (int i = 0; i < n; i++)
            bad += !(fabs (a[i] - cap * tanh ((double) b[i] / cap)) <= 4e-7 * cap);
        }
      KT_CHECK (bad == 0, "%s softcap tails: %d bad", gk_variant_label (v), bad);
    }
  gk_force_variant (GK_VARIANT_SCALAR);
}

static void
check_elementwise (void)
{
  enum { N = 1003 };
  float a[N], b[N], y0[N], y1[N];
  uint16_t h[N];
  kt_rng r = { 99 };

  kt_fill (&r, a, N, 0);
  kt_fill (&r, b, N, 1);
  for (int i = 0; i < N; i++)
    h[i] = gk_fp32_to_fp16 (a[i]);

  double exact = 0, mag = 0, exact_h = 0;
  for (int i = 0; i < N; i++)
    {
      exact += (double) a[i] * b[i];
      mag += fabs ((double) a[i] * b[i]);
      exact_h += (double) gk_fp16_to_fp32 (h[i]) * b[i];
    }
  for (int v = 0; v < GK_VARIANT_COUNT; v++)
    {
      if (!gk_force_variant ((gk_variant) v))
        continue;
      const char *vn = gk_variant_label (v);
      for (int n = 0; n <= 40; n++) /* tails */
        {
          double e = 0, m = 0;
          for (int i = 0; i < n; i++)
            {
              e += (double) a[i] * b[i];
              m += fabs ((double) a[i] * b[i]);
            }
          KT_CHECK (fabs (gk_dot_f32 (a, b, n) - e) <= 1e-6 * m + 1e-30, "%s dot_f32 n=%d", vn, n);
        }
      KT_CHECK (fabs (gk_dot_f32 (a, b, N) - exact) <= 1e-6 * mag, "%s dot_f32", vn);
      KT_CHECK (fabs (gk_dot_f16_f32 (h, b, N) - exact_h) <= 1e-6 * mag, "%s dot_f16_f32", vn);

      memcpy (y0, b, sizeof b);
      memcpy (y1, b, sizeof b);
      gk_axpy_f32 (0.37f, a, y0, N);
      gk_axpy_f16 (0.37f, h, y1, N);
      int bad = 0;
      for (int i = 0; i < N; i++)
        {
          bad += fabsf (y0[i] - (b[i] + 0.37f * a[i])) > 1e-6f * (fabsf (b[i]) + fabsf (a[i]));
          bad += fabsf (y1[i] - (b[i] + 0.37f * gk_fp16_to_fp32 (h[i])))
                 > 1e-6f * (fabsf (b[i]) + fabsf (a[i]));
        }
      memcpy (y0, a, sizeof a);
      gk_scale_f32 (y0, -3.0f, N);
      for (int i = 0; i < N; i++)
        bad += y0[i] != a[i] * -3.0f;
      KT_CHECK (bad == 0, "%s axpy/scale: %d bad", vn, bad);
    }
  gk_force_variant (GK_VARIANT_SCALAR);

  /* GELU: the table variant is within F16 precision of the exact one and
   * follows ggml's clamps */
  int bad = 0;
  for (int i = -2000; i <= 2000; i++)
    {
      float x = (float) i * 0.0061f;
      float e = gk_gelu (x, GK_GELU_TANH), t = gk_gelu (x, GK_GELU_TANH_TABLE);
      double want = 0.5 * x * (1 + tanh (0.7978845608028654 * (x + 0.044715 * (double) x * x * x)));
      bad += fabs (e - want) > 1e-6 * (1 + fabs (want));
      bad += fabs (t - want) > 2e-3 * (1 + fabs (want));
    }
  KT_CHECK (bad == 0, "gelu: %d bad", bad);
  KT_CHECK (gk_gelu (-10.0f, GK_GELU_TANH_TABLE) == 0.0f, "gelu clamp low");
  KT_CHECK (gk_gelu (12.5f, GK_GELU_TANH_TABLE) == 12.5f, "gelu clamp high");
  KT_CHECK (gk_gelu (0.0f, GK_GELU_TANH_TABLE) == 0.0f, "gelu 0");

  float g[N], u[N], o[N];
  kt_fill (&r, g, N, 0);
  kt_fill (&r, u, N, 0);
  g[0] = -11.0f;
  g[1] = 11.0f;
  gk_geglu (g, u, o, N, GK_GELU_TANH_TABLE);
  bad = 0;
  for (int i = 0; i < N; i++)
    bad += o[i] != gk_gelu (g[i], GK_GELU_TANH_TABLE) * u[i];
  memcpy (o, g, sizeof g);
  gk_geglu (o, u, o, N, GK_GELU_TANH); /* aliasing */
  for (int i = 0; i < N; i++)
    bad += o[i] != gk_gelu (g[i], GK_GELU_TANH) * u[i];
  memcpy (o, g, sizeof g);
  gk_gelu_inplace (o, N, GK_GELU_TANH_TABLE);
  for (int i = 0; i < N; i++)
    bad += o[i] != gk_gelu (g[i], GK_GELU_TANH_TABLE);
  KT_CHECK (bad == 0, "geglu: %d bad", bad);

  /* every variant's table GELU equals the scalar one, special values too */
  {
    float gs[N + 5], us[N + 5], want[N + 5], got[N + 5];
    const float special[] = { NAN, INFINITY, -INFINITY, 10.0f, -10.0f, 9.999f, -9.999f,
                              65520.0f, 1e-30f, -1e-30f, 6e-8f, -0.0f, 3e-5f };
    kt_fill (&r, gs, N + 5, 0);
    kt_fill (&r, us, N + 5, 0);
    for (int i = 0; i < N + 5; i++)
      gs[i] *= 4.0f;
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
      gs[3 * i + 1] = special[i];
    gk_force_variant (GK_VARIANT_SCALAR);
    gk_geglu (gs, us, want, N + 5, GK_GELU_TANH_TABLE);
    for (int v = 0; v < GK_VARIANT_COUNT; v++)
      {
        if (!gk_force_variant ((gk_variant) v))
          continue;
        int vbad = 0;
        gk_geglu (gs, us, got, N + 5, GK_GELU_TANH_TABLE);
        for (int i = 0; i < N + 5; i++)
          vbad += memcmp (&got[i], &want[i], sizeof (float)) != 0
                  && !(isnan (got[i]) && isnan (want[i]));
        memcpy (got, gs, sizeof gs);
        gk_gelu_inplace (got, N + 5, GK_GELU_TANH_TABLE);
        for (int i = 0; i < N + 5; i++)
          {
            const float w1 = gk_gelu (gs[i], GK_GELU_TANH_TABLE);
            vbad += memcmp (&got[i], &w1, sizeof (float)) != 0 && !(isnan (got[i]) && isnan (w1));
          }
        KT_CHECK (vbad == 0, "%s table gelu: %d differ from scalar", gk_variant_label (v), vbad);
      }
    gk_force_variant (GK_VARIANT_SCALAR);
  }

  /* rmsnorm against float64 */
  float wn[N], out[N];
  kt_fill (&r, wn, N, 1);
  gk_rmsnorm (a, wn, out, N, 1e-6f);
  double ss = 0;
  for (int i = 0; i < N; i++)
    ss += (double) a[i] * a[i];
  double sc = 1.0 / sqrt (ss / N + 1e-6);
  bad = 0;
  for (int i = 0; i < N; i++)
    bad += fabs (out[i] - a[i] * sc * wn[i]) > 1e-6 * (fabs (a[i] * sc * wn[i]) + 1e-6);
  memcpy (out, a, sizeof a);
  gk_rmsnorm (out, NULL, out, N, 1e-6f);
  for (int i = 0; i < N; i++)
    bad += fabs (out[i] - a[i] * sc) > 1e-6 * (fabs (a[i] * sc) + 1e-6);
  KT_CHECK (bad == 0, "rmsnorm: %d bad", bad);

  /* softmax, every variant: sums to one, matches float64, survives -inf
   * (masked) and scores far below the maximum */
  for (int v = 0; v < GK_VARIANT_COUNT; v++)
    {
      if (!gk_force_variant ((gk_variant) v))
        continue;
      for (int round = 0; round < 2; round++)
        {
          float sm[N];
          const float spread = round ? 30.0f : 3.0f; /* scores down to ~-200 */
          for (int i = 0; i < N; i++)
            sm[i] = a[i] * spread;
          sm[5] = -INFINITY;
          sm[17] = -INFINITY;
          /* reference from the same float differences x - max the
           * kernels see (that subtraction alone is inexact) */
          float mx = -INFINITY;
          double tot = 0, sum = 0;
          for (int i = 0; i < N; i++)
            if (sm[i] > mx)
              mx = sm[i];
          double ref[N];
          for (int i = 0; i < N; i++)
            {
              ref[i] = (i == 5 || i == 17) ? 0 : exp ((double) (sm[i] - mx));
              tot += ref[i];
            }
          gk_softmax (sm, N);
          bad = 0;
          for (int i = 0; i < N; i++)
            {
              double want = ref[i] / tot;
              bad += !(fabs (sm[i] - want) <= 1e-6 * want + 1e-37);
              sum += sm[i];
            }
          KT_CHECK (bad == 0 && fabs (sum - 1) < 1e-5, "%s softmax: %d bad, sum %g",
                    gk_variant_label (v), bad, sum);
        }
    }
  gk_force_variant (GK_VARIANT_SCALAR);
  check_softcap ();
  check_matmul_f16_f32 ();
}

/* Q8_K activations are the reference quantizer's bytes in every variant
 * (the scale from the first value of largest magnitude, its sign kept):
 * random rows, rows with +max and -max both present, all-zero blocks. */
static void
check_q8_K_act (void)
{
  enum { K = 4 * 256, BLOCK_BYTES = 292 };
  float x[K];
  unsigned char want[K / 256 * BLOCK_BYTES], got[sizeof want];
  const size_t bytes = gk_row_size (GK_TYPE_Q8_K, K);
  kt_rng r = { 4321 };

  KT_CHECK (bytes == sizeof want, "q8_K row size");
  for (int round = 0; round < 6; round++)
    {
      kt_fill (&r, x, K, round);
      x[17] = 9.5f;   /* ties for the largest magnitude: the first one counts */
      x[200] = -9.5f;
      x[256 + 3] = -9.5f;
      x[256 + 90] = 9.5f;
      for (int j = 512; j < 768; j++)
        x[j] = 0.0f;
      gk_force_variant (GK_VARIANT_SCALAR);
      gk_quantize_act (GK_TYPE_Q8_K, x, want, K);
      for (int v = 0; v < GK_VARIANT_COUNT; v++)
        {
          if (!gk_force_variant ((gk_variant) v))
            continue;
          memset (got, 0x55, sizeof got);
          gk_quantize_act (GK_TYPE_Q8_K, x, got, K);
          KT_CHECK (memcmp (got, want, bytes) == 0, "%s q8_K activations differ (round %d)",
                    gk_variant_label (v), round);
        }
    }
  gk_force_variant (GK_VARIANT_SCALAR);
}

static void
check_dispatch (void)
{
  gk_init ();
  gk_init ();
  KT_CHECK (gk_variant_supported (GK_VARIANT_SCALAR), "scalar always");
  KT_CHECK (!gk_variant_supported (GK_VARIANT_COUNT), "out of range");
  KT_CHECK (gk_variant_label (GK_VARIANT_COUNT) == NULL, "label range");
  KT_CHECK (gk_cpu_features () && gk_cpu_features ()[0], "features");
  KT_CHECK (gk_vec_dot_type (GK_TYPE_Q4_0) == GK_TYPE_Q8_0, "q4_0 act");
  KT_CHECK (gk_vec_dot_type (GK_TYPE_Q4_1) == GK_TYPE_Q8_1, "q4_1 act");
  KT_CHECK (gk_vec_dot_type (GK_TYPE_Q6_K) == GK_TYPE_Q8_K, "q6_K act");
  KT_CHECK (gk_vec_dot_type (GK_TYPE_BF16) == GK_TYPE_BF16, "bf16 act");
  KT_CHECK (gk_vec_dot_type (GK_TYPE_Q8_K) == GK_TYPE_COUNT, "q8_K has no product");
  KT_CHECK (gk_vec_dot_type (20) == GK_TYPE_COUNT, "iq4_nl unsupported");
  printf ("# variant %s, features: %s\n", gk_variant_name (), gk_cpu_features ());
  for (int v = 0; v < GK_VARIANT_COUNT; v++)
    printf ("# %-14s %s\n", gk_variant_label (v), gk_variant_supported (v) ? "yes" : "no");
}

int
main (void)
{
  check_dispatch ();
  /* the cross test asks which variant the dispatch picks on several CPUs */
  if (getenv ("KT_DISPATCH_ONLY"))
    return kt_failures ? 1 : 0;
  for (size_t t = 0; t < sizeof wtypes / sizeof wtypes[0]; t++)
    {
      const uint32_t wt = wtypes[t];
      const int64_t bs = gk_type_get (wt)->block_size == 1 ? 32 : gk_type_get (wt)->block_size;
      /* one block, a few blocks, a Gemma-sized row; 1..9 columns */
      check_matmul (wt, bs, 5, 1, 1);
      check_matmul (wt, bs * 3, 7, 9, 2);
      check_matmul (wt, 1536, 11, 4, 3);
      check_matmul (wt, 2 * bs, 13, 5, 4);
      if (gk_type_get (wt)->block_size == 1)
        check_matmul (wt, 37, 3, 3, 5); /* float rows need no blocks */
      /* enough rows for several cache blocks of a SIMD matmul */
      if (wt == GK_TYPE_Q4_0 || wt == GK_TYPE_Q8_0 || wt == GK_TYPE_Q6_K || wt == GK_TYPE_Q4_K)
        check_matmul (wt, 4096, 130, 6, 6);
    }
  /* panels: one block, several K chunks, partial strips, a row count
   * that is not a multiple of the tile and spans row blocks */
  for (size_t t = 0; t < sizeof wtypes / sizeof wtypes[0]; t++)
    {
      check_panel (wtypes[t], 32, 5, 8, 1);
      check_panel (wtypes[t], 1536, 11, 17, 2);
      check_panel (wtypes[t], 96, 70, 40, 3);
      check_panel (wtypes[t], 4096, 131, 33, 4);
      check_panel (wtypes[t], 2560, 9, 64, 5);
    }
  check_q8_K_act ();
  check_end_to_end ();
  check_elementwise ();
  if (kt_failures)
    fprintf (stderr, "%d failures\n", kt_failures);
  return kt_failures ? 1 : 0;
}
