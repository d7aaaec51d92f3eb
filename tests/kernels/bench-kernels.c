/* bench-kernels.c — throughput of each matrix-vector kernel and of plain
 * memory reads, for the benchmark script.  Not a test: no assertions.
 *
 *   bench-kernels [--threads N] [--mb MB] [--cols N] [--variant scalar|avx2|...]
 *                 [--reps N] [--types Q4_0,Q6_K,...] [--k K] [--panel 0|1]
 *
 * Output is one line per measurement, key=value pairs:
 *   membw threads=1 mb=512 gbps=18.20
 *   matmul type=Q4_0 variant=avx2+fma+f16c threads=1 cols=1 k=4096 rows=... mb=... ms=... gbps=...
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gemlet-kernels.h"
#include "kt-common.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct {
  /* matmul job */
  uint32_t wtype;
  const unsigned char *w;
  size_t wrb;
  int64_t k, r0, r1;
  const unsigned char *xq;
  size_t xrb;
  int64_t cols;
  float *y;
  size_t ys;
  /* read job */
  const float *buf;
  int64_t n;
  float sink;
} job;

static bool use_panel; /* --panel 1: prefill panels where the variant has them */

static void *
run_matmul (void *p)
{
  job *j = p;
  if (use_panel)
    gk_matmul_panel (j->wtype, j->w, j->wrb, j->k, j->r0, j->r1, j->xq, j->cols, j->y, j->ys);
  else
    gk_matmul (j->wtype, j->w, j->wrb, j->k, j->r0, j->r1, j->xq, j->xrb, j->cols, j->y, j->ys);
  return NULL;
}

static void *
run_read (void *p)
{
  job *j = p;
  /* dot of the slice with itself: one stream from memory, SIMD wide */
  j->sink = gk_dot_f32 (j->buf, j->buf, j->n);
  return NULL;
}

static void
run_jobs (job *jobs, int nthreads, void *(*fn) (void *))
{
  pthread_t th[64];
  for (int t = 1; t < nthreads; t++)
    pthread_create (&th[t], NULL, fn, &jobs[t]);
  fn (&jobs[0]);
  for (int t = 1; t < nthreads; t++)
    pthread_join (th[t], NULL);
}

static void
bench_membw (int nthreads, size_t mb, int reps)
{
  const int64_t n = (int64_t) (mb << 20) / (int64_t) sizeof (float);
  float *buf = malloc ((size_t) n * sizeof (float));
  job jobs[64];

  if (!buf)
    return;
  for (int64_t i = 0; i < n; i++)
    buf[i] = (float) (i & 1023) * 1e-3f;
  for (int t = 0; t < nthreads; t++)
    {
      jobs[t].buf = buf + n / nthreads * t;
      jobs[t].n = t == nthreads - 1 ? n - n / nthreads * t : n / nthreads;
    }
  double best = 1e30;
  for (int r = 0; r < reps; r++)
    {
      double t0 = now_s ();
      run_jobs (jobs, nthreads, run_read);
      double dt = now_s () - t0;
      if (dt < best)
        best = dt;
    }
  printf ("membw threads=%d mb=%zu gbps=%.2f\n", nthreads, mb, (double) n * 4 / best / 1e9);
  free (buf);
}

static int64_t bench_k = 4096; /* --k: row length */

static void
bench_matmul (uint32_t wt, int nthreads, size_t mb, int64_t cols, int reps)
{
  const int64_t k = bench_k;
  const uint32_t at = gk_vec_dot_type (wt);
  const size_t wrb = gk_row_size (wt, k), xrb = gk_row_size (at, k);
  int64_t rows = (int64_t) ((mb << 20) / wrb);
  rows -= rows % 64;
  if (rows < 64)
    rows = 64;

  unsigned char *w = malloc (wrb * (size_t) rows);
  const size_t pbytes = use_panel ? gk_panel_bytes (wt, k, cols) : 0;
  if (use_panel && pbytes == 0)
    {
      printf ("# no panel kernel for %s with %lld columns\n", gk_type_get (wt)->name, (long long) cols);
      return;
    }
  unsigned char *xq = malloc (pbytes > xrb * (size_t) cols ? pbytes : xrb * (size_t) cols);
  float *y = malloc (sizeof (float) * (size_t) rows * (size_t) cols);
  float *tmp = malloc (sizeof (float) * (size_t) k);
  if (!w || !xq || !y || !tmp)
    {
      free (w); free (xq); free (y); free (tmp);
      return;
    }

  /* 64 distinct quantized rows, tiled over the matrix (quantizing hundreds
   * of MB with the reference quantizers would dominate the run time) */
  kt_rng r = { 42 + wt };
  for (int64_t i = 0; i < 64; i++)
    {
      kt_fill (&r, tmp, k, 0);
      gk_quantize_row_ref (wt, tmp, w + i * wrb, k);
    }
  for (int64_t i = 64; i < rows; i += 64)
    memcpy (w + i * wrb, w, 64 * wrb);
  if (use_panel)
    {
      float *xf = malloc (sizeof (float) * (size_t) k * (size_t) cols);
      if (!xf)
        abort ();
      kt_fill (&r, xf, k * cols, 0);
      gk_panel_pack (wt, xf, k, cols, 0, gk_panel_strips (cols), xq);
      free (xf);
    }
  else
    for (int64_t c = 0; c < cols; c++)
      {
        kt_fill (&r, tmp, k, 0);
        gk_quantize_act (at, tmp, xq + c * xrb, k);
      }

  job jobs[64];
  for (int t = 0; t < nthreads; t++)
    {
      jobs[t] = (job) { .wtype = wt, .w = w, .wrb = wrb, .k = k,
                        .r0 = rows * t / nthreads, .r1 = rows * (t + 1) / nthreads,
                        .xq = xq, .xrb = xrb, .cols = cols, .y = y, .ys = (size_t) rows };
    }
  run_jobs (jobs, nthreads, run_matmul); /* warm up, fault pages in */
  double best = 1e30;
  for (int rep = 0; rep < reps; rep++)
    {
      double t0 = now_s ();
      run_jobs (jobs, nthreads, run_matmul);
      double dt = now_s () - t0;
      if (dt < best)
        best = dt;
    }
  const double bytes = (double) wrb * (double) rows;
  printf ("matmul type=%s variant=%s threads=%d cols=%lld k=%lld rows=%lld mb=%.1f ms=%.3f gbps=%.2f"
          " gflops=%.2f\n",
          gk_type_get (wt)->name, gk_variant_name (), nthreads, (long long) cols, (long long) k,
          (long long) rows, bytes / (1 << 20), best * 1e3, bytes / best / 1e9,
          2.0 * (double) k * (double) rows * (double) cols / best / 1e9);
  free (w); free (xq); free (y); free (tmp);
}

int
main (int argc, char **argv)
{
  int nthreads = 1, reps = 5;
  size_t mb = 256;
  int64_t cols = 1;
  const char *types = "Q4_0,Q8_0,Q6_K,Q4_K,Q5_K,Q4_1,Q5_0,Q5_1,Q2_K,Q3_K,F16,BF16,F32";
  const char *variant = NULL;

  for (int i = 1; i + 1 < argc; i += 2)
    {
      if (strcmp (argv[i], "--threads") == 0)
        nthreads = atoi (argv[i + 1]);
      else if (strcmp (argv[i], "--mb") == 0)
        mb = (size_t) atol (argv[i + 1]);
      else if (strcmp (argv[i], "--cols") == 0)
        cols = atol (argv[i + 1]);
      else if (strcmp (argv[i], "--k") == 0)
        bench_k = atol (argv[i + 1]);
      else if (strcmp (argv[i], "--reps") == 0)
        reps = atoi (argv[i + 1]);
      else if (strcmp (argv[i], "--types") == 0)
        types = argv[i + 1];
      else if (strcmp (argv[i], "--panel") == 0)
        use_panel = atoi (argv[i + 1]) != 0;
      else if (strcmp (argv[i], "--variant") == 0)
        variant = argv[i + 1];
      else
        {
          fprintf (stderr, "unknown option %s\n", argv[i]);
          return 2;
        }
    }
  if (nthreads < 1 || nthreads > 64 || cols < 1 || reps < 1 || mb < 1 || bench_k < 256
      || bench_k % 256 != 0)
    {
      fprintf (stderr, "bad arguments\n");
      return 2;
    }
  if (variant)
    {
      bool found = false;
      for (int v = 0; v < GK_VARIANT_COUNT; v++)
        if (strncmp (gk_variant_label (v), variant, strlen (variant)) == 0)
          found = gk_force_variant ((gk_variant) v);
      if (!found)
        {
          fprintf (stderr, "variant %s not available here\n", variant);
          return 2;
        }
    }
  printf ("# variant=%s features=\"%s\"\n", gk_variant_name (), gk_cpu_features ());

  bench_membw (nthreads, mb * 2, reps);
  char list[256];
  snprintf (list, sizeof list, "%s", types);
  for (char *save = NULL, *tok = strtok_r (list, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      uint32_t t = 0;
      for (; t < GK_TYPE_COUNT; t++)
        if (gk_type_get (t) && strcmp (gk_type_get (t)->name, tok) == 0)
          break;
      if (t == GK_TYPE_COUNT || gk_vec_dot_type (t) == GK_TYPE_COUNT)
        {
          fprintf (stderr, "no kernel for %s\n", tok);
          continue;
        }
      bench_matmul (t, nthreads, mb, cols, reps);
    }
  return 0;
}
