/* compare-logits.c — judges our logits against llama.cpp's.
 *
 *   compare-logits --n-vocab N OURS REF [bounds] [--exact EXACT] [--quiet]
 *
 * Files are raw float32, one row of N values per position.  With s the RMS
 * of REF over all positions, per position it prints RMS(Δ)/s, max|Δ|/s, the
 * cosine of the two rows and whether the top-1 ids agree.  Bounds (each
 * checked only when given):
 *   --rms-max R      RMS(Δ)/s <= R at every position
 *   --maxabs-max M   max|Δ|/s <= M at every position
 *   --cos-min C      cosine >= C at every position
 *   --top1           same top-1 wherever REF's top-2 margin > F·s
 *   --top1-margin F  (default 0.05)
 * Three-file mode, --exact EXACT (logits of an exact F32 computation on the
 * same dequantized weights): "ours no less accurate than llama.cpp", i.e.
 * RMS(OURS − EXACT) <= slack · RMS(REF − EXACT) over all positions
 * (--slack, default 1.05, absorbs rounding noise when both are about equal).
 * Exit status 1 when a bound fails, 2 on bad input.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *
load (const char *path, long n_vocab, long *n_pos)
{
  FILE *fp = fopen (path, "rb");
  if (fp == NULL || fseek (fp, 0, SEEK_END) != 0)
    {
      fprintf (stderr, "compare-logits: cannot read %s\n", path);
      return NULL;
    }
  long size = ftell (fp);
  rewind (fp);
  if (size <= 0 || size % (4 * n_vocab) != 0)
    {
      fprintf (stderr, "compare-logits: %s: %ld bytes is not a whole number of %ld-float rows\n",
               path, size, n_vocab);
      fclose (fp);
      return NULL;
    }
  float *d = malloc ((size_t) size);
  if (fread (d, 1, (size_t) size, fp) != (size_t) size)
    {
      fprintf (stderr, "compare-logits: short read on %s\n", path);
      free (d);
      d = NULL;
    }
  fclose (fp);
  *n_pos = size / (4 * n_vocab);
  return d;
}

static void
top2 (const float *l, long n, long *best, float *margin)
{
  long b = 0;
  float v1 = -INFINITY, v2 = -INFINITY;
  for (long i = 0; i < n; i++)
    {
      if (l[i] > v1)
        {
          v2 = v1;
          v1 = l[i];
          b = i;
        }
      else if (l[i] > v2)
        v2 = l[i];
    }
  *best = b;
  *margin = v1 - v2;
}

static double
rms_diff (const float *a, const float *b, long n)
{
  double s = 0;
  for (long i = 0; i < n; i++)
    s += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
  return sqrt (s / n);
}

int
main (int argc, char **argv)
{
  const char *files[2] = { NULL, NULL }, *exact_path = NULL;
  long n_vocab = 0;
  double rms_max = -1, maxabs_max = -1, cos_min = -2, margin_frac = 0.05, slack = 1.05;
  bool check_top1 = false, quiet = false;
  int n_files = 0;

  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define TAKE(opt) (strcmp (a, opt) == 0 && v && (i++, true))
      if (TAKE ("--n-vocab"))
        n_vocab = atol (v);
      else if (TAKE ("--rms-max"))
        rms_max = atof (v);
      else if (TAKE ("--maxabs-max"))
        maxabs_max = atof (v);
      else if (TAKE ("--cos-min"))
        cos_min = atof (v);
      else if (TAKE ("--top1-margin"))
        margin_frac = atof (v);
      else if (TAKE ("--exact"))
        exact_path = v;
      else if (TAKE ("--slack"))
        slack = atof (v);
      else if (strcmp (a, "--top1") == 0)
        check_top1 = true;
      else if (strcmp (a, "--quiet") == 0)
        quiet = true;
      else if (a[0] != '-' && n_files < 2)
        files[n_files++] = a;
      else
        {
          fprintf (stderr, "compare-logits: bad argument '%s'\n", a);
          return 2;
        }
#undef TAKE
    }
  if (n_files != 2 || n_vocab <= 0)
    {
      fprintf (stderr, "usage: compare-logits --n-vocab N OURS REF [--rms-max R] [--maxabs-max M]\n"
                       "       [--cos-min C] [--top1 [--top1-margin F]] [--exact EXACT [--slack X]] [--quiet]\n");
      return 2;
    }

  long n_pos, n_pos_ref, n_pos_exact = 0;
  float *ours = load (files[0], n_vocab, &n_pos);
  float *ref = load (files[1], n_vocab, &n_pos_ref);
  float *exact = exact_path ? load (exact_path, n_vocab, &n_pos_exact) : NULL;
  if (ours == NULL || ref == NULL || (exact_path && exact == NULL))
    return 2;
  if (n_pos != n_pos_ref || (exact && n_pos_exact != n_pos))
    {
      fprintf (stderr, "compare-logits: position counts differ (%ld vs %ld%s)\n", n_pos, n_pos_ref,
               exact ? " vs exact" : "");
      return 2;
    }

  double s2 = 0;
  for (long i = 0; i < n_pos * n_vocab; i++)
    s2 += (double) ref[i] * ref[i];
  const double s = sqrt (s2 / (double) (n_pos * n_vocab));
  if (!(s > 0))
    {
      fprintf (stderr, "compare-logits: reference logits are all zero\n");
      return 2;
    }

  bool ok = true;
  double worst_rms = 0, worst_max = 0, worst_cos = 1;
  long top1_checked = 0, top1_bad = 0;
  if (!quiet)
    printf ("pos   rms(d)/s    max|d|/s    cosine      top1 (ours/ref, ref margin/s)\n");
  for (long p = 0; p < n_pos; p++)
    {
      const float *a = ours + p * n_vocab, *b = ref + p * n_vocab;
      double d2 = 0, dmax = 0, ab = 0, aa = 0, bb = 0;
      for (long i = 0; i < n_vocab; i++)
        {
          double d = (double) a[i] - b[i];
          d2 += d * d;
          dmax = fabs (d) > dmax ? fabs (d) : dmax;
          ab += (double) a[i] * b[i];
          aa += (double) a[i] * a[i];
          bb += (double) b[i] * b[i];
        }
      double r = sqrt (d2 / n_vocab) / s, m = dmax / s;
      double cosv = (aa > 0 && bb > 0) ? ab / sqrt (aa * bb) : 0.0;
      long ta, tb;
      float ma, mb;
      top2 (a, n_vocab, &ta, &ma);
      top2 (b, n_vocab, &tb, &mb);
      bool decisive = mb > margin_frac * s;
      bool bad = (rms_max >= 0 && r > rms_max) || (maxabs_max >= 0 && m > maxabs_max)
                 || (cos_min > -2 && cosv < cos_min) || (check_top1 && decisive && ta != tb);
      if (decisive)
        top1_checked++;
      if (decisive && ta != tb)
        top1_bad++;
      worst_rms = r > worst_rms ? r : worst_rms;
      worst_max = m > worst_max ? m : worst_max;
      worst_cos = cosv < worst_cos ? cosv : worst_cos;
      ok = ok && !bad;
      if (!quiet || bad)
        printf ("%-5ld %-11.3e %-11.3e %-11.8f %ld/%ld %.3f%s\n", p, r, m, cosv, ta, tb, mb / s,
                bad ? "  <-- FAIL" : "");
    }

  printf ("positions %ld, n_vocab %ld, s = RMS(ref) = %.4f\n", n_pos, n_vocab, s);
  printf ("worst: rms(d)/s %.3e%s, max|d|/s %.3e%s, cosine %.8f%s\n", worst_rms,
          rms_max >= 0 ? (worst_rms <= rms_max ? " (ok)" : " (FAIL)") : "", worst_max,
          maxabs_max >= 0 ? (worst_max <= maxabs_max ? " (ok)" : " (FAIL)") : "", worst_cos,
          cos_min > -2 ? (worst_cos >= cos_min ? " (ok)" : " (FAIL)") : "");
  printf ("top-1: %ld decisive positions (ref margin > %.3g s), %ld disagree%s\n", top1_checked,
          margin_frac, top1_bad, check_top1 ? (top1_bad ? " (FAIL)" : " (ok)") : "");

  if (exact)
    {
      double e_ours = rms_diff (ours, exact, n_pos * n_vocab) / s;
      double e_ref = rms_diff (ref, exact, n_pos * n_vocab) / s;
      bool acc_ok = e_ours <= slack * e_ref;
      printf ("accuracy vs exact F32: ours %.3e s, llama.cpp %.3e s (ratio %.3f, allowed %.3f)%s\n",
              e_ours, e_ref, e_ref > 0 ? e_ours / e_ref : INFINITY, slack, acc_ok ? " (ok)" : " (FAIL)");
      ok = ok && acc_ok;
    }

  free (ours);
  free (ref);
  free (exact);
  return ok ? 0 : 1;
}
