/* test-kernels-ggml.c — conformance: our kernels against llama.cpp's own
 * ggml libraries (the pinned prebuilt ones from tests/conformance/setup.sh),
 * loaded with dlopen.
 *
 *   test-kernels-ggml LIBDIR
 *
 * Checked bit for bit: every reference quantizer and dequantizer, the F16
 * and BF16 converters, the GELU table, and (on CPUs with AVX2) the AVX2
 * activation quantizers and dot products of every weight type against
 * ggml's "haswell" build (our AVX-512 variant too: it computes the same
 * integer sums with VNNI and the same float accumulation).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gemlet-kernels.h"
#include "kt-common.h"

#include <dlfcn.h>
#include <stdlib.h>

typedef void (*ggml_quant_fn) (const float *, void *, int64_t);
typedef void (*ggml_dequant_fn) (const void *, float *, int64_t);
typedef void (*ggml_dot_fn) (int n, float *s, size_t bs, const void *x, size_t bx,
                             const void *y, size_t by, int nrc);

const uint16_t *gk_gelu_table (void); /* internal, declared for this test */

static void *
open_lib (const char *dir, const char *name, int flags)
{
  char path[4096];
  snprintf (path, sizeof path, "%s/%s", dir, name);
  void *h = dlopen (path, flags);
  if (!h)
    fprintf (stderr, "# cannot load %s: %s\n", path, dlerror ());
  return h;
}

static void
check_ref (void *base)
{
  static const struct { uint32_t t; const char *q, *dq; } T[] = {
    { GK_TYPE_Q4_0, "quantize_row_q4_0_ref", "dequantize_row_q4_0" },
    { GK_TYPE_Q4_1, "quantize_row_q4_1_ref", "dequantize_row_q4_1" },
    { GK_TYPE_Q5_0, "quantize_row_q5_0_ref", "dequantize_row_q5_0" },
    { GK_TYPE_Q5_1, "quantize_row_q5_1_ref", "dequantize_row_q5_1" },
    { GK_TYPE_Q8_0, "quantize_row_q8_0_ref", "dequantize_row_q8_0" },
    { GK_TYPE_Q8_1, "quantize_row_q8_1_ref", NULL },
    { GK_TYPE_Q2_K, "quantize_row_q2_K_ref", "dequantize_row_q2_K" },
    { GK_TYPE_Q3_K, "quantize_row_q3_K_ref", "dequantize_row_q3_K" },
    { GK_TYPE_Q4_K, "quantize_row_q4_K_ref", "dequantize_row_q4_K" },
    { GK_TYPE_Q5_K, "quantize_row_q5_K_ref", "dequantize_row_q5_K" },
    { GK_TYPE_Q6_K, "quantize_row_q6_K_ref", "dequantize_row_q6_K" },
    { GK_TYPE_Q8_K, "quantize_row_q8_K_ref", "dequantize_row_q8_K" },
    { GK_TYPE_F16, "ggml_fp32_to_fp16_row", "ggml_fp16_to_fp32_row" },
    { GK_TYPE_BF16, "ggml_fp32_to_bf16_row_ref", "ggml_bf16_to_fp32_row" },
  };
  enum { N = 4096 };
  float *x = malloc (N * sizeof *x), *y1 = malloc (N * sizeof *y1), *y2 = malloc (N * sizeof *y2);
  unsigned char *a = malloc (N * 4), *b = malloc (N * 4);

  for (size_t k = 0; k < sizeof T / sizeof T[0]; k++)
    {
      ggml_quant_fn q = (ggml_quant_fn) dlsym (base, T[k].q);
      ggml_dequant_fn dq = T[k].dq ? (ggml_dequant_fn) dlsym (base, T[k].dq) : NULL;
      const char *name = gk_type_get (T[k].t)->name;
      int bad = 0, dbad = 0;
      if (!q)
        {
          KT_CHECK (0, "ggml lacks %s", T[k].q);
          continue;
        }
      for (int it = 0; it < 300; it++)
        {
          kt_rng r = { 0xabcdefull + (uint64_t) it * 31 + T[k].t };
          kt_fill (&r, x, N, it);
          if (it % 3 == 1)
            for (int i = 0; i < N; i++)
              x[i] *= ldexpf (1.0f, it % 41 - 20);
          const size_t sz = gk_row_size (T[k].t, N);
          memset (a, 0, sz);
          memset (b, 0, sz);
          q (x, a, N);
          gk_quantize_row_ref (T[k].t, x, b, N);
          if (T[k].t == GK_TYPE_Q8_K) /* ggml leaves bsums of all-zero blocks unset */
            for (int blk = 0; blk < N / 256; blk++)
              {
                float d;
                memcpy (&d, a + blk * 292, 4);
                if (d == 0.0f)
                  memset (a + blk * 292 + 260, 0, 32);
              }
          bad += memcmp (a, b, sz) != 0;
          if (dq)
            {
              dq (a, y1, N);
              gk_dequantize_row (T[k].t, a, y2, N);
              dbad += memcmp (y1, y2, N * sizeof (float)) != 0;
            }
        }
      KT_CHECK (bad == 0 && dbad == 0, "%s: %d quantize and %d dequantize mismatches", name, bad, dbad);
    }
  free (x); free (y1); free (y2); free (a); free (b);

  /* converters over every half and a sweep of floats */
  float (*h2f) (uint16_t) = (float (*) (uint16_t)) dlsym (base, "ggml_fp16_to_fp32");
  uint16_t (*f2h) (float) = (uint16_t (*) (float)) dlsym (base, "ggml_fp32_to_fp16");
  uint16_t (*f2b) (float) = (uint16_t (*) (float)) dlsym (base, "ggml_fp32_to_bf16");
  if (h2f && f2h && f2b)
    {
      long bad = 0;
      for (uint32_t h = 0; h < 65536; h++)
        {
          float u = h2f ((uint16_t) h), v = gk_fp16_to_fp32 ((uint16_t) h);
          bad += memcmp (&u, &v, 4) != 0;
        }
      for (uint64_t u = 0; u < (1ull << 32); u += 4099)
        {
          uint32_t bits = (uint32_t) u;
          float f;
          memcpy (&f, &bits, 4);
          bad += f2h (f) != gk_fp32_to_fp16 (f);
          bad += f2b (f) != gk_fp32_to_bf16 (f);
        }
      KT_CHECK (bad == 0, "%ld F16/BF16 conversion mismatches", bad);
    }
}

static void
check_cpu (void *cpu, gk_variant v)
{
  void (*init) (void) = (void (*) (void)) dlsym (cpu, "ggml_cpu_init");
  const uint16_t *gelu = dlsym (cpu, "ggml_table_gelu_f16");
  if (!init || !gelu)
    {
      KT_CHECK (0, "ggml cpu library lacks ggml_cpu_init/ggml_table_gelu_f16");
      return;
    }
  init ();
  int gbad = 0;
  const uint16_t *mine = gk_gelu_table ();
  for (int i = 0; i < 65536; i++)
    gbad += gelu[i] != mine[i];
  KT_CHECK (gbad == 0, "%d GELU table entries differ", gbad);

  if (!gk_force_variant (v))
    return;
  const char *vn = gk_variant_label (v);
  enum { N = 4096 };
  float *x = malloc (N * sizeof *x), *a = malloc (N * sizeof *a);
  unsigned char *q1 = malloc (N * 4), *q2 = malloc (N * 4), *w = malloc (N * 4);

  static const struct { const char *f; uint32_t t; } A[] = {
    { "quantize_row_q8_0", GK_TYPE_Q8_0 }, { "quantize_row_q8_1", GK_TYPE_Q8_1 },
  };
  for (size_t k = 0; k < sizeof A / sizeof A[0]; k++)
    {
      ggml_quant_fn f = (ggml_quant_fn) dlsym (cpu, A[k].f);
      int bad = 0;
      for (int it = 0; it < 200 && f; it++)
        {
          kt_rng r = { (uint64_t) it + 7 };
          kt_fill (&r, x, N, it);
          f (x, q1, N);
          gk_quantize_act (A[k].t, x, q2, N);
          bad += memcmp (q1, q2, gk_row_size (A[k].t, N)) != 0;
        }
      KT_CHECK (f && bad == 0, "%s %s: %d/200 differ", vn, A[k].f, bad);
    }

  static const struct { const char *f; uint32_t t; bool exact; } D[] = {
    { "ggml_vec_dot_q4_0_q8_0", GK_TYPE_Q4_0, true }, { "ggml_vec_dot_q8_0_q8_0", GK_TYPE_Q8_0, true },
    { "ggml_vec_dot_q6_K_q8_K", GK_TYPE_Q6_K, true }, { "ggml_vec_dot_q4_1_q8_1", GK_TYPE_Q4_1, true },
    { "ggml_vec_dot_q5_0_q8_0", GK_TYPE_Q5_0, true }, { "ggml_vec_dot_q5_1_q8_1", GK_TYPE_Q5_1, true },
    { "ggml_vec_dot_q4_K_q8_K", GK_TYPE_Q4_K, true }, { "ggml_vec_dot_q5_K_q8_K", GK_TYPE_Q5_K, true },
    { "ggml_vec_dot_q2_K_q8_K", GK_TYPE_Q2_K, true }, { "ggml_vec_dot_q3_K_q8_K", GK_TYPE_Q3_K, true },
    { "ggml_vec_dot_f16", GK_TYPE_F16, true }, { "ggml_vec_dot_bf16", GK_TYPE_BF16, true },
    { "ggml_vec_dot_f32", GK_TYPE_F32, true },
  };
  for (size_t k = 0; k < sizeof D / sizeof D[0]; k++)
    {
      ggml_dot_fn f = (ggml_dot_fn) dlsym (cpu, D[k].f);
      const uint32_t at = gk_vec_dot_type (D[k].t);
      int bad = 0;
      double worst = 0;
      for (int it = 0; it < 200 && f; it++)
        {
          kt_rng r = { (uint64_t) it + 99 };
          kt_fill (&r, x, N, it % 3 == 2 ? 0 : it);
          kt_fill (&r, a, N, (it + 1) % 3 == 2 ? 1 : 0);
          gk_quantize_row_ref (D[k].t, x, w, N);
          gk_quantize_act (at, a, q1, N);
          float s1, s2 = gk_vec_dot (D[k].t, w, q1, N);
          f (N, &s1, 0, w, 0, q1, 0, 1);
          if (memcmp (&s1, &s2, 4) != 0)
            {
              double rel = fabs ((double) s1 - s2) / (fabs (s1) + 1e-30);
              worst = rel > worst ? rel : worst;
              bad += D[k].exact || rel > 1e-4;
            }
        }
      KT_CHECK (f && bad == 0, "%s %s: %d/200 differ (worst rel %.3g)", vn, D[k].f, bad, worst);
    }
  gk_force_variant (GK_VARIANT_SCALAR);
  free (x); free (a); free (q1); free (q2); free (w);
}

int
main (int argc, char **argv)
{
  if (argc != 2)
    {
      fprintf (stderr, "usage: %s LLAMA_LIB_DIR\n", argv[0]);
      return 2;
    }
  void *base = open_lib (argv[1], "libggml-base.so", RTLD_NOW | RTLD_GLOBAL);
  if (!base)
    return 77; /* skip: reference not prepared */
  check_ref (base);

  /* ggml's AVX2 build; our AVX-512 variant runs the same integer sums, so
   * its integer-exact dots must match it too */
  if (gk_variant_supported (GK_VARIANT_AVX2))
    {
      void *cpu = open_lib (argv[1], "libggml-cpu-haswell.so", RTLD_NOW | RTLD_LOCAL);
      KT_CHECK (cpu != NULL, "no haswell library");
      if (cpu)
        {
          check_cpu (cpu, GK_VARIANT_AVX2);
          if (gk_variant_supported (GK_VARIANT_AVX512))
            check_cpu (cpu, GK_VARIANT_AVX512);
        }
    }
  else
    printf ("# no AVX2 here: SIMD comparisons skipped\n");
  if (kt_failures)
    fprintf (stderr, "%d failures\n", kt_failures);
  return kt_failures ? 1 : 0;
}
